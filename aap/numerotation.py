"""Gapless numbers and row locks, the same on SQLite and PostgreSQL.

`prochain(cle)` increments the counter `cle` in the `compteurs` table under a row lock (PostgreSQL)
or the database write lock (SQLite): two transactions never get the same value, and a transaction
that rolls back gives its number back, so a committed sequence has no hole.

    numero = prochain(f"dossier:{campagne.id}")        # 1, 2, 3… per campaign

`verrouiller(Modele, id)` takes the same kind of lock on one row and returns it freshly read: the
second of two concurrent requests waits, then sees what the first one did (filing twice files once).
"""

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import Compteur


def _dialecte():
    return db.session.get_bind().dialect.name


def prochain(cle):
    """The next value of counter `cle` (1 for a new counter), valid once the transaction commits."""
    dialecte = _dialecte()
    if dialecte == "postgresql":
        creation = postgresql.insert(Compteur).values(cle=cle, valeur=0).on_conflict_do_nothing()
    elif dialecte == "sqlite":
        creation = sqlite.insert(Compteur).values(cle=cle, valeur=0).on_conflict_do_nothing()
    else:  # pragma: no cover - bases non prises en charge
        creation = insert(Compteur).values(cle=cle, valeur=0)
    db.session.execute(creation)
    # L'UPDATE prend le verrou de la ligne : le concurrent attend notre COMMIT puis lit la valeur suivante.
    valeur = db.session.execute(
        update(Compteur).where(Compteur.cle == cle).values(valeur=Compteur.valeur + 1).returning(Compteur.valeur)
    ).scalar_one()
    return valeur


def verrouiller(modele, ident):
    """Locks one row until the end of the transaction and returns it re-read (None if it does not exist)."""
    table = modele.__table__
    cle = table.primary_key.columns.values()[0]
    if _dialecte() == "sqlite":
        # SQLite n'a pas de SELECT … FOR UPDATE : une écriture neutre prend le verrou d'écriture de la base.
        db.session.execute(update(table).where(cle == ident).values({cle.name: cle}))
        requete = select(modele).where(cle == ident)
    else:
        requete = select(modele).where(cle == ident).with_for_update()
    return db.session.scalars(requete.execution_options(populate_existing=True)).one_or_none()
