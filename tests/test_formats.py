"""The French number formats written without Babel (aap/formats.py) match Babel's, character for character.

Babel is the reference: the pages' plain patterns are written by hand for speed only, so any difference,
at any value, rounding half-way, negative zero or a grouping boundary, fails here."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_currency, format_decimal, format_percent
from hypothesis import example, given
from hypothesis import strategies as st

from aap.formats import (
    FINE,
    INSECABLE,
    LOCALE,
    MOIS,
    a,
    date_fr,
    de,
    euros,
    heure_de,
    instant_fr,
    jour_fr,
    le,
    nombre,
    pluriel,
    pourcentage,
    typographie,
    typographie_html,
)

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


# --- Dates, heures, accords, élisions, espaces (hypothesis) -----------------------------------------------------

jours = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(jours)
def test_chaque_jour_de_chaque_mois_s_ecrit_en_francais(jour):
    texte = jour_fr(jour)
    attendu_jour = "1er" if jour.day == 1 else str(jour.day)
    assert texte == f"{attendu_jour} {MOIS[jour.month - 1]} {jour.year}"
    assert not texte.startswith("0") and "/" not in texte


def test_tous_les_premiers_du_mois():
    for mois in range(1, 13):
        assert jour_fr(date(2027, mois, 1)).startswith("1er ")
        assert jour_fr(date(2027, mois, 2)).startswith("2 ")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))
def test_un_seul_format_de_date_et_heure_au_fuseau_du_service(instant):
    for zone in ("Indian/Mayotte", "Indian/Reunion", "Europe/Paris"):
        local = instant.astimezone(ZoneInfo(zone))
        texte = instant_fr(instant, zone)
        assert texte == f"{jour_fr(local.date())} à {local.hour}{INSECABLE}h{INSECABLE}{local.minute:02d}"
        assert date_fr(instant, zone) == jour_fr(local.date())


def test_l_heure_dit_son_lieu():
    assert heure_de("Indian/Mayotte") == "heure de Mayotte"
    assert heure_de("Indian/Reunion") == "heure de La Réunion"
    assert heure_de("America/Martinique") == "heure de la Martinique"
    assert heure_de("Europe/Paris") == "heure de Paris"


@pytest.mark.parametrize(
    ("nombre_", "attendu"),
    [
        (0, "0 point bloquant"),
        (1, "1 point bloquant"),
        (2, "2 points bloquants"),
        (15, "15 points bloquants"),
        (1000, "1\u202f000 points bloquants"),
        (-1, "-1 point bloquant"),
        (-2, "-2 points bloquants"),
        (Decimal("1.5"), "1,5 point bloquant"),
        (Decimal("2.0"), "2 points bloquants"),
    ],
)
def test_les_accords_aux_limites(nombre_, attendu):
    assert pluriel(nombre_, "point bloquant") == attendu


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_pluriel_a_partir_de_deux(nombre_):
    texte = pluriel(nombre_, "jour restant")
    assert texte.endswith("jours restants" if abs(nombre_) >= 2 else "jour restant")
    assert "(s)" not in texte


@pytest.mark.parametrize(
    ("nom", "avec_de", "avec_a"),
    [
        ("Ahamada", "d'Ahamada", "à Ahamada"),
        ("Mayotte", "de Mayotte", "à Mayotte"),
        (
            "Association mahoraise pour l'insertion",
            "de l'Association mahoraise pour l'insertion",
            "à l'Association mahoraise pour l'insertion",
        ),
        ("Commune de Koungou", "de la Commune de Koungou", "à la Commune de Koungou"),
        ("Réseau emploi insertion", "du Réseau emploi insertion", "au Réseau emploi insertion"),
        ("Établissement public", "de l'Établissement public", "à l'Établissement public"),
        ("Le Port", "du Port", "au Port"),
        ("Les Abymes", "des Abymes", "aux Abymes"),
        ("La Réunion", "de La Réunion", "à La Réunion"),
        ("DEETS de Mayotte", "de la DEETS de Mayotte", "à la DEETS de Mayotte"),
        ("Houmadi", "de Houmadi", "à Houmadi"),
    ],
)
def test_elisions_et_articles(nom, avec_de, avec_a):
    assert de(nom) == avec_de and a(nom) == avec_a


@pytest.mark.parametrize(
    ("nom", "avec_article"),
    [
        ("préfet de Mayotte", "le préfet de Mayotte"),
        ("préfète de la région Grand Est", "la préfète de la région Grand Est"),
        ("tribunal administratif de La Réunion", "le tribunal administratif de La Réunion"),
        ("DEETS de La Réunion", "la DEETS de La Réunion"),
    ],
)
def test_l_autorite_et_son_article(nom, avec_article):
    assert le(nom) == avec_article


texte_libre = st.text(alphabet=st.sampled_from(list("abc dé:;!?«»/.@0123456789\n")), max_size=60)


@given(texte_libre)
def test_espaces_fines_devant_la_ponctuation_haute_et_dans_les_guillemets(texte):
    resultat = typographie(texte)
    assert typographie(resultat) == resultat  # idempotent
    # Aucune espace ordinaire ne reste entre un mot et : ; ! ? », ni après « (hors adresses et débuts de ligne).
    sans_adresses = re.sub(r"\S+@\S+|\S*://\S*", "", resultat)
    assert not re.search(r"[^\s:;!?(«] +[:;!?»]|« ", sans_adresses), resultat
    assert resultat.replace(FINE, "").replace(" ", "") == texte.replace(" ", "")  # seules les espaces changent


@pytest.mark.parametrize(
    ("avant", "apres"),
    [
        ("Objet : décision", f"Objet{FINE}: décision"),
        ("« Projet »", f"«{FINE}Projet{FINE}»"),
        ("Vraiment ?", f"Vraiment{FINE}?"),
        ("https://www.telerecours.fr/x?y=1", "https://www.telerecours.fr/x?y=1"),
        ("écrivez à contact@deets.gouv.fr", "écrivez à contact@deets.gouv.fr"),
        ("à 10:30", "à 10:30"),
        ("l&#39;Hôpital ;", f"l&#39;Hôpital{FINE};"),
    ],
)
def test_la_typographie_laisse_adresses_heures_et_entites(avant, apres):
    assert typographie(avant) == apres


def test_la_typographie_html_ne_touche_ni_balises_ni_saisies():
    html = '<p title="a : b">Objet : x</p><textarea name="t">a : b</textarea><script>a ? b : c</script>'
    assert (
        typographie_html(html)
        == f'<p title="a : b">Objet{FINE}: x</p><textarea name="t">a : b</textarea><script>a ? b : c</script>'
    )
