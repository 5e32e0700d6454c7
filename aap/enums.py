"""Enumerations stored as text, as Indico's RichStrEnum: each member carries its value (what the database
holds, never changed), its French label and, for a status, the DSFR badge pages show it with.

    class Statut(EnumFr):
        BROUILLON = "brouillon", "Brouillon"
        DEPOSE = "depose", "Déposé", "info"

A column reads `colonne_enum(Statut, 30, "statut")`: VARCHAR with a named CHECK of the values (never a native type, so
that a new value is a one-line migration on SQLite and PostgreSQL alike). Read from the database, the column
gives the member (`dossier.statut.libelle`); a plain string assigned to it becomes the member at once."""

from enum import StrEnum
from functools import partial

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper


class EnumFr(StrEnum):
    """Value, label, badge (a DSFR badge modifier: success, error, warning, info, new; empty for a plain badge)."""

    def __new__(cls, valeur, libelle, badge=""):
        membre = str.__new__(cls, valeur)
        membre._value_ = valeur
        membre.libelle = libelle
        membre.badge = f"fr-badge--{badge}" if badge else ""
        return membre

    @classmethod
    def choix(cls, membres=None):
        """(value, label) pairs for a form's choices, in the enumeration's order."""
        return [(m.value, m.libelle) for m in (cls if membres is None else membres)]

    @classmethod
    def libelle_de(cls, valeur):
        """The label of a value kept as text (a snapshot, a frozen copy); an unknown value as it is."""
        membre = cls._value2member_map_.get(valeur)
        return membre.libelle if membre is not None else valeur


def colonne_enum(enum, longueur, nom):
    """The column type of `enum`: its values as VARCHAR(`longueur`), checked by the constraint ck_<table>_<nom>."""
    return sa.Enum(
        enum,
        name=nom,
        native_enum=False,
        create_constraint=True,
        values_callable=lambda e: [m.value for m in e],
        length=longueur,
    )


def _membre(enum, cible, valeur, ancienne, initiateur):
    return enum._value2member_map_.get(valeur, valeur) if isinstance(valeur, str) else valeur


@event.listens_for(Mapper, "mapper_configured")
def _membres_a_l_affectation(mapper, classe):
    """`dossier.statut = "depose"` keeps the member, as a row read back would: `.libelle` works before the flush.
    A value outside the enumeration is left as is, for the database's CHECK to refuse."""
    for attribut in mapper.column_attrs:
        type_ = attribut.columns[0].type
        if isinstance(type_, sa.Enum) and isinstance(type_.enum_class, type) and issubclass(type_.enum_class, EnumFr):
            event.listen(attribut.class_attribute, "set", partial(_membre, type_.enum_class), retval=True)
