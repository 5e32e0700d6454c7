"""A dossier's life on the porteur's side: creation (from a kept simulation), the dossier page (with the agent's
decision forms), the filing and what it leaves (receipt, snapshot)."""

import json
from datetime import datetime
from decimal import Decimal

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from aap import fichiers
from aap.erreurs import Refus
from aap.extensions import db
from aap.formats import fuseau
from aap.forms import choix
from aap.securite import role_requis
from aap.types import maintenant
from aap.views import contexte_campagne

from .. import depots, operations, regles
from ..constats import simuler
from ..forms import (
    AvisCtnForm,
    ComplementsForm,
    DepotForm,
    IrrecevableForm,
    NouveauDossierForm,
    RecevableForm,
    SimulationForm,
)
from ..lecture import PORTEURS, dossier_accessible
from ..models import Depot, Dossier, Statut
from ..synthese import (
    controles_dossier,
    options_page_dossier,
    pieces_attendues,
    regles_campagne,
    synthese_dossier,
    taux_plafond,
)
from . import bp, bp_structures
from .etapes import ETAPES, choix_pieces, etat_etapes
from .listes import campagnes_ouvertes

COOKIE_SIMULATION = "aap_simulation"


@bp.route("/nouveau", methods=["GET", "POST"])
@role_requis(*PORTEURS)
def nouveau():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        abort(404)
    campagnes = campagnes_ouvertes()
    form = NouveauDossierForm(campagne_id=request.args.get("campagne", type=int))
    form.campagne_id.choices = choix([(c.id, f"{c.titre} — {c.annee}") for c in campagnes])
    if form.validate_on_submit():
        campagne = next(c for c in campagnes if c.id == form.campagne_id.data)
        try:
            dossier = operations.creer_dossier(campagne, current_user.structure, par=current_user, titre=form.titre.data)
        except Refus as refus:
            db.session.rollback()
            form[refus.champ or "titre"].errors.append(refus.message)
        else:
            simulation = _simulation_gardee(campagne.id)
            if simulation is not None:
                operations.modifier(dossier, simulation.valeurs_dossier(), par=current_user)
            db.session.commit()
            flash(
                "Votre dossier est créé"
                + (" avec les postes et le budget de votre simulation" if simulation is not None else "")
                + ". Il est enregistré au fur et à mesure de votre saisie.",
                "succes",
            )
            reponse = redirect(url_for("candidatures.etape", dossier_id=dossier.id, rubrique="projet"))
            reponse.delete_cookie(COOKIE_SIMULATION)
            return reponse
    return render_template("candidatures/nouveau.html", form=form, campagnes=campagnes), 422 if form.errors else 200


