"""The indicators of the reports (AAP §D.1) as plain values: per post, which report asks for them, which carry a
target; the checks of a report's values (errors that block, warnings that do not: an implausible jump, a decrease
of the pre-existing posts' financing); the renewal view, targets against achievements, and a suggested outcome in
words."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from aap.formats import euros, nombre_fr, pourcentage

from .regles import (
    ANNEES_MAX,
    ANNUEL,
    CENTIME,
    COORDINATEUR,
    ENSEMBLE,
    FACILITATEUR,
    FINANCIER,
    INTERMEDIAIRE,
    TRIMESTRIEL,
    ZERO,
    Erreur,
    minuscule,
)

# Au-delà de ce facteur entre deux périodes, une valeur est signalée (sans bloquer).
SAUT_INVRAISEMBLABLE = Decimal("3")
SAUT_MINIMUM = Decimal("20")
NOMBRE_MAX = Decimal("100000000")


@dataclass(frozen=True)
class Indicateur:
    code: str
    poste: str
    libelle: str
    type: str  # entier, heures, euros, decimal, texte
    bilans: frozenset
    cible: bool = False
    aide: str = ""

    @property
    def numerique(self):
        return self.type != "texte"

    @property
    def en_euros(self):
        return self.type == "euros"

    @property
    def cle(self):
        return f"{self.poste}.{self.code}"


def _i(code, poste, libelle, type_, bilans, cible=False, aide=""):
    return Indicateur(code, poste, libelle, type_, frozenset(bilans), cible, aide)


TOUS = frozenset({INTERMEDIAIRE, ANNUEL})
# AAP §D.1 : le minimum du bilan intermédiaire, par poste ; le bilan annuel le reprend pour l'année entière,
# avec ses propres rubriques ; les bilans trimestriels du coordinateur en reprennent les chiffres.
INDICATEURS = (
    _i("heures_insertion_etp", FACILITATEUR, "Heures d'insertion dégagées par l'ETP subventionné", "heures", TOUS, True),
    _i(
        "heures_insertion_structure",
        FACILITATEUR,
        "Heures clausées au total par la structure",
        "heures",
        TOUS,
        aide="Toutes les heures de la structure, pour comparaison avec celles de l'ETP subventionné.",
    ),
    _i("heures_insertion_annee_precedente", FACILITATEUR, "Heures dégagées l'année précédente", "heures", TOUS),
    _i("contacts_acheteurs", FACILITATEUR, "Prises de contact avec des acheteurs du territoire", "entier", TOUS, True),
    _i("marches_accompagnes", FACILITATEUR, "Marchés accompagnés", "entier", TOUS, True),
    _i(
        "secteurs_porteurs",
        FACILITATEUR,
        "Secteurs et entreprises accompagnés",
        "texte",
        TOUS,
        aide="Secteurs d'activité, statut et nombre de salariés des entreprises accompagnées.",
    ),
    _i(
        "parcours_beneficiaires",
        FACILITATEUR,
        "Parcours des bénéficiaires",
        "texte",
        TOUS,
        aide="Caractéristiques des contrats, accès à la formation, suites de parcours.",
    ),
    _i("sollicitations_repondues", COORDINATEUR, "Sollicitations répondues", "entier", TOUS | {TRIMESTRIEL}, True),
    _i(
        "mises_en_relation",
        COORDINATEUR,
        "Mises en relation effectuées",
        "entier",
        TOUS | {TRIMESTRIEL},
        True,
        aide="Notamment avec les réseaux régionaux de la commande publique.",
    ),
    _i("marches_accompagnes", COORDINATEUR, "Marchés accompagnés", "entier", TOUS | {TRIMESTRIEL}, True),
    _i(
        "zones_couvertes",
        COORDINATEUR,
        "Zones couvertes et zones blanches",
        "texte",
        TOUS,
        aide="État des lieux du territoire : zones couvertes par un facilitateur, zones blanches.",
    ),
    _i("appui_facilitateurs", COORDINATEUR, "Modalités d'appui aux facilitateurs", "texte", TOUS),
    _i("contrats_travail", COORDINATEUR, "Contrats de travail", "entier", TOUS | {TRIMESTRIEL}, True),
    _i("maitrises_ouvrage", COORDINATEUR, "Maîtrises d'ouvrage concernées", "entier", TOUS | {TRIMESTRIEL}),
    _i("titulaires_marche", COORDINATEUR, "Titulaires de marché", "entier", TOUS | {TRIMESTRIEL}),
    # Le rapport annuel (AAP §D.1, dernier alinéa).
    _i("acteurs_mobilises", ENSEMBLE, "Acteurs mobilisés", "entier", {ANNUEL}),
    _i("territoires_concernes", ENSEMBLE, "Territoires concernés", "entier", {ANNUEL}),
    _i("marches_nombre", ENSEMBLE, "Volume des marchés : nombre", "entier", {ANNUEL}, True),
    _i("marches_montant_ht", ENSEMBLE, "Volume des marchés : montant HT (€)", "euros", {ANNUEL}),
    # Article 7 de la convention (AAP §B.2-3) : ne pas baisser les financements des postes préexistants.
    _i(
        "financement_postes_existants",
        ENSEMBLE,
        "Financement actuel des postes préexistants (€)",
        "euros",
        {ANNUEL},
        aide="Total, cette année, des financements des postes de facilitateurs et de coordinateurs que la structure "
        "portait avant la convention (0 si elle n'en portait pas) : l'engagement de non-baisse porte sur lui.",
    ),
    _i("typologie_acheteurs", ENSEMBLE, "Typologie des acheteurs accompagnés", "texte", {ANNUEL}),
    _i("typologie_segments", ENSEMBLE, "Typologie des segments d'achat", "texte", {ANNUEL}),
    _i("beneficiaires_etp", ENSEMBLE, "Bénéficiaires (en ETP)", "decimal", {ANNUEL}),
    _i("heures_insertion_realisees", ENSEMBLE, "Volume horaire d'insertion réalisé", "heures", {ANNUEL}, True),
    _i("typologie_beneficiaires", ENSEMBLE, "Typologie des bénéficiaires", "texte", {ANNUEL}),
    _i("structures_inclusives_nombre", ENSEMBLE, "Structures inclusives mobilisées : nombre", "entier", {ANNUEL}),
    _i(
        "structures_inclusives_qualite",
        ENSEMBLE,
        "Structures inclusives mobilisées : lesquelles",
        "texte",
        {ANNUEL},
        aide="SIAE, entreprises adaptées, GEIQ… et leur rôle dans les parcours.",
    ),
)
PAR_CLE = {i.cle: i for i in INDICATEURS}
# Les dépenses que demande un bilan : prévisionnelles au bilan annuel, définitives au compte rendu financier.
DEPENSES_DEMANDEES = {
    ANNUEL: "Indiquez les dépenses de l'action sur l'année, engagées et prévues jusqu'au terme : une estimation, "
    "le solde se calcule sur le compte rendu financier.",
    FINANCIER: "Indiquez les dépenses réalisées de l'action sur l'année, telles qu'au compte rendu financier.",
}
CIBLES = tuple(i for i in INDICATEURS if i.cible)


def postes_de(etp_facilitateur, etp_coordinateur):
    return [p for p, etp in ((FACILITATEUR, etp_facilitateur), (COORDINATEUR, etp_coordinateur)) if etp > 0]


def indicateurs_du_bilan(type_bilan, etp_facilitateur, etp_coordinateur):
    """The indicators a report asks for, in order: per funded post, then the whole action (annual)."""
    postes = set(postes_de(etp_facilitateur, etp_coordinateur)) | {ENSEMBLE}
    return [i for i in INDICATEURS if type_bilan in i.bilans and i.poste in postes]


def indicateurs_cibles(etp_facilitateur, etp_coordinateur):
    postes = set(postes_de(etp_facilitateur, etp_coordinateur)) | {ENSEMBLE}
    return [i for i in CIBLES if i.poste in postes]


def probleme_valeur(indicateur, valeur):
    """None when the value fits the indicator; otherwise the French reason."""
    if valeur is None:
        return None
    if valeur < 0:
        if indicateur.type == "heures":
            return "Un nombre d'heures ne peut pas être négatif."
        return "La valeur ne peut pas être négative."
    if valeur > NOMBRE_MAX:
        return "Valeur trop grande : vérifiez la saisie."
    if indicateur.type in ("entier", "heures") and valeur != valeur.to_integral_value():
        return "Indiquez un nombre entier." if indicateur.type == "entier" else "Indiquez un nombre entier d'heures."
    if valeur != valeur.quantize(CENTIME):
        return "Au plus deux chiffres après la virgule."
    return None


def saut_invraisemblable(valeur, precedente):
    """A jump from the previous period too large to be plausible (×3 or ÷3, and at least 20 units apart)."""
    if valeur is None or precedente is None or precedente <= 0:
        return False
    if abs(valeur - precedente) < SAUT_MINIMUM:
        return False
    return valeur > precedente * SAUT_INVRAISEMBLABLE or valeur * SAUT_INVRAISEMBLABLE < precedente


def alerte_non_baisse(valeurs, financement_depot):
    """A warning when the annual report's financing of the pre-existing posts is below what the dossier declared
    when filed (article 7 of the convention, AAP §B.2-3: not lowering it), else None."""
    actuel = valeurs.get(f"{ENSEMBLE}.financement_postes_existants")
    if not isinstance(actuel, Decimal) or financement_depot is None or actuel >= financement_depot:
        return None
    return Erreur(
        f"{ENSEMBLE}.financement_postes_existants",
        "baisse_financements_existants",
        f"Le financement des postes préexistants baisse de {euros(financement_depot - actuel)} : {euros(actuel)} cette "
        f"année contre {euros(financement_depot)} déclarés au dépôt du dossier. La structure s'est engagée à ne pas le "
        "baisser (article 7 de la convention, AAP §B.2-3) : expliquez cette baisse dans le bilan.",
    )


def verifier_bilan(
    indicateurs, valeurs, precedentes=None, *, depot, type_bilan=None, depenses=None, crf=True, financement_depot=None
):
    """(errors, warnings) of a report. `valeurs`: {clé: Decimal | str | None}; `precedentes`: {clé: Decimal}
    of the previous period; `financement_depot`: the pre-existing posts' current financing as filed (a decrease is
    flagged). A draft may be incomplete; filing needs every indicator, the spending for the annual report
    (provisional) and the final account, and for the final account the compte rendu financier (cerfa n° 15059)
    itself."""
    erreurs, avertissements = [], []
    precedentes = precedentes or {}
    for indicateur in indicateurs:
        erreur, avertissement = _verifier_valeur(indicateur, valeurs.get(indicateur.cle), precedentes, depot)
        erreurs += [erreur] if erreur else []
        avertissements += [avertissement] if avertissement else []
    avertissements += [a for a in (_heures_incoherentes(valeurs), alerte_non_baisse(valeurs, financement_depot)) if a]
    if type_bilan in DEPENSES_DEMANDEES:
        erreurs += _verifier_depenses(type_bilan, depenses, depot, crf)
    return erreurs, avertissements


def _verifier_valeur(indicateur, valeur, precedentes, depot):
    """(error, warning) of one indicator's value, each None when there is none."""
    champ = indicateur.cle
    manquante = Erreur(champ, "valeur_manquante", f"Renseignez « {indicateur.libelle} ».")
    if not indicateur.numerique:
        return (manquante if depot and not (valeur or "").strip() else None), None
    if probleme := probleme_valeur(indicateur, valeur):
        return Erreur(champ, "valeur_invalide", probleme), None
    if valeur is None:
        return (manquante if depot else None), None
    if saut_invraisemblable(valeur, precedentes.get(champ)):
        return None, Erreur(
            champ,
            "saut_invraisemblable",
            f"« {indicateur.libelle} » : {nombre_fr(valeur)} contre {nombre_fr(precedentes[champ])} "
            "à la période précédente. Vérifiez la saisie ; si le chiffre est juste, expliquez l'écart "
            "dans les informations qualitatives.",
        )
    return None, None


