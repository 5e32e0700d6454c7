"""Pages of the conventions domain, one module per subject: the list, the creation from a retenu decision, the
convention with its years, signature and payments (`convention`), the reports (`bilan`), the renewal
(`renouvellement`), the "À faire" page, the dashboard and its exports (`pilotage`), and the open data published
without login (`publication`, its own blueprint).

Thin: load (a bounded number of queries), check with the model's permissions (404 for what the person may not
see), validate, call the operation, commit once, redirect or render.
"""

from . import bilan, convention, pilotage, renouvellement  # noqa: F401  (their routes, on the blueprint)
from .commun import bp
from .publication import bp_public

__all__ = ["bp", "bp_public"]
