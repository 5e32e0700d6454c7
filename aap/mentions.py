"""The mentions the law requires on the documents a service issues, written once for PDFs, emails and pages.

- Accusé de réception (CRPA L112-3, R112-5): date of receipt, date at which the demand is deemed rejected
  (a subsidy is a financial demand: two months of silence are worth rejection, L231-4 3°), the service's
  designation, postal address, email and phone, and the remedies against the implicit rejection.
- Decisions (CRPA L212-1): the signatory's first name, name and qualité; unfavourable decisions state their
  reasons (L211-2, L211-5) and every decision its remedies and their time limits (R421-5 of the code of
  administrative justice: without them, the two-month limit does not run).
"""

from dataclasses import dataclass
from datetime import datetime

from .formats import a, de, fuseau, le
from .regles import ajouter_mois

DELAI_REJET_IMPLICITE_MOIS = 2  # CRPA L231-1 et L231-4 3°
DELAI_RECOURS_MOIS = 2  # CJA R421-1 ; CRPA L411-2 pour les recours administratifs


def date_rejet_implicite(recu_le, zone):
    """CRPA L231-4 3°: the day at which a financial demand received at `recu_le` is deemed rejected, two months
    later (same day of the month, or the month's last day), judged in the service's time zone."""
    jour = recu_le.astimezone(fuseau(zone)).date() if isinstance(recu_le, datetime) else recu_le
    return ajouter_mois(jour, DELAI_REJET_IMPLICITE_MOIS)


@dataclass(frozen=True)
class Signature:
    """CRPA L212-1: who signs, by delegation of the authority."""

    lieu: str
    autorite: str
    prenom_nom: str
    qualite: str

    @property
    def lignes(self):
        return [f"Pour {le(self.autorite)} et par délégation,", self.qualite[:1].upper() + self.qualite[1:], self.prenom_nom]


def signature(service):
    return Signature(service.lieu_signature, service.prefet, service.signataire, service.signataire_qualite)


def coordonnees(service):
    """The service in charge of the file (CRPA R112-5 2°): designation, full postal address, email, phone."""
    return [service.nom, *service.adresse_postale, f"Courriel : {service.courriel}", f"Téléphone : {service.telephone}"]


def voies_de_recours(service, *, implicite=False):
    """The remedies against a decision of the service and their time limits, as paragraphs."""
    quoi = "La décision implicite de rejet" if implicite else "Cette décision"
    depart = "du jour où elle est née" if implicite else "de sa notification"
    paragraphes = [
        f"{quoi} peut faire l'objet, dans un délai de deux mois à compter {depart} :",
        f"– d'un recours gracieux auprès {de(service.prefet)}, {service.nom}, {', '.join(service.adresse_postale)} ;",
        "– d'un recours hiérarchique auprès du ministre chargé du travail et de l'emploi ;",
        f"– d'un recours contentieux devant {le(service.tribunal)}, par courrier ou par l'application Télérecours "
        "citoyens (www.telerecours.fr).",
        "Un recours gracieux ou hiérarchique, formé dans ce délai, le proroge : le recours contentieux peut être "
        "formé dans les deux mois suivant la réponse, le silence gardé deux mois valant rejet (CRPA L411-2, L231-4).",
    ]
    if implicite:
        paragraphes.append(
            "Les motifs d'une décision implicite de rejet vous sont communiqués, à votre demande formée dans le délai du "
            f"recours contentieux, dans le mois qui la suit (CRPA L232-4) : écrivez {a(service.nom)} à {service.courriel}."
        )
    return paragraphes


def init_app(app):
    app.add_template_global(voies_de_recours)
    app.add_template_global(signature, "signature_de")
    app.add_template_global(coordonnees)
    app.add_template_global(date_rejet_implicite)
