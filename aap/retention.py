"""Retention of personal data (RGPD art. 5-1-e) and the rights of access and portability (art. 15 and 20).

`DUREES` is the one table of retention periods: the personal-data page shows it, `flask rgpd purger` (daily)
applies it. Each domain applies its own rows (`candidatures.retention`, `notation.retention`,
`conventions.retention`); the application factory hands them to `init_app`, the foundation never imports a
domain. Every run writes one entry in the audit log with what it did, and the chain still verifies: the
entries about what was erased lose their personal part, not their place in the chain (`aap.journal`).

Public archives: a dossier received by the service is a public archive (code du patrimoine, art. L. 211-4);
its elimination at the end of its retention period is recorded here, entry by entry, for the bordereau
d'élimination that the archives' visa requires (art. R. 212-14).
"""

import json
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import Blueprint, Response, current_app
from flask_login import current_user, login_required
from sqlalchemy import delete, or_, select

from .extensions import db
from .journal import anonymiser, journaliser
from .models import Courriel, EntreeJournal, JetonApi, Utilisateur
from .securite import nouveau_jeton_session
from .types import maintenant

JOUR = timedelta(days=1)


@dataclass(frozen=True)
class Duree:
    cle: str
    categorie: str
    duree: str
    jours: int | None  # None : pas d'effacement par l'application (archives publiques)
    sort: str
    fondement: str


DUREES = [
    Duree(
        "brouillons",
        "Dossiers en brouillon jamais déposés (contenu, budget, pièces)",
        "1 an après leur dernière modification, la campagne étant close",
        365,
        "supprimés",
        "RGPD, art. 5-1-e : une demande jamais déposée n'a pas été reçue par le service et ne fonde aucune décision.",
    ),
    Duree(
        "dossiers_non_retenus",
        "Dossiers déposés et non retenus (irrecevables ou rejetés) : pièces, accusés, signataires et contacts",
        "5 ans après la décision",
        5 * 365,
        "anonymisés : pièces et lettres effacées, noms retirés ; restent le numéro, les montants et la décision",
        "Délais de recours (2 mois, CJA R. 421-1) et prescription de droit commun (5 ans, code civil art. 2224) "
        "couverts ; élimination consignée pour le visa des Archives (code du patrimoine, art. R. 212-14).",
    ),
    Duree(
        "notes_copil",
        "Commentaires des membres du COPIL sur les dossiers (par critère et généraux)",
        "5 ans après la séance",
        5 * 365,
        "commentaires effacés ; les notes chiffrées restent, elles fondent la décision et son procès-verbal",
        "Même durée que la décision qu'ils motivent (recours, prescription).",
    ),
    Duree(
        "comptes_inactifs",
        "Comptes (adresse, nom, prénom, mot de passe, second facteur, jetons d'API)",
        "2 ans sans connexion",
        2 * 365,
        "anonymisés : le compte ne signe plus que par son numéro au journal",
        "Recommandation de la CNIL sur les comptes inactifs ; RGPD, art. 5-1-e.",
    ),
    Duree(
        "courriels",
        "Courriels envoyés par la plateforme (destinataire, texte, pièces jointes)",
        "1 an après leur envoi",
        365,
        "supprimés",
        "La preuve de l'envoi reste au journal d'audit, sans le texte.",
    ),
    Duree(
        "conventions",
        "Dossiers retenus, conventions, bilans, pièces justificatives et versements",
        "10 ans après la fin de la dernière année de la convention",
        None,
        "signalés pour versement aux Archives départementales ou élimination sur leur visa ; jamais effacés par la plateforme",
        "Archives publiques (code du patrimoine, art. L. 211-4 et L. 212-2) : contrôle de l'emploi des fonds et "
        "reversements (loi n° 2000-321, art. 10) pendant la durée d'utilité administrative.",
    ),
    Duree(
        "journal",
        "Journal d'audit (qui a fait quoi, quand)",
        "aussi longtemps que les données qu'il trace",
        None,
        "sa partie personnelle est anonymisée avec les données qu'elle concerne ; la chaîne reste vérifiable",
        "Intégrité et traçabilité des décisions (RGPD, art. 5-1-f et 32).",
    ),
]
PAR_CLE = {d.cle: d for d in DUREES}
LIBELLES_BILAN = {"lettres_non_retenus": "Lettres de décision des dossiers non retenus anonymisés"}


def limite(cle, instant):
    """The instant before which the category's data have expired."""
    return instant - PAR_CLE[cle].jours * JOUR


def anonymiser_compte(utilisateur, instant):
    """The account keeps its id (it signs rows and the audit log) and nothing that names a person."""
    utilisateur.email = f"anonyme-{utilisateur.id}@anonyme.invalid"
    utilisateur.prenom = utilisateur.nom = ""
    utilisateur.mot_de_passe_hash = utilisateur.totp_secret = None
    utilisateur.actif = False
    utilisateur.jeton_session = nouveau_jeton_session()
    utilisateur.anonymise_le = instant
    db.session.execute(delete(JetonApi).where(JetonApi.utilisateur_id == utilisateur.id))
    anonymiser(EntreeJournal.acteur_id == utilisateur.id, acteur=f"compte n° {utilisateur.id} (anonymisé)", instant=instant)
    anonymiser(
        (EntreeJournal.objet_type == "utilisateurs") & (EntreeJournal.objet_id == str(utilisateur.id)),
        details={"anonymise": True},
        instant=instant,
    )


