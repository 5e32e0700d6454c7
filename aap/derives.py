"""Rows derived from others (a dossier's findings summary, a session's aggregates), true in every transaction.

One mechanism for all of them: each domain declares a `Derive` — which written rows mark which keys (`sources`),
how keys of other kinds name its own (`designes`), how to rewrite the rows of its keys (`recalculer`). At each
flush, a session hook notes the keys the written rows mark; just before the transaction commits, the rows of those
keys are rewritten from the database. No operation calls it: a new write path is covered as soon as it writes
through the session. A read inside a write transaction calls `rattraper()` first, so that it never reads rows the
transaction has made stale.

Statements that bypass the session (bulk `update`/`delete`) are not seen: a domain that writes its sources that
way says why it does not matter.
"""

from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

A_RECALCULER = "derives_a_recalculer"
DERIVES = []


@dataclass(frozen=True)
class Derive:
    nom: str
    # {modèle : (genre, attribut)} : une ligne écrite de ce modèle marque la clé (genre, valeur de l'attribut).
    sources: dict
    # {genre : ids -> requête des ids de la dérivée} pour les genres qui ne sont pas le sien.
    designes: dict
    # (session, ids triés) -> réécrit les lignes dérivées de ces ids.
    recalculer: object
    # Le genre des clés qui sont ses propres ids (« dossier », « seance »).
    genre: str


def declarer(derive):
    DERIVES.append(derive)
    return derive


@event.listens_for(Session, "after_flush")
def _noter(session, contexte):
    """The keys of what this flush wrote (new rows have their ids by now)."""
    cles = session.info.setdefault(A_RECALCULER, set())
    for objet in (*session.new, *session.dirty, *session.deleted):
        for derive in DERIVES:
            source = derive.sources.get(type(objet))
            if source is not None:
                genre, attribut = source
                valeur = getattr(objet, attribut)
                if valeur is not None:
                    cles.add((derive.nom, genre, valeur))


@event.listens_for(Session, "before_commit")
def _avant_validation(session):
    rattraper(session)


@event.listens_for(Session, "after_soft_rollback")
def _apres_annulation(session, transaction):
    # Un point de sauvegarde annulé laisse la transaction et ce qu'elle a écrit avant : seule l'annulation de la
    # transaction entière efface la liste (recalculer une ligne de trop ne fausse rien).
    if not session.in_transaction():
        session.info.pop(A_RECALCULER, None)


def rattraper(session):
    """Rewrites now the derived rows this transaction's writes have made stale (nothing to do on a read-only
    request)."""
    if not session.info.get(A_RECALCULER):
        return
    session.flush()
    cles = session.info.pop(A_RECALCULER, set())
    for derive in DERIVES:
        derive.recalculer(session, ids_designes(session, derive, {(g, v) for nom, g, v in cles if nom == derive.nom}))


def ids_designes(session, derive, cles):
    ids = {valeur for genre, valeur in cles if genre == derive.genre}
    for genre, requete in derive.designes.items():
        valeurs = [valeur for g, valeur in cles if g == genre]
        if valeurs:
            ids.update(session.scalars(requete(valeurs)))
    return sorted(ids)
