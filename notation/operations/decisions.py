"""The COPIL's decision on each dossier of a session in deliberation: retenu (an amount, ETP, conditions), ajourné
or rejeté (a reason), within the campaign's credits."""

from decimal import Decimal

from sqlalchemy import select

from aap.entrees import texte_propre
from aap.erreurs import Conflit, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.journal import journaliser
from aap.models import Campagne
from aap.numerotation import verrouiller
from aap.types import maintenant
from candidatures.synthese import synthese_budget, taux_plafond

from .. import lecture, regles
from ..models import Decision, Nature, Phase


def decider(
    seance,
    dossier,
    *,
    nature,
    par,
    version=0,
    montant_accorde=None,
    etp_facilitateur=None,
    etp_coordinateur=None,
    cout_retenu=None,
    conditions="",
    motif="",
):
    """Records (or changes, until the session closes) the decision on a dossier, in deliberation. A retenu
    amount is at most the State's cap rate (of the dossier as filed) of the cost of what is funded: the filed
    year-1 cost prorated to the ETP granted, or `cout_retenu`, a revised budget (AAP §B.2-3); and within the
    campaign's year-1 credits (§C.2).

    The campaign's row is locked first: two decisions at once (two presidents, two tabs) are judged one
    after the other against what is really left, so the envelope is never overspent.
    """
    if seance.phase != Phase.DELIBERATION:
        raise Refus("Les décisions se prennent en délibération.", code="hors_deliberation")
    if not any(p.dossier_id == dossier.id for p in seance.ordre_du_jour):
        raise Refus("Ce dossier n'est pas à l'ordre du jour de la séance.", code="hors_ordre_du_jour")
    campagne = verrouiller(Campagne, seance.campagne_id)
    existante = _decision_a_jour(seance, dossier, version)
    valeurs = _valeurs(
        str(nature),
        montant_accorde=montant_accorde,
        etp_facilitateur=etp_facilitateur,
        etp_coordinateur=etp_coordinateur,
        cout_retenu=cout_retenu,
        conditions=conditions,
        motif=motif,
    )
    disponible = _verifier(valeurs, dossier, campagne, existante)
    avant = {cle: getattr(existante, cle) for cle in valeurs} if existante else None
    decision = existante or Decision(seance_id=seance.id, dossier_id=dossier.id)
    for cle, valeur in valeurs.items():
        setattr(decision, cle, valeur)
    decision.decide_le, decision.decide_par_id = maintenant(), par.id
    if existante is None:
        db.session.add(decision)
    flush_ou_conflit("La décision sur ce dossier a été enregistrée entre-temps : rechargez la page ; rien n'a été écrasé.")
    journaliser(
        "decision.enregistrement" if avant is None else "decision.modification",
        seance,
        par=par,
        details={
            "dossier": dossier.id,
            "numero": dossier.numero,
            "decision": decision.id,
            "avant": avant,
            "apres": valeurs,
            "credits_restants": disponible - (valeurs["montant_accorde"] or 0),
        },
    )
    return decision


def _verifier(valeurs, dossier, campagne, existante):
    """Refuses a decision the rules refuse; returns the year-1 credits left for it (its own previous grant given
    back)."""
    disponible = campagne.credits - lecture.credits_accordes(campagne.id, sauf_decision_id=existante.id if existante else None)
    refuser_si_erreurs(
        regles.verifier_decision(
            valeurs["nature"],
            demande_de(dossier),
            disponible,
            **{cle: valeurs[cle] for cle in ("montant_accorde", "etp_facilitateur", "etp_coordinateur", "cout_retenu")},
            motif=valeurs["motif"],
            etp_minimum=campagne.etp_minimum,
        )
    )
    return disponible


def _decision_a_jour(seance, dossier, version):
    """The decision already taken on the dossier (None if none), refused if the caller read an older version."""
    existante = db.session.scalar(
        select(Decision)
        .where(Decision.seance_id == seance.id, Decision.dossier_id == dossier.id)
        .execution_options(populate_existing=True)
    )
    if (existante.version if existante else 0) != version:
        raise Conflit(
            "La décision sur ce dossier a été enregistrée ou modifiée entre-temps (autre onglet ou autre personne) : "
            "rechargez la page ; rien n'a été écrasé.",
            code="version_perimee",
        )
    return existante


def _valeurs(nature, *, montant_accorde, etp_facilitateur, etp_coordinateur, cout_retenu, conditions, motif):
    """The decision's columns: only a retenu decision grants an amount, ETP and conditions."""
    retenu = nature == Nature.RETENU
    return {
        "nature": nature,
        "montant_accorde": Decimal(montant_accorde) if (retenu and montant_accorde is not None) else None,
        "etp_facilitateur": _etp(etp_facilitateur) if retenu else Decimal("0"),
        "etp_coordinateur": _etp(etp_coordinateur) if retenu else Decimal("0"),
        "cout_retenu": Decimal(cout_retenu) if (retenu and cout_retenu is not None) else None,
        "conditions": texte_propre(conditions) if retenu else "",
        "motif": texte_propre(motif),
    }


def _etp(valeur):
    return Decimal(valeur if valeur is not None else 0)


def demande_de(dossier):
    """What the dossier asked, as the decision rules read it: its year-1 cost and cap rate as filed."""
    return regles.Demande(
        dossier.montant_demande,
        dossier.etp_facilitateur,
        dossier.etp_coordinateur,
        synthese_budget(dossier)[0].charges,
        taux_plafond(dossier),
    )
