"""The payments of a convention: an advance or a balance paid or cancelled, a balance reduced, the year's money
settled on its approved final account (the balance, or the amount to recover), and the follow-up of a reversement.
Each write checks its rule, changes the rows, writes the audit entry and queues the emails; the caller commits."""

from decimal import Decimal

from aap.erreurs import Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.formats import date_fr, euros, pourcentage
from aap.journal import journaliser
from aap.types import maintenant

from . import regles
from .lecture import aujourdhui
from .models import (
    EtatReversement,
    EtatVersement,
    NatureVersement,
    Reversement,
)
from .operations import clore_si_terminee, courriel_structure, texte_saisi, verifier_version

# --- Versements ----------------------------------------------------------------------------------------


def payer(versement, *, paye_le, reference, par, version=None):
    """An agent records a payment made: its date and the accounting reference (Chorus)."""
    verifier_version(versement, version, "Ce versement a changé entre-temps : rechargez la page.")
    if versement.etat != EtatVersement.A_PAYER:
        raise Refus(
            f"Ce versement est « {versement.etat.libelle.lower()} » : seul un versement à mettre en "
            "paiement peut être marqué payé.",
            code="etat_invalide",
        )
    convention = versement.convention
    reference, erreurs = texte_saisi(reference, "reference_comptable", "la référence comptable", True, 100)
    if paye_le is None:
        erreurs.append(regles.Erreur("paye_le", "date_manquante", "Indiquez la date du paiement."))
    elif paye_le > aujourdhui(convention):
        erreurs.append(regles.Erreur("paye_le", "date_future", "La date du paiement ne peut pas être dans le futur."))
    elif paye_le < versement.a_payer_le:
        erreurs.append(
            regles.Erreur(
                "paye_le", "date_invalide", f"Le versement n'était payable qu'à partir du {date_fr(versement.a_payer_le)}."
            )
        )
    refuser_si_erreurs(erreurs)
    versement.etat, versement.paye_le, versement.reference_comptable = EtatVersement.PAYE, paye_le, reference
    versement.modifie_le = maintenant()
    flush_ou_conflit("Ce versement a changé entre-temps : rechargez la page.")
    journaliser(
        "versement.paiement",
        convention,
        par=par,
        details={
            "versement": versement.id,
            "annee": versement.annee.rang,
            "nature": versement.nature,
            "montant": versement.montant,
            "paye_le": paye_le,
            "reference": reference,
        },
    )
    courriel_structure(
        convention,
        f"Convention {convention.numero} : versement de {euros(versement.montant)}",
        "versement_paye",
        versement=versement,
    )
    clore_si_terminee(convention, par=par)
    return versement


def annuler(versement, *, motif, par, version=None):
    verifier_version(versement, version, "Ce versement a changé entre-temps : rechargez la page.")
    if versement.etat not in (EtatVersement.PREVU, EtatVersement.A_PAYER):
        raise Refus(f"Ce versement est « {versement.etat.libelle.lower()} » : il ne s'annule plus.", code="etat_invalide")
    motif, erreurs = texte_saisi(motif, "motif", "le motif de l'annulation", True)
    refuser_si_erreurs(erreurs)
    ancien = versement.etat
    versement.etat, versement.motif, versement.modifie_le = EtatVersement.ANNULE, motif, maintenant()
    annee = versement.annee
    if annee.montant_du is not None and versement.nature == NatureVersement.SOLDE and ancien == EtatVersement.A_PAYER:
        annee.montant_du -= versement.montant  # un solde arrêté puis annulé : l'État n'en doit plus rien
    flush_ou_conflit("Ce versement a changé entre-temps : rechargez la page.")
    journaliser(
        "versement.annulation",
        versement.convention,
        par=par,
        details={
            "versement": versement.id,
            "annee": versement.annee.rang,
            "nature": versement.nature,
            "etat": [ancien, "annule"],
            "montant": versement.montant,
            "motif": motif,
        },
    )
    clore_si_terminee(versement.convention, par=par)
    return versement


def avance_versee(annee):
    """The advance, unless cancelled (the final account is approved only once it is paid or cancelled)."""
    avance = annee.avance
    return avance.montant if avance.etat != EtatVersement.ANNULE else Decimal("0")


def plafond_solde(annee, depenses=None):
    """What the balance may be at most: what the State owes (its cap rate of the eligible spending, within the
    grant) minus the advance paid. `depenses`: the spending to judge (the year's eligible spending by default)."""
    depenses = annee.depenses_eligibles if depenses is None else depenses
    return regles.solde(annee.montant, avance_versee(annee), annee.convention.taux_plafond, depenses, annee.solde.montant_prevu)


def regularisation(annee, depenses=None):
    """The year's money for the pages: the annual report's estimate, then the final account's due and what
    settles it (`regles.regularisation`). `depenses`: the final spending to judge (the eligible spending retained,
    or else the one declared in the final account)."""
    annuel, financier = annee.bilan_annuel, annee.compte_rendu_financier
    if depenses is None:
        depenses = annee.depenses_eligibles
    if depenses is None and financier is not None and financier.premier_depot_le is not None:
        depenses = financier.depenses_realisees
    prevues = annuel.depenses_realisees if annuel is not None and annuel.premier_depot_le is not None else None
    return regles.regularisation(
        annee.montant, avance_versee(annee), annee.convention.taux_plafond, prevues, depenses, annee.solde.montant_prevu
    )


