"""Pages of campaign administration (administrators of the service)."""

from datetime import time
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import aap2022
from ..erreurs import Refus
from ..extensions import db
from ..formats import fuseau
from ..models import Campagne, Critere, Mission, PieceRequise, Role
from ..regles import LIBELLES_CONDITIONS
from ..securite import role_requis
from ..types import maintenant
from . import operations
from .forms import CampagneForm, CritereForm, MissionForm, PieceRequiseForm

bp = Blueprint("campagnes", __name__, url_prefix="/admin/campagnes")
CENT = Decimal("100")


def pourcent(taux):
    """0.7000 → 70 (as typed in the form)."""
    return (taux * CENT).normalize()


@bp.before_request
@role_requis(Role.ADMIN)
def administrateurs_seulement():
    pass


def _campagne(campagne_id):
    campagne = db.session.scalar(
        select(Campagne)
        .where(Campagne.id == campagne_id, Campagne.service_id == current_user.service_id)
        .options(selectinload(Campagne.pieces), selectinload(Campagne.missions), selectinload(Campagne.criteres))
    )
    if campagne is None:
        abort(404)
    return campagne


def _valeurs(form):
    local = fuseau()
    from datetime import datetime

    return {
        "titre": form.titre.data.strip(),
        "annee": form.annee.data,
        "presentation": (form.presentation.data or "").strip(),
        "ouverture_le": datetime.combine(form.ouverture_jour.data, form.ouverture_heure.data or time(0, 0), tzinfo=local),
        "cloture_le": datetime.combine(form.cloture_jour.data, form.cloture_heure.data or time(23, 59), tzinfo=local),
        "taux_plafond": (form.taux_plafond.data or Decimal("70")) / CENT,
        "taux_plafond_collectivite": (form.taux_plafond_collectivite.data or Decimal("80")) / CENT,
        "etp_minimum": form.etp_minimum.data or Decimal("0.5"),
        "credits": form.credits.data or Decimal("0"),
        "credits_annee2": form.credits_annee2.data or Decimal("0"),
        "credits_annee3": form.credits_annee3.data or Decimal("0"),
        "courriel_contact": (form.courriel_contact.data or "").strip(),
        "publiee": form.publiee.data,
    }


def _donnees(campagne):
    local = fuseau()
    return {
        "titre": campagne.titre,
        "annee": campagne.annee,
        "presentation": campagne.presentation,
        "ouverture_jour": campagne.ouverture_le.astimezone(local).date(),
        "ouverture_heure": campagne.ouverture_le.astimezone(local).time(),
        "cloture_jour": campagne.cloture_le.astimezone(local).date(),
        "cloture_heure": campagne.cloture_le.astimezone(local).time(),
        "taux_plafond": pourcent(campagne.taux_plafond),
        "taux_plafond_collectivite": pourcent(campagne.taux_plafond_collectivite),
        "etp_minimum": campagne.etp_minimum,
        "credits": campagne.credits,
        "credits_annee2": campagne.credits_annee2,
        "credits_annee3": campagne.credits_annee3,
        "courriel_contact": campagne.courriel_contact,
        "publiee": campagne.publiee,
    }


