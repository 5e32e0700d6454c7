"""Pages of the notation domain: COPIL sessions, declarations, scoring, aggregated scores, ranking,
decisions and the documents of a closed session.

Thin: load (a bounded number of queries), check with the model's permissions (404 for what the person may
not see), validate, call the operation, commit once, redirect or render.

One blueprint, `bp`; its pages are in `seances` (list, creation, a session's page and its changes), `notes`
(declaration, scoring, the scores of a dossier) and `decisions` (ranking, decisions, documents).
"""

from . import decisions, notes, seances
from .commun import bp

__all__ = ["bp", "decisions", "notes", "seances"]
