"""The COPIL's rules, as tables at their edges and as properties (hypothesis)."""

import statistics
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notation import regles
from notation.regles import Candidat, CritereGrille, Demande, FeuilleSoumise

D = Decimal
# Annexe 4 : 3 groupes, 9 critères, 100 points.
GRILLE = tuple(
    CritereGrille(code, groupe, f"Critère {code}", D(maximum), ordre)
    for ordre, (code, groupe, maximum) in enumerate(
        [
            ("experience", "Adéquation avec l'AAP", 15),
            ("appropriation", "Adéquation avec l'AAP", 10),
            ("contexte", "Adéquation avec l'AAP", 10),
            ("originalite", "Pertinence de l'offre", 10),
            ("qualification", "Pertinence de l'offre", 15),
            ("qualite", "Pertinence de l'offre", 20),
            ("cout", "Budget", 10),
            ("cofinancement", "Budget", 5),
            ("projection", "Budget", 5),
        ]
    )
)


def demi_points(maximum):
    return st.integers(0, int(maximum * 2)).map(lambda n: D(n) / 2)


def points_de_la_grille():
    return st.fixed_dictionaries({c.code: demi_points(c.maximum) for c in GRILLE})


# --- Saisie -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("saisi", "attendu", "message"),
    [
        ("7", D("7"), None),
        ("7,5", D("7.5"), None),
        (" 7.5 ", D("7.5"), None),
        ("", None, None),
        ("sept", None, "Indiquez un nombre de points (par exemple 7 ou 7,5)."),
        ("NaN", None, "Indiquez un nombre de points (par exemple 7 ou 7,5)."),
        ("Infinity", None, "Indiquez un nombre de points (par exemple 7 ou 7,5)."),
        ("1e400000", None, "Indiquez un nombre de points (par exemple 7 ou 7,5)."),
    ],
)
def test_lire_les_points_saisis(saisi, attendu, message):
    assert regles.lire_points(saisi) == (attendu, message)


@pytest.mark.parametrize(
    ("points", "maximum", "valide"),
    [
        (D("0"), D("15"), True),
        (D("0.5"), D("15"), True),
        (D("14.5"), D("15"), True),
        (D("15"), D("15"), True),
        (D("15.5"), D("15"), False),
        (D("-0.5"), D("15"), False),
        (D("7.25"), D("15"), False),
        (D("7.1"), D("10"), False),
        (D("5"), D("5"), True),
    ],
)
def test_points_bornes_et_demi_points(points, maximum, valide):
    assert (regles.probleme_points(points, maximum) is None) is valide


@pytest.mark.parametrize(
    ("points", "maximum", "requis"),
    [
        (D("7"), D("15"), True),
        (D("7.5"), D("15"), False),
        (D("4.5"), D("10"), True),
        (D("5"), D("10"), False),
        (D("0"), D("5"), True),
        (D("2.5"), D("5"), False),
    ],
)
def test_commentaire_requis_sous_la_moitie_du_maximum(points, maximum, requis):
    assert regles.commentaire_requis(points, maximum) is requis


@given(points=points_de_la_grille())
def test_total_borne_et_egal_a_la_somme_des_criteres(points):
    total = regles.total(points.values())
    assert total == sum(points.values(), D(0))
    assert D(0) <= total <= regles.TOTAL_MAX
    assert (total * 2) == (total * 2).to_integral_value()
    assert regles.verifier_feuille(GRILLE, points, {c: "motivé" for c in points}, "favorable", soumission=True) == []


@given(critere=st.sampled_from(GRILLE), valeur=st.decimals(min_value=-50, max_value=50, places=2))
def test_toute_valeur_hors_grille_est_refusee_en_francais(critere, valeur):
    erreurs = regles.verifier_feuille(GRILLE, {critere.code: valeur}, {}, None, soumission=False)
    valide = 0 <= valeur <= critere.maximum and (valeur * 2) % 1 == 0
    assert (erreurs == []) is valide
    for erreur in erreurs:
        assert erreur.champ == f"points-{critere.code}" and erreur.message.startswith(("Les points", "Notez"))


