"""Every deadline of a convention (`echeances`) over plain values, for the "À faire" pages and the daily
reminders: what someone must still do (sign, pay, file, review, decide the renewal), by when, and which reminder
it calls for."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from aap.formats import date_fr, euros

from .regles import ANNEES_MAX, LIBELLES_BILANS, TRIMESTRIEL

# Choix de la plateforme : un versement « à mettre en paiement » est en retard 30 jours après son déclenchement.
DELAI_PAIEMENT_JOURS = 30
# Jours avant l'échéance où un rappel part (une fois) ; un second courriel part le lendemain de l'échéance.
# Choix de la plateforme : un bilan déposé s'examine dans les 15 jours.
DELAI_EXAMEN_JOURS = 15


class NatureEcheance(StrEnum):
    """What a deadline asks for."""

    SIGNATURE = "signature"
    VERSEMENT = "versement"
    BILAN = "bilan"
    CORRECTIONS = "corrections"
    EXAMEN = "examen"
    AVENANT = "avenant"
    COPIL = "copil"


N = NatureEcheance
PREAVIS_RAPPEL = {N.SIGNATURE: 5, N.BILAN: 15, N.VERSEMENT: DELAI_PAIEMENT_JOURS, N.AVENANT: 60, N.CORRECTIONS: 5, N.EXAMEN: 5}
# « À faire » : ce qui est en retard, ce qui attend la personne, et les échéances des 60 prochains jours.
HORIZON_A_FAIRE = 60

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

    @property
    def bientot(self):
        return self.etat == BIENTOT

    @property
    def pour_la_deets(self):
        return self.pour == AGENT

    @property
    def bilan_id(self):
        """The report this deadline is about (to file, correct or review), or None."""
        return self.objet_id if self.nature in (N.BILAN, N.CORRECTIONS, N.EXAMEN) else None


def _libelle_bilan(bilan, rang):
    if bilan.type == TRIMESTRIEL:
        return f"Bilan trimestriel (résultats au {date_fr(bilan.arrete_au)}) — année {rang}"
    return f"{LIBELLES_BILANS[bilan.type]} — année {rang}"


def echeances(convention, aujourdhui):
    """Every open deadline of a convention at `aujourdhui` (a date in the service's time zone), soonest first:
    what someone must still do (sign, pay, file, review, decide the renewal) and by when."""
    if convention.statut == "close":
        return []
    taches = list(_taches_convention(convention, aujourdhui))
    for annee in convention.annees:
        taches += [*_taches_signature(convention, annee), *_taches_versements(annee), *_taches_bilans(annee, aujourdhui)]
    return sorted(
        (
            Echeance(convention.id, code, nature, libelle, jour, (jour - aujourdhui).days, pour, *objet)
            for code, nature, libelle, jour, pour, *objet in taches
        ),
        key=lambda e: (e.date, e.code),
    )


# Chaque tâche : (code, nature, libellé, date, pour qui[, objet, type de bilan]).


def _taches_signature(convention, annee):
    if annee.signee_le is not None:
        return
    if annee.rang == 1:
        yield "signature", N.SIGNATURE, "Signature de la convention", convention.date_limite_signature, AGENT
    else:
        yield f"signature-avenant-{annee.rang}", N.SIGNATURE, f"Signature de l'avenant n° {annee.rang - 1}", annee.debut, AGENT


def _taches_versements(annee):
    for versement in annee.versements:
        if versement.etat == "a_payer" and versement.a_payer_le is not None:
            nom = "l'avance" if versement.nature == "avance" else "le solde"
            yield (
                f"versement-{versement.id}",
                N.VERSEMENT,
                f"Mettre en paiement {nom} de l'année {annee.rang} ({euros(versement.montant)})",
                versement.a_payer_le + timedelta(days=DELAI_PAIEMENT_JOURS),
                AGENT,
                versement.id,
            )


def _taches_bilans(annee, aujourdhui):
    """The reports of a signed year: to file, to correct, to review."""
    for bilan in annee.bilans if annee.signee_le is not None else ():
        libelle = _libelle_bilan(bilan, annee.rang)
        if bilan.statut == "a_deposer":
            yield f"bilan-{bilan.id}", N.BILAN, f"Déposer : {libelle}", bilan.echeance, PORTEUR, bilan.id, bilan.type
        elif bilan.statut == "a_corriger":
            jour = bilan.corrections_avant or bilan.echeance
            yield f"corrections-{bilan.id}", N.CORRECTIONS, f"Corriger et redéposer : {libelle}", jour, PORTEUR, bilan.id
        elif bilan.statut == "depose":
            examen = (bilan.depose_le or aujourdhui) + timedelta(days=DELAI_EXAMEN_JOURS)
            yield f"examen-{bilan.id}", N.EXAMEN, f"Examiner : {libelle}", examen, AGENT, bilan.id


def _taches_convention(convention, aujourdhui):
    """The renewal to decide on the last signed year, and the next COPIL."""
    derniere = convention.annees[-1] if convention.annees else None
    if derniere is not None and derniere.signee_le is not None and derniere.rang < ANNEES_MAX and derniere.renouvellement is None:
        yield (
            f"avenant-{derniere.rang + 1}",
            N.AVENANT,
            f"Décider du renouvellement pour l'année {derniere.rang + 1} (avenant n° {derniere.rang})",
            derniere.fin,
            AGENT,
        )
    if convention.prochain_copil is not None and convention.prochain_copil >= aujourdhui:
        yield "copil", N.COPIL, "Prochain COPIL", convention.prochain_copil, AGENT


def palier_rappel(echeance):
    """Which reminder an open deadline calls for today: "avant" within its notice, "retard" once passed, or
    None. Each is sent once (its key), whatever the number of runs; the next COPIL is never emailed."""
    if echeance.nature == N.COPIL:
        return None
    if echeance.jours < 0:
        return "retard"
    if echeance.jours <= PREAVIS_RAPPEL[echeance.nature]:
        return "avant"
    return None