def ajuster_solde(versement, *, montant, motif, par, version=None):
    """The agent reduces the balance, with a reason, when what was achieved or spent is below what was agreed."""
    verifier_version(versement, version, "Ce versement a changé entre-temps : rechargez la page.")
    if versement.nature != NatureVersement.SOLDE or versement.etat != EtatVersement.A_PAYER:
        raise Refus("Seul un solde à mettre en paiement peut être ajusté.", code="etat_invalide")
    motif, erreurs = texte_saisi(motif, "motif", "le motif", False)
    montant_lu, message = regles.lire_nombre(montant)
    if message:
        erreurs.append(regles.Erreur("montant", "montant_invalide", message))
    refuser_si_erreurs(erreurs)
    plafond = plafond_solde(versement.annee)
    refuser_si_erreurs(regles.verifier_solde(montant_lu, plafond.maximum, versement.montant_prevu, motif))
    avant = versement.montant
    versement.montant, versement.motif, versement.modifie_le = montant_lu, motif, maintenant()
    annee = versement.annee
    if annee.montant_du is not None:
        annee.montant_du -= avant - montant_lu
    if montant_lu == 0:
        versement.etat = EtatVersement.ANNULE
        versement.motif = motif or "Solde ramené à zéro."
    flush_ou_conflit("Ce versement a changé entre-temps : rechargez la page.")
    journaliser(
        "versement.ajustement",
        versement.convention,
        par=par,
        details={
            "versement": versement.id,
            "annee": versement.annee.rang,
            "montant": [avant, montant_lu],
            "motif": motif,
            "plafond": plafond.maximum,
        },
    )
    clore_si_terminee(versement.convention, par=par)
    return versement


def suivre_reversement(reversement, *, etat, le, reference="", commentaire="", par):
    """The follow-up of an amount to recover: title issued (date, reference), then recovered (date)."""
    etat = EtatReversement(etat)
    suivant = {EtatReversement.A_EMETTRE: EtatReversement.EMIS, EtatReversement.EMIS: EtatReversement.RECOUVRE}
    if suivant.get(EtatReversement(reversement.etat)) != etat:
        raise Refus("Le reversement suit l'ordre : titre à émettre, titre émis, recouvré.", code="etat_invalide")
    convention = reversement.annee.convention
    erreurs = []
    if le is None or le > aujourdhui(convention):
        erreurs.append(regles.Erreur("le", "date_invalide", "Indiquez une date passée ou d'aujourd'hui."))
    reference, erreurs_ref = texte_saisi(
        reference, "reference", "la référence du titre de perception", etat == EtatReversement.EMIS, 100
    )
    commentaire, erreurs_com = texte_saisi(commentaire, "commentaire", "le commentaire")
    refuser_si_erreurs(erreurs + erreurs_ref + erreurs_com)
    if etat == EtatReversement.EMIS:
        reversement.titre_emis_le, reversement.reference = le, reference
    else:
        reversement.recouvre_le = le
    if commentaire:
        reversement.commentaire = commentaire
    ancien, reversement.etat = reversement.etat, str(etat)
    db.session.flush()
    journaliser(
        "reversement.suivi",
        convention,
        par=par,
        details={
            "reversement": reversement.id,
            "etat": [ancien, str(etat)],
            "le": le,
            "reference": reference,
            "montant": reversement.montant,
        },
    )
    return reversement


def regler_annee(annee, depenses, instant):
    """The year's money on its approved final account: the due, then the complement (the balance) or the
    reversement. Returns the audit details."""
    taux = annee.convention.taux_plafond
    avance = avance_versee(annee)
    solde_ = annee.solde
    calcul = plafond_solde(annee, depenses)
    annee.depenses_eligibles = depenses
    if solde_.etat == EtatVersement.PREVU:
        solde_.montant = calcul.maximum
        solde_.a_payer_le, solde_.modifie_le = regles.jour_local(instant, annee.convention.service.fuseau), instant
        regle = f"{pourcentage(taux)} de {euros(depenses)} de dépenses éligibles"
        if calcul.maximum > 0:
            solde_.etat = EtatVersement.A_PAYER
            if calcul.maximum < solde_.montant_prevu:
                solde_.motif = (
                    f"Solde limité à ce que l'État doit : {euros(calcul.du)} ({regle}, dans la limite de "
                    f"{euros(annee.montant)} accordés), moins l'avance de {euros(avance)}."
                )
        else:
            solde_.etat = EtatVersement.ANNULE
            solde_.motif = (
                f"Aucun solde : l'État doit {euros(calcul.du)} ({regle}), pas plus que l'avance versée ({euros(avance)})."
            )
    verse_solde = solde_.montant if solde_.etat == EtatVersement.A_PAYER else Decimal("0")
    if calcul.reversement > 0 and annee.reversement is None:
        annee.reversement = Reversement(
            convention_id=annee.convention_id,
            montant=calcul.reversement,
            etat=EtatReversement.A_EMETTRE,
            calcule_le=instant,
            commentaire=(
                f"L'État doit {euros(calcul.du)} ({pourcentage(taux)} de {euros(depenses)} de dépenses éligibles) "
                f"pour une avance de {euros(avance)}."
            ),
        )
    reverse = annee.reversement.montant if annee.reversement is not None else Decimal("0")
    annee.montant_du = avance + verse_solde - reverse
    return {
        "depenses_eligibles": depenses,
        "taux_plafond": taux,
        "du": annee.montant_du,
        "solde": verse_solde,
        "reversement": reverse,
    }