def comptes_inactifs(instant):
    avant = limite("comptes_inactifs", instant)
    comptes = db.session.scalars(
        select(Utilisateur).where(
            Utilisateur.anonymise_le.is_(None),
            or_(
                Utilisateur.derniere_connexion_le < avant,
                Utilisateur.derniere_connexion_le.is_(None) & (Utilisateur.cree_le < avant),
            ),
        )
    ).all()
    for utilisateur in comptes:
        anonymiser_compte(utilisateur, instant)
    return len(comptes)


def courriels_envoyes(instant):
    from .fichiers import PieceJointe

    anciens = select(Courriel.id).where(Courriel.cree_le < limite("courriels", instant))
    db.session.execute(delete(PieceJointe).where(PieceJointe.courriel_id.in_(anciens)))
    return db.session.execute(delete(Courriel).where(Courriel.id.in_(anciens))).rowcount


def purger(etapes, instant=None):
    """Applies every retention period at `instant` (now): the foundation's, then each domain's. Returns
    {category: number of items} and writes it in the audit log."""
    instant = instant or maintenant()
    bilan = {}
    for cle, etape in etapes:
        bilan[cle] = etape(instant)
        db.session.flush()
    bilan["comptes_inactifs"] = comptes_inactifs(instant)
    bilan["courriels"] = courriels_envoyes(instant)
    journaliser("rgpd.purge", details=bilan, acteur="système")
    return bilan


# --- Droit d'accès et de portabilité (art. 15 et 20) -------------------------------------------------------


def _compte(utilisateur):
    return {
        "adresse": utilisateur.email,
        "prenom": utilisateur.prenom,
        "nom": utilisateur.nom,
        "role": utilisateur.role.libelle,
        "service": utilisateur.service.nom if utilisateur.service else None,
        "cree_le": utilisateur.cree_le,
        "derniere_connexion_le": utilisateur.derniere_connexion_le,
        "adresse_confirmee_le": utilisateur.email_confirme_le,
        "second_facteur": utilisateur.totp_secret is not None,
        "jetons_api": [{"nom": j.nom, "cree_le": j.cree_le, "expire_le": j.expire_le} for j in utilisateur.jetons],
    }


def _journal(utilisateur):
    entrees = db.session.scalars(
        select(EntreeJournal)
        .where(
            or_(
                EntreeJournal.acteur_id == utilisateur.id,
                (EntreeJournal.objet_type == "utilisateurs") & (EntreeJournal.objet_id == str(utilisateur.id)),
            )
        )
        .order_by(EntreeJournal.id)
    )
    return [
        {"le": e.le, "action": e.action, "objet": f"{e.objet_type} {e.objet_id}".strip(), "details": json.loads(e.details)}
        for e in entrees
    ]


def _courriels(utilisateur):
    courriels = db.session.scalars(select(Courriel).where(Courriel.destinataire == utilisateur.email).order_by(Courriel.id))
    return [{"cree_le": c.cree_le, "envoye_le": c.envoye_le, "sujet": c.sujet, "texte": c.texte} for c in courriels]


def donnees_de(utilisateur, sources):
    """Everything the platform holds about a person, in a structured, machine-readable form."""
    donnees = {
        "produit_le": maintenant(),
        "responsable": utilisateur.service.nom if utilisateur.service else current_app.config["PLATEFORME_SERVICE"],
        "compte": _compte(utilisateur),
        "journal": _journal(utilisateur),
        "courriels": _courriels(utilisateur),
    }
    for cle, source in sources:
        donnees[cle] = source(utilisateur)
    return donnees


def _json(valeur):
    return valeur.isoformat() if hasattr(valeur, "isoformat") else str(valeur)


bp = Blueprint("rgpd", __name__)


@bp.route("/profil/mes-donnees.json")
@login_required
def mes_donnees():
    contenu = json.dumps(
        donnees_de(current_user, current_app.extensions["rgpd"]["donnees"]), ensure_ascii=False, indent=2, default=_json
    )
    reponse = Response(contenu, mimetype="application/json")
    reponse.headers["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    reponse.headers["Cache-Control"] = "no-store"
    return reponse


@click.group("rgpd")
def rgpd_cli():
    """Données personnelles : durées de conservation."""


@rgpd_cli.command("purger")
def purger_commande():
    """Supprime ou anonymise ce dont la durée de conservation est échue (à lancer chaque jour) ; le journal dit quoi."""
    bilan = purger(current_app.extensions["rgpd"]["etapes"])
    db.session.commit()
    for cle, nombre in bilan.items():
        click.echo(f"{PAR_CLE[cle].categorie if cle in PAR_CLE else LIBELLES_BILAN[cle]} : {nombre}")


def init_app(app, *, etapes, donnees):
    """`etapes`: [(category, function(instant) -> count)] of the domains; `donnees`: [(key, function(person))]."""
    app.extensions["rgpd"] = {"etapes": etapes, "donnees": donnees}
    app.register_blueprint(bp)
    app.cli.add_command(rgpd_cli)
    app.add_template_global(DUREES, "durees_de_conservation")
