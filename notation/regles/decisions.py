"""Decisions: what may be granted (no more than asked, no more than the cap rate of the cost of what is funded, no
more than the year-1 credits left)."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from aap.formats import euros, nombre_fr, pluriel, pourcentage

from .communs import CENTIME, ZERO, Erreur

DEMI = Decimal("0.5")
PAS_ETP = Decimal("0.05")


@dataclass(frozen=True)
class Demande:
    """What the dossier asked: the amount (year 1), the ETP per post, the year-1 cost of the filed budget and the
    State's cap rate for it (§B.2-3, from the filing)."""

    montant: Decimal
    etp_facilitateur: Decimal
    etp_coordinateur: Decimal
    cout: Decimal
    taux: Decimal

    @property
    def etp_total(self):
        return self.etp_facilitateur + self.etp_coordinateur


@dataclass(frozen=True)
class PlafondDecision:
    """The most a decision may grant: the cap rate of the cost of what is funded."""

    maximum: Decimal
    cout_finance: Decimal
    revise: bool


def plafond_decision(demande, etp_accordes, cout_retenu=None):
    """AAP §B.2-3: the State funds at most its cap rate of the cost of the ETP it funds. That cost is a revised
    budget entered with the decision, or else the filed year-1 cost prorated to the ETP granted (rounded down to
    the cent: granting 0,5 of 1,0 ETP asked funds half the cost)."""
    if cout_retenu is not None:
        return PlafondDecision((demande.taux * cout_retenu).quantize(CENTIME, rounding=ROUND_DOWN), cout_retenu, True)
    if demande.etp_total <= 0:
        return PlafondDecision(ZERO, ZERO, False)
    part = Decimal(etp_accordes) / demande.etp_total
    return PlafondDecision(
        (demande.taux * demande.cout * part).quantize(CENTIME, rounding=ROUND_DOWN),
        (demande.cout * part).quantize(CENTIME, rounding=ROUND_DOWN),
        False,
    )


def message_plafond(plafond, demande, etp_accordes, annee=1, sujet="Le montant accordé"):
    """The French message naming the maximum and where it comes from. `annee`: the budget year whose cost is
    funded (1 for a decision, 2 or 3 for an avenant)."""
    if plafond.revise:
        origine = f"{euros(plafond.cout_finance)} selon le budget révisé"
    elif etp_accordes == demande.etp_total:
        origine = f"{euros(plafond.cout_finance)} en année {annee} selon le budget déposé"
    else:
        origine = (
            f"{euros(plafond.cout_finance)} : {euros(demande.cout)} de coût en année {annee} pour "
            f"{pluriel(demande.etp_total, 'ETP demandé', 'ETP demandés')}, ramenés à "
            f"{pluriel(etp_accordes, 'ETP accordé', 'ETP accordés')}"
        )
    return (
        f"{sujet} ne peut pas dépasser {euros(plafond.maximum)} : {pourcentage(demande.taux)} du coût de ce "
        f"qui est financé ({origine}, AAP §B.2-3). Réduisez le montant, ou indiquez le budget révisé de l'action."
    )


def _multiple(valeur, pas):
    return (valeur / pas) == (valeur / pas).to_integral_value()


def verifier_decision(
    nature,
    demande,
    disponible,
    *,
    montant_accorde=None,
    etp_facilitateur=ZERO,
    etp_coordinateur=ZERO,
    cout_retenu=None,
    motif="",
    etp_minimum=DEMI,
):
    """The problems of a decision, field by field. `disponible`: the campaign's year-1 credits left for this dossier
    (its own previous grant, if any, already given back); `cout_retenu`: a revised budget of what is funded."""
    if nature == "retenu":
        etp = (etp_facilitateur, etp_coordinateur)
        return _verifier_retenu(demande, disponible, montant_accorde, etp, cout_retenu, etp_minimum)
    if nature in ("ajourne", "rejete"):
        if (motif or "").strip():
            return []
        quoi = "l'ajournement" if nature == "ajourne" else "le rejet"
        return [Erreur("motif", "motif_manquant", f"Indiquez le motif de {quoi} : il figure dans la lettre.")]
    return [Erreur("nature", "nature_invalide", "Choisissez : retenu, ajourné ou rejeté.")]


