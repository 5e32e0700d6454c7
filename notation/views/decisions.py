"""The ranking of a session and its decisions, then the documents of a closed session (minutes, workbook,
letters) and the notified decision a structure reads."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap.erreurs import Refus, page
from aap.extensions import db
from aap.fichiers import reponse_telechargement
from aap.securite import role_requis

from .. import forms, lecture, operations, regles, resultats
from ..lecture import LECTEURS
from ..models import AccesSeance, Decision
from .commun import bp, version_lue


@bp.route("/seances/<id:seance_id>/classement")
@role_requis(*LECTEURS)
def classement(seance_id):
    seance = lecture.seance_accessible(seance_id, options=lecture.options_seance(agenda=False))
    acces = AccesSeance(seance, current_user)
    if not acces.can_voir_classement():
        return page(
            404,
            "Le classement se découvre quand la séance délibère : pendant la notation, chaque membre note sans "
            "connaître les notes des autres.",
            titre="Le classement n'est pas encore visible",
            retour=("Revenir à la séance", url_for(".seance", seance_id=seance_id)),
        )
    normalise = request.args.get("normalise") == "1"
    tableau = resultats.classement_seance(seance, acces, normalise=normalise)
    president_deporte = {
        dossier_id for dossier_id, liste in tableau.deportes.items() if any(u.id == seance.president_id for u, _ in liste)
    }
    return render_template(
        "notation/classement.html",
        seance=seance,
        acces=acces,
        tableau=tableau,
        normalise=normalise,
        explication=regles.EXPLICATION_NORMALISATION,
        peut_decider={
            ligne.dossier.id: acces.can_decider(ligne.dossier.id, ligne.dossier.id in president_deporte)
            for ligne in tableau.lignes
        },
    )


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/decision", methods=["GET", "POST"])
@role_requis(*LECTEURS)
def decision(seance_id, dossier_id):
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    lecture.exiger_decision(seance, dossier_id, acces)
    existante = db.session.scalar(select(Decision).where(Decision.seance_id == seance.id, Decision.dossier_id == dossier_id))
    form = forms.DecisionForm()
    if request.method == "GET":
        dossier_ = point.dossier
        form.version.data = str(existante.version if existante else 0)
        if existante:
            form.nature.data = existante.nature
            form.montant_accorde.data = existante.montant_accorde or None
            form.etp_facilitateur.data = existante.etp_facilitateur
            form.etp_coordinateur.data = existante.etp_coordinateur
            form.cout_retenu.data = existante.cout_retenu or None
            form.conditions.data, form.motif.data = existante.conditions, existante.motif
        else:
            form.montant_accorde.data = dossier_.montant_demande
            form.etp_facilitateur.data = dossier_.etp_facilitateur
            form.etp_coordinateur.data = dossier_.etp_coordinateur
    statut, erreurs = 200, []
    if request.method == "POST":
        statut = 422
        if form.validate_on_submit():
            valeurs = form.valeurs()
            try:
                operations.decider(
                    seance,
                    point.dossier,
                    nature=form.nature.data,
                    par=current_user,
                    version=version_lue(form.version.data),
                    conditions=form.conditions.data or "",
                    motif=form.motif.data or "",
                    **valeurs,
                )
                db.session.commit()
                flash(f"Décision enregistrée pour le dossier {point.dossier.numero}.", "succes")
                return redirect(url_for(".classement", seance_id=seance_id))
            except Refus as refus:
                db.session.rollback()
                statut = refus.statut
                erreurs = form.porter_refus(refus, en_tete=False)
    tableau = resultats.tableau_seance(seance, acces)
    return render_template(
        "notation/decision.html",
        seance=seance,
        point=point,
        form=form,
        existante=existante,
        tableau=tableau,
        ligne=tableau.ligne(dossier_id),
        erreurs=erreurs,
        demande=operations.demande_de(point.dossier),
    ), statut


# --- Documents d'une séance close --------------------------------------------------------------------


@bp.route("/seances/<id:seance_id>/proces-verbal.pdf")
@role_requis(*LECTEURS)
def proces_verbal(seance_id):
    seance = lecture.seance_accessible(seance_id)
    if seance.proces_verbal is None:
        abort(404)
    return reponse_telechargement(seance.proces_verbal)


@bp.route("/seances/<id:seance_id>/classeur.xlsx")
@role_requis(*LECTEURS)
def classeur(seance_id):
    seance = lecture.seance_accessible(seance_id)
    if seance.classeur is None or not seance.can_voir_detail(current_user):
        abort(404)
    return reponse_telechargement(seance.classeur)


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/lettre.pdf")
@role_requis(*LECTEURS)
def lettre(seance_id, dossier_id):
    return reponse_telechargement(lecture.lettre_accessible(seance_id, dossier_id))


@bp.app_template_global()
def decision_notifiee(dossier):
    """The notified decision shown on the dossier page (one query), or None."""
    return db.session.scalar(
        select(Decision)
        .where(Decision.dossier_id == dossier.id, Decision.notifie_le.is_not(None))
        .options(joinedload(Decision.lettre))
        .order_by(Decision.notifie_le.desc())
        .limit(1)
    )


@bp.route("/decisions/<id:decision_id>/lettre.pdf")
@login_required
def lettre_notifiee(decision_id):
    """The notification letter, for the structure that received it."""
    decision_ = db.session.get(Decision, decision_id, options=[joinedload(Decision.dossier), joinedload(Decision.lettre)])
    if decision_ is None or decision_.lettre is None or not decision_.can_voir_notification(current_user):
        abort(404)
    return reponse_telechargement(decision_.lettre)
