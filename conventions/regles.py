"""The rules of the convention as plain functions over plain values: no Flask, no session.

- Dates (AAP §D.1, §D.2, annexe 1), judged as calendar days in the service's time zone: signature at the
  latest 15 days after the notification, a 12-month year renewable twice by annual avenant (3 years in
  all), the intermediate report at mid-term, the annual report 2 months before the end, the
  coordinators' quarterly quantitative reports one quarter behind.
- Money (AAP §D.2, §B.2-3), in exact cents: 50 % advance at signature; what the State owes for a year is its
  cap rate (70 %, 80 % for collectivités, or the lower rate of the convention) of the eligible spending
  actually incurred, never more than the year's grant; the balance is paid on the approved final account
  (compte rendu financier, cerfa n° 15059), and the amount to recover (reversement) when what is owed is
  below the advance already paid. The annual report's spending is provisional: it only estimates.
- When each report may be filed (its window) and when it is due.
- The indicators of the reports (AAP §D.1): per post, which report asks for them, which carry a target.
- Every deadline of a convention (`echeances`), for the "À faire" pages and the daily reminders.
- The renewal view: targets against achievements, and a suggested outcome in words.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from aap.entrees import lire_decimal
from aap.formats import date_fr, euros, nombre_fr
from aap.regles import ajouter_mois
from notation.regles import Erreur, message_plafond, plafond_decision

__all__ = ["Erreur"]

ZERO = Decimal("0")
CENTIME = Decimal("0.01")

# AAP §D.1 : conclue au plus tard dans les 15 jours à compter de la notification ; douze mois ; trois ans au plus.
DELAI_SIGNATURE_JOURS = 15
DUREE_MOIS = 12
ANNEES_MAX = 3
# AAP §D.2 : le bilan annuel est transmis 2 mois avant le terme de la convention.
PREAVIS_BILAN_ANNUEL_MOIS = 2
# AAP §D.1 : un rapport intermédiaire ; « à mi-parcours » par défaut, réglable à la création.
MOIS_BILAN_INTERMEDIAIRE = 6
# AAP §D.2 : 50 % à la signature, le solde à la réalisation.
TAUX_AVANCE = Decimal("0.5")
# Convention, article du compte rendu : le compte rendu financier (cerfa n° 15059) au plus tard six mois après la
# fin de la période ; il fixe les dépenses éligibles, donc le solde.
DELAI_COMPTE_RENDU_FINANCIER_MOIS = 6
# Choix de la plateforme : un versement « à mettre en paiement » est en retard 30 jours après son déclenchement.
DELAI_PAIEMENT_JOURS = 30
# Jours avant l'échéance où un rappel part (une fois) ; un second courriel part le lendemain de l'échéance.
# Choix de la plateforme : un bilan déposé s'examine dans les 15 jours.
DELAI_EXAMEN_JOURS = 15
PREAVIS_RAPPEL = {"signature": 5, "bilan": 15, "versement": DELAI_PAIEMENT_JOURS, "avenant": 60, "corrections": 5, "examen": 5}
# « À faire » : ce qui est en retard, ce qui attend la personne, et les échéances des 60 prochains jours.
HORIZON_A_FAIRE = 60
# Décret n° 2017-779 : les subventions au-dessus de 23 000 € sont publiées en données ouvertes.
SEUIL_DONNEES_OUVERTES = Decimal("23000")
# Au-delà de ce facteur entre deux périodes, une valeur est signalée (sans bloquer).
SAUT_INVRAISEMBLABLE = Decimal("3")
SAUT_MINIMUM = Decimal("20")
NOMBRE_MAX = Decimal("100000000")


# --- Dates --------------------------------------------------------------------------------------


def jour_local(instant, fuseau):
    """The calendar day of an instant in the service's time zone."""
    return instant.astimezone(ZoneInfo(fuseau)).date()


def date_limite_signature(notifie_le, fuseau):
    """AAP §D.1: signed at the latest on the 15th day after the day of notification (service's time)."""
    return jour_local(notifie_le, fuseau) + timedelta(days=DELAI_SIGNATURE_JOURS)


def fin_annee(debut):
    """The last day in force of a 12-month year that starts on `debut`."""
    return ajouter_mois(debut, DUREE_MOIS) - timedelta(days=1)


def echeance_bilan_annuel(fin):
    """AAP §D.2: the annual report is due 2 months before the term of the convention (its last day)."""
    return ajouter_mois(fin, -PREAVIS_BILAN_ANNUEL_MOIS)


def echeance_bilan_intermediaire(debut, mois=MOIS_BILAN_INTERMEDIAIRE):
    return ajouter_mois(debut, mois)


