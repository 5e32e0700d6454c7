"""The French number formats written without Babel (aap/formats.py) match Babel's, character for character.

Babel is the reference: the pages' plain patterns are written by hand for speed only, so any difference,
at any value, rounding half-way, negative zero or a grouping boundary, fails here."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal, format_percent
from hypothesis import example, given
from hypothesis import strategies as st

from aap.formats import LOCALE, euros, nombre, pourcentage

MOTIFS = ["#,##0.##", "0.00", "0.0#", "0.##", "#,##0.#", "#,##0", "0"]
valeurs = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, places=None) | st.decimals(
    min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3
)


@given(valeurs)
@example(Decimal("12.345"))
@example(Decimal("-0.001"))
@example(Decimal("-0"))
@example(Decimal("999.995"))
@example(Decimal("1E+3"))
def test_euros_comme_babel(valeur):
    assert euros(valeur) == format_currency(valeur, "EUR", locale=LOCALE)


@pytest.mark.parametrize("motif", MOTIFS)
@given(valeur=valeurs)
@example(valeur=Decimal("0.125"))
@example(valeur=Decimal("-0.004"))
@example(valeur=Decimal("1234.5"))
def test_nombres_comme_babel(motif, valeur):
    assert nombre(valeur, motif) == format_decimal(valeur, format=motif, locale=LOCALE)


@pytest.mark.parametrize("decimales", [0, 2])
@given(taux=st.decimals(min_value=Decimal("-10"), max_value=Decimal("10"), places=6))
@example(taux=Decimal("0.69995"))
@example(taux=Decimal("0.7"))
def test_pourcentages_comme_babel(decimales, taux):
    motif = "#,##0" + ("." + "#" * decimales if decimales else "") + "\u202f%"
    assert pourcentage(taux, decimales) == format_percent(taux, format=motif, locale=LOCALE)


def test_un_motif_particulier_passe_par_babel():
    assert nombre(Decimal("1.5"), "+0.00;-0.00") == "+1,50"