def test_une_soumission_exige_chaque_critere_les_commentaires_et_l_avis():
    points = {c.code: c.maximum for c in GRILLE}
    points["qualite"] = D("9.5")  # < 10 : commentaire exigé
    del points["cout"]
    erreurs = regles.verifier_feuille(GRILLE, points, {}, None, soumission=True)
    assert {(e.champ, e.code) for e in erreurs} == {
        ("points-cout", "points_manquants"),
        ("commentaire-qualite", "commentaire_requis"),
        ("avis", "avis_manquant"),
    }
    assert regles.verifier_feuille(GRILLE, points, {}, None, soumission=False) == []


# --- Agrégation ---------------------------------------------------------------------------------


@st.composite
def seances(draw):
    """A random session: members × dossiers, each pair recused, not scored, or scored (submitted)."""
    membres = draw(st.integers(1, 8))
    dossiers = draw(st.integers(1, 6))
    feuilles, deportes = [], set()
    for m in range(1, membres + 1):
        for d in range(1, dossiers + 1):
            etat = draw(st.sampled_from(["note", "note", "note", "absent", "deporte"]))
            if etat == "deporte":
                deportes.add((m, d))
                # Un déporté peut avoir noté avant de se déporter : sa feuille ne compte jamais.
                if draw(st.booleans()):
                    feuilles.append(FeuilleSoumise(m, d, draw(points_de_la_grille()), "favorable"))
            elif etat == "note":
                avis = draw(st.sampled_from(["favorable", "reserve", "defavorable"]))
                feuilles.append(FeuilleSoumise(m, d, draw(points_de_la_grille()), avis))
    attendues = {d: sum(1 for m in range(1, membres + 1) if (m, d) not in deportes) for d in range(1, dossiers + 1)}
    return feuilles, deportes, attendues


def arrondi(valeur):
    return D(valeur).quantize(D("0.01"), rounding="ROUND_HALF_UP")


@settings(max_examples=40, deadline=None)
@given(seance=seances(), seuil=st.sampled_from([D("0.40"), D("0.25"), D("1")]))
def test_agregation_conforme_a_un_calcul_de_reference(seance, seuil):
    feuilles, deportes, attendues = seance
    resultat = regles.agreger(GRILLE, feuilles, attendues, deportes, seuil)
    assert set(resultat) == set(attendues)
    for dossier, agregat in resultat.items():
        comptees = [f for f in feuilles if f.dossier_id == dossier and (f.membre_id, dossier) not in deportes]
        totaux = [sum(f.points.values(), D(0)) for f in comptees]
        assert agregat.recues == len(comptees) and agregat.attendues == attendues[dossier]
        assert agregat.recues <= agregat.attendues
        if not totaux:
            assert agregat.moyenne is agregat.mediane is agregat.ecart_type is None
            continue
        assert agregat.moyenne == arrondi(sum(totaux) / len(totaux))
        assert agregat.mediane == statistics.median(totaux)
        assert abs(agregat.ecart_type - D(statistics.pstdev([float(t) for t in totaux]))) <= D("0.006")
        assert agregat.minimum == min(totaux) and agregat.plus_haute == max(totaux)
        assert D(0) <= agregat.moyenne <= regles.TOTAL_MAX
        for stat in agregat.criteres:
            valeurs = [f.points[stat.code] for f in comptees]
            assert stat.moyenne == arrondi(sum(valeurs) / len(valeurs))
            assert stat.desaccord is ((max(valeurs) - min(valeurs)) > seuil * stat.maximum)
        for groupe in agregat.groupes:
            codes = [c.code for c in GRILLE if c.groupe == groupe.groupe]
            sous_totaux = [sum(f.points[c] for c in codes) for f in comptees]
            assert groupe.moyenne == arrondi(sum(sous_totaux) / len(sous_totaux))
        assert sum(agregat.avis.values()) == len(comptees)


@settings(max_examples=40, deadline=None)
@given(seance=seances(), intrus=points_de_la_grille())
def test_un_membre_deporte_n_est_jamais_compte(seance, intrus):
    feuilles, deportes, attendues = seance
    avant = regles.agreger(GRILLE, feuilles, attendues, deportes)
    # Le membre 99 se déporte sur le dossier 1 après avoir noté : rien ne change.
    apres = regles.agreger(GRILLE, [*feuilles, FeuilleSoumise(99, 1, intrus, "defavorable")], attendues, deportes | {(99, 1)})
    assert avant == apres


