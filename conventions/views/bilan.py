"""Pages of a report: the structure's draft and filing, its attachments, the agent's approval or request for
corrections."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap.erreurs import Conflit, Refus
from aap.extensions import db
from aap.fichiers import reponse_telechargement
from aap.securite import role_requis

from .. import bilans, forms, lecture, paiements, regles, suivi
from ..lecture import GESTION, LECTEURS, PORTEURS
from ..models import Convention, PieceBilan, StatutBilan
from .commun import bp, version_lue

# --- Bilans ----------------------------------------------------------------------------------------------


def _bilan(convention, bilan_id):
    bilan = lecture.charger_bilan(convention, bilan_id)
    if bilan is None:
        abort(404)
    return bilan


def _remplir_bilan(form, bilan, indicateurs):
    valeurs = bilan.valeurs_par_cle()
    for indicateur in indicateurs:
        valeur = valeurs.get(indicateur.cle)
        form[forms.nom_champ(indicateur.cle)].data = valeur if indicateur.numerique else valeur or ""
    if "depenses_realisees" in form:
        form.depenses_realisees.data = bilan.depenses_realisees
    form.version.data = str(bilan.version)


def _page_bilan(
    convention, bilan, form=None, statut=200, erreurs=(), avertissements=(), piece=None, approbation=None, corrections=None
):
    indicateurs = bilans.indicateurs_de(bilan)
    edite = bilan.modifiable and convention.can_rendre_compte(current_user) and bilan.annee.signee_le is not None
    if form is None and edite:
        form = forms.formulaire_bilan(indicateurs, bilan.type, formdata=None)
        _remplir_bilan(form, bilan, indicateurs)
    if edite and piece is None:
        piece = forms.PieceBilanForm(formdata=None)
    examen = bilan.statut == StatutBilan.DEPOSE and convention.can_gerer(current_user)
    if not examen:
        # Un examen refusé parce que le bilan n'est plus déposé (approuvé ou renvoyé entre-temps) : la page dit
        # pourquoi, sans les formulaires d'examen (l'un des deux manquait : erreur 500).
        if approbation is not None or corrections is not None:
            erreurs = [*erreurs, *(m for m in _hors_examen(bilan) if m not in erreurs)]
        approbation = corrections = None
    else:
        approbation = approbation or forms.ApprobationForm(formdata=None, version=str(bilan.version))
        corrections = corrections or forms.CorrectionsForm(formdata=None, version=str(bilan.version))
        retenues = approbation.depenses_eligibles
        if bilan.type == regles.FINANCIER and retenues.data is None and not retenues.errors:
            retenues.data = bilan.depenses_realisees
    complet = lecture.bilan_complet(bilan.id)
    return render_template(
        "conventions/bilan.html",
        convention=convention,
        bilan=complet,
        annee=bilan.annee,
        indicateurs=indicateurs,
        valeurs=complet.valeurs_par_cle(),
        cibles=bilan.annee.cibles(),
        precedentes=bilans.precedentes(bilan),
        form=form,
        edite=edite,
        erreurs=erreurs,
        avertissements=avertissements,
        piece=piece,
        approbation=approbation,
        corrections=corrections,
        postes=regles.LIBELLES_POSTES,
        nom_champ=forms.nom_champ,
        jour=lecture.aujourdhui(convention),
        regularisation=paiements.regularisation(bilan.annee) if bilan.type in suivi.DEPENSES_DEMANDEES else None,
        non_baisse=bilans.alerte_non_baisse(complet),
    ), statut


def _hors_examen(bilan):
    message = f"Ce bilan est « {bilan.statut.libelle.lower()} » : seul un bilan déposé s'examine."
    return [] if bilan.statut == StatutBilan.DEPOSE else [message]


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>", methods=["GET", "POST"])
@role_requis(*LECTEURS)
def bilan(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id)
    bilan_ = _bilan(convention, bilan_id)
    if request.method == "GET":
        return _page_bilan(convention, bilan_)
    if not convention.can_rendre_compte(current_user):
        abort(403)  # la page se lit par tous ses lecteurs ; seul le porteur l'enregistre
    indicateurs = bilans.indicateurs_de(bilan_)
    form = forms.formulaire_bilan(indicateurs, bilan_.type)
    if not form.validate_on_submit():
        return _page_bilan(convention, bilan_, form=form, statut=422)
    saisies = {i.cle: form[forms.nom_champ(i.cle)].data for i in indicateurs}
    depenses = form.depenses_realisees.data if "depenses_realisees" in form else None
    deposer = form.action.data == "deposer"
    try:
        avertissements = bilans.enregistrer_bilan(
            bilan_, valeurs=saisies, depenses_realisees=depenses, par=current_user, version=version_lue(form.version.data)
        )
        if deposer:
            bilans.deposer_bilan(bilan_, par=current_user)
        db.session.commit()
    except Refus as refus:
        db.session.rollback()
        convention = lecture.convention_accessible(convention_id)
        bilan_ = _bilan(convention, bilan_id)
        erreurs = form.porter_refus(refus, en_tete=False)
        if isinstance(refus, Conflit):
            erreurs = [refus.message]
        return _page_bilan(convention, bilan_, form=form, statut=refus.statut, erreurs=erreurs)
    if deposer:
        flash(f"{bilan_.intitule} déposé : la DEETS l'examine. La version déposée est conservée.", "succes")
        return redirect(url_for(".convention", convention_id=convention_id))
    flash("Brouillon du bilan enregistré : il n'est pas encore déposé.", "succes")
    if avertissements:
        for avertissement in avertissements:
            flash(avertissement.message, "avertissement")
    return redirect(url_for(".bilan", convention_id=convention_id, bilan_id=bilan_id))


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/pieces", methods=["POST"])
@role_requis(*PORTEURS)
def piece_bilan(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_rendre_compte)
    bilan_ = _bilan(convention, bilan_id)
    form = forms.PieceBilanForm()
    if form.validate_on_submit():
        try:
            piece = bilans.ajouter_piece(
                bilan_, request.files.get("fichier"), par=current_user, nature=form.nature.data, libelle=form.libelle.data or ""
            )
            db.session.commit()
            flash(f"« {piece.fichier.nom} » est joint au bilan.", "succes")
            return redirect(url_for(".bilan", convention_id=convention_id, bilan_id=bilan_id) + "#pieces")
        except Refus as refus:
            db.session.rollback()
            form.porter_refus(refus, a_defaut="fichier")
            convention = lecture.convention_accessible(convention_id)
            bilan_ = _bilan(convention, bilan_id)
    return _page_bilan(convention, bilan_, piece=form, statut=422)


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/pieces/<id:piece_id>")
@role_requis(*LECTEURS)
def fichier_piece_bilan(convention_id, bilan_id, piece_id):
    convention = lecture.convention_accessible(convention_id)
    _bilan(convention, bilan_id)
    piece = (
        db.session.scalar(
            select(PieceBilan)
            .where(PieceBilan.id == piece_id, PieceBilan.bilan_id == bilan_id)
            .options(joinedload(PieceBilan.fichier))
        )
        if piece_id <= lecture.ID_MAX
        else None
    )
    if piece is None:
        abort(404)
    return reponse_telechargement(piece.fichier)


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/pieces/<id:piece_id>/retirer", methods=["POST"])
@role_requis(*PORTEURS)
def retirer_piece_bilan(convention_id, bilan_id, piece_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_rendre_compte)
    _bilan(convention, bilan_id)
    piece = db.session.get(PieceBilan, piece_id) if piece_id <= lecture.ID_MAX else None
    if piece is None or piece.bilan_id != bilan_id:
        abort(404)
    try:
        bilans.retirer_piece(piece, par=current_user)
        db.session.commit()
        flash("Pièce retirée du bilan.", "succes")
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    return redirect(url_for(".bilan", convention_id=convention_id, bilan_id=bilan_id) + "#pieces")


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/approbation", methods=["POST"])
@role_requis(*GESTION)
def approbation(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    bilan_ = _bilan(convention, bilan_id)
    form = forms.ApprobationForm()
    if form.validate_on_submit():
        try:
            bilans.approuver_bilan(
                bilan_,
                par=current_user,
                depenses_eligibles=form.depenses_eligibles.data,
                commentaire=form.commentaire.data or "",
                version=version_lue(form.version.data),
            )
            db.session.commit()
            flash(f"{bilan_.intitule} approuvé.", "succes")
            return redirect(url_for(".convention", convention_id=convention_id))
        except Refus as refus:
            db.session.rollback()
            erreurs = form.porter_refus(refus, en_tete=False)
            convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
            return _page_bilan(convention, _bilan(convention, bilan_id), approbation=form, statut=refus.statut, erreurs=erreurs)
    return _page_bilan(convention, bilan_, approbation=form, statut=422)


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/corrections", methods=["POST"])
@role_requis(*GESTION)
def corrections(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    bilan_ = _bilan(convention, bilan_id)
    form = forms.CorrectionsForm()
    if form.validate_on_submit():
        try:
            bilans.demander_corrections(
                bilan_,
                message=form.message.data,
                date_limite=form.date_limite.data,
                par=current_user,
                version=version_lue(form.version.data),
            )
            db.session.commit()
            flash("Corrections demandées : la structure en est avertie par courriel.", "succes")
            return redirect(url_for(".convention", convention_id=convention_id))
        except Refus as refus:
            db.session.rollback()
            erreurs = form.porter_refus(refus, en_tete=False)
            convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
            return _page_bilan(convention, _bilan(convention, bilan_id), corrections=form, statut=refus.statut, erreurs=erreurs)
    return _page_bilan(convention, bilan_, corrections=form, statut=422)
