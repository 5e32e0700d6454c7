"""What a person or a client types, read once at the edge, for every page and API endpoint.

- Numbers typed the French way (`lire_decimal`, `NombreField`): "12 500,50" with spaces, no-break or narrow
  no-break spaces between thousands, "12500.5" too, read by Babel's `parse_decimal` in fr_FR.
- Texts (`texte_propre`): one policy for every form, API body and operation.
- URLs: ids (the `id` converter of every route) and page numbers, bounded to what the database can hold.
  Beyond the bounds nothing can match: a plain 404, never the database's overflow (an INTEGER holds up to
  2^31 - 1 on PostgreSQL, a page number becomes an OFFSET).

Forms and API schemas own the syntax; operations receive typed values and check the domain's rules only.
The bounds themselves are in `aap.limites`."""

import unicodedata
from decimal import Decimal

from babel.numbers import NumberFormatError, parse_decimal
from flask import abort, current_app, request
from werkzeug.routing import IntegerConverter
from wtforms import StringField

from .extensions import db
from .formats import pluriel
from .limites import ETP_MAX, MONTANT_MAX

# Ce qu'un nombre saisi peut contenir : des chiffres ASCII (Babel lirait aussi « ١٢ »), une virgule ou un point,
# un moins, des espaces (Babel les accepte entre les milliers, insécables ou non) ; jamais d'exposant ni NaN.
CARACTERES_NOMBRE = frozenset("0123456789,.- \u00a0\u202f")
NOMBRE_LONGUEUR_MAX = 30


def lire_decimal(texte):
    """A decimal typed by a person ("12 500,50", "1\u202f250", "12500.5", "12,5 €") → Decimal; None when empty.
    ValueError otherwise (letters, exponent, NaN, "1.234,5", two minus signs...)."""
    propre = str(texte or "").strip().removesuffix("€").strip()
    if not propre:
        return None
    if len(propre) > NOMBRE_LONGUEUR_MAX or not set(propre) <= CARACTERES_NOMBRE:
        raise ValueError(texte)
    try:
        return parse_decimal(propre, locale="fr_FR")
    except NumberFormatError:
        raise ValueError(texte) from None


def texte_propre(valeur):
    """The one text policy: line endings made "\\n", control characters other than line feed and tab dropped
    (PostgreSQL refuses NUL; the others only hide things), trimmed. None is the empty text."""
    valeur = (valeur or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in valeur if c in "\n\t" or unicodedata.category(c) != "Cc").strip()


class NombreField(StringField):
    """A decimal typed the French way, from 0 to `maximum` with at most `places` decimals; what was typed is
    shown back as typed when it is refused. `signe`: a negative number is read too, for a domain whose rule has
    its own words for it (a negative number of hours)."""

    def __init__(self, label=None, validators=None, places=2, maximum=MONTANT_MAX, message=None, signe=False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places, self.maximum, self.signe = places, maximum, signe
        self.message = message or "Nombre invalide : écrivez par exemple 12 500 ou 12 500,50."

    def process_formdata(self, valuelist):
        self.brut = valuelist[0] if valuelist else ""
        try:
            nombre = lire_decimal(self.brut)
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None
        if nombre is not None:
            if nombre < 0 and not self.signe:
                raise ValueError("Le nombre doit être positif ou nul.")
            if nombre > self.maximum:
                raise ValueError("Nombre trop grand.")
            if nombre != nombre.quantize(Decimal(1).scaleb(-self.places)):
                raise ValueError(f"Au plus {pluriel(self.places, 'décimale')}.")
        self.data = nombre

    def _value(self):
        if getattr(self, "brut", None) is not None and (self.errors or self.process_errors):
            return self.brut
        if self.data is None:
            return ""
        return format(self.data, "f").replace(".", ",")


class EtpField(NombreField):
    """Équivalents temps plein: 0,5 ; 0,75 ; 1,2."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(
            label,
            validators,
            places=2,
            maximum=ETP_MAX,
            message="Nombre d'ETP invalide : écrivez par exemple 0,5 ; 0,75 ou 1,2.",
            **kwargs,
        )

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as erreur:
            if "décimale" in str(erreur):
                raise ValueError("Les ETP se demandent par pas de 0,05 (par exemple 0,5 ; 0,75 ou 1,2).") from None
            raise

    def _value(self):
        # « 1,5 » et « 0,75 » comme on les écrit, non « 1,50 » (stockés au centième).
        if self.data is not None and not (self.errors or self.process_errors):
            return format(self.data.normalize(), "f").replace(".", ",")
        return super()._value()


ID_MAX = 2**31 - 1  # colonnes INTEGER (PostgreSQL) : au-delà, aucune ligne ne peut répondre
PAGE_MAX = 100_000


def motif_de_1_a(maximum):
    """A regular expression of the integers from 1 to `maximum`, written without leading zeros."""
    chiffres = str(maximum)
    motifs = [f"[1-9][0-9]{{0,{len(chiffres) - 2}}}"] if len(chiffres) > 1 else []
    for rang, chiffre in enumerate(chiffres):
        plus_petit = 1 if rang == 0 else 0
        if int(chiffre) > plus_petit:
            reste = len(chiffres) - rang - 1
            plage = f"[{plus_petit}-{int(chiffre) - 1}]" if int(chiffre) - 1 > plus_petit else str(plus_petit)
            motifs.append(chiffres[:rang] + plage + (f"[0-9]{{{reste}}}" if reste else ""))
    return "|".join([*motifs, chiffres])


class ConvertisseurIdentifiant(IntegerConverter):
    """`<id:dossier_id>`: an integer from 1 to ID_MAX. Any other segment matches no route at all, whatever the
    method (a plain 404): the bounds are in the pattern, not only in the conversion."""

    regex = f"(?:{motif_de_1_a(ID_MAX)})"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=ID_MAX)


def numero_de_page():
    """`?page=`: 1 when absent or unreadable; 404 beyond PAGE_MAX."""
    page = request.args.get("page", 1, type=int)
    if page > PAGE_MAX:
        abort(404)
    return max(page, 1)


def paginer(requete, par_page=None):
    """One page of a list, PAR_PAGE rows by default; a page past the end is empty."""
    return db.paginate(requete, page=numero_de_page(), per_page=par_page or current_app.config["PAR_PAGE"], error_out=False)


def init_app(app):
    app.url_map.converters["id"] = ConvertisseurIdentifiant
