"""Factories of the conventions domain, mixed into `tests.factories.Fabrique`.

`fab.convention(...)` drives the real operations from a notified retenu decision (`fab.decision`): creation
(documents included), and on request the signature, the advance paid, the reports filed and approved:

    convention = fab.convention(signee=True, avance_payee=True)
    convention = fab.convention(decision=fab.decision(notifie_le=a_mayotte(2030, 1, 10, 12)), date_effet=date(2030, 2, 1))
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from aap.extensions import db
from aap.pdf import pdf_minimal
from conventions import bilans, lecture, operations, paiements, regles, suivi
from conventions.demo import valeurs_pour
from conventions.models import TypeBilan


def scan_signe(texte="Convention signée"):
    return ("convention-signee.pdf", pdf_minimal(texte, "Trois exemplaires signés."))


@pytest.fixture
def documents_rapides(monkeypatch):
    """For tests that are not about the documents: a one-page PDF and DOCX instead of WeasyPrint's (a second each)."""
    from conventions import documents

    monkeypatch.setattr(documents, "pdf", lambda annee: pdf_minimal(f"{annee.intitule} {annee.convention.numero}"))
    monkeypatch.setattr(documents, "docx_", lambda annee: _DOCX)


def _docx_minimal():
    import io

    import docx

    sortie = io.BytesIO()
    docx.Document().save(sortie)
    return sortie.getvalue()


_DOCX = _docx_minimal()


def valeurs_bilan(bilan, facteur=1):
    """Values for every indicator of a report: the targets × `facteur` (those of the demo)."""
    return valeurs_pour(bilan, Decimal(str(facteur)))


class FabriqueConventions:
    def convention(
        self,
        decision=None,
        date_effet=None,
        objectifs=None,
        par=None,
        signee=False,
        signee_le=None,
        avance_payee=False,
        mois_intermediaire=None,
        **champs_decision,
    ):
        """A convention created by an agent of the service from a retenu, notified decision."""
        decision = decision or self.decision(**champs_decision)
        service = decision.dossier.service
        agent = par or self.utilisateur("agent", service=service)
        notifie = regles.jour_local(decision.notifie_le, service.fuseau)
        objectifs = objectifs or {
            cle: str(v)
            for cle, v in operations.objectifs_proposes(
                decision.dossier, decision.etp_facilitateur, decision.etp_coordinateur
            ).items()
        }
        convention = operations.creer_convention(
            decision,
            par=agent,
            date_effet=date_effet or notifie + timedelta(days=20),
            objectifs=objectifs,
            mois_intermediaire=mois_intermediaire,
        )
        db.session.commit()
        if signee or avance_payee:
            self.signer(
                convention.premiere, signee_le or min(notifie + timedelta(days=3), lecture.aujourdhui(convention)), par=agent
            )
        if avance_payee:
            self.payer(convention.premiere.avance, par=agent)
        return lecture.charger(convention.id)

    def signer(self, annee, signee_le, par=None):
        par = par or self.utilisateur("agent", service=annee.convention.service)
        operations.enregistrer_signature(annee, signee_le=signee_le, scan=scan_signe(), par=par)
        db.session.commit()
        return annee

    def payer(self, versement, paye_le=None, par=None):
        par = par or self.utilisateur("agent", service=versement.convention.service)
        paiements.payer(versement, paye_le=paye_le or versement.a_payer_le, reference=f"CHORUS-{versement.id:06d}", par=par)
        db.session.commit()
        return versement

    def bilan_depose(self, bilan, porteur=None, facteur=1, depenses=None, approuve=False, agent=None, instant=None):
        """Fills and files a report (the spending for the annual report and the final account, with the compte rendu
        financier for the latter); approves it on request."""
        convention = bilan.convention
        porteur = porteur or next(m for m in convention.structure.membres if m.role == "porteur")
        avec_depenses = bilan.type in suivi.DEPENSES_DEMANDEES
        bilans.enregistrer_bilan(
            bilan,
            valeurs=valeurs_bilan(bilan, facteur),
            par=porteur,
            depenses_realisees=str(depenses if depenses is not None else bilan.annee.montant) if avec_depenses else None,
        )
        if bilan.type == TypeBilan.FINANCIER:
            bilans.ajouter_piece(
                bilan,
                ("cerfa-15059.pdf", pdf_minimal("Compte rendu financier", "cerfa 15059")),
                par=porteur,
                nature="compte_rendu_financier",
            )
        bilans.deposer_bilan(bilan, par=porteur, instant=instant)
        db.session.commit()
        if approuve:
            agent = agent or self.utilisateur("agent", service=convention.service)
            bilans.approuver_bilan(bilan, par=agent)
            db.session.commit()
        return bilan


def premier_jour_du_mois_suivant(jour):
    return regles.ajouter_mois(date(jour.year, jour.month, 1), 1)
