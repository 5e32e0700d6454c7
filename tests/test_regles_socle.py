"""Rules of the foundation at their limits: campaign calendar in Mayotte time, passwords, SIRET, formats, types."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aap.demo import siret_valide
from aap.formats import euros, pourcentage
from aap.regles import EtatCampagne, etat_campagne, probleme_mot_de_passe, probleme_siret
from aap.types import DecimalFixe, DemiPoints, Euros, UTCDateTime

from .factories import a_mayotte

OUVERTURE = a_mayotte(2022, 7, 1, 0, 0)
CLOTURE = a_mayotte(2022, 10, 31, 23, 59)


@pytest.mark.parametrize(
    ("instant", "attendu"),
    [
        (a_mayotte(2022, 6, 30, 23, 59, 59), EtatCampagne.A_VENIR),
        (a_mayotte(2022, 7, 1, 0, 0, 0), EtatCampagne.OUVERTE),
        (a_mayotte(2022, 10, 31, 23, 59, 0), EtatCampagne.OUVERTE),
        (a_mayotte(2022, 10, 31, 23, 59, 59), EtatCampagne.OUVERTE),
        (a_mayotte(2022, 11, 1, 0, 0, 0), EtatCampagne.CLOTUREE),
        # 23:30 UTC le 31 octobre, c'est déjà le 1er novembre à Mayotte (UTC+3) : clos.
        (datetime(2022, 10, 31, 21, 0, 0, tzinfo=UTC), EtatCampagne.CLOTUREE),
        (datetime(2022, 10, 31, 20, 59, 59, tzinfo=UTC), EtatCampagne.OUVERTE),
    ],
)
def test_le_calendrier_est_juge_a_l_heure_de_mayotte(instant, attendu):
    assert etat_campagne(OUVERTURE, CLOTURE, instant) == attendu


@given(st.datetimes(min_value=datetime(2022, 1, 1), max_value=datetime(2023, 1, 1), timezones=st.just(UTC)))
def test_une_campagne_est_ouverte_exactement_de_l_ouverture_a_la_derniere_seconde(instant):
    ouverte = OUVERTURE <= instant < a_mayotte(2022, 11, 1)
    assert (etat_campagne(OUVERTURE, CLOTURE, instant) == EtatCampagne.OUVERTE) == ouverte


@pytest.mark.parametrize(
    ("mot_de_passe", "accepte"),
    [
        ("court", False),
        ("onze-carac1", False),  # 11 caractères
        ("motdepasse123", False),  # 13 caractères mais courant
        ("qwertyuiopasdf", False),  # suite de clavier
        ("mahorais-lagon-baobab-1976", True),
        ("Une phrase assez longue pour passer", True),
        ("0" * 300, False),  # au-delà de 72 caractères, jugé sur son début (zxcvbn refusait : erreur 500)
        ("mahorais-lagon-baobab-1976 " * 5, True),
    ],
)
def test_mots_de_passe(mot_de_passe, accepte):
    assert (probleme_mot_de_passe(mot_de_passe) is None) == accepte


def test_le_mot_de_passe_ne_reprend_pas_l_adresse():
    assert probleme_mot_de_passe("nassur.attoumani", ["nassur.attoumani@exemple.fr", "Nassur", "Attoumani"])


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        ("84512304100012", None),
        ("845 123 041 00012", None),
        ("84512304100013", "clé de contrôle"),
        ("8451230410001", "14 chiffres"),
        ("8451230410001A", "14 chiffres"),
        ("", "14 chiffres"),
    ],
)
def test_siret(siret, message):
    probleme = probleme_siret(siret)
    assert (probleme is None) if message is None else (message in probleme)


@given(st.integers(min_value=0, max_value=99_999_999), st.integers(min_value=1, max_value=9999))
def test_tout_siret_construit_avec_ses_cles_est_valide_et_une_cle_fausse_est_refusee(debut, etablissement):
    siret = siret_valide(f"{debut:08d}", f"{etablissement:04d}")
    assert probleme_siret(siret) is None
    faux = siret[:-1] + str((int(siret[-1]) + 1) % 10)
    assert probleme_siret(faux) is not None


NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("montant", "affiche"),
    [
        (Decimal("1234.5"), f"1{NNBSP}234,50{NBSP}€"),
        (Decimal("0.01"), f"0,01{NBSP}€"),
        (Decimal("2800000"), f"2{NNBSP}800{NNBSP}000,00{NBSP}€"),
        (Decimal("-150.25"), f"-150,25{NBSP}€"),
    ],
)
def test_montants_au_format_francais(montant, affiche):
    assert euros(montant) == affiche


def test_taux_au_format_francais():
    assert pourcentage(Decimal("0.7")) == f"70{NNBSP}%"
    assert pourcentage(Decimal("0.6999")) == f"69,99{NNBSP}%"


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2))
def test_les_euros_sont_stockes_en_centimes_sans_perte(montant):
    type_ = Euros()
    stocke = type_.process_bind_param(montant, None)
    assert isinstance(stocke, int)
    assert type_.process_result_value(stocke, None) == montant


def test_un_montant_a_trois_decimales_est_refuse_plutot_qu_arrondi():
    with pytest.raises(ValueError, match="décimales"):
        Euros().process_bind_param(Decimal("10.005"), None)


@given(st.decimals(min_value=0, max_value=100, places=1).map(lambda d: (d * 2).to_integral_value() / 2))
def test_les_demi_points_sont_exacts(points):
    type_ = DemiPoints()
    assert type_.process_result_value(type_.process_bind_param(points, None), None) == points


def test_un_quart_de_point_est_refuse():
    with pytest.raises(ValueError):
        DemiPoints().process_bind_param(Decimal("1.25"), None)


def test_taux_a_quatre_decimales():
    type_ = DecimalFixe(4)
    assert type_.process_bind_param(Decimal("0.7"), None) == 7000
    assert type_.process_result_value(6999, None) == Decimal("0.6999")


def test_un_instant_sans_fuseau_est_refuse():
    with pytest.raises(ValueError, match="fuseau"):
        UTCDateTime().process_bind_param(datetime(2022, 7, 1), None)
    mayotte = a_mayotte(2022, 7, 1, 3, 0)
    assert UTCDateTime().process_bind_param(mayotte, None) == datetime(2022, 7, 1, 0, 0)
    assert UTCDateTime().process_result_value(datetime(2022, 7, 1), None) == mayotte


@pytest.mark.parametrize(
    ("maxima", "probleme"),
    [
        ((15, 10, 10, 10, 15, 20, 10, 5, 5), None),  # annexe 4
        ((15, 10, 10, 10, 15, 20, 10, 5), "La grille de notation totalise 95 points"),
        ((15, 10, 10, 10, 15, 20, 10, 5, 5, 1), "La grille de notation totalise 101 points"),
        ((), "La grille de notation totalise 0 points"),
    ],
)
def test_la_grille_totalise_cent_points(maxima, probleme):
    from aap.regles import probleme_grille

    resultat = probleme_grille(maxima)
    assert (resultat is None) if probleme is None else resultat.startswith(probleme)


def test_la_grille_de_l_appel_reprend_les_libelles_de_l_annexe_4():
    from aap import aap2022

    libelles = {code: libelle for _, code, libelle, _ in aap2022.GRILLE}
    assert libelles["qualification"].endswith("des facilitateurs des clauses sociales dans le domaine")
    assert libelles["qualite_offre"] == "Qualité de l'offre de services proposée par la structure existante ou émergente"
    assert sum(maximum for *_, maximum in aap2022.GRILLE) == 100
