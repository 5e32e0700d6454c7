"""Each session's aggregated scores, stored per dossier, criterion and group (`AgregatSeance`): the ranking, the
scoring pages, the minutes and the workbook read rows, not the 14 400 scores of a 200 × 8 session.

Kept true by `aap.derives`, whatever the write path: a sheet submitted or reopened, a score, a declaration of
interest (recusal), the members, the agenda, the session itself (its disagreement threshold), the campaign's grid
mark the session; just before the transaction commits, its aggregates are computed again from the database
(`resultats.calculer_agregats`, the session row locked) and its rows rewritten. A member's normalised score reads
all his totals of the session: the whole session is rewritten, never one dossier alone. The only statement that
writes these tables around the session (`retention`, comments emptied) changes no figure.
"""

import json

from sqlalchemy import delete, insert, select

from aap import derives
from aap.extensions import db
from aap.models import Critere

from . import lecture, resultats
from .models import AgregatSeance, Declaration, FeuilleNotation, MembreSeance, Note, PointOrdreDuJour, Seance

SOURCES = {
    Seance: ("seance", "id"),
    MembreSeance: ("seance", "seance_id"),
    PointOrdreDuJour: ("seance", "seance_id"),
    Declaration: ("seance", "seance_id"),
    FeuilleNotation: ("seance", "seance_id"),
    Note: ("feuille", "feuille_id"),
    Critere: ("campagne", "campagne_id"),
}
DESIGNES = {
    "feuille": lambda ids: select(FeuilleNotation.seance_id).where(FeuilleNotation.id.in_(ids)),
    "campagne": lambda ids: select(Seance.id).where(Seance.campagne_id.in_(ids)),
}


VIDE = {
    "moyenne": None,
    "mediane": None,
    "minimum": None,
    "plus_haute": None,
    "ecart_type": None,
    "desaccord": False,
    "recues": None,
    "attendues": None,
    "normalise": None,
    "avis": "",
}


def _stats(stat):
    return {c: getattr(stat, c) for c in ("moyenne", "mediane", "minimum", "plus_haute", "ecart_type")}


def lignes(seance_id, agregats):
    """The rows of a session's aggregates (`resultats.calculer_agregats`)."""
    resultat = []
    for dossier_id, agregat in agregats.items():
        cle = {"seance_id": seance_id, "dossier_id": dossier_id}
        resultat.append(
            cle
            | VIDE
            | _stats(agregat)
            | {
                "genre": "dossier",
                "cle": "",
                "recues": agregat.recues,
                "attendues": agregat.attendues,
                "normalise": agregat.normalise,
                "avis": json.dumps(agregat.avis, sort_keys=True),
            }
        )
        resultat += [
            cle | VIDE | _stats(stat) | {"genre": "critere", "cle": stat.code, "desaccord": stat.desaccord}
            for stat in agregat.criteres
        ]
        resultat += [
            cle | VIDE | {"genre": "groupe", "cle": groupe.groupe, "moyenne": groupe.moyenne} for groupe in agregat.groupes
        ]
    return resultat


def recalculer(session, ids):
    """Rewrites the aggregates of these sessions (sorted ids), computed again from the database, rows locked."""
    for seance_id in ids:
        # Verrou : une écriture concurrente dans la même séance attend la fin de celle-ci, puis relit tout. FOR NO
        # KEY UPDATE : deux membres qui enregistrent en même temps (chacun sa feuille, dont la clé étrangère verrouille
        # la séance en partage) ne s'attendent pas l'un l'autre.
        if session.scalar(select(Seance.id).where(Seance.id == seance_id).with_for_update(key_share=True)) is None:
            continue
        seance = (
            session.scalars(
                select(Seance)
                .where(Seance.id == seance_id)
                .options(*lecture.options_seance())
                .execution_options(populate_existing=True)
            )
            .unique()
            .one()
        )
        agregats, _ = resultats.calculer_agregats(seance)
        session.execute(delete(AgregatSeance).where(AgregatSeance.seance_id == seance_id))
        if agregats:
            session.execute(insert(AgregatSeance), lignes(seance_id, agregats))


DERIVE = derives.declarer(
    derives.Derive(nom="agregats_seances", sources=SOURCES, designes=DESIGNES, recalculer=recalculer, genre="seance")
)


def completer(tout=False):
    """Writes the aggregates of the sessions that have none (a database migrated to 0010), or of all of them
    (`tout`: a database loaded around the session, as the bench's generator does); returns how many."""
    requete = select(Seance.id)
    if not tout:
        requete = requete.where(~select(AgregatSeance.seance_id).where(AgregatSeance.seance_id == Seance.id).exists())
    ids = sorted(db.session.scalars(requete))
    recalculer(db.session, ids)
    db.session.commit()
    return len(ids)
