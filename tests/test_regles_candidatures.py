"""The checks of a dossier (candidatures.regles) at their edges: tables for the limits, hypothesis for the
properties. Plain values only: no database, no Flask."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aap import aap2022
from candidatures import regles
from candidatures.constats import AVERTISSEMENT, BLOQUANT, ORDRE_RUBRIQUES, controles, peut_deposer
from candidatures.regles import FaitsDossier, ReglesCampagne

from .factories import a_mayotte

D = Decimal
CAMPAGNE = ReglesCampagne(
    ouverture_le=aap2022.OUVERTURE,
    cloture_le=aap2022.CLOTURE,
    fuseau="Indian/Mayotte",
    pieces=tuple(regles.PieceExigible(code, libelle, condition) for code, libelle, _, condition in aap2022.PIECES),
    credits=D("120000"),
)
TOUTES_PIECES = frozenset(code for code, *_ in aap2022.PIECES)


def budget(charges, etat, autres=None, annees=3):
    """A budget whose charges are all salaries; co-financing (collectivités) balances unless `autres` is given."""
    charges, etat = D(charges), D(etat)
    autres = charges - etat if autres is None else D(autres)
    montants = lambda m: tuple([m] * annees + [D(0)] * (3 - annees))  # noqa: E731
    return {"salaires": montants(charges), "etat_aap": montants(etat), "collectivites": montants(autres)}


COMPLET = FaitsDossier(
    statut_juridique="association",
    emergente=False,
    etp_existants=D("1"),
    annee_financements=2022,
    financements_existants=((D("18000"), D("18000")),),
    titre="Facilitation à Mamoudzou",
    etp_facilitateur=D("1.0"),
    communes=("97611",),
    diagnostic="d",
    objectifs="o",
    strategie="s",
    calendrier="c",
    postes_missions=("facilitateur",),
    volumes={"marches_etat": (4, 3500)},
    budget=budget("50000", "35000"),
    precisions={"collectivites": "Conseil départemental"},
    pieces_fournies=TOUTES_PIECES,
    engagement_non_baisse=True,
    declaration_honneur=True,
    signataire_nom="Ahmed Ali",
    signataire_qualite="Président",
)


def codes(faits, campagne=CAMPAGNE, **kwargs):
    return [c.code for c in controles(faits, campagne, **kwargs)]


def test_un_dossier_complet_n_a_aucun_constat():
    assert controles(COMPLET, CAMPAGNE) == []
    assert peut_deposer([])


# --- Plafond de l'État : 70 %, 80 % pour les collectivités (§B.2-3) -------------------------------


@pytest.mark.parametrize(
    ("statut", "etat", "depasse"),
    [
        ("association", "69990.00", False),
        ("association", "70000.00", False),  # au plafond : permis
        ("association", "70000.01", True),  # un centime au-dessus : refusé
        ("association", "70010.00", True),
        ("association", "79990.00", True),  # 80 % n'est pas pour une association
        ("epa", "70000.01", True),
        ("reseau_emploi", "70000.00", False),
        ("collectivite", "79990.00", False),
        ("collectivite", "80000.00", False),
        ("collectivite", "80000.01", True),
        ("collectivite", "80010.00", True),
    ],
)
def test_plafond_de_la_part_de_l_etat(statut, etat, depasse):
    faits = replace(COMPLET, statut_juridique=statut, budget=budget("100000", etat))
    constats = controles(faits, CAMPAGNE)
    assert ("taux_etat_depasse" in [c.code for c in constats]) == depasse
    if depasse:
        constat = next(c for c in constats if c.code == "taux_etat_depasse")
        assert constat.bloquant and constat.rubrique == "budget"
        assert "dépasse de" in constat.message and "Réduisez-la" in constat.message


@pytest.mark.parametrize(
    ("taux", "etat_max"),
    [("0.70", "69999.99"), ("0.80", "79999.99")],
)
def test_le_plafond_calcule_est_arrondi_au_centime_inferieur(taux, etat_max):
    # 99 999,99 € de charges : 70 % font 69 999,993 € ; l'État peut donner 69 999,99 €, pas un centime de plus.
    [annee, *_] = regles.synthese_budget(budget("99999.99", "0", "0"), D(taux))
    assert annee.plafond_etat == D(etat_max)


@given(
    charges=st.decimals(min_value=D("0.01"), max_value=D("10000000"), places=2),
    fraction=st.decimals(min_value=D("0"), max_value=D("1.2"), places=6),
    taux=st.sampled_from([D("0.70"), D("0.80")]),
)
def test_la_part_de_l_etat_est_jugee_exactement(charges, fraction, taux):
    etat = (charges * fraction).quantize(D("0.01"))
    [annee, *_] = regles.synthese_budget(budget(charges, etat, "0"), taux)
    assert annee.sous_plafond == (etat <= charges * taux)
    assert annee.plafond_etat <= charges * taux < annee.plafond_etat + D("0.01")
    assert annee.depassement == max(etat - annee.plafond_etat, D(0))


# --- Équilibre du budget ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("autres", "equilibre"),
    [("15000.00", True), ("14999.99", False), ("15000.01", False)],
)
def test_un_budget_desequilibre_d_un_centime_est_bloquant(autres, equilibre):
    faits = replace(COMPLET, budget=budget("50000", "35000", autres))
    assert ("budget_desequilibre" not in codes(faits)) == equilibre


def test_le_desequilibre_est_juge_annee_par_annee():
    annee3_courte = {"collectivites": (D("15000"), D("15000"), D("14999.99"))}
    faits = replace(COMPLET, budget=budget("50000", "35000") | annee3_courte)
    [constat] = [c for c in controles(faits, CAMPAGNE) if c.code == "budget_desequilibre"]
    assert constat.cible == "annee3" and "Année 3" in constat.message and "0,01" in constat.message


@given(
    lignes=st.dictionaries(
        st.sampled_from(list(regles.CATEGORIES_BUDGET)),
        st.tuples(*[st.decimals(min_value=D(0), max_value=D("1000000"), places=2)] * 3),
    )
)
def test_proprietes_de_la_synthese(lignes):
    for annee in regles.synthese_budget(lignes, D("0.70"), D("1.5")):
        i = annee.annee - 1
        assert annee.charges == sum((lignes.get(c, (0, 0, 0))[i] for c in regles.CHARGES), D(0))
        assert annee.produits == annee.part_etat + annee.cofinancement
        assert annee.equilibre == (annee.charges == annee.produits)
        if annee.charges:
            assert annee.taux_etat == (annee.part_etat / annee.charges).quantize(D("0.0001"), rounding="ROUND_HALF_UP")


def test_cofinancement_absent_et_sources_a_nommer():
    sans = replace(COMPLET, budget=budget("50000", "50000", "0"))
    assert {"cofinancement_absent", "taux_etat_depasse"} <= set(codes(sans))
    anonyme = replace(COMPLET, precisions={"collectivites": "  "})
    [constat] = [c for c in controles(anonyme, CAMPAGNE) if c.code == "source_cofinancement_non_precisee"]
    assert constat.cible == "collectivites" and "Nommez" in constat.message
    # Les fonds propres n'ont pas à être nommés.
    propres = replace(COMPLET, budget=budget("50000", "35000", "0") | {"fonds_propres": (D("15000"),) * 3})
    assert "source_cofinancement_non_precisee" not in codes(propres)


def test_budget_vide_et_projection_incomplete():
    assert codes(replace(COMPLET, budget={})) == ["budget_vide"]
    une_annee = replace(COMPLET, budget=budget("50000", "35000", annees=1))
    [constat] = controles(une_annee, CAMPAGNE)
    assert (constat.code, constat.niveau) == ("projection_incomplete", AVERTISSEMENT)


def test_credits_de_la_campagne_depasses_est_un_avertissement():
    petite = replace(CAMPAGNE, credits=D("30000"))
    [constat] = controles(COMPLET, petite)
    assert (constat.code, constat.niveau) == ("credits_depasses", AVERTISSEMENT)


# --- ETP (§B.2-1) ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facilitateur", "coordinateur", "attendu"),
    [
        ("0.4", "0", "etp_insuffisant"),
        ("0.5", "0", None),
        ("0", "0.5", None),
        ("0.2", "0.3", None),  # le minimum porte sur le projet, postes confondus
        ("0.2", "0.2", "etp_insuffisant"),
        ("0", "0", "poste_manquant"),
        ("0.45", "0", "etp_insuffisant"),
        ("0.43", "0", "etp_invalide"),
        ("0.75", "0", None),  # un poste à 0,75 ETP, par pas de 0,05
        ("1.25", "0", None),
        ("1.27", "0", "etp_invalide"),
        ("0.55", "0.05", None),
        ("2.0", "1.0", None),
    ],
)
def test_etp_minimum_et_pas_de_cinq_centiemes(facilitateur, coordinateur, attendu):
    postes = tuple(p for p, e in (("facilitateur", facilitateur), ("coordinateur", coordinateur)) if D(e) > 0)
    faits = replace(
        COMPLET,
        etp_facilitateur=D(facilitateur),
        etp_coordinateur=D(coordinateur),
        postes_missions=postes,
        pieces_fournies=TOUTES_PIECES,
    )
    trouves = {c for c in codes(faits) if c in {"etp_insuffisant", "poste_manquant", "etp_invalide"}}
    assert trouves == ({attendu} if attendu else set())


def test_le_message_d_etp_dit_quoi_faire():
    faits = replace(COMPLET, etp_facilitateur=D("0.4"))
    [constat] = [c for c in controles(faits, CAMPAGNE) if c.code == "etp_insuffisant"]
    assert constat.message == (
        "Le projet doit couvrir au moins 0,5 ETP (§B.2-1) ; il en compte 0,4 : augmentez les ETP demandés."
    )


# --- Calendrier : heure de Mayotte (§C) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "attendu"),
    [
        (a_mayotte(2022, 6, 30, 23, 59, 59), "campagne_pas_ouverte"),
        (a_mayotte(2022, 7, 1, 0, 0, 0), None),
        (a_mayotte(2022, 10, 31, 23, 59, 59), None),
        (a_mayotte(2022, 11, 1, 0, 0, 0), "delai_depasse"),
        (datetime(2022, 10, 31, 20, 59, 59, tzinfo=UTC), None),  # 23:59:59 à Mayotte
        (datetime(2022, 10, 31, 21, 0, 0, tzinfo=UTC), "delai_depasse"),  # déjà le 1er novembre à Mayotte
    ],
)
def test_le_depot_est_juge_a_l_heure_de_mayotte(instant, attendu):
    trouves = [c for c in codes(COMPLET, instant=instant) if c in {"campagne_pas_ouverte", "delai_depasse"}]
    assert trouves == ([attendu] if attendu else [])


@pytest.mark.parametrize(
    ("instant", "depasse"),
    [
        (a_mayotte(2022, 11, 15, 23, 59, 59), False),
        (a_mayotte(2022, 11, 16, 0, 0, 0), True),
    ],
)
def test_la_date_limite_des_complements_remplace_la_cloture(instant, depasse):
    constats = codes(COMPLET, instant=instant, limite_complements=date(2022, 11, 15))
    assert ("delai_depasse" in constats) == depasse


def test_sans_instant_le_calendrier_n_est_pas_juge():
    assert codes(COMPLET, instant=None) == []


# --- Pièces exigées (annexe 2, §B.1) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("statut", "emergente", "soumise_cac", "facilitateur", "coordinateur", "zone_blanche", "attendues"),
    [
        (
            "association",
            False,
            False,
            "1",
            "0",
            False,
            {"demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants"},
        ),
        (
            "association",
            False,
            True,
            "1",
            "0",
            False,
            {"demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants", "rapport_cac"},
        ),
        (
            "collectivite",
            False,
            True,
            "1",
            "0",
            False,  # seules les associations ont un rapport du CAC à joindre
            {"demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants"},
        ),
        (
            "association",
            False,
            False,
            "0",
            "1",
            False,
            {"demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants", "attestation_ave"},
        ),
        (
            "collectivite",
            False,
            False,
            "0",
            "1",
            False,  # hors collectivité territoriale (§B.1)
            {"demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants"},
        ),
        (
            "association",
            False,
            False,
            "1",
            "0",
            True,
            {"demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants", "attestation_ave"},
        ),
        (
            "reseau_emploi",
            True,
            False,
            "0",
            "1",
            False,
            # Annexe 2 : l'état de financement des ETP existants est demandé à chaque candidat, émergent compris.
            {
                "demande_subvention",
                "rapports_activite",
                "comptes_annuels",
                "budget_etp_existants",
                "recommandation_ou_competences",
            },
        ),
        (
            "collectivite",
            True,
            False,
            "1",
            "0",
            True,
            {"demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants", "justification_implantation"},
        ),
        (
            "reseau_emploi",
            True,
            False,
            "0.5",
            "0.5",
            True,
            {
                "demande_subvention",
                "rapports_activite",
                "comptes_annuels",
                "budget_etp_existants",
                "recommandation_ou_competences",
                "justification_implantation",
            },
        ),
    ],
)
def test_les_pieces_exigees_suivent_statut_etat_et_postes(
    statut, emergente, soumise_cac, facilitateur, coordinateur, zone_blanche, attendues
):
    faits = replace(
        COMPLET,
        statut_juridique=statut,
        emergente=emergente,
        soumise_cac=soumise_cac,
        etp_facilitateur=D(facilitateur),
        etp_coordinateur=D(coordinateur),
        zone_blanche=zone_blanche,
    )
    assert {p.code for p in regles.pieces_exigees(CAMPAGNE.pieces, faits)} == attendues


def test_chaque_piece_manquante_est_un_constat_nomme():
    faits = replace(COMPLET, pieces_fournies=frozenset({"demande_subvention"}))
    manquantes = [c for c in controles(faits, CAMPAGNE) if c.code == "piece_manquante"]
    assert [c.cible for c in manquantes] == ["rapports_activite", "comptes_annuels", "budget_etp_existants"]
    assert manquantes[1].message == "Ajoutez la pièce « Comptes annuels » (annexe 2)."


# --- Champs, territoire, missions, engagements, structure ------------------------------------------


@pytest.mark.parametrize(
    ("changement", "code", "cible"),
    [
        ({"titre": " "}, "champ_manquant", "titre"),
        ({"diagnostic": ""}, "champ_manquant", "diagnostic"),
        ({"calendrier": ""}, "champ_manquant", "calendrier"),
        ({"communes": ()}, "communes_manquantes", "communes"),
        ({"zone_blanche": True}, "zone_blanche_non_justifiee", "zone_blanche_justification"),
        ({"postes_missions": ()}, "missions_manquantes", "facilitateur"),
        ({"volumes": {"marches_etat": (0, 0)}}, "volumes_manquants", ""),
        ({"engagement_non_baisse": False}, "engagement_non_baisse_absent", "engagement_non_baisse"),
        ({"declaration_honneur": False}, "declaration_honneur_absente", "declaration_honneur"),
        ({"signataire_qualite": ""}, "declaration_honneur_absente", "declaration_honneur"),
        ({"profil_manquant": ("l'adresse",)}, "profil_structure_incomplet", ""),
        ({"financements_existants": ()}, "financements_existants_manquants", ""),
        ({"etp_existants": D(0)}, "financements_existants_manquants", ""),
        ({"annee_financements": None}, "financements_existants_manquants", ""),
        ({"emergente": True, "etp_existants": D(0), "annee_financements": None}, "financements_existants_manquants", ""),
        ({"emergente": True, "financements_existants": ()}, "financements_existants_manquants", ""),
    ],
)
def test_chaque_manque_a_son_code_et_sa_cible(changement, code, cible):
    [constat] = controles(replace(COMPLET, **changement), CAMPAGNE)
    assert (constat.code, constat.cible, constat.niveau) == (code, cible, BLOQUANT)
    assert constat.message.endswith(".") and constat.message[0].isupper()


def test_une_structure_emergente_presente_un_etat_de_financement_sans_poste_existant():
    faits = replace(COMPLET, emergente=True, etp_existants=D(0), financements_existants=())
    assert codes(faits) == []
    [constat] = controles(replace(faits, annee_financements=None), CAMPAGNE)
    assert constat.message.startswith(
        "Présentez dans le profil de votre structure l'état de financement actuel de ses ETP de facilitateurs et de "
        "coordinateurs existants (annexe 2 : chaque candidat)"
    )


def test_la_baisse_des_financements_existants_est_signalee():
    faits = replace(COMPLET, financements_existants=((D("20000"), D("18000")),))
    [constat] = controles(faits, CAMPAGNE)
    assert (constat.code, constat.niveau) == ("baisse_financement_existant", AVERTISSEMENT)
    assert "2\u202f000,00\xa0€" in constat.message


def test_avertissements_d_eligibilite():
    assert codes(replace(COMPLET, statut_juridique="autre")) == ["statut_a_verifier"]
    assert codes(replace(COMPLET, statut_juridique="reseau_emploi")) == ["reseau_emploi_facilitateur"]
    assert (
        codes(
            replace(
                COMPLET,
                statut_juridique="reseau_emploi",
                emergente=True,
                zone_blanche=True,
                zone_blanche_justification="z",
                etp_existants=D(0),
            )
        )
        == []
    )


def test_les_avertissements_ne_bloquent_pas_le_depot():
    constats = controles(replace(COMPLET, statut_juridique="autre"), CAMPAGNE)
    assert constats and peut_deposer(constats)


CODES_STABLES = {
    "profil_structure_incomplet",
    "financements_existants_manquants",
    "baisse_financement_existant",
    "statut_a_verifier",
    "reseau_emploi_facilitateur",
    "champ_manquant",
    "poste_manquant",
    "etp_invalide",
    "etp_insuffisant",
    "communes_manquantes",
    "zone_blanche_non_justifiee",
    "missions_manquantes",
    "volumes_manquants",
    "budget_vide",
    "charges_personnel_absentes",
    "part_etat_absente",
    "budget_desequilibre",
    "taux_etat_depasse",
    "cofinancement_absent",
    "source_cofinancement_non_precisee",
    "projection_incomplete",
    "credits_depasses",
    "piece_manquante",
    "engagement_non_baisse_absent",
    "declaration_honneur_absente",
    "campagne_pas_ouverte",
    "delai_depasse",
}


@given(
    faits=st.builds(
        FaitsDossier,
        statut_juridique=st.sampled_from(["association", "collectivite", "epa", "reseau_emploi", "autre"]),
        emergente=st.booleans(),
        soumise_cac=st.booleans(),
        etp_facilitateur=st.decimals(min_value=0, max_value=5, places=2),
        etp_coordinateur=st.decimals(min_value=0, max_value=5, places=2),
        zone_blanche=st.booleans(),
        titre=st.text(max_size=5),
        budget=st.dictionaries(
            st.sampled_from(list(regles.CATEGORIES_BUDGET)),
            st.tuples(*[st.decimals(min_value=0, max_value=10**6, places=2)] * 3),
        ),
        pieces_fournies=st.frozensets(st.sampled_from(sorted(TOUTES_PIECES))),
        engagement_non_baisse=st.booleans(),
    ),
    instant=st.datetimes(min_value=datetime(2022, 1, 1), max_value=datetime(2023, 1, 1), timezones=st.just(UTC)),
)
def test_tout_constat_a_un_code_stable_un_niveau_et_une_consigne(faits, instant):
    constats = controles(faits, CAMPAGNE, instant=instant)
    for constat in constats:
        assert constat.code in CODES_STABLES
        assert constat.niveau in {BLOQUANT, AVERTISSEMENT}
        assert constat.message and constat.rubrique in ORDRE_RUBRIQUES
    assert peut_deposer(constats) == (not any(c.bloquant for c in constats))


def test_les_conditions_des_pieces_de_la_fondation_sont_toutes_jugees():
    """The codes an administrator may choose (aap.regles) are exactly those the rules judge."""
    from aap.regles import LIBELLES_CONDITIONS
    from candidatures.regles import CONDITIONS_PIECES

    assert set(LIBELLES_CONDITIONS) == set(CONDITIONS_PIECES)
