"""French formats and typography, one module for pages, emails and documents (also as Jinja filters).

Amounts, rates and ETP: Babel's fr_FR, or its plain patterns written by hand (below). Dates and times:
« 1er janvier 2027 », « 5 décembre 2026 à 10 h 44 », in the time zone of the service the text is about
(`fuseau`). Words: plurals agreed with their number (`pluriel`), elisions before a name (`de`, `a`),
narrow no-break spaces inside « » and before : ; ! ? (`typographie`, applied to every email and PDF).

Numbers in the plain patterns pages use (`#,##0.##`, `0.00`, `0.0#`...) are written by `_decimal_fr`, not
by Babel: a ranking of 200 dossiers shows 5 000 of them, and Babel's 60 µs each was a quarter of the page.
`tests/test_formats.py` checks that both write the same characters; any other pattern goes to Babel.
"""

import re
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, format_decimal, format_percent
from flask import current_app, g, has_app_context, has_request_context
from jinja2 import pass_context
from markupsafe import Markup

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


# --- Dates et heures ---------------------------------------------------------------------------------------

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
INSECABLE = "\u00a0"  # entre un nombre et son unité : 10 h 44
FINE = "\u202f"  # espace fine insécable : « », : ; ! ?
# Le nom d'un fuseau dans « heure de … » ; à défaut, la ville de la base des fuseaux (Babel).
LIEUX_FUSEAUX = {
    "Europe/Paris": "Paris",
    "Indian/Mayotte": "Mayotte",
    "Indian/Reunion": "La Réunion",
    "America/Cayenne": "la Guyane",
    "America/Martinique": "la Martinique",
    "America/Guadeloupe": "la Guadeloupe",
    "America/Miquelon": "Saint-Pierre-et-Miquelon",
    "Pacific/Noumea": "la Nouvelle-Calédonie",
    "Pacific/Tahiti": "Tahiti",
}


def fuseau(zone=None):
    """The time zone to show an instant in: `zone` (a name, a Service), else the one chosen for the current
    rendering (`g.fuseau`, see `afficher_dans`), else the logged-in person's service's, else FUSEAU."""
    if zone is None and has_app_context():
        zone = g.get("fuseau")
        if zone is None and has_request_context():
            from flask_login import current_user

            if current_user and current_user.is_authenticated and current_user.service is not None:
                zone = current_user.service.fuseau
    zone = getattr(zone, "fuseau", zone) or current_app.config["FUSEAU"]
    return ZoneInfo(zone)


class afficher_dans:  # noqa: N801 — s'emploie comme une fonction : `with afficher_dans(service): …`
    """Renders what is inside the block in the service's time zone (documents, emails, a service's pages)."""

    def __init__(self, service):
        self.zone = getattr(service, "fuseau", service)

    def __enter__(self):
        self.avant = g.get("fuseau")
        g.fuseau = self.zone
        return self

    def __exit__(self, *exc):
        g.fuseau = self.avant


def heure_de(zone=None):
    """« heure de Mayotte », « heure de La Réunion », « heure de Paris »."""
    nom = fuseau(zone).key
    lieu = LIEUX_FUSEAUX.get(nom)
    if lieu is None:
        from babel.dates import get_timezone_location

        lieu = get_timezone_location(nom, locale=LOCALE, return_city=True)
    return "heure " + de(lieu)


def jour_fr(jour, jour_semaine=False):
    """« 1er janvier 2027 », « 15 mars 2030 »; with `jour_semaine`, « vendredi 1er janvier 2027 »."""
    texte = f"{'1er' if jour.day == 1 else jour.day} {MOIS[jour.month - 1]} {jour.year}"
    return f"{JOURS[jour.weekday()]} {texte}" if jour_semaine else texte


def _heure(local, secondes):
    texte = f"{local.hour}{INSECABLE}h{INSECABLE}{local.minute:02d}"
    return texte + (f"{INSECABLE}min{INSECABLE}{local.second:02d}{INSECABLE}s" if secondes else "")


def heure_fr(instant, zone=None, secondes=False):
    """« 10 h 44 », « 9 h 05 », « 10 h 44 min 58 s » (with no-break spaces), in the time zone."""
    if instant is None:
        return "—"
    return _heure(instant.astimezone(fuseau(zone)), secondes)


def instant_fr(instant, zone=None, jour_semaine=False, secondes=False):
    """An instant stored in UTC, shown in the service's time zone: « 5 décembre 2026 à 10 h 44 »."""
    if instant is None:
        return "—"
    local = instant.astimezone(fuseau(zone))
    return f"{jour_fr(local.date(), jour_semaine)} à {_heure(local, secondes)}"


def date_fr(valeur, zone=None, jour_semaine=False):
    """A date, or the local date of an instant: « 1er janvier 2027 »."""
    if valeur is None:
        return "—"
    if isinstance(valeur, datetime):
        valeur = valeur.astimezone(fuseau(zone)).date()
    return jour_fr(valeur, jour_semaine)


# --- Mots : accords, élisions, adresses ----------------------------------------------------------------------