def _heures_incoherentes(valeurs):
    """A warning when the hours of the funded ETP exceed all the hours of the structure, else None."""
    etp = valeurs.get(f"{FACILITATEUR}.heures_insertion_etp")
    structure = valeurs.get(f"{FACILITATEUR}.heures_insertion_structure")
    if not (isinstance(etp, Decimal) and isinstance(structure, Decimal) and etp > structure):
        return None
    return Erreur(
        f"{FACILITATEUR}.heures_insertion_etp",
        "heures_superieures",
        "Les heures dégagées par l'ETP subventionné dépassent les heures clausées au total par la structure : "
        "vérifiez ces deux chiffres.",
    )


def _verifier_depenses(type_bilan, depenses, depot, crf):
    """The spending a report asks for (provisional in the annual report, final in the final account), and the
    final account's cerfa itself."""
    erreurs = []
    if depenses is not None and (depenses < 0 or depenses != depenses.quantize(CENTIME) or depenses > NOMBRE_MAX):
        erreurs.append(
            Erreur("depenses_realisees", "montant_invalide", "Les dépenses s'expriment en euros et centimes, positives.")
        )
    elif depot and depenses is None:
        erreurs.append(Erreur("depenses_realisees", "depenses_manquantes", DEPENSES_DEMANDEES[type_bilan]))
    if type_bilan == FINANCIER and depot and not crf:
        erreurs.append(
            Erreur(
                "compte_rendu_financier",
                "crf_manquant",
                "Joignez le compte rendu financier (cerfa n° 15059) : le solde en dépend (AAP §D.2).",
            )
        )
    return erreurs