def debut_trimestre(jour):
    return date(jour.year, 3 * ((jour.month - 1) // 3) + 1, 1)


def trimestres(debut, fin):
    """The coordinators' quarterly reports of a year: [(due date, results up to)], one quarter behind
    (annexe 1: the report sent on 1 January details the results to 1 October). Each quarter start after
    `debut` and up to the day after `fin` closes a period; its report is due three months later."""
    resultats_au = ajouter_mois(debut_trimestre(debut), 3)
    lendemain_fin = fin + timedelta(days=1)
    periodes = []
    while resultats_au <= lendemain_fin:
        periodes.append((ajouter_mois(resultats_au, 3), resultats_au))
        resultats_au = ajouter_mois(resultats_au, 3)
    return periodes


def echeance_compte_rendu_financier(fin):
    """The final account (cerfa n° 15059) is due six months after the end of the year."""
    return ajouter_mois(fin, DELAI_COMPTE_RENDU_FINANCIER_MOIS)


@dataclass(frozen=True)
class Calendrier:
    """A year of the convention and its reports."""

    debut: date
    fin: date
    bilan_intermediaire: date
    bilan_annuel: date
    trimestriels: tuple
    compte_rendu_financier: date


def calendrier(debut, mois_intermediaire=MOIS_BILAN_INTERMEDIAIRE, coordinateur=False):
    fin = fin_annee(debut)
    return Calendrier(
        debut=debut,
        fin=fin,
        bilan_intermediaire=echeance_bilan_intermediaire(debut, mois_intermediaire),
        bilan_annuel=echeance_bilan_annuel(fin),
        trimestriels=tuple(trimestres(debut, fin)) if coordinateur else (),
        compte_rendu_financier=echeance_compte_rendu_financier(fin),
    )


def ouverture_depot(type_bilan, debut, fin, arrete_au=None):
    """The first day a report may be filed: once its period has started (intermediate and annual reports: the
    start of the year; a quarterly report: the day its results are taken), and for the final account once the
    year has ended — the spending it declares is then final."""
    if type_bilan == FINANCIER:
        return fin + timedelta(days=1)
    if type_bilan == TRIMESTRIEL and arrete_au is not None:
        return arrete_au
    return debut


def probleme_fenetre(type_bilan, ouverture, aujourdhui):
    """None when the report may be filed today; otherwise the French reason."""
    if aujourdhui >= ouverture:
        return None
    if type_bilan == FINANCIER:
        return (
            f"Le compte rendu financier se dépose une fois l'année terminée, à partir du {date_fr(ouverture)} : il "
            "déclare les dépenses réellement engagées sur toute l'année, sur lesquelles le solde est calculé."
        )
    return f"Ce bilan se dépose à partir du {date_fr(ouverture)}, une fois sa période commencée."


def probleme_date_effet(date_effet, notifie_le_jour):
    if date_effet is None:
        return "Indiquez la date d'effet de la convention."
    if date_effet < notifie_le_jour - timedelta(days=366) or date_effet > notifie_le_jour + timedelta(days=366):
        return "La date d'effet doit être à moins d'un an de la notification de la décision."
    return None


def probleme_signature(signee_le, notifie_le_jour, aujourdhui):
    if signee_le is None:
        return "Indiquez la date de signature."
    if signee_le < notifie_le_jour:
        return "La convention ne peut pas être signée avant la notification de la décision."
    if signee_le > aujourdhui:
        return "La date de signature ne peut pas être dans le futur."
    return None


# --- Montants -----------------------------------------------------------------------------------


def echeancier(montant):
    """(advance, balance) of a year's grant: 50 % at signature, rounded down to the cent, the rest on
    realisation; their sum is the grant, to the cent."""
    montant = Decimal(montant)
    avance = (montant * TAUX_AVANCE).quantize(CENTIME, rounding=ROUND_DOWN)
    return avance, montant - avance


def du_par_l_etat(montant, taux, depenses_eligibles):
    """What the State owes for a year (AAP §B.2-3, §D.2): its cap rate times the eligible spending actually
    incurred, rounded down to the cent, and never more than the year's grant. Example: 70 % of 36 750,00 € is
    25 725,00 €, under a 35 000,00 € grant."""
    plafond = (Decimal(taux) * max(Decimal(depenses_eligibles), ZERO)).quantize(CENTIME, rounding=ROUND_DOWN)
    return min(Decimal(montant), plafond)


@dataclass(frozen=True)
class Solde:
    """What the balance may be once the spending is known, and what must be recovered."""

    maximum: Decimal
    reversement: Decimal
    du: Decimal


def solde(montant, avance, taux, depenses_eligibles=None, solde_prevu=None):
    """The balance once the eligible spending is known: what the State owes (`du_par_l_etat`) minus the
    advance already paid, within the balance planned; when what is owed is below the advance, nothing more is
    paid and the difference is to be recovered (reversement = advance − owed). Example: 35 000,00 € granted,
    17 500,00 € advanced, 36 750,00 € spent at 70 %: 25 725,00 € owed, a balance of 8 225,00 €; 20 000,00 €
    spent: 14 000,00 € owed, 3 500,00 € to recover."""
    montant, avance = Decimal(montant), Decimal(avance)
    du = montant if depenses_eligibles is None else du_par_l_etat(montant, taux, depenses_eligibles)
    plafond = montant - avance if solde_prevu is None else Decimal(solde_prevu)
    if du >= avance:
        return Solde(maximum=min(du - avance, plafond), reversement=ZERO, du=du)
    return Solde(maximum=ZERO, reversement=avance - du, du=du)


@dataclass(frozen=True)
class Regularisation:
    """A year's money as the reports show it: the provisional estimate of the annual report, then the final
    account's due, and what settles the year against the advance (a complement — the balance — or a reversement)."""

    taux: Decimal
    montant: Decimal
    avance: Decimal
    depenses_prevues: Decimal | None
    du_prevu: Decimal | None
    depenses: Decimal | None
    du: Decimal | None
    complement: Decimal
    reversement: Decimal


def regularisation(montant, avance, taux, depenses_prevues=None, depenses=None, solde_prevu=None):
    """`depenses_prevues`: the annual report's estimate; `depenses`: the final account's (eligible) spending."""
    du_prevu = None if depenses_prevues is None else du_par_l_etat(montant, taux, depenses_prevues)
    calcul = solde(montant, avance, taux, depenses, solde_prevu) if depenses is not None else None
    return Regularisation(
        taux=Decimal(taux),
        montant=Decimal(montant),
        avance=Decimal(avance),
        depenses_prevues=depenses_prevues,
        du_prevu=du_prevu,
        depenses=depenses,
        du=calcul.du if calcul else None,
        complement=calcul.maximum if calcul else ZERO,
        reversement=calcul.reversement if calcul else ZERO,
    )


def verifier_solde(montant, solde_max, solde_prevu, motif):
    """The agent's balance: at most what the spending allows; a reason for any reduction."""
    erreurs = []
    if montant is None:
        erreurs.append(Erreur("montant", "montant_manquant", "Indiquez le montant du solde."))
    elif montant < 0 or montant != montant.quantize(CENTIME):
        erreurs.append(Erreur("montant", "montant_invalide", "Le solde s'exprime en euros et centimes, positif ou nul."))
    elif montant > solde_max:
        erreurs.append(
            Erreur(
                "montant",
                "solde_trop_eleve",
                f"Le solde ne peut pas dépasser {euros(solde_max)} : ce que l'État doit (son taux plafond des "
                "dépenses éligibles, dans la limite de la subvention), l'avance déduite.",
            )
        )
    elif montant < solde_prevu and not (motif or "").strip():
        erreurs.append(
            Erreur(
                "motif",
                "motif_manquant",
                "Indiquez pourquoi le solde est réduit (réalisations ou dépenses inférieures à ce qui était convenu).",
            )
        )
    return erreurs


def verifier_avenant(montant, demande, etp_finances, disponible, rang, annee_budgetaire, cout_retenu=None):
    """A renewal's amount (AAP §B.2-3, §B: « reconductible deux années dans la limite des crédits disponibles »): at
    most the cap rate (`demande.taux`) of that year's cost — the filed budget's year `rang` prorated to the ETP
    funded, or `cout_retenu`, a revised budget recorded with the avenant — and within the year's credits left."""
    if cout_retenu is not None and (cout_retenu <= 0 or cout_retenu != cout_retenu.quantize(CENTIME)):
        return [Erreur("cout_retenu", "montant_invalide", "Le budget révisé s'exprime en euros et centimes, positif.")]
    plafond = plafond_decision(demande, etp_finances, cout_retenu)
    if montant > plafond.maximum:
        return [
            Erreur(
                "montant",
                "plafond_depasse",
                message_plafond(plafond, demande, etp_finances, annee=rang, sujet="Le montant de l'avenant"),
            )
        ]
    if montant > disponible:
        return [
            Erreur(
                "montant",
                "credits_insuffisants",
                f"Crédits insuffisants : il reste {euros(max(disponible, ZERO))} sur les crédits de l'année {rang} "
                f"({annee_budgetaire}) de la campagne ; l'avenant ({euros(montant)}) les dépasserait de "
                f"{euros(montant - disponible)}. Réduisez le montant, ou ne renouvelez pas.",
            )
        ]
    return []


# --- Indicateurs ----------------------------------------------------------------------------------

FACILITATEUR, COORDINATEUR, ENSEMBLE = "facilitateur", "coordinateur", "ensemble"
INTERMEDIAIRE, ANNUEL, TRIMESTRIEL, FINANCIER = "intermediaire", "annuel", "trimestriel", "financier"
LIBELLES_BILANS = {
    INTERMEDIAIRE: "Bilan intermédiaire",
    ANNUEL: "Bilan annuel",
    TRIMESTRIEL: "Bilan trimestriel quantitatif (coordination)",
    FINANCIER: "Compte rendu financier (cerfa n° 15059)",
}
LIBELLES_POSTES = {
    FACILITATEUR: "ETP de facilitateur",
    COORDINATEUR: "ETP de coordinateur régional",
    ENSEMBLE: "Ensemble de l'action",
}


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


def lire_nombre(brut):
    """A number typed by a person ("1 234,5") → (Decimal | None, message | None). Empty is None; a Decimal read
    by an API schema passes as is."""
    if isinstance(brut, (int, Decimal)) and not isinstance(brut, bool):
        valeur = Decimal(brut)
        return (valeur, None) if valeur.is_finite() else (None, "Indiquez un nombre.")
    try:
        return lire_decimal(brut), None
    except ValueError:
        return None, "Indiquez un nombre (par exemple 1 250 ou 12,5)."


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
        valeur = valeurs.get(indicateur.cle)
        champ = indicateur.cle
        if indicateur.numerique:
            probleme = probleme_valeur(indicateur, valeur)
            if probleme:
                erreurs.append(Erreur(champ, "valeur_invalide", probleme))
                continue
            if valeur is None:
                if depot:
                    erreurs.append(Erreur(champ, "valeur_manquante", f"Renseignez « {indicateur.libelle} »."))
                continue
            if saut_invraisemblable(valeur, precedentes.get(indicateur.cle)):
                avertissements.append(
                    Erreur(
                        champ,
                        "saut_invraisemblable",
                        f"« {indicateur.libelle} » : {nombre_fr(valeur)} contre {nombre_fr(precedentes[indicateur.cle])} "
                        "à la période précédente. Vérifiez la saisie ; si le chiffre est juste, expliquez l'écart "
                        "dans les informations qualitatives.",
                    )
                )
        elif depot and not (valeur or "").strip():
            erreurs.append(Erreur(champ, "valeur_manquante", f"Renseignez « {indicateur.libelle} »."))
    etp = valeurs.get(f"{FACILITATEUR}.heures_insertion_etp")
    structure = valeurs.get(f"{FACILITATEUR}.heures_insertion_structure")
    if isinstance(etp, Decimal) and isinstance(structure, Decimal) and etp > structure:
        avertissements.append(
            Erreur(
                f"{FACILITATEUR}.heures_insertion_etp",
                "heures_superieures",
                "Les heures dégagées par l'ETP subventionné dépassent les heures clausées au total par la structure : "
                "vérifiez ces deux chiffres.",
            )
        )
    if (alerte := alerte_non_baisse(valeurs, financement_depot)) is not None:
        avertissements.append(alerte)
    if type_bilan in DEPENSES_DEMANDEES:
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
    return erreurs, avertissements


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


def minuscule(texte):
    """The first letter in lower case only (« ETP » stays « ETP »)."""
    return texte[:1].lower() + texte[1:]


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
    from aap.formats import pourcentage

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


# --- Échéances ------------------------------------------------------------------------------------

A_VENIR, BIENTOT, EN_RETARD = "a_venir", "bientot", "en_retard"
AGENT, PORTEUR = "agent", "porteur"


@dataclass(frozen=True)
class VersementEtat:
    id: int
    nature: str  # avance, solde
    etat: str  # prevu, a_payer, paye, annule
    montant: Decimal
    a_payer_le: date | None = None


@dataclass(frozen=True)
class BilanEtat:
    id: int
    type: str
    echeance: date
    statut: str  # a_deposer, depose, a_corriger, approuve
    arrete_au: date | None = None
    corrections_avant: date | None = None
    depose_le: date | None = None


@dataclass(frozen=True)
class AnneeEtat:
    rang: int
    debut: date
    fin: date
    signee_le: date | None
    renouvellement: str | None
    versements: tuple = ()
    bilans: tuple = ()


@dataclass(frozen=True)
class ConventionEtat:
    """What the deadlines need to know of a convention, as plain values."""

    id: int
    numero: str
    statut: str  # a_signer, en_cours, close
    date_limite_signature: date
    annees: tuple = ()
    prochain_copil: date | None = None


@dataclass(frozen=True)
class Echeance:
    convention_id: int
    code: str  # stable: one reminder per code and stage
    nature: str  # signature, versement, bilan, corrections, examen, avenant, copil
    libelle: str
    date: date
    jours: int  # days left (negative: late)
    pour: str  # agent or porteur: who must act
    objet_id: int | None = None
    type_bilan: str | None = None  # for a report's deadlines: intermediaire, annuel, trimestriel, financier

    @property
    def etat(self):
        if self.jours < 0:
            return EN_RETARD
        if self.jours <= PREAVIS_RAPPEL.get(self.nature, 0):
            return BIENTOT
        return A_VENIR

    @property
    def en_retard(self):
        return self.jours < 0


def _libelle_bilan(bilan, rang):
    if bilan.type == TRIMESTRIEL:
        return f"Bilan trimestriel (résultats au {date_fr(bilan.arrete_au)}) — année {rang}"
    return f"{LIBELLES_BILANS[bilan.type]} — année {rang}"


def echeances(convention, aujourdhui):
    """Every open deadline of a convention at `aujourdhui` (a date in the service's time zone), soonest first:
    what someone must still do (sign, pay, file, review, decide the renewal) and by when."""
    resultat = []

    def ajouter(code, nature, libelle, jour, pour, objet_id=None, type_bilan=None):
        resultat.append(
            Echeance(convention.id, code, nature, libelle, jour, (jour - aujourdhui).days, pour, objet_id, type_bilan)
        )

    if convention.statut == "close":
        return []
    for annee in convention.annees:
        if annee.signee_le is None:
            if annee.rang == 1:
                ajouter("signature", "signature", "Signature de la convention", convention.date_limite_signature, AGENT)
            else:
                ajouter(
                    f"signature-avenant-{annee.rang}",
                    "signature",
                    f"Signature de l'avenant n° {annee.rang - 1}",
                    annee.debut,
                    AGENT,
                )
        for versement in annee.versements:
            if versement.etat == "a_payer" and versement.a_payer_le is not None:
                nom = "l'avance" if versement.nature == "avance" else "le solde"
                ajouter(
                    f"versement-{versement.id}",
                    "versement",
                    f"Mettre en paiement {nom} de l'année {annee.rang} ({euros(versement.montant)})",
                    versement.a_payer_le + timedelta(days=DELAI_PAIEMENT_JOURS),
                    AGENT,
                    versement.id,
                )
        for bilan in annee.bilans if annee.signee_le is not None else ():
            libelle = _libelle_bilan(bilan, annee.rang)
            if bilan.statut == "a_deposer":
                ajouter(f"bilan-{bilan.id}", "bilan", f"Déposer : {libelle}", bilan.echeance, PORTEUR, bilan.id, bilan.type)
            elif bilan.statut == "a_corriger":
                ajouter(
                    f"corrections-{bilan.id}",
                    "corrections",
                    f"Corriger et redéposer : {libelle}",
                    bilan.corrections_avant or bilan.echeance,
                    PORTEUR,
                    bilan.id,
                )
            elif bilan.statut == "depose":
                examen = (bilan.depose_le or aujourdhui) + timedelta(days=DELAI_EXAMEN_JOURS)
                ajouter(f"examen-{bilan.id}", "examen", f"Examiner : {libelle}", examen, AGENT, bilan.id)
    derniere = convention.annees[-1] if convention.annees else None
    if derniere is not None and derniere.signee_le is not None and derniere.rang < ANNEES_MAX and derniere.renouvellement is None:
        ajouter(
            f"avenant-{derniere.rang + 1}",
            "avenant",
            f"Décider du renouvellement pour l'année {derniere.rang + 1} (avenant n° {derniere.rang})",
            derniere.fin,
            AGENT,
        )
    if convention.prochain_copil is not None and convention.prochain_copil >= aujourdhui:
        ajouter("copil", "copil", "Prochain COPIL", convention.prochain_copil, AGENT)
    return sorted(resultat, key=lambda e: (e.date, e.code))


def palier_rappel(echeance):
    """Which reminder an open deadline calls for today: "avant" within its notice, "retard" once passed, or
    None. Each is sent once (its key), whatever the number of runs; the next COPIL is never emailed."""
    if echeance.nature == "copil":
        return None
    if echeance.jours < 0:
        return "retard"
    if echeance.jours <= PREAVIS_RAPPEL[echeance.nature]:
        return "avant"
    return None