@bp.route("/")
def liste():
    campagnes = db.session.scalars(
        select(Campagne).where(Campagne.service_id == current_user.service_id).order_by(Campagne.annee.desc())
    ).all()
    return render_template(
        "admin/campagnes.html", campagnes=campagnes, deposes={c.id: operations.dossiers_deposes(c) for c in campagnes}
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
def nouvelle():
    aujourdhui = maintenant().astimezone(fuseau()).date()
    form = (
        CampagneForm(
            data={
                "titre": aap2022.TITRE,
                "annee": aujourdhui.year,
                "presentation": aap2022.PRESENTATION,
                "ouverture_jour": aujourdhui,
                "cloture_jour": aujourdhui.replace(month=10, day=31)
                if aujourdhui.month < 10
                else aujourdhui.replace(year=aujourdhui.year + 1, month=10, day=31),
                "taux_plafond": pourcent(aap2022.TAUX_PLAFOND),
                "taux_plafond_collectivite": pourcent(aap2022.TAUX_PLAFOND_COLLECTIVITE),
                "etp_minimum": aap2022.ETP_MINIMUM,
                "credits": Decimal("0"),
                "credits_annee2": Decimal("0"),
                "credits_annee3": Decimal("0"),
                "courriel_contact": current_user.service.courriel,
                "publiee": False,
            }
        )
        if request.method == "GET"
        else CampagneForm()
    )
    if form.validate_on_submit():
        try:
            campagne = operations.creer_campagne(current_user.service, _valeurs(form), par=current_user)
        except Refus as refus:
            db.session.rollback()
            form.porter_refus(refus, {"cloture_le": "cloture_jour"}, a_defaut="titre")
        else:
            db.session.commit()
            flash("La campagne est créée avec les pièces, missions et la grille de l'appel 2022 : ajustez-les.", "succes")
            return redirect(url_for("campagnes.campagne", campagne_id=campagne.id))
    return render_template("admin/campagne_nouvelle.html", form=form), 422 if form.errors else 200


def _page(campagne, form=None, form_piece=None, form_mission=None, form_critere=None, statut=200):
    """The campaign page; after a refused form, that one as sent, the others as stored (not read from the request)."""
    return render_template(
        "admin/campagne.html",
        campagne=campagne,
        form=form or CampagneForm(formdata=None, data=_donnees(campagne)),
        form_piece=form_piece or PieceRequiseForm(formdata=None),
        form_mission=form_mission or MissionForm(formdata=None),
        form_critere=form_critere or CritereForm(formdata=None),
        figee=operations.figee(campagne),
        deposes=operations.dossiers_deposes(campagne),
        conditions=LIBELLES_CONDITIONS,
    ), statut


@bp.route("/<id:campagne_id>", methods=["GET", "POST"])
def campagne(campagne_id):
    campagne = _campagne(campagne_id)
    if request.method == "GET":
        return _page(campagne)
    form = CampagneForm()
    if form.validate():
        try:
            changes = operations.modifier_campagne(campagne, _valeurs(form), par=current_user)
        except Refus as refus:
            db.session.rollback()
            form.porter_refus(refus, {"cloture_le": "cloture_jour"}, a_defaut="taux_plafond")
        else:
            db.session.commit()
            flash("Campagne enregistrée." if changes else "Aucun changement.", "succes")
            return redirect(url_for("campagnes.campagne", campagne_id=campagne_id))
    return _page(_campagne(campagne_id), form=form, statut=422)


def _element(modele, ident, campagne):
    element = db.session.get(modele, ident)
    if element is None or element.campagne_id != campagne.id:
        abort(404)
    return element


def _agir(campagne_id, form_classe, nom_form, action, ancre, succes):
    campagne = _campagne(campagne_id)
    form = form_classe()
    if form.validate_on_submit():
        try:
            action(campagne, form)
        except Refus as refus:
            db.session.rollback()
            form.porter_refus(refus, {"cloture_le": "cloture_jour"}, a_defaut="libelle")
        else:
            db.session.commit()
            flash(succes, "succes")
            return redirect(url_for("campagnes.campagne", campagne_id=campagne_id, _anchor=ancre))
    return _page(_campagne(campagne_id), **{nom_form: form}, statut=422)


@bp.route("/<id:campagne_id>/pieces", methods=["POST"])
def ajouter_piece(campagne_id):
    return _agir(
        campagne_id,
        PieceRequiseForm,
        "form_piece",
        lambda c, f: operations.enregistrer_piece(
            c,
            par=current_user,
            code=f.code.data,
            libelle=f.libelle.data,
            description=f.description.data,
            condition=f.condition.data,
        ),
        "pieces",
        "Pièce ajoutée.",
    )


@bp.route("/<id:campagne_id>/pieces/<id:piece_id>", methods=["POST"])
def modifier_piece(campagne_id, piece_id):
    def action(c, f):
        operations.enregistrer_piece(
            c,
            par=current_user,
            piece=_element(PieceRequise, piece_id, c),
            libelle=f.libelle.data,
            description=f.description.data,
            condition=f.condition.data,
        )

    return _agir(campagne_id, PieceRequiseForm, "form_piece", action, "pieces", "Pièce modifiée.")


@bp.route("/<id:campagne_id>/pieces/<id:piece_id>/supprimer", methods=["POST"])
def supprimer_piece(campagne_id, piece_id):
    campagne = _campagne(campagne_id)
    try:
        operations.supprimer_piece(_element(PieceRequise, piece_id, campagne), par=current_user)
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    else:
        db.session.commit()
        flash("Pièce supprimée.", "succes")
    return redirect(url_for("campagnes.campagne", campagne_id=campagne_id, _anchor="pieces"))


@bp.route("/<id:campagne_id>/missions", methods=["POST"])
def ajouter_mission(campagne_id):
    return _agir(
        campagne_id,
        MissionForm,
        "form_mission",
        lambda c, f: operations.enregistrer_mission(c, par=current_user, poste=f.poste.data, libelle=f.libelle.data),
        "missions",
        "Mission ajoutée.",
    )


@bp.route("/<id:campagne_id>/missions/<id:mission_id>/supprimer", methods=["POST"])
def supprimer_mission(campagne_id, mission_id):
    campagne = _campagne(campagne_id)
    try:
        operations.supprimer_mission(_element(Mission, mission_id, campagne), par=current_user)
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    else:
        db.session.commit()
        flash("Mission supprimée.", "succes")
    return redirect(url_for("campagnes.campagne", campagne_id=campagne_id, _anchor="missions"))


@bp.route("/<id:campagne_id>/criteres", methods=["POST"])
def ajouter_critere(campagne_id):
    return _agir(
        campagne_id,
        CritereForm,
        "form_critere",
        lambda c, f: operations.enregistrer_critere(
            c, par=current_user, code=f.code.data, groupe=f.groupe.data, libelle=f.libelle.data, maximum=f.maximum.data
        ),
        "grille",
        "Critère ajouté.",
    )


@bp.route("/<id:campagne_id>/criteres/<id:critere_id>/supprimer", methods=["POST"])
def supprimer_critere(campagne_id, critere_id):
    campagne = _campagne(campagne_id)
    try:
        operations.supprimer_critere(_element(Critere, critere_id, campagne), par=current_user)
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    else:
        db.session.commit()
        flash("Critère supprimé.", "succes")
    return redirect(url_for("campagnes.campagne", campagne_id=campagne_id, _anchor="grille"))
