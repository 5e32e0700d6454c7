"""What the pages of the conventions share: their blueprint, and the small readers of what a page sends."""

from flask import Blueprint, abort

from .. import forms, suivi
from ..delais import NatureEcheance
from ..models import EtatReversement, EtatVersement, NatureVersement, Renouvellement, StatutBilan, StatutConvention, TypeBilan

bp = Blueprint("conventions", __name__, url_prefix="/conventions")
# Les gabarits (pages et courriels) comparent les états à ces membres, jamais à un texte recopié.
for _enum in (
    EtatReversement,
    EtatVersement,
    NatureEcheance,
    NatureVersement,
    Renouvellement,
    StatutBilan,
    StatutConvention,
    TypeBilan,
):
    bp.add_app_template_global(_enum)


# --- Chargement --------------------------------------------------------------------------------------


def annee_de(convention, rang):
    annee = convention.annee(rang)
    if annee is None:
        abort(404)
    return annee


def version_lue(texte):
    texte = texte or ""
    return int(texte) if texte.isdigit() and len(texte) < 10 else None


def correspondances_objectifs():
    return {f"objectif-{i.cle}": "objectif_" + forms.nom_champ(i.cle) for i in suivi.INDICATEURS}
