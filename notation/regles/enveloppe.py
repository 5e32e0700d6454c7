"""Ranking within the envelope (AAP §C.2: "dans la limite des crédits disponibles"): amounts stay Decimal from end
to end."""

from dataclasses import dataclass
from decimal import Decimal

from aap.enums import EnumFr

from .communs import ZERO


class Enveloppe(EnumFr):
    DANS = "dans", "Dans l'enveloppe", "success"
    A_DEPARTAGER = "a_departager", "Ex aequo à départager", "warning"
    HORS = "hors", "Hors enveloppe", "error"
    NON_NOTE = "non_note", "Pas encore noté"


DANS, A_DEPARTAGER, HORS, NON_NOTE = Enveloppe


@dataclass(frozen=True)
class Candidat:
    dossier_id: int
    cle: str  # numéro du dossier : ordre stable d'affichage entre ex aequo
    moyenne: Decimal | None
    montant_demande: Decimal


@dataclass(frozen=True)
class LigneClassement:
    dossier_id: int
    rang: int | None
    ex_aequo: bool
    moyenne: Decimal | None
    montant_demande: Decimal
    cumul: Decimal | None
    enveloppe: Enveloppe
    derniere_dans_enveloppe: bool = False


def classement(candidats, disponible):
    """Dossiers by mean total, best first, with the cumulative amount asked and where the envelope line
    falls: a dossier is within the envelope when the cumulative amount up to it fits in `disponible` (to
    the cent). Equal means share a rank; when the line falls inside a tie, those of the tie that could
    still fit are "à départager" (the COPIL chooses). Dossiers without any score come last, unranked."""
    notes = sorted((c for c in candidats if c.moyenne is not None), key=lambda c: (-c.moyenne, c.cle))
    non_notes = sorted((c for c in candidats if c.moyenne is None), key=lambda c: c.cle)
    lignes, cumul, i = [], ZERO, 0
    while i < len(notes):
        j = i
        while j < len(notes) and notes[j].moyenne == notes[i].moyenne:
            j += 1
        groupe = notes[i:j]
        avant = cumul
        fin = avant + sum((c.montant_demande for c in groupe), ZERO)
        for candidat in groupe:
            cumul += candidat.montant_demande
            if fin <= disponible:
                enveloppe = DANS
            elif avant + candidat.montant_demande <= disponible and len(groupe) > 1:
                enveloppe = A_DEPARTAGER
            else:
                enveloppe = HORS
            lignes.append(
                LigneClassement(
                    dossier_id=candidat.dossier_id,
                    rang=i + 1,
                    ex_aequo=len(groupe) > 1,
                    moyenne=candidat.moyenne,
                    montant_demande=candidat.montant_demande,
                    cumul=cumul,
                    enveloppe=enveloppe,
                )
            )
        i = j
    dernieres = [k for k, ligne in enumerate(lignes) if ligne.enveloppe == DANS]
    if dernieres:
        k = dernieres[-1]
        lignes[k] = LigneClassement(**{**lignes[k].__dict__, "derniere_dans_enveloppe": True})
    for candidat in non_notes:
        lignes.append(LigneClassement(candidat.dossier_id, None, False, None, candidat.montant_demande, None, NON_NOTE))
    return lignes


def credits_restants(credits, montants_accordes):
    """The campaign's envelope minus what retenu decisions already granted."""
    return credits - sum((Decimal(m) for m in montants_accordes), ZERO)