def test_desaccord_au_dela_de_40_pour_cent_du_maximum():
    def feuille(membre, experience):
        points = {c.code: c.maximum for c in GRILLE} | {"experience": D(experience)}
        return FeuilleSoumise(membre, 1, points)

    # Maximum 15 : 40 % = 6 points. Un écart de 6 n'est pas un désaccord ; 6,5 l'est.
    a_la_limite = regles.agreger(GRILLE, [feuille(1, "9"), feuille(2, "15")], {1: 2})[1]
    au_dela = regles.agreger(GRILLE, [feuille(1, "8.5"), feuille(2, "15")], {1: 2})[1]
    assert [c.code for c in a_la_limite.desaccords] == []
    assert [c.code for c in au_dela.desaccords] == ["experience"]


def test_normalisation_corrige_un_notateur_severe():
    def feuille(membre, dossier, total_qualite):
        points = {c.code: D(0) for c in GRILLE} | {"qualite": D(total_qualite)}
        return FeuilleSoumise(membre, dossier, points)

    # Le membre 1 note tout bas, le membre 2 tout haut : même ordre, normalisation identique.
    feuilles = [feuille(1, 1, 4), feuille(1, 2, 2), feuille(2, 1, 20), feuille(2, 2, 16)]
    agregats = regles.agreger(GRILLE, feuilles, {1: 2, 2: 2})
    assert agregats[1].normalise == D("1.00") and agregats[2].normalise == D("-1.00")
    # Un membre qui n'a noté qu'un dossier n'a pas de note normalisée.
    seul = regles.agreger(GRILLE, [feuille(1, 1, 4)], {1: 1})
    assert seul[1].normalise is None and seul[1].moyenne == D("4.00")


# --- Classement et enveloppe ---------------------------------------------------------------------


def candidats(*lignes):
    return [
        Candidat(i, f"AAP-{i:04d}", None if m is None else D(m), D(montant)) for i, (m, montant) in enumerate(lignes, start=1)
    ]


@pytest.mark.parametrize(
    ("disponible", "attendu"),
    [
        # 30 000 + 20 000 + 10 000,00 = 60 000,00 : le troisième tient au centime près.
        (D("60000.00"), ["dans", "dans", "dans"]),
        # Un centime de moins : le troisième dépasse d'un centime.
        (D("59999.99"), ["dans", "dans", "hors"]),
        (D("49999.99"), ["dans", "hors", "hors"]),
        (D("0"), ["hors", "hors", "hors"]),
    ],
)
def test_ligne_de_l_enveloppe_au_centime(disponible, attendu):
    lignes = regles.classement(candidats(("80", "30000"), ("70", "20000"), ("60", "10000.00")), disponible)
    assert [ligne.enveloppe for ligne in lignes] == attendu
    assert [ligne.cumul for ligne in lignes] == [D("30000"), D("50000"), D("60000.00")]
    assert [ligne.derniere_dans_enveloppe for ligne in lignes] == [i == attendu.count("dans") - 1 for i in range(3)]


def test_ex_aequo_meme_rang_et_departage_si_la_ligne_les_coupe():
    lignes = regles.classement(
        candidats(("75.5", "20000"), ("80", "30000"), ("75.5", "25000"), ("60", "5000"), (None, "1000")),
        D("60000"),
    )
    assert [(ligne.dossier_id, ligne.rang, ligne.ex_aequo) for ligne in lignes] == [
        (2, 1, False),
        (1, 2, True),
        (3, 2, True),
        (4, 4, False),
        (5, None, False),
    ]
    # 30 000 tient ; les deux ex aequo (45 000 ensemble) ne tiennent pas ensemble dans les 30 000 restants,
    # chacun séparément oui (20 000 ou 25 000) : à départager. Le suivant est hors enveloppe.
    assert [ligne.enveloppe for ligne in lignes] == ["dans", "a_departager", "a_departager", "hors", "non_note"]


def test_ex_aequo_qui_tiennent_ensemble():
    lignes = regles.classement(candidats(("70", "10000"), ("70", "10000")), D("20000.00"))
    assert [(ligne.rang, ligne.enveloppe) for ligne in lignes] == [(1, "dans"), (1, "dans")]


