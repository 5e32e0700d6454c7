"""Open data of the grants (décret n° 2017-779), published without login: one page and one file per service."""

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from aap.extensions import db
from aap.models import Service

from .. import donnees_ouvertes as scdl
from .. import regles

# --- Publication (décret n° 2017-779) : sans connexion --------------------------------------------------

bp_public = Blueprint("donnees_ouvertes", __name__, url_prefix="/donnees-ouvertes")


def _service_publie(code):
    service = db.session.scalar(select(Service).where(Service.code == code))
    if service is None:
        abort(404)
    return service


@bp_public.route("/")
def services_publies():
    services = db.session.scalars(select(Service).order_by(Service.nom)).all()
    return render_template("conventions/donnees_ouvertes.html", services=services, service=None)


@bp_public.route("/<code>/")
def publication(code):
    service = _service_publie(code)
    lignes, mise_a_jour = scdl.publication(service)
    return render_template(
        "conventions/donnees_ouvertes.html",
        service=service,
        lignes=lignes,
        mise_a_jour=mise_a_jour,
        licence=scdl.LICENCE,
        seuil=regles.SEUIL_DONNEES_OUVERTES,
    )


@bp_public.route("/<code>/subventions.csv")
def fichier_publie(code):
    service = _service_publie(code)
    if not service.siret:
        abort(404)  # sans l'identifiant de l'attribuant, le fichier ne serait pas valide : la page le dit
    lignes, _ = scdl.publication(service)
    return scdl.reponse_csv(scdl.csv_scdl(lignes), f"subventions-{service.code}.csv")
