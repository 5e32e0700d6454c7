"""Steering pages: the "À faire" list, the dashboard and its exports (spreadsheet, open data file)."""

from flask import render_template, request
from flask_login import current_user

from aap.formats import fuseau
from aap.models import Role
from aap.securite import role_requis
from aap.types import maintenant

from .. import delais, lecture, regles, tableau
from .. import donnees_ouvertes as scdl
from ..lecture import GESTION, LECTEURS
from .commun import bp

# --- À faire, tableau de bord, exports ---------------------------------------------------------------------


@bp.route("/a-faire")
@role_requis(*LECTEURS)
def a_faire():
    lignes, prochain_copil = lecture.a_faire(current_user)
    gestion = current_user.a_role(*GESTION)
    return render_template(
        "conventions/a_faire.html",
        lignes=lignes,
        a_preparer=lecture.conventions_a_preparer(current_user) if gestion else [],
        a_declarer=lecture.dossiers_a_declarer_complets(current_user) if gestion else [],
        trimestre_sans_copil=lecture.trimestre_sans_copil(current_user),
        prochain_copil=prochain_copil,
        aujourdhui=regles.jour_local(maintenant(), fuseau().key),
        horizon=delais.HORIZON_A_FAIRE,
    )


def _filtres_tableau():
    campagne_id = request.args.get("campagne", "")
    service_id = request.args.get("service", "")
    return (
        int(campagne_id) if campagne_id.isdigit() and len(campagne_id) < 10 else None,
        int(service_id) if service_id.isdigit() and len(service_id) < 10 else None,
    )


@bp.route("/tableau-de-bord")
@role_requis(*GESTION, Role.NATIONAL)
def tableau_de_bord():
    campagne_id, service_id = _filtres_tableau()
    donnees = tableau.tableau_de_bord(current_user, campagne_id=campagne_id, service_id=service_id)
    return render_template("conventions/tableau_de_bord.html", t=donnees)


@bp.route("/tableau-de-bord.xlsx")
@role_requis(*GESTION, Role.NATIONAL)
def tableau_de_bord_xlsx():
    campagne_id, service_id = _filtres_tableau()
    donnees = tableau.tableau_de_bord(current_user, campagne_id=campagne_id, service_id=service_id)
    return tableau.classeur(donnees)


@bp.route("/donnees-ouvertes.csv")
@role_requis(*GESTION, Role.NATIONAL)
def donnees_ouvertes():
    _, service_id = _filtres_tableau()
    return scdl.donnees_ouvertes(current_user, service_id=service_id)
