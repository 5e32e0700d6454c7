"""The lists: the porteur's dossiers, the DEETS's instruction list and its spreadsheet export."""

from itertools import batched

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap.exports import Classeur, Colonne
from aap.extensions import db
from aap.formats import fuseau
from aap.models import Campagne, Role
from aap.referentiel import communes_du_service
from aap.regles import EtatCampagne, etat_campagne
from aap.securite import role_requis
from aap.types import maintenant

from ..forms import STATUTS_FILTRABLES
from ..lecture import LECTEURS, campagnes_du_filtre, filtres_dossiers, paginer_dossiers, requete_dossiers
from ..models import Dossier, StatutJuridique
from ..resumes import communes_des, lignes_dossiers, resumes_de
from . import bp


@bp.route("/")
@login_required
def index():
    if current_user.a_role(Role.PORTEUR):
        return _mes_dossiers()
    if current_user.a_role(*LECTEURS):
        return _instruction()
    abort(403)


def campagnes_ouvertes():
    instant = maintenant()
    campagnes = db.session.scalars(
        select(Campagne).where(Campagne.publiee.is_(True)).order_by(Campagne.ouverture_le.desc())
    ).all()
    return [c for c in campagnes if etat_campagne(c.ouverture_le, c.cloture_le, instant) != EtatCampagne.CLOTUREE]


def _mes_dossiers():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        return render_template("candidatures/mes_dossiers.html", dossiers=[], campagnes=[], en_attente=True, page=None)
    page = paginer_dossiers(requete_dossiers(filtres_dossiers({})), (joinedload(Dossier.campagne),))
    resumes = resumes_de([d.id for d in page.items])
    lignes = [(d, resumes[d.id]) for d in page.items]
    return render_template(
        "candidatures/mes_dossiers.html", dossiers=lignes, campagnes=campagnes_ouvertes(), en_attente=False, page=page
    )


def _instruction():
    filtres = filtres_dossiers(request.args)
    page = paginer_dossiers(requete_dossiers(filtres), en_lignes=True)
    lignes = page.items
    communes = communes_du_service(current_user.service)
    campagnes = campagnes_du_filtre(current_user)
    return render_template(
        "candidatures/instruction.html",
        page=page,
        lignes=lignes,
        filtres=filtres,
        communes=communes,
        campagnes=campagnes,
        statuts=STATUTS_FILTRABLES,
        statuts_juridiques=StatutJuridique.choix(),
    )


# Les colonnes de l'export, dans l'ordre des valeurs de `_ligne_export`.
COLONNES_EXPORT = [
    Colonne("Numéro", largeur=20),
    Colonne("Statut", largeur=18),
    Colonne("Campagne", "entier", 10),
    Colonne("Structure", largeur=36),
    Colonne("SIRET", largeur=16),
    Colonne("Statut juridique", largeur=22),
    Colonne("Émergente", "booleen", 10),
    Colonne("Titre du projet", largeur=40),
    Colonne("ETP facilitateur", "decimal", 10),
    Colonne("ETP coordinateur", "decimal", 10),
    Colonne("Communes", largeur=30),
    Colonne("Zone blanche", "booleen", 10),
    Colonne("Coût année 1", "euros", 14),
    Colonne("Part de l'État demandée (année 1)", "euros", 16),
    Colonne("Taux État (année 1)", "pourcentage", 12),
    Colonne("Cofinancement (année 1)", "euros", 14),
    Colonne("Heures d'insertion visées", "entier", 12),
    Colonne("Déposé le", "instant", 18),
    Colonne("Dossier complet le", "date", 14),
    Colonne("Points bloquants", "entier", 10),
    Colonne("Avertissements", "entier", 10),
    Colonne("Avis du comité technique", largeur=18),
]


def _ligne_export(d, communes):
    """One row of the export, from a list row (the dossier's columns and its stored summary)."""
    return [
        d.numero,
        d.statut.libelle,
        d.annee,
        d.raison_sociale,
        d.siret,
        d.statut_juridique.libelle,
        d.emergente,
        d.titre,
        d.etp_facilitateur,
        d.etp_coordinateur,
        ", ".join(communes.get(d.id, ())),
        d.zone_blanche,
        d.charges_annee1,
        d.part_etat_annee1,
        d.taux_etat_annee1,
        d.cofinancement_annee1,
        d.heures_insertion,
        d.depose_le,
        d.recevable_le,
        d.bloquants,
        d.avertissements,
        d.avis_ctn and d.avis_ctn.replace("reserve", "réservé"),
    ]


@bp.route("/export.xlsx")
@role_requis(*LECTEURS)
def export():
    """The filtered list as a spreadsheet, written in batches and streamed."""
    classeur = Classeur("Dossiers", COLONNES_EXPORT)
    try:
        # Des lignes (colonnes et résumé stocké), lues et écrites par lots : la mémoire ne grandit pas avec la liste.
        for lot in batched(lignes_dossiers(requete_dossiers(filtres_dossiers(request.args), avec_structure=True)), 500):
            communes = communes_des([d.id for d in lot])
            for d in lot:
                classeur.ligne(_ligne_export(d, communes))
    except Exception:
        classeur.abandonner()
        raise
    return classeur.reponse(f"dossiers-{maintenant().astimezone(fuseau()):%Y-%m-%d}.xlsx")
