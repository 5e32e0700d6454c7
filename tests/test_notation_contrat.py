"""The contract the conventions domain builds on: `notation.models.Decision` and `fab.decision(...)`."""

from datetime import UTC, datetime
from decimal import Decimal

from candidatures.models import Statut
from notation.models import Decision, Nature, Phase


def test_une_decision_retenue_notifiee_porte_toute_sa_chaine(fab):
    notifiee = datetime(2022, 12, 15, 9, 30, tzinfo=UTC)
    decision = fab.decision(nature="retenu", montant_accorde=Decimal("42000.50"), notifie_le=notifiee)
    assert isinstance(decision, Decision)
    assert decision.nature == Nature.RETENU and decision.retenu
    assert decision.montant_accorde == Decimal("42000.50")
    assert decision.etp_facilitateur == Decimal("1.0") and decision.etp_coordinateur == Decimal("0.0")
    assert decision.notifie_le == notifiee and decision.decide_le < notifiee and decision.decide_par_id
    assert decision.seance.phase == Phase.CLOSE and decision.seance_id == decision.seance.id
    dossier = decision.dossier
    assert dossier.id == decision.dossier_id and dossier.statut == Statut.RETENU
    assert any(m.role == "porteur" for m in dossier.structure.membres)
    assert dossier.campagne.credits > 0


def test_rejet_ajournement_et_decision_non_notifiee(fab):
    rejet = fab.decision(nature="rejete")
    assert rejet.montant_accorde is None and rejet.motif and rejet.dossier.statut == Statut.REJETE
    ajournement = fab.decision(nature="ajourne", motif="Budget à préciser.")
    assert ajournement.dossier.statut == Statut.RECEVABLE
    en_cours = fab.decision(notifie_le=None)
    assert en_cours.notifie_le is None and en_cours.seance.phase == Phase.DELIBERATION
    assert en_cours.dossier.statut == Statut.RECEVABLE
