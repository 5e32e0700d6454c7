"""Public pages (home, campaigns, API documentation) and the audit log."""

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from . import journal as journal_
from .entrees import paginer
from .extensions import db
from .models import AGENTS_ETAT, Campagne, EntreeJournal, Role
from .regles import LIBELLES_CONDITIONS, EtatCampagne, etat_campagne
from .securite import role_requis
from .types import maintenant

bp = Blueprint("aap", __name__)
# Les gabarits comparent l'état d'une campagne à un membre, jamais à une chaîne.
bp.add_app_template_global(EtatCampagne, "EtatCampagne")


def campagnes_publiees():
    return db.session.scalars(
        select(Campagne)
        .where(Campagne.publiee.is_(True))
        .options(selectinload(Campagne.service))
        .order_by(Campagne.ouverture_le.desc())
    ).all()


@bp.route("/")
def accueil():
    instant = maintenant()
    campagnes = [(c, etat_campagne(c.ouverture_le, c.cloture_le, instant)) for c in campagnes_publiees()]
    return render_template("aap/accueil.html", campagnes=campagnes)


@bp.route("/sante")
def sante():
    """For the reverse proxy's health check and the benchmark's baseline: the app answers, and so does its
    database (one trivial query). Public, and says nothing else."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"etat": "base de données injoignable"}, 503
    return {"etat": "ok"}


@bp.route("/campagnes/<id:campagne_id>")
def campagne(campagne_id):
    return render_template("aap/campagne.html", **contexte_campagne(campagne_id))


def contexte_campagne(campagne_id):
    """What a campaign's public page shows (its pieces, missions and grid, its state); 404 for a campaign not
    published, unless its service's agents look at it. The simulator's page (candidatures) shows it too."""
    campagne = db.session.scalar(
        select(Campagne)
        .where(Campagne.id == campagne_id)
        .options(selectinload(Campagne.pieces), selectinload(Campagne.missions), selectinload(Campagne.criteres))
    )
    if campagne is None or not (campagne.publiee or _instruit(campagne.service_id)):
        abort(404)
    etat = etat_campagne(campagne.ouverture_le, campagne.cloture_le, maintenant())
    return {"campagne": campagne, "etat": etat, "conditions": LIBELLES_CONDITIONS}


def _instruit(service_id):
    return current_user.is_authenticated and current_user.can_lire_service(service_id)


@bp.route("/journal")
@role_requis(*AGENTS_ETAT)
def journal():
    requete = select(EntreeJournal).order_by(EntreeJournal.id.desc())
    if not current_user.a_role(Role.NATIONAL):
        requete = requete.where(EntreeJournal.service_id == current_user.service_id)
    filtres = {cle: request.args.get(cle, "").strip()[:80] for cle in ("objet_type", "objet_id", "action")}
    if filtres["objet_type"]:
        requete = requete.where(EntreeJournal.objet_type == filtres["objet_type"])
    if filtres["objet_id"]:
        requete = requete.where(EntreeJournal.objet_id == filtres["objet_id"])
    if filtres["action"]:
        requete = requete.where(EntreeJournal.action.startswith(filtres["action"], autoescape=True))
    page = paginer(requete)
    return render_template(
        "aap/journal.html",
        page=page,
        filtres=filtres,
        libelle_action=journal_.libelle_action,
        libelles_objets=journal_.LIBELLES_OBJETS,
        details_lisibles=journal_.details_lisibles,
    )


PAGES_INFORMATION = {
    "accessibilite": "Déclaration d'accessibilité",
    "mentions-legales": "Mentions légales",
    "donnees-personnelles": "Données personnelles",
}


@bp.route("/<any(accessibilite, 'mentions-legales', 'donnees-personnelles'):page>")
def information(page):
    return render_template(f"aap/{page}.html", titre=PAGES_INFORMATION[page])


@bp.route("/developpeurs/api")
def documentation_api():
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec
    return render_template("aap/documentation_api.html", spec=spec.to_dict())