@given(
    lignes=st.lists(
        st.tuples(st.none() | st.integers(0, 200).map(lambda n: D(n) / 2), st.integers(1, 10_000_000).map(lambda c: D(c) / 100)),
        max_size=30,
    ),
    disponible=st.integers(0, 50_000_000).map(lambda c: D(c) / 100),
)
def test_classement_proprietes(lignes, disponible):
    resultat = regles.classement(candidats(*lignes), disponible)
    assert sorted(ligne.dossier_id for ligne in resultat) == list(range(1, len(lignes) + 1))
    notes = [ligne for ligne in resultat if ligne.moyenne is not None]
    assert [ligne.moyenne for ligne in notes] == sorted((ligne.moyenne for ligne in notes), reverse=True)
    dans = [ligne for ligne in resultat if ligne.enveloppe == "dans"]
    assert sum((ligne.montant_demande for ligne in dans), D(0)) <= disponible
    # La ligne est unique : rien « dans » après un dossier qui n'y est pas.
    etats = [ligne.enveloppe for ligne in notes]
    assert etats == sorted(etats, key=lambda e: e != "dans")
    for a, b in zip(notes, notes[1:], strict=False):
        assert (a.rang == b.rang) is (a.moyenne == b.moyenne)


# --- Décisions ----------------------------------------------------------------------------------

# 40 000 € demandés pour 1,5 ETP sur un coût de 60 000 € en année 1 : 70 % de ce coût, 42 000 €, les couvre.
DEMANDE = Demande(D("40000.00"), D("1.0"), D("0.5"), D("60000.00"), D("0.70"))


@pytest.mark.parametrize(
    ("montant", "disponible", "code"),
    [
        (D("40000.00"), D("40000.00"), None),  # tout le reste, au centime
        (D("40000.00"), D("39999.99"), "credits_insuffisants"),
        (D("40000.01"), D("90000"), "superieur_a_la_demande"),
        (D("25000.50"), D("90000"), None),
        (D("0"), D("90000"), "montant_invalide"),
        (D("10.001"), D("90000"), "montant_invalide"),
        (None, D("90000"), "montant_manquant"),
    ],
)
def test_montant_accorde(montant, disponible, code):
    erreurs = regles.verifier_decision(
        "retenu", DEMANDE, disponible, montant_accorde=montant, etp_facilitateur=D("1.0"), etp_coordinateur=D("0.5")
    )
    assert [e.code for e in erreurs] == ([code] if code else [])


def test_le_refus_pour_credits_insuffisants_dit_ce_qui_reste():
    (erreur,) = regles.verifier_decision(
        "retenu", DEMANDE, D("39999.99"), montant_accorde=D("40000"), etp_facilitateur=D("1"), etp_coordinateur=D("0.5")
    )
    assert "il reste 39\u202f999,99\xa0€" in erreur.message and "de 0,01\xa0€" in erreur.message


# L'exemple de l'appel : 35 000 € demandés pour 1,0 ETP, sur un coût de 50 000 € en année 1.
UN_ETP = Demande(D("35000.00"), D("1.0"), D("0"), D("50000.00"), D("0.70"))


@pytest.mark.parametrize(
    ("montant", "etp", "cout_retenu", "code", "maximum"),
    [
        ("35000.00", "1.0", None, None, None),  # tous les ETP : 70 % de 50 000 €
        ("17500.00", "0.5", None, None, None),  # la moitié des ETP : 70 % de 25 000 €
        ("17500.01", "0.5", None, "plafond_depasse", "17\u202f500,00\xa0€"),
        (
            "35000.00",
            "0.5",
            None,
            "plafond_depasse",
            "17\u202f500,00\xa0€",
        ),  # l'erreur de l'énoncé : tout le montant pour 0,5 ETP
        ("21000.00", "0.6", None, None, None),
        ("21000.01", "0.6", None, "plafond_depasse", "21\u202f000,00\xa0€"),
        ("24500.00", "0.5", "35000.00", None, None),  # budget révisé : 70 % de 35 000 €
        ("24500.01", "0.5", "35000.00", "plafond_depasse", "24\u202f500,00\xa0€"),
        ("1000.00", "0.5", "0", "montant_invalide", None),
    ],
)
def test_le_montant_accorde_respecte_le_plafond_du_cout_finance(montant, etp, cout_retenu, code, maximum):
    erreurs = regles.verifier_decision(
        "retenu",
        UN_ETP,
        D("1000000"),
        montant_accorde=D(montant),
        etp_facilitateur=D(etp),
        cout_retenu=None if cout_retenu is None else D(cout_retenu),
    )
    assert [e.code for e in erreurs] == ([code] if code else [])
    if maximum:
        assert erreurs[0].message.startswith(f"Le montant accordé ne peut pas dépasser {maximum} : 70\u202f% du coût")


