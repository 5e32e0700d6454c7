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
- The kinds of reports and the posts; a number typed by a person, read for the operations.

The indicators and the renewal view are in `indicateurs`, the deadlines in `echeances`.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from aap.entrees import lire_decimal
from aap.formats import date_fr, euros
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
# Décret n° 2017-779 : les subventions au-dessus de 23 000 € sont publiées en données ouvertes.
SEUIL_DONNEES_OUVERTES = Decimal("23000")


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


def lire_nombre(brut):
    """A number for an operation → (Decimal | None, message | None). Forms and API schemas give a Decimal (or None
    when empty), which passes as is; a text from an internal caller (the demo, an import) is read by the one parser
    of typed numbers ("1 234,5")."""
    if isinstance(brut, (int, Decimal)) and not isinstance(brut, bool):
        valeur = Decimal(brut)
        return (valeur, None) if valeur.is_finite() else (None, "Indiquez un nombre.")
    try:
        return lire_decimal(brut), None
    except ValueError:
        return None, "Indiquez un nombre (par exemple 1 250 ou 12,5)."


# --- Bilans et postes ----------------------------------------------------------------------------


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


def minuscule(texte):
    """The first letter in lower case only (« ETP » stays « ETP »)."""
    return texte[:1].lower() + texte[1:]
