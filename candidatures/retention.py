"""Retention periods of the candidatures domain (`aap.retention.DUREES`): drafts never filed are deleted,
dossiers not selected are anonymised; and what a person finds of theirs here (art. 15 and 20)."""

import json

from sqlalchemy import delete, exists, func, select

from aap.extensions import db
from aap.fichiers import Fichier, supprimer
from aap.journal import anonymiser
from aap.models import Campagne, EntreeJournal
from aap.retention import limite

from .models import ChangementStatut, Depot, DocumentStructure, Dossier, Piece, Statut

NON_RETENUS = (Statut.IRRECEVABLE, Statut.REJETE)
# Dans l'instantané d'un dépôt (`operations.instantane`) : ce qui nomme une personne.
PERSONNES_STRUCTURE = ("representant", "contact")


def _journal_du_dossier(dossier, instant):
    anonymiser(
        (EntreeJournal.objet_type == "dossiers") & (EntreeJournal.objet_id == str(dossier.id)),
        details={"anonymise": True},
        instant=instant,
    )


def _pieces(dossier):
    """Deletes the dossier's pieces; their files go too, unless a structure's standing document still uses them."""
    fichiers = [p.fichier for p in dossier.pieces]
    db.session.execute(delete(Piece).where(Piece.dossier_id == dossier.id))
    partages = set(
        db.session.scalars(select(DocumentStructure.fichier_id).where(DocumentStructure.fichier_id.in_([f.id for f in fichiers])))
    )
    encore = set(db.session.scalars(select(Piece.fichier_id).where(Piece.fichier_id.in_([f.id for f in fichiers]))))
    supprimer([f for f in fichiers if f.id not in partages | encore])


def brouillons(instant):
    """Drafts never filed, untouched for a year, whose campaign is closed: deleted with their pieces."""
    dossiers = db.session.scalars(
        select(Dossier)
        .join(Campagne, Campagne.id == Dossier.campagne_id)
        .where(
            Dossier.statut == Statut.BROUILLON,
            Dossier.modifie_le < limite("brouillons", instant),
            Campagne.cloture_le < instant,
            ~exists().where(Depot.dossier_id == Dossier.id),
        )
    ).all()
    for dossier in dossiers:
        _pieces(dossier)
        db.session.execute(delete(ChangementStatut).where(ChangementStatut.dossier_id == dossier.id))
        _journal_du_dossier(dossier, instant)
        db.session.delete(dossier)
    return len(dossiers)


def _instantane_anonyme(texte):
    contenu = json.loads(texte)
    for champ in PERSONNES_STRUCTURE:
        if champ in contenu.get("structure", {}):
            contenu["structure"][champ] = ["" for _ in contenu["structure"][champ]]
    if "engagements" in contenu:
        contenu["engagements"]["signataire"] = ["", ""]
    return json.dumps(contenu, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dossiers_non_retenus(instant):
    """Irrecevable or rejected dossiers whose decision is five years old: pieces, receipts and letters
    erased, names removed from the dossier and its snapshots; number, amounts and decision remain."""
    decide_le = (
        select(func.max(ChangementStatut.le))
        .where(ChangementStatut.dossier_id == Dossier.id, ChangementStatut.statut == Dossier.statut)
        .scalar_subquery()
    )
    dossiers = db.session.scalars(
        select(Dossier).where(
            Dossier.statut.in_([str(s) for s in NON_RETENUS]),
            Dossier.anonymise_le.is_(None),
            decide_le < limite("dossiers_non_retenus", instant),
        )
    ).all()
    for dossier in dossiers:
        _pieces(dossier)
        accuses = [depot.accuse for depot in dossier.depots if depot.accuse is not None]
        for depot in dossier.depots:
            depot.accuse = None
            depot.instantane = _instantane_anonyme(depot.instantane)
        lettres = db.session.scalars(
            select(Fichier).where(Fichier.service_id == dossier.service_id, Fichier.nom == f"irrecevabilite-{dossier.numero}.pdf")
        ).all()
        db.session.flush()
        supprimer(accuses + lettres)
        dossier.signataire_nom = dossier.signataire_qualite = ""
        dossier.anonymise_le = instant
        _journal_du_dossier(dossier, instant)
    return len(dossiers)


def donnees_personnelles(utilisateur):
    """The dossiers a person created or filed, and the structure they belong to."""
    dossiers = db.session.scalars(
        select(Dossier)
        .where(
            (Dossier.cree_par_id == utilisateur.id)
            | Dossier.id.in_(select(Depot.dossier_id).where(Depot.depose_par_id == utilisateur.id))
        )
        .order_by(Dossier.id)
    )
    structure = utilisateur.structure
    return {
        "structure": {
            "raison_sociale": structure.raison_sociale,
            "siret": structure.siret,
            "rattachement_valide": utilisateur.rattachement_valide,
        }
        if structure
        else None,
        "dossiers": [
            {
                "numero": d.numero,
                "titre": d.titre,
                "statut": Statut(d.statut).libelle,
                "cree_le": d.cree_le,
                "depose_le": d.depose_le,
            }
            for d in dossiers
        ],
    }
