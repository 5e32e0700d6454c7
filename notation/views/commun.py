"""What the notation pages share: their blueprint, and how a refusal or a form's hidden version is read."""

from flask import Blueprint, request

from .. import regles
from ..models import Avis, Nature, Phase

bp = Blueprint("notation", __name__, url_prefix="/copil")
# Les gabarits comparent aux membres, jamais à des chaînes recopiées : {% if decision.nature == NatureDecision.AJOURNE %}.
bp.add_app_template_global(Phase, "PhaseSeance")
bp.add_app_template_global(Nature, "NatureDecision")
bp.add_app_template_global(Avis, "AvisNotation")


def veut_json():
    return request.accept_mimetypes.best == "application/json"


def version_lue(texte):
    """The version a form was built from (a hidden field); -1, which matches none, when it is not a number."""
    texte = texte or ""
    return int(texte) if texte.isdigit() and len(texte) < 10 else -1


def erreurs_vers_formulaire(form, refus, prefixes=None):
    """Puts each error of a refusal next to its field; the others go to the page's alert."""
    restantes = []
    for erreur in getattr(refus, "liste", None) or [regles.Erreur(refus.champ, refus.code, refus.message)]:
        nom = (erreur.champ or "").replace("-", "_")
        if prefixes:
            nom = prefixes.get(nom, nom)
        if nom and nom in form:
            form[nom].errors = [*form[nom].errors, erreur.message]
        else:
            restantes.append(erreur.message)
    return restantes