# --- Renouvellement ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LigneRenouvellement:
    indicateur: Indicateur
    cible: Decimal | None
    realise: Decimal | None
    precedent: Decimal | None

    @property
    def taux(self):
        if self.cible is None or self.cible <= 0 or self.realise is None:
            return None
        return (self.realise / self.cible).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def evolution(self):
        """The change from the previous year, as a share (None without a previous value)."""
        if self.precedent is None or self.precedent <= 0 or self.realise is None:
            return None
        return ((self.realise - self.precedent) / self.precedent).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def atteint(self):
        return self.taux is not None and self.taux >= 1


def lignes_renouvellement(indicateurs, cibles, realises, precedents=None):
    precedents = precedents or {}
    return [
        LigneRenouvellement(i, cibles.get(i.cle), realises.get(i.cle), precedents.get(i.cle)) for i in indicateurs if i.numerique
    ]


def heures_par_etp(heures, etp):
    if heures is None or not etp:
        return None
    return (Decimal(heures) / Decimal(etp)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def part(partie, tout):
    if partie is None or not tout:
        return None
    return (Decimal(partie) / Decimal(tout)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


SEUIL_CONSEILLE = Decimal("0.8")
SEUIL_A_DISCUTER = Decimal("0.5")


@dataclass(frozen=True)
class Suggestion:
    issue: str  # renouveler, a_discuter, ne_pas_renouveler, attendre, impossible
    texte: str
    taux_moyen: Decimal | None = None


def suggestion_renouvellement(lignes, *, rang, bilan_approuve, a_l_heure):
    """A suggested outcome in words, from the approved annual report. The decision stays with the DEETS."""
    if rang >= ANNEES_MAX:
        return Suggestion(
            "impossible",
            f"Troisième année : la convention ne peut plus être renouvelée (AAP §D.1 : "
            f"{ANNEES_MAX} ans au plus). Le solde se règle sur le bilan annuel.",
        )
    if not bilan_approuve:
        return Suggestion(
            "attendre", "En attente du bilan annuel approuvé : la décision de reconduction se fonde sur lui (AAP §D.2)."
        )
    taux = [min(ligne.taux, Decimal("1.5")) for ligne in lignes if ligne.taux is not None]
    if not taux:
        return Suggestion(
            "a_discuter",
            "Aucun objectif chiffré n'a de réalisation à comparer : décidez sur les informations qualitatives du bilan.",
        )
    moyen = (sum(taux, ZERO) / len(taux)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    en_dessous = [
        minuscule(ligne.indicateur.libelle) for ligne in lignes if ligne.taux is not None and ligne.taux < SEUIL_CONSEILLE
    ]
    retard = "" if a_l_heure else " Le bilan annuel a été transmis en retard."
    if moyen >= SEUIL_CONSEILLE:
        issue = "renouveler"
        texte_ = f"Renouvellement conseillé : objectifs atteints à {pourcentage(moyen, 0)} en moyenne.{retard}"
    elif moyen >= SEUIL_A_DISCUTER:
        issue = "a_discuter"
        texte_ = (
            f"Renouvellement à discuter, avec des objectifs ou un montant ajustés : objectifs atteints à "
            f"{pourcentage(moyen, 0)} en moyenne ; en deçà de 80 % : {', '.join(en_dessous)}.{retard}"
        )
    else:
        issue = "ne_pas_renouveler"
        texte_ = f"Non-renouvellement à envisager : objectifs atteints à {pourcentage(moyen, 0)} en moyenne seulement.{retard}"
    return Suggestion(issue, texte_, moyen)
