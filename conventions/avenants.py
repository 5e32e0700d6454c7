"""The renewal of a convention, year by year (AAP §D.1: two avenants at most): what the next avenant may grant, the
avenant itself (new year, targets, schedule, document), or the decision not to renew, with its letter."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from aap.erreurs import Conflit, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.journal import journaliser
from aap.models import Campagne
from aap.numerotation import verrouiller
from aap.pdf import produire_lettre
from aap.types import maintenant
from candidatures.regles import synthese_budget
from candidatures.synthese import budget_de
from notation.lecture import credits_accordes
from notation.regles import Demande, plafond_decision

from . import lecture, regles
from .models import (
    Convention,
    Renouvellement,
    StatutBilan,
)
from .operations import clore_si_terminee, courriel_structure, lire_montant, lire_objectifs, planifier_annee, texte_saisi

# --- Renouvellement ------------------------------------------------------------------------------------


def _exiger_decision_possible(convention):
    derniere = convention.derniere
    if derniere.rang >= regles.ANNEES_MAX:
        raise Refus(
            f"La convention a déjà été renouvelée deux fois : {regles.ANNEES_MAX} ans au plus (AAP §D.1). Un "
            "troisième avenant n'est pas possible.",
            code="renouvellements_epuises",
        )
    if derniere.signee_le is None:
        raise Refus(
            f"{derniere.intitule} n'est pas encore signé(e) : le renouvellement se décide sur une année en cours.",
            code="non_signee",
        )
    if derniere.renouvellement is not None:
        raise Conflit("Le renouvellement de cette année est déjà décidé.", code="deja_decide")
    return derniere


def demande_annee(convention, rang):
    """The year `rang` of the filed dossier as the cap reads it: its cost in the filed budget, the ETP asked and the
    convention's cap rate (`notation.regles.Demande`)."""
    dossier = convention.dossier
    annees = synthese_budget(budget_de(dossier), convention.taux_plafond)
    return Demande(
        Decimal("0"), dossier.etp_facilitateur, dossier.etp_coordinateur, annees[rang - 1].charges, convention.taux_plafond
    )


def credits_restants(convention, rang, sauf=Decimal("0")):
    """The campaign's credits of budget year `rang` not yet granted (year 1: the COPIL's decisions; years 2 and 3:
    the avenants)."""
    campagne = convention.campagne
    accordes = credits_accordes(campagne.id) if rang == 1 else lecture.avenants_accordes(campagne.id, rang)
    return campagne.credits_de(rang) - accordes + sauf


@dataclass(frozen=True)
class ApercuAvenant:
    rang: int
    annee_budgetaire: int
    demande: Demande
    etp: Decimal
    plafond: object
    restant: Decimal


def apercu_avenant(convention):
    """What the next avenant may grant at most, without a revised budget, and the year's credits left."""
    derniere = convention.derniere
    rang = derniere.rang + 1
    demande = demande_annee(convention, rang)
    return ApercuAvenant(
        rang,
        convention.campagne.annee + rang - 1,
        demande,
        derniere.etp_total,
        plafond_decision(demande, derniere.etp_total),
        credits_restants(convention, rang),
    )


