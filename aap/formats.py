"""French formats for amounts, rates, dates and ETP (Babel), as Jinja filters.

Numbers in the plain patterns pages use (`#,##0.##`, `0.00`, `0.0#`...) are written by `_decimal_fr`, not
by Babel: a ranking of 200 dossiers shows 5 000 of them, and Babel's 60 µs each was a quarter of the page.
`tests/test_formats.py` checks that both write the same characters; any other pattern goes to Babel.
"""

import re
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from flask import current_app

LOCALE = "fr_FR"
GROUPE = "\u202f"  # espace fine insécable, séparateur des milliers de Babel en fr_FR
MOTIF_SIMPLE = re.compile(r"(#,##)?0(?:\.(0*)(#*))?")


@lru_cache(maxsize=32)
def _motif_simple(motif):
    """(grouping, minimum and maximum decimals) of a plain pattern, or None for Babel."""
    trouve = MOTIF_SIMPLE.fullmatch(motif)
    if not trouve:
        return None
    zeros, dieses = trouve.group(2) or "", trouve.group(3) or ""
    return bool(trouve.group(1)), len(zeros), len(zeros) + len(dieses)


def _decimal_fr(valeur, groupe, minimum, maximum):
    """Babel's fr_FR writing of a finite Decimal: half-even rounding, narrow no-break space, comma."""
    texte = format(valeur.quantize(Decimal(1).scaleb(-maximum), rounding=ROUND_HALF_EVEN), ",f" if groupe else "f")
    if maximum > minimum:
        entier, _, decimales = texte.partition(".")
        decimales = decimales.rstrip("0").ljust(minimum, "0")
        texte = f"{entier}.{decimales}" if decimales else entier
    return texte.replace(",", GROUPE).replace(".", ",")


def _formater(valeur, motif, repli, suffixe="", facteur=1):
    """`valeur` written by `_decimal_fr` when `motif` is plain, else (or beyond the context's precision)
    by `repli`, the Babel call."""
    analyse = _motif_simple(motif)
    valeur = Decimal(valeur)
    if analyse and valeur.is_finite():
        try:
            return _decimal_fr(valeur * facteur, *analyse) + suffixe
        except InvalidOperation:
            pass
    return repli(valeur)


def euros(montant):
    """`1 234,50 €`. Cents are always shown: an amount is never rounded on screen."""
    if montant is None:
        return "—"
    return _formater(montant, "#,##0.00", lambda v: format_currency(v, "EUR", locale=LOCALE), "\u00a0€")


def pourcentage(taux, decimales=2):
    if taux is None:
        return "—"
    motif = "#,##0" + ("." + "#" * decimales if decimales else "")
    return _formater(taux, motif, lambda v: format_percent(v, format=motif + "\u202f%", locale=LOCALE), "\u202f%", 100)


def nombre(valeur, motif="#,##0.##"):
    if valeur is None:
        return "—"
    return _formater(valeur, motif, lambda v: format_decimal(v, format=motif, locale=LOCALE))


def etp(valeur):
    return nombre(valeur, "0.0#")


def fuseau():
    return ZoneInfo(current_app.config["FUSEAU"])


def instant_fr(instant, motif="d MMMM y 'à' HH'h'mm"):
    """An instant stored in UTC, shown in the service's time zone (Indian/Mayotte)."""
    if instant is None:
        return "—"
    return format_datetime(instant, motif, tzinfo=fuseau(), locale=LOCALE)


def date_fr(valeur, motif="d MMMM y"):
    if valeur is None:
        return "—"
    if isinstance(valeur, datetime):
        valeur = valeur.astimezone(fuseau()).date()
    return format_date(valeur, motif, locale=LOCALE)


def taille_fichier(octets):
    """`1,2 Mo`, `340 ko`."""
    if octets is None:
        return "—"
    if octets >= 1024 * 1024:
        return nombre(Decimal(octets) / (1024 * 1024), "#,##0.#") + " Mo"
    if octets >= 1024:
        return nombre(Decimal(octets) / 1024, "#,##0") + " ko"
    return f"{octets} octets"


def init_app(app):
    for filtre in (euros, pourcentage, nombre, etp, instant_fr, date_fr, taille_fichier):
        app.add_template_filter(filtre)
