"""What the notation pages share: their blueprint and how a form's hidden version is read."""

from flask import Blueprint

from ..models import Avis, Nature, Phase

bp = Blueprint("notation", __name__, url_prefix="/copil")
# Les gabarits comparent aux membres, jamais à des chaînes recopiées : {% if decision.nature == NatureDecision.AJOURNE %}.
bp.add_app_template_global(Phase, "PhaseSeance")
bp.add_app_template_global(Nature, "NatureDecision")
bp.add_app_template_global(Avis, "AvisNotation")


def version_lue(texte):
    """The version a form was built from (a hidden field); -1, which matches none, when it is not a number."""
    texte = texte or ""
    return int(texte) if texte.isdigit() and len(texte) < 10 else -1
