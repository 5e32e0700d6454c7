"""Retention periods of the COPIL (`aap.retention.DUREES`): members' comments erased five years after the
session, letters of the dossiers not selected erased with them; and what a member finds of theirs here."""

from sqlalchemy import select, update

from aap.extensions import db
from aap.fichiers import supprimer
from aap.retention import limite
from candidatures.models import Dossier

from .models import Decision, FeuilleNotation, Note, Seance


def commentaires_copil(instant):
    """Comments of the score sheets of sessions held five years ago: erased (the points remain). Returns the
    number of comments erased."""
    anciennes = select(Seance.id).where(Seance.tenue_le < limite("notes_copil", instant))
    feuilles = select(FeuilleNotation.id).where(FeuilleNotation.seance_id.in_(anciennes))
    notes = db.session.execute(update(Note).where(Note.feuille_id.in_(feuilles), Note.commentaire != "").values(commentaire=""))
    generaux = db.session.execute(
        update(FeuilleNotation).where(FeuilleNotation.id.in_(feuilles), FeuilleNotation.commentaire != "").values(commentaire="")
    )
    return notes.rowcount + generaux.rowcount


def lettres_non_retenus(instant):
    """The decision letters of the dossiers anonymised (`candidatures.retention`): they name the structure's
    representative."""
    decisions = db.session.scalars(
        select(Decision)
        .join(Dossier, Dossier.id == Decision.dossier_id)
        .where(Dossier.anonymise_le.is_not(None), Decision.lettre_id.is_not(None))
    ).all()
    lettres = [d.lettre for d in decisions]
    for decision in decisions:
        decision.lettre = None
    db.session.flush()
    return supprimer(lettres)


def donnees_personnelles(utilisateur):
    """A COPIL member's score sheets (points, comments, opinion)."""
    feuilles = db.session.execute(
        select(FeuilleNotation, Dossier.numero)
        .join(Dossier, Dossier.id == FeuilleNotation.dossier_id)
        .where(FeuilleNotation.membre_id == utilisateur.id)
        .order_by(FeuilleNotation.id)
    )
    return [
        {
            "seance": f.seance_id,
            "dossier": numero,
            "avis": f.avis,
            "commentaire": f.commentaire,
            "notes": [{"critere": n.critere_id, "points": n.points, "commentaire": n.commentaire} for n in f.notes],
        }
        for f, numero in feuilles
    ]
