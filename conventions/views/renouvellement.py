"""The renewal page: targets against achievements, the suggested outcome, and the DEETS's decision (an avenant, or
not renewing)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from aap.erreurs import Refus
from aap.extensions import db
from aap.models import Role
from aap.securite import role_requis

from .. import avenants, forms, lecture, regles, suivi, tableau
from ..lecture import GESTION
from .commun import bp, correspondances_objectifs

LIBRE = {"formdata": None}  # un formulaire affiché sans lire l'envoi (celui de l'autre décision)


@bp.route("/<id:convention_id>/renouvellement", methods=["GET", "POST"])
@role_requis(*GESTION, Role.NATIONAL)
def renouvellement(convention_id):
    if request.method == "POST" and not current_user.a_role(*GESTION):
        abort(403)  # le national lit, ne décide pas
    convention = lecture.convention_accessible(convention_id)
    vue = tableau.vue_renouvellement(convention)
    derniere = convention.derniere
    indicateurs = suivi.indicateurs_cibles(derniere.etp_facilitateur, derniere.etp_coordinateur)
    gere = convention.can_gerer(current_user) and vue.decidable
    apercu = avenants.apercu_avenant(convention) if derniere.rang < regles.ANNEES_MAX else None
    page = {"convention": convention, "vue": vue, "indicateurs": indicateurs, "gere": gere, "apercu": apercu}
    if request.method == "GET":
        return _page(page, *(_formulaires_proposes(derniere, indicateurs, apercu) if gere else (None, None)))
    if not gere:
        abort(404)
    action = request.form.get("action")
    if action not in ("renouveler", "ne_pas_renouveler"):
        abort(400)
    renouveler = action == "renouveler"
    form = forms.formulaire_renouvellement(indicateurs, **({} if renouveler else LIBRE))
    refus_form = forms.NonRenouvellementForm(**(LIBRE if renouveler else {}))
    envoye = form if renouveler else refus_form
    if not envoye.validate_on_submit():
        return _page(page, form, refus_form, statut=422)
    try:
        message = _decider(convention, form if renouveler else None, refus_form, indicateurs)
        db.session.commit()
    except Refus as refus:
        db.session.rollback()
        erreurs = envoye.porter_refus(refus, correspondances_objectifs(), en_tete=False)
        page["convention"] = lecture.convention_accessible(convention_id)
        page["vue"] = tableau.vue_renouvellement(page["convention"])
        return _page(page, form, refus_form, erreurs, refus.statut)
    flash(message, "succes")
    return redirect(url_for(".convention", convention_id=convention_id))


def _formulaires_proposes(derniere, indicateurs, apercu):
    """On arrival: the amount proposed (last year's, within the cap) and last year's targets."""
    form = forms.formulaire_renouvellement(indicateurs, **LIBRE)
    form.montant.data = min(derniere.montant, apercu.plafond.maximum)
    cibles = derniere.cibles()
    for indicateur in indicateurs:
        if indicateur.cle in cibles:
            form["objectif_" + forms.nom_champ(indicateur.cle)].data = cibles[indicateur.cle]
    return form, forms.NonRenouvellementForm(**LIBRE)


def _decider(convention, form, refus_form, indicateurs):
    """The decision sent: the avenant (`form`), or else not renewing (`refus_form`); its success message."""
    if form is not None:
        annee = avenants.renouveler(
            convention,
            montant=form.montant.data,
            cout_retenu=form.cout_retenu.data,
            objectifs=forms.objectifs_de(form, indicateurs),
            par=current_user,
        )
        return f"Convention renouvelée pour l'année {annee.rang} : l'avenant n° {annee.rang - 1} est à faire signer."
    avenants.ne_pas_renouveler(convention, motif=refus_form.motif.data, par=current_user)
    return "Non-renouvellement enregistré : la structure en est avertie."


def _page(page, form, refus_form, erreurs=(), statut=200):
    return render_template("conventions/renouvellement.html", form=form, refus_form=refus_form, erreurs=erreurs, **page), statut
