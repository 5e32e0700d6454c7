"""The COPIL's rules as plain functions over plain values: no Flask, no session.

- `notes`: the grid of annexe 4 and the scores a member enters.
- `agregation` (pandas): what the members' scores say together, dossier by dossier.
- `enveloppe`: the ranking within the envelope of the credits (AAP §C.2).
- `decisions`: what may be granted (no more than asked, no more than the cap rate of the cost of what is funded,
  no more than the year-1 credits left).
- `seances`: a session's quarter, phases and reminders.

Callers read them through this package (`regles.agreger`, `from notation.regles import Demande`).
"""

from .agregation import (
    EXPLICATION_NORMALISATION,
    SEUIL_DESACCORD_DEFAUT,
    AgregatDossier,
    FeuilleSoumise,
    StatCritere,
    StatGroupe,
    agreger,
)
from .communs import CENTIME, ZERO, Erreur
from .decisions import Demande, message_plafond, plafond_decision, verifier_decision
from .enveloppe import Candidat, LigneClassement, classement, credits_restants
from .notes import (
    TOTAL_MAX,
    CritereGrille,
    commentaire_requis,
    grille_de,
    groupes,
    lire_points,
    probleme_points,
    total,
    verifier_feuille,
)
from .seances import (
    RAPPELS_JOURS_DEFAUT,
    EtatSeance,
    est_https,
    message_notes_manquantes,
    probleme_avant_la_date,
    probleme_transition,
    rappel_du,
    trimestre_de,
    trimestre_precedent,
    trimestre_sans_copil,
    verifier_seance,
)

__all__ = [
    "CENTIME",
    "EXPLICATION_NORMALISATION",
    "RAPPELS_JOURS_DEFAUT",
    "SEUIL_DESACCORD_DEFAUT",
    "TOTAL_MAX",
    "ZERO",
    "AgregatDossier",
    "Candidat",
    "CritereGrille",
    "Demande",
    "Erreur",
    "EtatSeance",
    "FeuilleSoumise",
    "LigneClassement",
    "StatCritere",
    "StatGroupe",
    "agreger",
    "classement",
    "commentaire_requis",
    "credits_restants",
    "est_https",
    "grille_de",
    "groupes",
    "lire_points",
    "message_notes_manquantes",
    "message_plafond",
    "plafond_decision",
    "probleme_avant_la_date",
    "probleme_points",
    "probleme_transition",
    "rappel_du",
    "total",
    "trimestre_de",
    "trimestre_precedent",
    "trimestre_sans_copil",
    "verifier_decision",
    "verifier_feuille",
    "verifier_seance",
]