def renouveler(convention, *, montant, objectifs, par, cout_retenu=None, instant=None, documents=True):
    """Renews the convention for one more year by avenant (AAP §D.1: at most two, three years in all), on the
    approved annual report: the avenant (PDF and DOCX), the new year's targets, payment schedule (50/50) and
    report calendar. A third renewal is refused. The amount is at most the convention's cap rate of that year's
    cost (the filed budget's year, prorated to the ETP funded, or `cout_retenu`, a revised budget recorded with
    the avenant), and within the campaign's credits of that year; the campaign's row is locked first, so two
    renewals at once are judged one after the other."""
    convention = verrouiller(Convention, convention.id)
    derniere = _exiger_decision_possible(convention)
    bilan = derniere.bilan_annuel
    if bilan is None or bilan.statut != StatutBilan.APPROUVE:
        raise Refus(
            "Le renouvellement se fonde sur le bilan annuel (AAP §D.2) : approuvez-le d'abord.", code="bilan_annuel_requis"
        )
    verrouiller(Campagne, convention.campagne_id)
    montant_lu, cout_lu, cibles = _verifier_avenant(convention, derniere, montant, cout_retenu, objectifs)
    instant = instant or maintenant()
    derniere.renouvellement, derniere.renouvellement_le, derniere.renouvellement_par_id = (
        Renouvellement.RENOUVELEE,
        instant,
        par.id,
    )
    annee = planifier_annee(
        convention,
        derniere.rang + 1,
        derniere.fin + timedelta(days=1),
        montant_lu,
        derniere.etp_facilitateur,
        derniere.etp_coordinateur,
        cibles,
        par,
        instant,
        documents,
        cout_retenu=cout_lu,
    )
    flush_ou_conflit("La convention a changé entre-temps : rechargez la page.")
    journaliser(
        "convention.renouvellement",
        convention,
        par=par,
        details={
            "annee": annee.rang,
            "avenant": annee.rang - 1,
            "montant": montant_lu,
            "cout_retenu": cout_lu,
            "debut": annee.debut,
            "fin": annee.fin,
            "objectifs": {cle: str(v) for cle, v in cibles.items()},
            "document": annee.document.sha256 if annee.document else None,
        },
    )
    courriel_structure(
        convention, f"Convention {convention.numero} : avenant n° {annee.rang - 1} à signer", "avenant_a_signer", annee=annee
    )
    return annee


def _verifier_avenant(convention, derniere, montant, cout_retenu, objectifs):
    """(amount, revised budget, targets) of the next avenant, read and judged against the cap and the credits."""
    montant_lu, erreurs = lire_montant(montant)
    cout_lu = None
    if cout_retenu not in (None, ""):
        cout_lu, erreurs_cout = lire_montant(cout_retenu, "cout_retenu", "le budget révisé")
        erreurs += erreurs_cout
    cibles, erreurs_cibles = lire_objectifs(objectifs, derniere.etp_facilitateur, derniere.etp_coordinateur)
    refuser_si_erreurs(erreurs + erreurs_cibles)
    rang = derniere.rang + 1
    refuser_si_erreurs(
        regles.verifier_avenant(
            montant_lu,
            demande_annee(convention, rang),
            derniere.etp_total,
            credits_restants(convention, rang),
            rang,
            convention.campagne.annee + rang - 1,
            cout_lu,
        )
    )
    return montant_lu, cout_lu, cibles


def ne_pas_renouveler(convention, *, motif, par, instant=None):
    convention = verrouiller(Convention, convention.id)
    derniere = _exiger_decision_possible(convention)
    motif, erreurs = texte_saisi(motif, "motif", "le motif du non-renouvellement", True)
    refuser_si_erreurs(erreurs)
    derniere.renouvellement, derniere.renouvellement_motif = Renouvellement.NON_RENOUVELEE, motif
    derniere.renouvellement_le, derniere.renouvellement_par_id = instant or maintenant(), par.id
    flush_ou_conflit("La convention a changé entre-temps : rechargez la page.")
    lettre = produire_lettre(
        "conventions/pdf/lettre_non_renouvellement.html",
        f"non-renouvellement-{convention.numero}.pdf",
        service=convention.service,
        par=par,
        notifie_le=derniere.renouvellement_le,
        convention=convention,
        structure=convention.structure,
        annee=derniere,
        motif=motif,
    )
    journaliser(
        "convention.non_renouvellement",
        convention,
        par=par,
        details={"annee": derniere.rang, "motif": motif, "lettre": lettre.sha256},
    )
    courriel_structure(
        convention,
        f"Convention {convention.numero} : non-renouvellement",
        "non_renouvellement",
        annee=derniere,
        motif=motif,
        pieces_jointes=[lettre],
    )
    clore_si_terminee(convention, par=par)
    return derniere