VOYELLES = "aàâäeéèêëiîïoôöuùûüyæœAÀÂÄEÉÈÊËIÎÏOÔÖUÙÛÜYÆŒ"
# Premier mot d'un nom de structure qui appelle l'article (« de l'Association… », « du Réseau… ») : son genre.
NOMS_COMMUNS = {
    "association": "f",
    "agence": "f",
    "union": "f",
    "entreprise": "f",
    "école": "f",
    "unité": "f",
    "commune": "f",
    "communauté": "f",
    "chambre": "f",
    "fédération": "f",
    "fondation": "f",
    "maison": "f",
    "mission": "f",
    "mutuelle": "f",
    "régie": "f",
    "société": "f",
    "ville": "f",
    "coopérative": "f",
    "préfecture": "f",
    "direction": "f",
    "plateforme": "f",
    "région": "f",
    "collectivité": "f",
    "établissement": "m",
    "office": "m",
    "institut": "m",
    "organisme": "m",
    "atelier": "m",
    "centre": "m",
    "comité": "m",
    "conseil": "m",
    "département": "m",
    "groupement": "m",
    "réseau": "m",
    "service": "m",
    "syndicat": "m",
    "pôle": "m",
    "collectif": "m",
    "cabinet": "m",
    "groupe": "m",
    "préfet": "m",
    "préfète": "f",
    "tribunal": "m",
    "deets": "f",
    "dreets": "f",
    "ddets": "f",
    "ddetspp": "f",
    "dgefp": "f",  # sigles des services de l'État
}
ARTICLES = {"le": ("du", "au"), "les": ("des", "aux"), "la": ("de la", "à la")}
CONTRACTES = ("le", "les")  # « du Havre », « des Abymes » ; mais « de La Réunion »


def _commence_par_voyelle(mot):
    return bool(mot) and mot[0] in VOYELLES


def _avec_preposition(nom, preposition):
    """`nom` after « de » or « à »: contracted articles, elision before a vowel, the article a structure's
    name calls for (« de l'Association mahoraise… », « au Réseau… », « à la Commune de Koungou »)."""
    nom = (nom or "").strip()
    indice = 0 if preposition == "de" else 1
    premier, _, reste = nom.partition(" ")
    minuscule = premier.lower()
    if minuscule in CONTRACTES and reste:  # « Le Phare » : du Phare, au Phare
        return f"{ARTICLES[minuscule][indice]} {reste}"
    if minuscule.startswith(("l'", "l’")):
        return f"{preposition} {nom}"
    genre = NOMS_COMMUNS.get(minuscule)
    if genre:
        if _commence_par_voyelle(premier):
            return f"{preposition} l'{nom}"
        return f"{ARTICLES['le' if genre == 'm' else 'la'][indice]} {nom}"
    if preposition == "de" and _commence_par_voyelle(premier):
        return f"d'{nom}"
    return f"{preposition} {nom}"


def le(nom):
    """« le préfet de Mayotte », « la préfète de la région Grand Est », « l'Association… »: the definite article."""
    nom = (nom or "").strip()
    genre = NOMS_COMMUNS.get(nom.partition(" ")[0].lower())
    if genre is None:
        return nom
    return f"l'{nom}" if _commence_par_voyelle(nom) else f"{'le' if genre == 'm' else 'la'} {nom}"


def de(nom):
    """« de Mayotte », « d'Ahamada », « de l'Association… », « du Réseau… », « de la Commune… »."""
    return _avec_preposition(nom, "de")


def a(nom):
    """« à Mamoudzou », « à l'Association… », « au Conseil… », « à la Commune… »."""
    return _avec_preposition(nom, "à")


def minuscule_initiale(texte):
    """A title inside a sentence: « Président » → « président »; the rest keeps its case (« Maire de Koungou »)."""
    return (texte or "")[:1].lower() + (texte or "")[1:]


def nombre_fr(valeur):
    """A number as a person would type it back in a field: 7.5 → « 7,5 », 35000 → « 35000 » (no grouping)."""
    return f"{Decimal(valeur).normalize():f}".replace(".", ",")


def pluriel(nombre_, singulier, pluriel_=None):
    """« 1 point bloquant », « 2 points bloquants », « 0 jour restant »: the plural from 2 on (French rule);
    by default each word of `singulier` takes an s."""
    if pluriel_ is None:
        pluriel_ = " ".join(mot if mot.endswith(("s", "x", "z")) else mot + "s" for mot in singulier.split(" "))
    texte = nombre(nombre_) if not isinstance(nombre_, int) else f"{nombre_:,}".replace(",", GROUPE)
    return f"{texte} {singulier if abs(Decimal(nombre_)) < 2 else pluriel_}"


def adresse_postale(lignes, code_postal, commune):
    """The lines of a full postal address: the street lines, then « 97600 Mamoudzou »."""
    ville = f"{code_postal or ''} {commune or ''}".strip()
    return [ligne.strip() for ligne in [*(lignes or "").splitlines(), ville] if ligne.strip()]


# --- Espaces de la ponctuation -------------------------------------------------------------------------------

