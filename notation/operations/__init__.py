"""Every write of the notation domain: each checks its rule, changes the rows, writes the audit entry and
queues the emails; it flushes, and the caller (a view, the API, a command) commits once.

Permissions (who may call what on which object) are checked by the callers with the model's methods,
so that an object someone may not see answers 404; the operations check the rules of the call.

One module per moment of a session: `seances` (prepare it: date, members, agenda, attendance), `notes`
(declarations of interest and score sheets), `decisions` (what the COPIL grants), `phases` (open the scoring,
deliberate, close and notify), `rappels` (reminders to members and services). Callers use this package's names.
"""

from .decisions import decider, demande_de
from .notes import declarer, empreinte_feuille, enregistrer_notes, feuille_de, notes_visibles, rouvrir
from .phases import changer_phase, clore
from .rappels import alerter_trimestres, delais_rappel, envoyer_rappels
from .seances import creer_seance, inscrire, marquer_presences, modifier_seance, retirer

__all__ = [
    "alerter_trimestres",
    "changer_phase",
    "clore",
    "creer_seance",
    "decider",
    "declarer",
    "delais_rappel",
    "demande_de",
    "empreinte_feuille",
    "enregistrer_notes",
    "envoyer_rappels",
    "feuille_de",
    "inscrire",
    "marquer_presences",
    "modifier_seance",
    "notes_visibles",
    "retirer",
    "rouvrir",
]