@bp_structures.route("/campagnes/<id:campagne_id>/simulation")
def simulation(campagne_id):
    """The campaign's public page with the simulator's answer (works without JavaScript: a GET form). Its figures are
    kept in this browser for 30 days: the first dossier created here for this campaign starts from them."""
    contexte = contexte_campagne(campagne_id)
    form = SimulationForm(formdata=request.args)
    if not form.validate():
        return render_template("aap/campagne.html", **contexte, form_simulation=form), 422
    resultat = simuler(form.faits(), regles_campagne(contexte["campagne"], contexte["campagne"].service.fuseau))
    reponse = make_response(render_template("aap/campagne.html", **contexte, form_simulation=form, simulation=resultat))
    garde = {"campagne": campagne_id} | {nom: champ.raw_data for nom, champ in form._fields.items() if champ.raw_data}
    reponse.set_cookie(
        COOKIE_SIMULATION,
        json.dumps(garde, separators=(",", ":")),
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return reponse


def _simulation_gardee(campagne_id):
    """The simulation kept in this browser for that campaign, checked again like a new one, or None."""
    try:
        garde = json.loads(request.cookies.get(COOKIE_SIMULATION) or "{}")
    except ValueError:
        return None
    if not isinstance(garde, dict) or garde.pop("campagne", None) != campagne_id:
        return None
    donnees = MultiDict([(nom, v) for nom, valeurs in garde.items() if isinstance(valeurs, list) for v in valeurs[:1]])
    form = SimulationForm(formdata=donnees)
    return form if form.validate() else None


@bp.route("/<id:dossier_id>")
@login_required
def dossier(dossier_id):
    return page_dossier(dossier_accessible(dossier_id, options_page_dossier()))


def page_dossier(dossier, statut=200, decision_ouverte=None, formulaires=None):
    """The dossier page; `decision_ouverte`: the refused decision form shown again with its errors."""
    constats = controles_dossier(dossier)
    etapes = etat_etapes(dossier, constats)
    contexte = {
        "dossier": dossier,
        "porteur": current_user.porte(dossier.structure_id),
        "constats": constats,
        "synthese": synthese_dossier(dossier),
        "etapes": etapes,
        "reprise": _reprise(dossier, etapes),
        "pieces": pieces_attendues(dossier),
        "taux_plafond": taux_plafond(dossier),
        "decision_ouverte": decision_ouverte,
    }
    if dossier.can_instruire(current_user):
        contexte |= _formulaires_decision(dossier, **(formulaires or {}))
    return render_template("candidatures/dossier.html", **contexte), statut


def _reprise(dossier, etapes):
    """Where "Continuer la saisie" or "Apporter les compléments" leads: the first open step left to complete, else
    the first open one (after a request for compléments, only the items asked are open), else the filing page."""
    ouvertes = [e for e in etapes if e["ouverte"]]
    etape = next((e for e in ouvertes if not e["complete"]), ouvertes[0] if ouvertes else None)
    if etape is None:
        return url_for("candidatures.depot", dossier_id=dossier.id)
    return url_for("candidatures.etape", dossier_id=dossier.id, rubrique=etape["code"])


def _formulaires_decision(dossier, **formulaires):
    """The agent's decision forms: the refused one as sent, the others with their defaults (never read from the
    request: on a refused decision, the request holds another form's fields)."""
    aujourdhui = maintenant().astimezone(fuseau(dossier.service)).date()
    complements = formulaires.get("form_complements") or ComplementsForm(formdata=None)
    complements.pieces.choices = choix_pieces(dossier)
    return {
        "form_recevable": formulaires.get("form_recevable") or RecevableForm(formdata=None, recevable_le=aujourdhui),
        "form_irrecevable": formulaires.get("form_irrecevable") or IrrecevableForm(formdata=None),
        "form_complements": complements,
        "form_avis": formulaires.get("form_avis") or AvisCtnForm(formdata=None, le=aujourdhui, avis=dossier.avis_ctn),
    }


@bp.route("/<id:dossier_id>/depot", methods=["GET", "POST"])
@role_requis(*PORTEURS)
def depot(dossier_id):
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    if request.method == "GET" and dossier.statut not in (Statut.BROUILLON, Statut.COMPLEMENTS_DEMANDES):
        return redirect(url_for("candidatures.dossier", dossier_id=dossier.id))
    form = DepotForm(version=dossier.version)
    statut, erreur = 200, None
    if form.validate_on_submit():
        try:
            depot = depots.deposer(dossier, par=current_user, version=form.version.data)
        except depots.DejaDepose as deja:
            db.session.rollback()
            flash(deja.message, "info")
            return redirect(url_for("candidatures.dossier", dossier_id=dossier_id))
        except Refus as refus:
            db.session.rollback()
            erreur, statut = refus.message, refus.statut
            dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
            form = DepotForm(formdata=None, version=dossier.version)
        else:
            db.session.commit()
            flash(
                f"Votre dossier est déposé sous le numéro {dossier.numero}. L'accusé de réception vous est envoyé par courriel.",
                "succes",
            )
            return redirect(url_for("candidatures.dossier", dossier_id=dossier.id, depot=depot.rang))
    constats = controles_dossier(dossier)
    return render_template(
        "candidatures/depot.html",
        dossier=dossier,
        form=form,
        constats=constats,
        erreur=erreur,
        etapes=etat_etapes(dossier, constats),
        synthese=synthese_dossier(dossier),
        pieces=pieces_attendues(dossier),
        numero_etape=len(ETAPES) + 1,
        nombre_etapes=len(ETAPES) + 1,
        taux_plafond=taux_plafond(dossier),
    ), statut


def _depot_de(dossier, rang):
    depot = next((d for d in dossier.depots if d.rang == rang), None)
    if depot is None:
        abort(404)
    return depot


@bp.route("/<id:dossier_id>/depots/<id:rang>/accuse.pdf")
@login_required
def accuse(dossier_id, rang):
    dossier = dossier_accessible(dossier_id, [selectinload(Dossier.depots).joinedload(Depot.accuse)])
    depot = _depot_de(dossier, rang)
    fichier = depot.accuse
    if fichier is None:  # dépôt sans accusé encore rendu (données importées) : rendu une fois, puis gardé
        fichier = depots.accuse_de(depot)
        db.session.commit()
    return fichiers.reponse_telechargement(fichier)


@bp.route("/<id:dossier_id>/depots/<id:rang>")
@login_required
def instantane(dossier_id, rang):
    """What was filed at that filing, as it was (the snapshot), whatever changed since."""
    dossier = dossier_accessible(dossier_id, [selectinload(Dossier.depots)])
    depot = _depot_de(dossier, rang)
    contenu = json.loads(depot.instantane)
    return render_template(
        "candidatures/instantane.html",
        dossier=dossier,
        depot=depot,
        contenu=contenu,
        depose_le=datetime.fromisoformat(contenu["depose_le"]),
        libelles_budget=regles.CATEGORIES_BUDGET,
        libelles_volumes=regles.CATEGORIES_VOLUMES,
        Decimal=Decimal,
    )
