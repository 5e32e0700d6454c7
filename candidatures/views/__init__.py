"""Pages of the candidatures domain: the applicant's dossiers and their steps, pieces, filing; the DEETS's
instruction list, dossier page and completeness decisions; the structure's profile.

Views are thin: load (eagerly), check `can_*` (404 for what is not yours), validate, call the operation,
commit once, redirect or render. A step saved by the page's script (autosave) gets JSON back. Each module of this
package adds its pages to the two blueprints defined here.
"""

from flask import Blueprint

from .. import regles
from ..forms import SimulationForm
from ..models import Statut

bp = Blueprint("candidatures", __name__, url_prefix="/dossiers")
bp_structures = Blueprint("structures", __name__)

# Les libellés des règles (lignes du budget, types de marchés…) sont lus par les gabarits de tous les domaines.
bp.add_app_template_global(regles, "regles_dossier")  # projet … engagements, puis le récapitulatif (dépôt)
# Les gabarits comparent le statut d'un dossier à un membre, jamais à une chaîne.
bp.add_app_template_global(Statut, "StatutDossier")
# Le simulateur vide de la page publique d'une campagne (aap/campagne.html).
bp.add_app_template_global(lambda: SimulationForm(formdata=None), "formulaire_simulation")

from . import decisions, dossiers, etapes, listes, profil  # noqa: E402, F401  (leurs pages, sur ces blueprints)
