"""Administration of the service: accounts and invitations, the service's settings, and the emails that could
not be delivered."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from . import courriels, operations
from .entrees import paginer
from .erreurs import Refus
from .extensions import db
from .forms import CompteForm, InvitationForm, ServiceForm, choix
from .models import Courriel, Role, Utilisateur
from .securite import role_requis

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Les rôles des comptes d'un service (la lecture nationale n'en a pas), pour le filtre de la liste.
ROLES_FILTRABLES = [r for r in Role if r != Role.NATIONAL]


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
    page = paginer(requete)
    return render_template(
        "admin/comptes.html",
        page=page,
        form=InvitationForm(),
        roles=ROLES_FILTRABLES,
        role=role,
        recherche=recherche,
        echecs=_nombre_d_echecs(),
    )


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
    page = paginer(comptes_du_service().order_by(Utilisateur.email))
    return render_template(
        "admin/comptes.html", page=page, form=form, roles=ROLES_FILTRABLES, role="", recherche="", echecs=_nombre_d_echecs()
    ), 422


@bp.route("/comptes/<id:utilisateur_id>", methods=["GET", "POST"])
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


def courriels_du_service():
    """The messages about this service that have failed at least once and are not sent."""
    return select(Courriel).where(
        Courriel.service_id == current_user.service_id, Courriel.envoye_le.is_(None), Courriel.tentatives > 0
    )


def _nombre_d_echecs():
    requete = courriels_du_service().where(Courriel.tentatives >= courriels.TENTATIVES_MAX)
    return db.session.scalar(select(db.func.count()).select_from(requete.subquery()))


@bp.route("/courriels")
def courriels_non_distribues():
    """Failures first (they wait for an administrator), then the messages waiting for a new attempt."""
    requete = courriels_du_service().order_by(
        (Courriel.tentatives >= courriels.TENTATIVES_MAX).desc(), Courriel.prochain_essai_le, Courriel.id
    )
    page = paginer(requete)
    return render_template("admin/courriels.html", page=page, tentatives_max=courriels.TENTATIVES_MAX)


@bp.route("/courriels/<id:courriel_id>/relancer", methods=["POST"])
def relancer_courriel(courriel_id):
    courriel = db.session.scalar(courriels_du_service().where(Courriel.id == courriel_id))
    if courriel is None:
        abort(404)
    courriels.relancer(courriel, par=current_user)
    db.session.commit()
    flash(f"Le courriel à {courriel.destinataire} repart : il sera envoyé dans quelques instants.", "succes")
    return redirect(url_for("admin.courriels_non_distribues"))


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
