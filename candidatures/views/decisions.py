"""The DEETS's completeness decisions on a filed dossier, each a form of the dossier page."""

from flask import flash, redirect, url_for
from flask_login import current_user

from aap.erreurs import Conflit, Refus
from aap.extensions import db
from aap.securite import role_requis

from .. import instruction
from ..forms import AvisCtnForm, ComplementsForm, IrrecevableForm, RecevableForm
from ..lecture import INSTRUCTEURS, dossier_accessible
from ..models import Dossier
from ..synthese import options_page_dossier
from . import bp
from .dossiers import page_dossier
from .etapes import choix_pieces


def _rendre_decision(dossier, nom, form):
    """Re-renders the dossier page with the refused decision form (errors next to its fields)."""
    db.session.rollback()
    return page_dossier(dossier_accessible(dossier.id, options_page_dossier()), 422, nom, {nom: form})


def _decider(dossier_id, nom, form_classe, action, succes):
    dossier = dossier_accessible(dossier_id, droit=Dossier.can_instruire)
    form = form_classe()
    if nom == "form_complements":
        form.pieces.choices = choix_pieces(dossier)
    if not form.validate_on_submit():
        return _rendre_decision(dossier, nom, form)
    try:
        action(dossier, form)
    except Conflit:
        raise
    except Refus as refus:
        form.porter_refus(refus)
        return _rendre_decision(dossier, nom, form)
    db.session.commit()
    flash(succes, "succes")
    return redirect(url_for("candidatures.dossier", dossier_id=dossier_id))


@bp.route("/<id:dossier_id>/recevable", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def recevable(dossier_id):
    return _decider(
        dossier_id,
        "form_recevable",
        RecevableForm,
        lambda d, f: instruction.declarer_recevable(d, par=current_user, le=f.recevable_le.data),
        "Le dossier est déclaré recevable ; le porteur en est informé.",
    )


@bp.route("/<id:dossier_id>/irrecevable", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def irrecevable(dossier_id):
    return _decider(
        dossier_id,
        "form_irrecevable",
        IrrecevableForm,
        lambda d, f: instruction.declarer_irrecevable(d, par=current_user, motif=f.motif.data),
        "Le dossier est déclaré irrecevable ; le porteur en est informé avec le motif.",
    )


@bp.route("/<id:dossier_id>/complements", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def complements(dossier_id):
    return _decider(
        dossier_id,
        "form_complements",
        ComplementsForm,
        lambda d, f: instruction.demander_complements(
            d,
            par=current_user,
            rubriques=f.rubriques.data or [],
            pieces=f.pieces.data or [],
            date_limite=f.date_limite.data,
            message=f.message.data,
        ),
        "La demande de compléments est envoyée au porteur ; seuls les éléments nommés sont rouverts.",
    )


@bp.route("/<id:dossier_id>/avis-ctn", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def avis_ctn(dossier_id):
    return _decider(
        dossier_id,
        "form_avis",
        AvisCtnForm,
        lambda d, f: instruction.enregistrer_avis_ctn(
            d, par=current_user, avis=f.avis.data, le=f.le.data, commentaire=f.commentaire.data
        ),
        "L'avis du comité technique national est enregistré.",
    )
