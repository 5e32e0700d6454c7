"""French formats for amounts, rates, dates and ETP (Babel), as Jinja filters."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from flask import current_app

LOCALE = "fr_FR"


def euros(montant):
    """`1 234,50 €`. Cents are always shown: an amount is never rounded on screen."""
    if montant is None:
        return "—"
    return format_currency(Decimal(montant), "EUR", locale=LOCALE)


def pourcentage(taux, decimales=2):
    if taux is None:
        return "—"
    motif = "#,##0" + ("." + "#" * decimales if decimales else "") + "\u202f%"
    return format_percent(Decimal(taux), format=motif, locale=LOCALE)


def nombre(valeur, motif="#,##0.##"):
    if valeur is None:
        return "—"
    return format_decimal(valeur, format=motif, locale=LOCALE)


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