def _verifier_retenu(demande, disponible, montant_accorde, etp, cout_retenu, etp_minimum):
    """A retenu decision: its amount, its revised budget, its ETP per post (`etp`: facilitator, coordinator), then,
    when all are readable, the cap and the credits left."""
    probleme = _probleme_montant(montant_accorde, demande)
    erreurs = [probleme] if probleme else []
    if cout_retenu is not None and (cout_retenu <= 0 or not _multiple(cout_retenu, CENTIME)):
        erreurs.append(Erreur("cout_retenu", "montant_invalide", "Le budget révisé s'exprime en euros et centimes, positif."))
    montant_lisible = not erreurs
    erreurs_etp = _problemes_etp(demande, *etp)
    erreurs += erreurs_etp
    if erreurs_etp:
        return erreurs
    etp_accordes = etp[0] + etp[1]
    if etp_accordes < etp_minimum:
        erreurs.append(
            Erreur("etp_facilitateur", "etp_minimum", f"Un projet finance au moins {nombre_fr(etp_minimum)} ETP (AAP §B.2-1).")
        )
    if montant_lisible:
        erreurs += _problemes_enveloppe(demande, disponible, montant_accorde, etp_accordes, cout_retenu)
    return erreurs


def _probleme_montant(montant_accorde, demande):
    if montant_accorde is None:
        return Erreur("montant_accorde", "montant_manquant", "Indiquez le montant accordé.")
    if montant_accorde <= 0:
        return Erreur("montant_accorde", "montant_invalide", "Le montant accordé doit être positif.")
    if not _multiple(montant_accorde, CENTIME):
        return Erreur("montant_accorde", "montant_invalide", "Le montant s'exprime en euros et centimes.")
    if montant_accorde > demande.montant:
        return Erreur(
            "montant_accorde",
            "superieur_a_la_demande",
            f"Le montant accordé ne peut pas dépasser le montant demandé ({euros(demande.montant)}).",
        )
    return None


def _problemes_etp(demande, etp_facilitateur, etp_coordinateur):
    erreurs = []
    for champ, valeur, demande_poste, libelle in (
        ("etp_facilitateur", etp_facilitateur, demande.etp_facilitateur, "facilitateur"),
        ("etp_coordinateur", etp_coordinateur, demande.etp_coordinateur, "coordinateur régional"),
    ):
        if valeur < 0 or not _multiple(valeur, PAS_ETP):
            erreurs.append(Erreur(champ, "etp_invalide", "Les ETP s'expriment par pas de 0,05 (par exemple 0,5 ou 0,75)."))
        elif valeur > demande_poste:
            erreurs.append(
                Erreur(
                    champ,
                    "etp_superieur_a_la_demande",
                    f"Pas plus d'ETP de {libelle} que demandé ({nombre_fr(demande_poste)} ETP).",
                )
            )
    return erreurs


def _problemes_enveloppe(demande, disponible, montant_accorde, etp_accordes, cout_retenu):
    """The cap rate of the cost of what is funded (AAP §B.2-3), then the campaign's credits left (§C.2)."""
    plafond = plafond_decision(demande, etp_accordes, cout_retenu)
    if montant_accorde > plafond.maximum:
        return [Erreur("montant_accorde", "plafond_depasse", message_plafond(plafond, demande, etp_accordes))]
    if montant_accorde > disponible:
        return [
            Erreur(
                "montant_accorde",
                "credits_insuffisants",
                f"Crédits insuffisants : il reste {euros(max(disponible, ZERO))} sur les crédits de l'année 1 "
                f"de la campagne, le montant accordé ({euros(montant_accorde)}) les dépasserait de "
                f"{euros(montant_accorde - disponible)}. Réduisez le montant ou ajournez le dossier.",
            )
        ]
    return []