def test_le_message_du_plafond_dit_d_ou_vient_le_maximum():
    (erreur,) = regles.verifier_decision("retenu", UN_ETP, D("1000000"), montant_accorde=D("35000"), etp_facilitateur=D("0.5"))
    assert erreur.message == (
        "Le montant accordé ne peut pas dépasser 17\u202f500,00\xa0€ : 70\u202f% du coût de ce qui est financé "
        "(25\u202f000,00\xa0€ : 50\u202f000,00\xa0€ de coût en année 1 pour 1 ETP demandé, ramenés à 0,5 ETP "
        "accordé, AAP §B.2-3). Réduisez le montant, ou indiquez le budget révisé de l'action."
    )


@pytest.mark.parametrize(
    ("etp_f", "etp_c", "codes"),
    [
        (D("1.0"), D("0.5"), []),
        (D("1.1"), D("0"), ["etp_superieur_a_la_demande"]),
        (D("0.3"), D("0.1"), ["etp_minimum"]),
        (D("0.25"), D("0.5"), []),  # par pas de 0,05
        (D("0.75"), D("0"), []),
        (D("0.27"), D("0.5"), ["etp_invalide"]),
        (D("0"), D("0.5"), []),
    ],
)
def test_etp_finances(etp_f, etp_c, codes):
    erreurs = regles.verifier_decision(
        "retenu", DEMANDE, D("90000"), montant_accorde=D("1000"), etp_facilitateur=etp_f, etp_coordinateur=etp_c
    )
    assert [e.code for e in erreurs] == codes


def test_ajournement_et_rejet_exigent_un_motif():
    assert [e.code for e in regles.verifier_decision("rejete", DEMANDE, D(0), motif="  ")] == ["motif_manquant"]
    assert regles.verifier_decision("ajourne", DEMANDE, D(0), motif="Budget à revoir.") == []
    assert [e.code for e in regles.verifier_decision("autre", DEMANDE, D(0))] == ["nature_invalide"]


def test_credits_restants():
    assert regles.credits_restants(D("120000.00"), [D("50000.00"), D("69999.99")]) == D("0.01")


# --- Séances --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "attendu"),
    [
        (datetime(2022, 12, 31, 20, 59, tzinfo=UTC), (2022, 4)),  # 23h59 à Mayotte
        (datetime(2022, 12, 31, 21, 0, tzinfo=UTC), (2023, 1)),  # minuit à Mayotte
        (datetime(2022, 4, 1, 0, 0, tzinfo=UTC), (2022, 2)),
    ],
)
def test_trimestre_juge_a_mayotte(instant, attendu):
    assert regles.trimestre_de(instant, "Indian/Mayotte") == attendu


# Une séance le 17 décembre 2030 à 9h, heure de Mayotte (6h UTC).
SEANCE_17 = datetime(2030, 12, 17, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "motif", "refus"),
    [
        (datetime(2030, 12, 5, 8, 0, tzinfo=UTC), "", True),  # l'énoncé : close le 5 décembre
        (datetime(2030, 12, 16, 20, 59, tzinfo=UTC), "", True),  # 23h59 le 16 à Mayotte
        (datetime(2030, 12, 16, 21, 0, tzinfo=UTC), "", False),  # minuit le 17 à Mayotte : le jour de la séance
        (datetime(2030, 12, 18, 8, 0, tzinfo=UTC), "", False),
        (datetime(2030, 12, 5, 8, 0, tzinfo=UTC), "Séance avancée par le préfet.", False),
        (datetime(2030, 12, 5, 8, 0, tzinfo=UTC), "   ", True),
    ],
)
def test_deliberer_ou_clore_avant_la_date_de_la_seance(instant, motif, refus):
    for vers in ("deliberation", "close"):
        probleme = regles.probleme_avant_la_date(SEANCE_17, instant, vers, motif, "Indian/Mayotte")
        assert (probleme is not None) is refus
    if refus:
        assert regles.probleme_avant_la_date(SEANCE_17, instant, "close", motif, "Indian/Mayotte").startswith(
            "La séance est prévue le 17 décembre 2030 : elle ne peut pas être close avant sa date."
        )