# Une ponctuation haute ou un guillemet fermant, et les espaces qui la précèdent ; ou un guillemet ouvrant et les
# espaces qui le suivent. Une seule passe : les positions des morceaux protégés restent justes.
_PONCTUATION = re.compile(r"[ \u00a0\u202f]*(?P<haute>[:;!?»])|(?P<ouvrant>«)[ \u00a0\u202f]*")
# Ce qui ne se touche pas : adresses (https://…, courriel), heures (10:30), requêtes (?a=1), entités HTML (&#39;).
_PROTEGES = re.compile(r"[a-z][a-z0-9+.-]*://\S+|\S+@\S+|\d:\d|[\w./-]+\?[\w=&%.-]+|&#?\w+;")


def typographie(texte):
    """`texte` with a narrow no-break space before : ; ! ? » and after «, replacing any space there (French
    typography); URLs, email addresses, times (10:30) and punctuation that opens a line are left alone."""
    proteges = [m.span() for m in _PROTEGES.finditer(texte)]

    def protege(position):
        return any(debut <= position < fin for debut, fin in proteges)

    def espacer(m):
        if m.group("ouvrant"):
            return m.group(0) if protege(m.start()) else "«" + FINE
        debut = m.start()
        # En tête de ligne, après une autre ponctuation ou des espaces déjà pris par un guillemet : rien à ajouter.
        if debut == 0 or texte[debut - 1] in "\n:;!?(« \u00a0\u202f" or protege(m.start("haute")):
            return m.group(0)
        return FINE + m.group("haute")

    return _PONCTUATION.sub(espacer, texte)


_BALISES = re.compile(r"(<[^>]*>)")
_BRUTS = ("textarea", "script", "style", "pre", "code")


def typographie_html(html):
    """`typographie` applied to the text of an HTML document, never to its tags, attributes, scripts or
    the text of a <textarea> (what a person typed comes back exactly as typed)."""
    morceaux = _BALISES.split(html)
    brut = None
    for i, morceau in enumerate(morceaux):
        if i % 2:  # une balise
            nom = morceau[1:].split(None, 1)[0].strip("/>").lower() if len(morceau) > 2 else ""
            if brut is None and nom in _BRUTS and not morceau.startswith("</"):
                brut = nom
            elif brut == nom and morceau.startswith("</"):
                brut = None
        elif brut is None and morceau:
            morceaux[i] = typographie(morceau)
    return "".join(morceaux)


def taille_fichier(octets):
    """`1,2 Mo`, `340 ko`."""
    if octets is None:
        return "—"
    if octets >= 1024 * 1024:
        return nombre(Decimal(octets) / (1024 * 1024), "#,##0.#") + " Mo"
    if octets >= 1024:
        return nombre(Decimal(octets) / 1024, "#,##0") + " ko"
    return f"{octets} octets"


# --- Filtres Jinja ---------------------------------------------------------------------------------------------

OBJETS_D_UN_SERVICE = ("dossier", "convention", "seance", "campagne", "structure", "utilisateur")


def service_du_contexte(contexte):
    """The service a template is about: its `service`, or that of its dossier, convention, session… (no query
    when the service is already loaded: the identity map answers)."""
    from sqlalchemy import inspect
    from sqlalchemy.orm.base import NO_VALUE

    from .extensions import db
    from .models import Service

    service = contexte.get("service")
    if isinstance(service, Service):
        return service
    for cle in OBJETS_D_UN_SERVICE:
        objet = contexte.get(cle)
        if getattr(objet, "service_id", None) is None:
            continue
        charge = inspect(objet).attrs.service.loaded_value if hasattr(type(objet), "service") else NO_VALUE
        return charge if charge is not NO_VALUE else db.session.get(Service, objet.service_id)
    return None


def _zone(contexte, zone):
    if zone is not None or g.get("fuseau"):
        return zone
    service = service_du_contexte(contexte)
    return service.fuseau if service is not None else None


@pass_context
def _filtre_instant(contexte, instant, zone=None, **options):
    return instant_fr(instant, _zone(contexte, zone), **options)


@pass_context
def _filtre_date(contexte, valeur, zone=None, **options):
    return date_fr(valeur, _zone(contexte, zone), **options)


@pass_context
def _filtre_heure(contexte, instant, zone=None, **options):
    return heure_fr(instant, _zone(contexte, zone), **options)


@pass_context
def _heure_de(contexte, zone=None):
    return heure_de(_zone(contexte, zone))


@pass_context
def _service_courant(contexte):
    return service_du_contexte(contexte)


def init_app(app):
    for filtre in (euros, pourcentage, nombre, etp, taille_fichier, le, de, a, pluriel, minuscule_initiale):
        app.add_template_filter(filtre)
    app.add_template_filter(_filtre_instant, "instant_fr")
    app.add_template_filter(_filtre_date, "date_fr")
    app.add_template_filter(_filtre_heure, "heure_fr")
    app.add_template_filter(lambda texte: Markup("«\u202f{}\u202f»").format(texte), "guillemets")
    app.add_template_global(_heure_de, "heure_de")
    app.add_template_global(_service_courant, "service_courant")
