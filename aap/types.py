"""Column types that keep money, fractions and instants exact on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime in Python; naive UTC in the database (SQLite keeps no time zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Un instant doit porter son fuseau horaire.")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class DecimalFixe(TypeDecorator):
    """A Decimal with a fixed number of places, stored as a scaled integer: never a float."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places=2, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.places = places
        self.echelle = Decimal(10) ** places

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        valeur = Decimal(value) * self.echelle
        if valeur != valeur.to_integral_value():
            raise ValueError(f"{value} a plus de {self.places} décimales.")
        return int(valeur)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # Le coefficient entier décalé de `places` : exact, et sans division (une liste en lit des milliers).
        return Decimal(int(value)).scaleb(-self.places)


class Euros(DecimalFixe):
    """An amount in euros (Decimal) stored as integer cents."""

    cache_ok = True

    def __init__(self, *args, **kwargs):
        super().__init__(2, *args, **kwargs)


DEMI_POINTS = {n: (Decimal(n) / 2).quantize(Decimal("0.1")) for n in range(201)}


class DemiPoints(TypeDecorator):
    """Grid points in halves (Decimal 0, 0.5, 1 …) stored as an integer count of half-points."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        demi = Decimal(value) * 2
        if demi != demi.to_integral_value():
            raise ValueError(f"{value} n'est pas un nombre entier de demi-points.")
        return int(demi)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # Une séance de 200 dossiers lit 14 400 notes : les valeurs d'une grille (0 à 40 points) sont prêtes.
        demi = DEMI_POINTS.get(value)
        return demi if demi is not None else (Decimal(value) / 2).quantize(Decimal("0.1"))


def maintenant():
    return datetime.now(UTC)