@pytest.mark.parametrize(
    ("jour", "attendu"),
    [
        (date(2030, 10, 1), (2030, 3, date(2030, 7, 1), date(2030, 9, 30))),
        (date(2030, 12, 31), (2030, 3, date(2030, 7, 1), date(2030, 9, 30))),
        (date(2030, 1, 1), (2029, 4, date(2029, 10, 1), date(2029, 12, 31))),
        (date(2030, 4, 1), (2030, 1, date(2030, 1, 1), date(2030, 3, 31))),
        (date(2030, 7, 15), (2030, 2, date(2030, 4, 1), date(2030, 6, 30))),
    ],
)
def test_trimestre_precedent(jour, attendu):
    assert regles.trimestre_precedent(jour) == attendu


@pytest.mark.parametrize(
    ("recevables", "tenus", "alerte"),
    [
        ([date(2030, 9, 30)], set(), 1),  # recevable le dernier jour du trimestre : il attendait
        ([date(2030, 10, 1)], set(), None),  # recevable après la fin du trimestre
        ([date(2030, 5, 2), date(2030, 9, 1), None], set(), 2),
        ([date(2030, 9, 1)], {(2030, 3)}, None),  # une séance s'est tenue au 3e trimestre
        ([date(2030, 9, 1)], {(2030, 2), (2030, 4)}, 1),
        ([], set(), None),
    ],
)
def test_un_trimestre_fini_sans_copil_alors_que_des_dossiers_attendent(recevables, tenus, alerte):
    resultat = regles.trimestre_sans_copil(date(2030, 10, 2), recevables, tenus)
    assert (resultat.dossiers if resultat else None) == alerte
    if alerte == 2:
        assert resultat.libelle.startswith(
            "Aucun COPIL ne s'est tenu au 3e trimestre 2030 alors que 2 dossiers recevables attendent (AAP §C.2"
        )


def test_la_confirmation_de_cloture_nomme_qui_n_a_pas_note():
    assert regles.message_notes_manquantes([("Ali Saïd", 2), ("Fatima Abdou", 1)]).startswith(
        "Des notes manquent : Ali Saïd (2 dossiers), Fatima Abdou (1 dossier) n'ont pas soumis toutes leurs notes."
    )


@pytest.mark.parametrize(
    ("jours_avant", "attendu"),
    [(10, None), (7, 7), (5, 7), (2, 2), (1, 2), (0, 2), (-1, None)],
)
def test_rappel_du(jours_avant, attendu):
    seance = datetime(2022, 12, 15, 6, 0, tzinfo=UTC)  # 9h à Mayotte
    instant = datetime(2022, 12, 15 - jours_avant, 18, 0, tzinfo=UTC) if jours_avant <= 14 else None
    if jours_avant < 0:
        instant = datetime(2022, 12, 16, 6, 0, tzinfo=UTC)
    assert regles.rappel_du(seance, instant, "Indian/Mayotte") == attendu


@pytest.mark.parametrize(
    ("etat", "vers", "extrait"),
    [
        (regles.EtatSeance("preparation", 1, 2), "notation", None),
        (regles.EtatSeance("preparation", 0, 2), "notation", "au moins un dossier"),
        (regles.EtatSeance("preparation", 1, 2), "deliberation", "n'est pas possible"),
        (regles.EtatSeance("notation", 1, 2), "deliberation", None),
        (regles.EtatSeance("deliberation", 2, 2, ("AAP-1",)), "close", "il manque : AAP-1"),
        (regles.EtatSeance("deliberation", 2, 2), "close", None),
        (regles.EtatSeance("close", 2, 2), "close", "close"),
    ],
)
def test_transitions_de_phase(etat, vers, extrait):
    probleme = regles.probleme_transition(etat, vers)
    assert (probleme is None) if extrait is None else (extrait in probleme)


def test_lieu_ou_visio():
    assert [e.code for e in regles.verifier_seance(None, "", "")] == ["lieu_manquant"]
    assert [e.code for e in regles.verifier_seance(None, "", "http://visio")] == ["lien_invalide"]
    assert regles.verifier_seance(None, "", "https://webconf.numerique.gouv.fr/copil") == []
