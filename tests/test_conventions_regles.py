"""The convention's rules as tables at their edges (in Mayotte time) and as properties (hypothesis)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aap.aap2022 import MAYOTTE
from conventions import delais, regles, suivi
from notation.regles import Demande

D = Decimal


def mayotte(annee, mois, jour, heure=12, minute=0):
    return datetime(annee, mois, jour, heure, minute, tzinfo=MAYOTTE)


# --- Délais ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "notifie_le, limite",
    [
        (mayotte(2030, 1, 10, 9), date(2030, 1, 25)),
        (mayotte(2030, 1, 10, 23, 59), date(2030, 1, 25)),
        # 22h30 UTC le 10 janvier, c'est déjà le 11 à Mayotte : le délai court du 11.
        (datetime(2030, 1, 10, 22, 30, tzinfo=UTC), date(2030, 1, 26)),
        (datetime(2030, 1, 10, 20, 59, tzinfo=UTC), date(2030, 1, 25)),
        (mayotte(2030, 2, 20), date(2030, 3, 7)),  # à cheval sur février
        (mayotte(2032, 2, 20), date(2032, 3, 6)),  # année bissextile
        (mayotte(2030, 12, 24), date(2031, 1, 8)),
    ],
)
def test_signature_au_plus_tard_le_quinzieme_jour_apres_la_notification(notifie_le, limite):
    assert regles.date_limite_signature(notifie_le, "Indian/Mayotte") == limite


def etat_a_signer(limite, **champs):
    return delais.ConventionEtat(
        id=1,
        numero="CONV",
        statut="a_signer",
        date_limite_signature=limite,
        annees=(delais.AnneeEtat(rang=1, debut=date(2030, 2, 1), fin=date(2031, 1, 31), signee_le=None, renouvellement=None),),
        **champs,
    )


@pytest.mark.parametrize(
    "aujourdhui, jours, etat, palier",
    [
        (date(2030, 1, 10), 15, "a_venir", None),  # jour de la notification
        (date(2030, 1, 19), 6, "a_venir", None),
        (date(2030, 1, 20), 5, "bientot", "avant"),  # le rappel part 5 jours avant
        (date(2030, 1, 25), 0, "bientot", "avant"),  # 15e jour : encore à temps
        (date(2030, 1, 26), -1, "en_retard", "retard"),  # 16e jour : en retard
        (date(2030, 3, 1), -35, "en_retard", "retard"),
    ],
)
def test_echeance_de_signature_autour_du_quinzieme_jour(aujourdhui, jours, etat, palier):
    limite = regles.date_limite_signature(mayotte(2030, 1, 10), "Indian/Mayotte")
    (echeance,) = delais.echeances(etat_a_signer(limite), aujourdhui)
    assert (echeance.nature, echeance.date, echeance.jours, echeance.etat) == ("signature", limite, jours, etat)
    assert delais.palier_rappel(echeance) == palier


@pytest.mark.parametrize(
    "debut, fin, annuel",
    [
        (date(2030, 1, 1), date(2030, 12, 31), date(2030, 10, 31)),
        (date(2030, 3, 1), date(2031, 2, 28), date(2030, 12, 28)),
        (date(2031, 3, 1), date(2032, 2, 29), date(2031, 12, 29)),  # bissextile
        (date(2030, 5, 1), date(2031, 4, 30), date(2031, 2, 28)),  # 30 avril − 2 mois : fin février
        (date(2030, 1, 31), date(2031, 1, 30), date(2030, 11, 30)),
        (date(2031, 4, 30), date(2032, 4, 29), date(2032, 2, 29)),
    ],
)
def test_le_bilan_annuel_est_du_deux_mois_avant_le_terme(debut, fin, annuel):
    assert regles.fin_annee(debut) == fin
    assert regles.echeance_bilan_annuel(fin) == annuel


@pytest.mark.parametrize(
    "debut, mois, attendu",
    [
        (date(2030, 1, 1), 6, date(2030, 7, 1)),
        (date(2030, 8, 31), 6, date(2031, 2, 28)),
        (date(2030, 1, 15), 4, date(2030, 5, 15)),
        (date(2030, 1, 15), 11, date(2030, 12, 15)),
    ],
)
def test_le_bilan_intermediaire_a_mi_parcours_ou_au_mois_choisi(debut, mois, attendu):
    assert regles.echeance_bilan_intermediaire(debut, mois) == attendu


@pytest.mark.parametrize(
    "debut, attendu",
    [
        # Annexe 1 : le bilan transmis le 1er janvier 2023 détaille les résultats au 1er octobre 2022.
        (
            date(2022, 7, 1),
            [
                (date(2023, 1, 1), date(2022, 10, 1)),
                (date(2023, 4, 1), date(2023, 1, 1)),
                (date(2023, 7, 1), date(2023, 4, 1)),
                (date(2023, 10, 1), date(2023, 7, 1)),
            ],
        ),
        # Jusqu'au 14 juillet 2023 : le trimestre d'avril à juin est dans la convention, son bilan est dû le 1er octobre.
        (
            date(2022, 7, 15),
            [
                (date(2023, 1, 1), date(2022, 10, 1)),
                (date(2023, 4, 1), date(2023, 1, 1)),
                (date(2023, 7, 1), date(2023, 4, 1)),
                (date(2023, 10, 1), date(2023, 7, 1)),
            ],
        ),
        (
            date(2023, 1, 1),
            [
                (date(2023, 7, 1), date(2023, 4, 1)),
                (date(2023, 10, 1), date(2023, 7, 1)),
                (date(2024, 1, 1), date(2023, 10, 1)),
                (date(2024, 4, 1), date(2024, 1, 1)),
            ],
        ),
        (
            date(2022, 9, 30),
            [
                (date(2023, 1, 1), date(2022, 10, 1)),
                (date(2023, 4, 1), date(2023, 1, 1)),
                (date(2023, 7, 1), date(2023, 4, 1)),
                (date(2023, 10, 1), date(2023, 7, 1)),
            ],
        ),
        (
            date(2022, 10, 1),
            [
                (date(2023, 4, 1), date(2023, 1, 1)),
                (date(2023, 7, 1), date(2023, 4, 1)),
                (date(2023, 10, 1), date(2023, 7, 1)),
                (date(2024, 1, 1), date(2023, 10, 1)),
            ],
        ),
    ],
)
def test_les_bilans_trimestriels_du_coordinateur_ont_un_trimestre_de_decalage(debut, attendu):
    assert regles.trimestres(debut, regles.fin_annee(debut)) == attendu
    for echeance, resultats_au in attendu:
        assert regles.ajouter_mois(resultats_au, 3) == echeance


def test_le_calendrier_n_a_de_trimestriels_que_pour_un_coordinateur():
    assert regles.calendrier(date(2030, 1, 1)).trimestriels == ()
    assert len(regles.calendrier(date(2030, 1, 1), coordinateur=True).trimestriels) == 4


@pytest.mark.parametrize(
    "aujourdhui, jours, palier",
    [
        (date(2030, 10, 15), 16, None),
        (date(2030, 10, 16), 15, "avant"),
        (date(2030, 10, 31), 0, "avant"),
        (date(2030, 11, 1), -1, "retard"),
    ],
)
def test_echeance_du_bilan_annuel(aujourdhui, jours, palier):
    etat = delais.ConventionEtat(
        id=1,
        numero="C",
        statut="en_cours",
        date_limite_signature=date(2029, 12, 20),
        annees=(
            delais.AnneeEtat(
                rang=1,
                debut=date(2030, 1, 1),
                fin=date(2030, 12, 31),
                signee_le=date(2029, 12, 18),
                renouvellement="renouvelee",
                bilans=(delais.BilanEtat(7, "annuel", date(2030, 10, 31), "a_deposer"),),
            ),
        ),
    )
    (echeance,) = delais.echeances(etat, aujourdhui)
    assert (echeance.code, echeance.pour, echeance.jours) == ("bilan-7", "porteur", jours)
    assert delais.palier_rappel(echeance) == palier


def test_les_echeances_d_une_convention_en_cours():
    etat = delais.ConventionEtat(
        id=1,
        numero="C",
        statut="en_cours",
        date_limite_signature=date(2030, 1, 25),
        prochain_copil=date(2030, 3, 12),
        annees=(
            delais.AnneeEtat(
                rang=1,
                debut=date(2030, 2, 1),
                fin=date(2031, 1, 31),
                signee_le=date(2030, 1, 20),
                renouvellement=None,
                versements=(
                    delais.VersementEtat(1, "avance", "a_payer", D("17500.00"), date(2030, 1, 20)),
                    delais.VersementEtat(2, "solde", "prevu", D("17500.00")),
                ),
                bilans=(
                    delais.BilanEtat(3, "intermediaire", date(2030, 8, 1), "depose", depose_le=date(2030, 2, 20)),
                    delais.BilanEtat(4, "annuel", date(2030, 11, 30), "a_deposer"),
                ),
            ),
        ),
    )
    echeances = delais.echeances(etat, date(2030, 3, 1))
    assert [(e.code, e.pour, e.date) for e in echeances] == [
        ("versement-1", "agent", date(2030, 2, 19)),  # 30 jours après le déclenchement : en retard
        ("examen-3", "agent", date(2030, 3, 7)),  # déposé le 20 février, à examiner sous 15 jours
        ("copil", "agent", date(2030, 3, 12)),
        ("bilan-4", "porteur", date(2030, 11, 30)),
        ("avenant-2", "agent", date(2031, 1, 31)),
    ]
    assert echeances[0].en_retard and delais.palier_rappel(echeances[0]) == "retard"
    assert delais.palier_rappel(echeances[2]) is None  # le prochain COPIL ne fait pas l'objet d'un courriel


def test_une_troisieme_annee_n_appelle_plus_de_renouvellement_et_une_convention_close_plus_rien():
    annee = delais.AnneeEtat(
        rang=3, debut=date(2032, 2, 1), fin=date(2033, 1, 31), signee_le=date(2032, 1, 25), renouvellement=None
    )
    etat = delais.ConventionEtat(id=1, numero="C", statut="en_cours", date_limite_signature=date(2030, 1, 25), annees=(annee,))
    assert [e.nature for e in delais.echeances(etat, date(2032, 6, 1))] == []
    assert (
        delais.echeances(
            delais.ConventionEtat(id=1, numero="C", statut="close", date_limite_signature=date(2030, 1, 1), annees=(annee,)),
            date(2032, 6, 1),
        )
        == []
    )


# --- Montants ----------------------------------------------------------------------------------------------

montants = st.integers(min_value=2, max_value=1_000_000_000).map(lambda c: D(c) / 100)
depenses = st.integers(min_value=0, max_value=2_000_000_000).map(lambda c: D(c) / 100)


@pytest.mark.parametrize(
    "montant, avance, solde",
    [("35000.00", "17500.00", "17500.00"), ("35000.01", "17500.00", "17500.01"), ("0.03", "0.01", "0.02")],
)
def test_echeancier_cinquante_cinquante_au_centime(montant, avance, solde):
    assert regles.echeancier(D(montant)) == (D(avance), D(solde))


@settings(max_examples=200)
@given(montants)
def test_avance_plus_solde_egale_la_subvention_sans_reduction(montant):
    avance, solde = regles.echeancier(montant)
    assert avance + solde == montant
    assert D(0) < avance <= solde
    assert avance == avance.quantize(D("0.01")) and solde == solde.quantize(D("0.01"))
    sans_reduction = regles.solde(montant, avance, D("0.70"), None)
    assert sans_reduction.maximum == solde and sans_reduction.reversement == 0


@pytest.mark.parametrize(
    "montant, taux, depenses, du, solde, reversement",
    [
        # L'exemple de l'appel : une association, 35 000 € accordés sur un coût prévu de 50 000 €, 17 500 € d'avance.
        ("35000.00", "0.70", "36750.00", "25725.00", "8225.00", "0"),
        ("35000.00", "0.70", "20000.00", "14000.00", "0", "3500.00"),
        ("35000.00", "0.70", "50000.00", "35000.00", "17500.00", "0"),  # au coût prévu : toute la subvention
        ("35000.00", "0.70", "90000.00", "35000.00", "17500.00", "0"),  # jamais plus que la subvention
        ("35000.00", "0.70", "25000.00", "17500.00", "0", "0"),  # dû = avance : ni solde ni reversement
        ("35000.00", "0.70", "25000.01", "17500.00", "0", "0"),  # 17 500,007 arrondi au centime inférieur
        ("35000.00", "0.70", "25000.02", "17500.01", "0.01", "0"),
        ("35000.00", "0.70", "24999.99", "17499.99", "0", "0.01"),
        ("35000.00", "0.70", "0", "0", "0", "17500.00"),
        ("35000.00", "0.80", "36750.00", "29400.00", "11900.00", "0"),  # collectivité territoriale
        ("35000.00", "0.65", "36750.00", "23887.50", "6387.50", "0"),  # taux inférieur convenu
    ],
)
def test_ce_que_l_etat_doit_au_plus_son_taux_des_depenses_eligibles(montant, taux, depenses, du, solde, reversement):
    avance, prevu = regles.echeancier(D(montant))
    calcul = regles.solde(D(montant), avance, D(taux), D(depenses), prevu)
    assert (calcul.du, calcul.maximum, calcul.reversement) == (D(du), D(solde), D(reversement))
    assert regles.du_par_l_etat(D(montant), D(taux), D(depenses)) == D(du)


taux = st.sampled_from([D("0.70"), D("0.80"), D("0.65"), D("0.5"), D("0.0001"), D("1")])


@settings(max_examples=300)
@given(montants, depenses, taux)
def test_les_versements_ne_depassent_jamais_le_taux_des_depenses_ni_la_subvention(montant, depense, taux_):
    avance, prevu = regles.echeancier(montant)
    calcul = regles.solde(montant, avance, taux_, depense, prevu)
    assert D(0) <= calcul.maximum <= prevu
    assert calcul.du <= montant and calcul.du <= taux_ * depense and calcul.du == calcul.du.quantize(D("0.01"))
    # Ce que la structure garde (avance + solde − reversement) est exactement ce que l'État doit.
    assert avance + calcul.maximum - calcul.reversement == calcul.du
    assert calcul.reversement == 0 or calcul.maximum == 0


# Un facilitateur (1,0 ETP demandé) dont le budget déposé coûte 51 000 € en année 2 ; convention à 70 %.
ANNEE_2 = Demande(D("0"), D("1.0"), D("0"), D("51000.00"), D("0.70"))


@pytest.mark.parametrize(
    "montant, etp, disponible, cout_retenu, code",
    [
        ("35700.00", "1.0", "35700.00", None, None),  # au plafond et au dernier centime des crédits
        ("35700.01", "1.0", "90000.00", None, "plafond_depasse"),
        ("9000000.00", "1.0", "90000000.00", None, "plafond_depasse"),  # l'avenant de 9 M€ de l'énoncé
        ("17850.00", "0.5", "90000.00", None, None),  # la moitié des ETP financés : la moitié du coût
        ("17850.01", "0.5", "90000.00", None, "plafond_depasse"),
        ("35700.00", "1.0", "35699.99", None, "credits_insuffisants"),
        ("42000.00", "1.0", "90000.00", "60000.00", None),  # budget révisé enregistré avec l'avenant
        ("42000.01", "1.0", "90000.00", "60000.00", "plafond_depasse"),
        ("1000.00", "1.0", "90000.00", "0", "montant_invalide"),
    ],
)
def test_un_avenant_respecte_le_plafond_de_son_annee_et_ses_credits(montant, etp, disponible, cout_retenu, code):
    erreurs = regles.verifier_avenant(
        D(montant), ANNEE_2, D(etp), D(disponible), 2, 2031, None if cout_retenu is None else D(cout_retenu)
    )
    assert [e.code for e in erreurs] == ([code] if code else [])
    if code == "credits_insuffisants":
        assert erreurs[0].message.startswith(
            "Crédits insuffisants : il reste 35\u202f699,99\xa0€ sur les crédits de l'année 2 (2031)"
        )


@pytest.mark.parametrize(
    "montant, solde_max, prevu, motif, code",
    [
        ("17500.00", "17500.00", "17500.00", "", None),
        ("17500.01", "17500.00", "17500.00", "", "solde_trop_eleve"),
        ("12000.00", "17500.00", "17500.00", "", "motif_manquant"),
        ("12000.00", "17500.00", "17500.00", "Deux marchés sur cinq seulement", None),
        ("-1", "17500.00", "17500.00", "x", "montant_invalide"),
        ("12000.001", "17500.00", "17500.00", "x", "montant_invalide"),
    ],
)
def test_reduire_le_solde_demande_un_motif_et_reste_sous_le_plafond(montant, solde_max, prevu, motif, code):
    erreurs = regles.verifier_solde(D(montant), D(solde_max), D(prevu), motif)
    assert [e.code for e in erreurs] == ([code] if code else [])


# --- Indicateurs --------------------------------------------------------------------------------------------


def test_les_indicateurs_minimum_de_la_section_d1_par_poste():
    intermediaire = suivi.indicateurs_du_bilan("intermediaire", D("1"), D("0.5"))
    assert [i.code for i in intermediaire if i.poste == "facilitateur"] == [
        "heures_insertion_etp",
        "heures_insertion_structure",
        "heures_insertion_annee_precedente",
        "contacts_acheteurs",
        "marches_accompagnes",
        "secteurs_porteurs",
        "parcours_beneficiaires",
    ]
    assert [i.code for i in intermediaire if i.poste == "coordinateur"] == [
        "sollicitations_repondues",
        "mises_en_relation",
        "marches_accompagnes",
        "zones_couvertes",
        "appui_facilitateurs",
        "contrats_travail",
        "maitrises_ouvrage",
        "titulaires_marche",
    ]
    annuel = suivi.indicateurs_du_bilan("annuel", D("1"), D("0"))
    assert {i.poste for i in annuel} == {"facilitateur", "ensemble"}
    assert [i.code for i in annuel if i.poste == "ensemble"] == [
        "acteurs_mobilises",
        "territoires_concernes",
        "marches_nombre",
        "marches_montant_ht",
        "financement_postes_existants",  # article 7 de la convention : l'engagement de non-baisse
        "typologie_acheteurs",
        "typologie_segments",
        "beneficiaires_etp",
        "heures_insertion_realisees",
        "typologie_beneficiaires",
        "structures_inclusives_nombre",
        "structures_inclusives_qualite",
    ]
    trimestriel = suivi.indicateurs_du_bilan("trimestriel", D("1"), D("1"))
    assert {i.poste for i in trimestriel} == {"coordinateur"} and all(i.numerique for i in trimestriel)


@pytest.mark.parametrize(
    "saisie, valeur, message",
    [
        ("1 250", D("1250"), None),
        ("1\u202f250,5", D("1250.5"), None),
        ("12.5", D("12.5"), None),
        ("", None, None),
        ("douze", None, "Indiquez un nombre"),
        ("1e3", None, "Indiquez un nombre"),
        ("--3", None, "Indiquez un nombre"),
        ("NaN", None, "Indiquez un nombre"),
    ],
)
def test_lire_un_nombre_saisi(saisie, valeur, message):
    lu, erreur = regles.lire_nombre(saisie)
    assert lu == valeur
    assert (erreur is None) if message is None else message in erreur


def test_heures_negatives_refusees_et_saut_invraisemblable_signale_en_francais():
    indicateurs = suivi.indicateurs_du_bilan("intermediaire", D("1"), D("0"))
    valeurs = {i.cle: (D("10") if i.numerique else "Texte") for i in indicateurs}
    valeurs["facilitateur.heures_insertion_etp"] = D("-5")
    erreurs, _ = suivi.verifier_bilan(indicateurs, valeurs, depot=True)
    assert [(e.champ, e.message) for e in erreurs] == [
        ("facilitateur.heures_insertion_etp", "Un nombre d'heures ne peut pas être négatif.")
    ]
    valeurs["facilitateur.heures_insertion_etp"] = D("2400")
    valeurs["facilitateur.heures_insertion_structure"] = D("9000")
    erreurs, avertissements = suivi.verifier_bilan(
        indicateurs, valeurs, {"facilitateur.heures_insertion_etp": D("600")}, depot=True
    )
    assert erreurs == []
    (avertissement,) = avertissements
    assert avertissement.code == "saut_invraisemblable"
    assert "2400 contre 600 à la période précédente" in avertissement.message
    # Un écart de moins de 20 unités n'est jamais invraisemblable ; ×3 exactement non plus.
    assert not suivi.saut_invraisemblable(D("12"), D("3"))
    assert not suivi.saut_invraisemblable(D("1800"), D("600"))
    assert suivi.saut_invraisemblable(D("100"), D("400"))


def test_le_bilan_annuel_estime_les_depenses_le_compte_rendu_financier_les_justifie():
    indicateurs = suivi.indicateurs_du_bilan("annuel", D("1"), D("0"))
    valeurs = {i.cle: (D("3") if i.numerique else "Texte") for i in indicateurs}
    erreurs, _ = suivi.verifier_bilan(indicateurs, valeurs, depot=True, type_bilan="annuel", depenses=None, crf=False)
    assert {e.code for e in erreurs} == {"depenses_manquantes"}
    assert "une estimation" in erreurs[0].message
    erreurs, _ = suivi.verifier_bilan([], {}, depot=True, type_bilan="financier", depenses=None, crf=False)
    assert {e.code for e in erreurs} == {"depenses_manquantes", "crf_manquant"}
    erreurs, _ = suivi.verifier_bilan(indicateurs, {}, depot=False, type_bilan="annuel", depenses=None, crf=False)
    assert erreurs == []  # un brouillon peut être incomplet


@pytest.mark.parametrize(
    "type_bilan, arrete_au, aujourdhui, ouvert",
    [
        # Une année du 1er février 2030 au 31 janvier 2031.
        ("intermediaire", None, date(2030, 1, 31), False),
        ("intermediaire", None, date(2030, 2, 1), True),
        ("annuel", None, date(2030, 1, 31), False),  # l'année n'a pas commencé : ni dépôt, ni solde
        ("annuel", None, date(2030, 2, 1), True),
        ("trimestriel", date(2030, 7, 1), date(2030, 6, 30), False),
        ("trimestriel", date(2030, 7, 1), date(2030, 7, 1), True),
        ("financier", date(2031, 1, 31), date(2031, 1, 31), False),  # dernier jour de l'année : pas encore
        ("financier", date(2031, 1, 31), date(2031, 2, 1), True),
    ],
)
def test_un_bilan_se_depose_dans_sa_fenetre(type_bilan, arrete_au, aujourdhui, ouvert):
    ouverture = regles.ouverture_depot(type_bilan, date(2030, 2, 1), date(2031, 1, 31), arrete_au)
    probleme = regles.probleme_fenetre(type_bilan, ouverture, aujourdhui)
    assert (probleme is None) is ouvert
    if type_bilan == "financier" and not ouvert:
        assert probleme.startswith("Le compte rendu financier se dépose une fois l'année terminée, à partir du 1er février 2031")
    assert regles.calendrier(date(2030, 2, 1)).compte_rendu_financier == date(2031, 7, 31)


# --- Renouvellement ---------------------------------------------------------------------------------------


def lignes(*taux):
    indicateurs = [i for i in suivi.CIBLES if i.poste == "facilitateur"]
    return [suivi.LigneRenouvellement(i, D(100), D(t), None) for i, t in zip(indicateurs, taux, strict=False)]


@pytest.mark.parametrize(
    "taux, rang, approuve, a_l_heure, issue",
    [
        ((100, 90, 80), 1, True, True, "renouveler"),
        ((100, 90, 80), 1, True, False, "renouveler"),
        ((60, 60, 60), 1, True, True, "a_discuter"),
        ((30, 40, 20), 2, True, True, "ne_pas_renouveler"),
        ((100, 100, 100), 1, False, True, "attendre"),
        ((100, 100, 100), 3, True, True, "impossible"),
    ],
)
def test_suggestion_de_renouvellement(taux, rang, approuve, a_l_heure, issue):
    suggestion = suivi.suggestion_renouvellement(lignes(*taux), rang=rang, bilan_approuve=approuve, a_l_heure=a_l_heure)
    assert suggestion.issue == issue
    if issue == "renouveler" and not a_l_heure:
        assert "en retard" in suggestion.texte
    if issue == "a_discuter":
        assert "60\u202f%" in suggestion.texte and "l'ETP subventionné" in suggestion.texte


def test_heures_par_etp_et_evolution():
    assert suivi.heures_par_etp(D("1500"), D("0.5")) == D("3000")
    ligne = suivi.LigneRenouvellement(suivi.CIBLES[0], D("1000"), D("1200"), D("800"))
    assert (ligne.taux, ligne.evolution, ligne.atteint) == (D("1.2"), D("0.5"), True)
