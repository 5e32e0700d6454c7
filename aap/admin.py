"""Administration of the service: accounts and invitations, the service's settings."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from . import operations
from .erreurs import Refus
from .extensions import db
from .forms import CompteForm, InvitationForm, ServiceForm, choix
from .models import Role, Utilisateur
from .securite import role_requis

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_requis(Role.ADMIN)
def administrateurs_seulement():
    pass


def comptes_du_service():
    """An administrator manages the accounts of his service; national readers are created by command."""
    return select(Utilisateur).where(Utilisateur.service_id == current_user.service_id)


@bp.route("/comptes")
def comptes():
    requete = comptes_du_service().order_by(Utilisateur.role, Utilisateur.email)
    role = request.args.get("role", "")
    if role in {str(r) for r in Role}:
        requete = requete.where(Utilisateur.role == role)
    recherche = request.args.get("q", "").strip()[:100]
    if recherche:
        requete = requete.where(Utilisateur.email.contains(recherche.lower(), autoescape=True))
    page = db.paginate(requete, per_page=current_app.config["PAR_PAGE"], error_out=False)
    return render_template("admin/comptes.html", page=page, form=InvitationForm(), role=role, recherche=recherche)


@bp.route("/comptes/inviter", methods=["POST"])
def inviter():
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            operations.inviter(
                email=form.email.data,
                role=form.role.data,
                par=current_user,
                prenom=form.prenom.data or "",
                nom=form.nom.data or "",
            )
        except Refus as refus:
            db.session.rollback()
            getattr(form, refus.champ or "email").errors.append(refus.message)
        else:
            db.session.commit()
            flash(f"Invitation envoyée à {form.email.data}.", "succes")
            return redirect(url_for("admin.comptes"))
    page = db.paginate(comptes_du_service().order_by(Utilisateur.email), per_page=current_app.config["PAR_PAGE"])
    return render_template("admin/comptes.html", page=page, form=form, role="", recherche=""), 422


@bp.route("/comptes/<int:utilisateur_id>", methods=["GET", "POST"])
def compte(utilisateur_id):
    utilisateur = db.session.scalar(comptes_du_service().where(Utilisateur.id == utilisateur_id))
    if utilisateur is None:
        abort(404)
    form = CompteForm(role=utilisateur.role, actif="1" if utilisateur.actif else "0")
    if utilisateur.role == Role.PORTEUR:
        form.role.choices = choix([(str(Role.PORTEUR), Role.PORTEUR.libelle)])
    if form.validate_on_submit():
        try:
            operations.modifier_compte(utilisateur, role=form.role.data, actif=form.actif.data == "1", par=current_user)
        except Refus as refus:
            db.session.rollback()
            form.role.errors.append(refus.message)
        else:
            db.session.commit()
            flash("Compte modifié.", "succes")
            return redirect(url_for("admin.compte", utilisateur_id=utilisateur.id))
    return render_template("admin/compte.html", utilisateur=utilisateur, form=form), 422 if form.errors else 200


@bp.route("/service", methods=["GET", "POST"])
def service():
    """The settings of the administrator's own service: what its receipts, letters and conventions carry."""
    service_ = current_user.service
    form = ServiceForm(obj=service_)
    if form.validate_on_submit():
        modifies = operations.modifier_service(service_, form.valeurs(), par=current_user)
        db.session.commit()
        flash("Réglages du service enregistrés." if modifies else "Aucun changement.", "succes")
        return redirect(url_for("admin.service"))
    return render_template("admin/service.html", form=form, service=service_), 422 if form.errors else 200
