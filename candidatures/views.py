"""Pages of the candidatures domain: the applicant's dossiers and their steps, pieces, filing; the DEETS's
instruction list, dossier page and completeness decisions; the structure's profile.

Views are thin: load (eagerly), check `can_*` (404 for what is not yours), validate, call the operation,
commit once, redirect or render. A step saved by the page's script (autosave) gets JSON back.
"""

import json
from datetime import datetime
from decimal import Decimal
from itertools import batched

from flask import Blueprint, abort, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from aap import fichiers
from aap.comptes import limite_connexion, limite_par_courriel
from aap.erreurs import Conflit, Refus
from aap.extensions import db, limiter
from aap.formats import fuseau, heure_fr
from aap.forms import choix
from aap.models import Campagne, Role, Service
from aap.referentiel import communes_du_service
from aap.regles import EtatCampagne, etat_campagne
from aap.securite import role_requis
from aap.types import maintenant
from aap.views import contexte_campagne

from . import operations, regles
from .forms import (
    FORMULAIRES_ETAPES,
    STATUTS_FILTRABLES,
    AvisCtnForm,
    ComplementsForm,
    DepotForm,
    DocumentForm,
    FinancementForm,
    InscriptionForm,
    IrrecevableForm,
    NouveauDossierForm,
    PieceForm,
    RecevableForm,
    SimulationForm,
    StructureForm,
)
from .lecture import (
    INSTRUCTEURS,
    LECTEURS,
    PORTEURS,
    dossier_accessible,
    filtres_dossiers,
    paginer_dossiers,
    requete_dossiers,
    structure_accessible,
)
from .models import (
    DOCUMENT_POUR_PIECE,
    Depot,
    DocumentStructure,
    Dossier,
    FinancementExistant,
    Piece,
    Statut,
    StatutJuridique,
    Structure,
)
from .resumes import communes_des, lignes_dossiers, resumes_de
from .synthese import (
    controles_dossier,
    options_page_dossier,
    pieces_attendues,
    regles_campagne,
    synthese_budget,
    synthese_dossier,
    taux_plafond,
)

bp = Blueprint("candidatures", __name__, url_prefix="/dossiers")
bp_structures = Blueprint("structures", __name__)

ETAPES = list(regles.RUBRIQUES)
# Les libellés des règles (lignes du budget, types de marchés…) sont lus par les gabarits de tous les domaines.
bp.add_app_template_global(regles, "regles_dossier")  # projet … engagements, puis le récapitulatif (dépôt)
# Le simulateur vide de la page publique d'une campagne (aap/campagne.html).
bp.add_app_template_global(lambda: SimulationForm(formdata=None), "formulaire_simulation")
COOKIE_SIMULATION = "aap_simulation"


# --- Chargement ----------------------------------------------------------------------------------


def choix_pieces(dossier):
    return choix([(p.code, p.libelle) for p in dossier.campagne.pieces] + [("autre", "Autre document")])


def aide_fichier():
    return (
        f"Formats acceptés : {fichiers.FORMATS_ACCEPTES}. Taille maximale : "
        f"{fichiers.taille_lisible(current_app.config['TAILLE_MAX_PIECE'])}."
    )


def veut_json():
    return request.headers.get("X-Enregistrement-Auto") == "1" or request.accept_mimetypes.best == "application/json"


def _etat_etapes(dossier, constats):
    a_corriger = regles.rubriques_a_corriger(constats)
    demande = dossier.demande_en_cours if dossier.statut == Statut.COMPLEMENTS_DEMANDES else None
    return [
        {
            "code": r,
            "libelle": libelle,
            "complete": r not in a_corriger,
            "ouverte": dossier.rubrique_ouverte(r)
            if r != "pieces"
            else dossier.statut == Statut.BROUILLON or bool(demande and demande.pieces),
        }
        for r, libelle in regles.RUBRIQUES.items()
    ]


def _reprise(dossier, etapes):
    """Where "Continuer la saisie" or "Apporter les compléments" leads: the first open step left to complete, else
    the first open one (after a request for compléments, only the items asked are open), else the filing page."""
    ouvertes = [e for e in etapes if e["ouverte"]]
    etape = next((e for e in ouvertes if not e["complete"]), ouvertes[0] if ouvertes else None)
    if etape is None:
        return url_for("candidatures.depot", dossier_id=dossier.id)
    return url_for("candidatures.etape", dossier_id=dossier.id, rubrique=etape["code"])


def _fragments(dossier, constats):
    """The live parts of a step page, rendered by the same macros as the full page."""
    contexte = {"dossier": dossier, "constats": constats, "etapes": _etat_etapes(dossier, constats)}
    rubrique = (request.view_args or {}).get("rubrique")
    return {
        "liste-controles": render_template("candidatures/_controles.html", **contexte),
        "menu-etapes": render_template("candidatures/_menu_etapes.html", **contexte, rubrique=rubrique),
        "synthese-budget": render_template(
            "candidatures/_synthese_budget.html",
            dossier=dossier,
            annees=synthese_budget(dossier),
            taux_plafond=taux_plafond(dossier),
        ),
    }


# --- Listes --------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    if current_user.a_role(Role.PORTEUR):
        return _mes_dossiers()
    if current_user.a_role(*LECTEURS):
        return _instruction()
    abort(403)


def _campagnes_ouvertes():
    instant = maintenant()
    campagnes = db.session.scalars(
        select(Campagne).where(Campagne.publiee.is_(True)).order_by(Campagne.ouverture_le.desc())
    ).all()
    return [c for c in campagnes if etat_campagne(c.ouverture_le, c.cloture_le, instant) != EtatCampagne.CLOTUREE]


def _mes_dossiers():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        return render_template("candidatures/mes_dossiers.html", dossiers=[], campagnes=[], en_attente=True, page=None)
    page = paginer_dossiers(requete_dossiers(filtres_dossiers({})), (joinedload(Dossier.campagne),))
    resumes = resumes_de([d.id for d in page.items])
    lignes = [(d, resumes[d.id]) for d in page.items]
    return render_template(
        "candidatures/mes_dossiers.html", dossiers=lignes, campagnes=_campagnes_ouvertes(), en_attente=False, page=page
    )


def _instruction():
    filtres = filtres_dossiers(request.args)
    page = paginer_dossiers(requete_dossiers(filtres), en_lignes=True)
    lignes = page.items
    communes = communes_du_service(current_user.service)
    # Le filtre ne montre que l'année et le service : des lignes, pas des objets (300 campagnes au national).
    campagnes = [
        (str(ident), f"{annee} — {code}")
        for ident, annee, code in db.session.execute(
            select(Campagne.id, Campagne.annee, Service.code)
            .join(Service, Service.id == Campagne.service_id)
            .where(True if current_user.a_role(Role.NATIONAL) else Campagne.service_id == current_user.service_id)
            .order_by(Campagne.annee.desc())
        )
    ]
    return render_template(
        "candidatures/instruction.html",
        page=page,
        lignes=lignes,
        filtres=filtres,
        communes=communes,
        campagnes=campagnes,
        statuts=STATUTS_FILTRABLES,
        statuts_juridiques=StatutJuridique.choix(),
    )


@bp.route("/export.xlsx")
@role_requis(*LECTEURS)
def export():
    """The filtered list as a spreadsheet, written in batches and streamed."""
    from aap.exports import Classeur, Colonne

    colonnes = [
        Colonne("Numéro", largeur=20),
        Colonne("Statut", largeur=18),
        Colonne("Campagne", "entier", 10),
        Colonne("Structure", largeur=36),
        Colonne("SIRET", largeur=16),
        Colonne("Statut juridique", largeur=22),
        Colonne("Émergente", "booleen", 10),
        Colonne("Titre du projet", largeur=40),
        Colonne("ETP facilitateur", "decimal", 10),
        Colonne("ETP coordinateur", "decimal", 10),
        Colonne("Communes", largeur=30),
        Colonne("Zone blanche", "booleen", 10),
        Colonne("Coût année 1", "euros", 14),
        Colonne("Part de l'État demandée (année 1)", "euros", 16),
        Colonne("Taux État (année 1)", "pourcentage", 12),
        Colonne("Cofinancement (année 1)", "euros", 14),
        Colonne("Heures d'insertion visées", "entier", 12),
        Colonne("Déposé le", "instant", 18),
        Colonne("Dossier complet le", "date", 14),
        Colonne("Points bloquants", "entier", 10),
        Colonne("Avertissements", "entier", 10),
        Colonne("Avis du comité technique", largeur=18),
    ]
    classeur = Classeur("Dossiers", colonnes)
    try:
        # Des lignes (colonnes et résumé stocké), lues et écrites par lots : la mémoire ne grandit pas avec la liste.
        for lot in batched(lignes_dossiers(requete_dossiers(filtres_dossiers(request.args), avec_structure=True)), 500):
            communes = communes_des([d.id for d in lot])
            for d in lot:
                classeur.ligne(
                    [
                        d.numero,
                        d.statut.libelle,
                        d.annee,
                        d.raison_sociale,
                        d.siret,
                        d.statut_juridique.libelle,
                        d.emergente,
                        d.titre,
                        d.etp_facilitateur,
                        d.etp_coordinateur,
                        ", ".join(communes.get(d.id, ())),
                        d.zone_blanche,
                        d.charges_annee1,
                        d.part_etat_annee1,
                        d.taux_etat_annee1,
                        d.cofinancement_annee1,
                        d.heures_insertion,
                        d.depose_le,
                        d.recevable_le,
                        d.bloquants,
                        d.avertissements,
                        d.avis_ctn and d.avis_ctn.replace("reserve", "réservé"),
                    ]
                )
    except Exception:
        classeur.abandonner()
        raise
    return classeur.reponse(f"dossiers-{maintenant().astimezone(fuseau()):%Y-%m-%d}.xlsx")


# --- Création ------------------------------------------------------------------------------------


@bp.route("/nouveau", methods=["GET", "POST"])
@role_requis(*PORTEURS)
def nouveau():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        abort(404)
    campagnes = _campagnes_ouvertes()
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


# --- Simulation (avant tout compte) ---------------------------------------------------------------------


@bp_structures.route("/campagnes/<id:campagne_id>/simulation")
def simulation(campagne_id):
    """The campaign's public page with the simulator's answer (works without JavaScript: a GET form). Its figures are
    kept in this browser for 30 days: the first dossier created here for this campaign starts from them."""
    contexte = contexte_campagne(campagne_id)
    form = SimulationForm(formdata=request.args)
    if not form.validate():
        return render_template("aap/campagne.html", **contexte, form_simulation=form), 422
    resultat = regles.simuler(form.faits(), regles_campagne(contexte["campagne"], contexte["campagne"].service.fuseau))
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


# --- Le dossier ----------------------------------------------------------------------------------


@bp.route("/<id:dossier_id>")
@login_required
def dossier(dossier_id):
    return _page_dossier(dossier_accessible(dossier_id, options_page_dossier()))


def _page_dossier(dossier, statut=200, decision_ouverte=None, formulaires=None):
    """The dossier page; `decision_ouverte`: the refused decision form shown again with its errors."""
    constats = controles_dossier(dossier)
    etapes = _etat_etapes(dossier, constats)
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


def _rendre_decision(dossier, nom, form):
    """Re-renders the dossier page with the refused decision form (errors next to its fields)."""
    db.session.rollback()
    return _page_dossier(dossier_accessible(dossier.id, options_page_dossier()), 422, nom, {nom: form})


def _decider(dossier_id, nom, form_classe, action, succes):
    dossier = dossier_accessible(dossier_id, droit=Dossier.can_instruire)
    form = form_classe()
    if nom == "form_complements":
        form.pieces.choices = choix_pieces(dossier)
    if not form.validate_on_submit():
        return _rendre_decision(dossier, nom, form)
    try:
        action(dossier, form)
    except Conflit:
        raise
    except Refus as refus:
        form.porter_refus(refus)
        return _rendre_decision(dossier, nom, form)
    db.session.commit()
    flash(succes, "succes")
    return redirect(url_for("candidatures.dossier", dossier_id=dossier_id))


@bp.route("/<id:dossier_id>/recevable", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def recevable(dossier_id):
    return _decider(
        dossier_id,
        "form_recevable",
        RecevableForm,
        lambda d, f: operations.declarer_recevable(d, par=current_user, le=f.recevable_le.data),
        "Le dossier est déclaré recevable ; le porteur en est informé.",
    )


@bp.route("/<id:dossier_id>/irrecevable", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def irrecevable(dossier_id):
    return _decider(
        dossier_id,
        "form_irrecevable",
        IrrecevableForm,
        lambda d, f: operations.declarer_irrecevable(d, par=current_user, motif=f.motif.data),
        "Le dossier est déclaré irrecevable ; le porteur en est informé avec le motif.",
    )


@bp.route("/<id:dossier_id>/complements", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def complements(dossier_id):
    return _decider(
        dossier_id,
        "form_complements",
        ComplementsForm,
        lambda d, f: operations.demander_complements(
            d,
            par=current_user,
            rubriques=f.rubriques.data or [],
            pieces=f.pieces.data or [],
            date_limite=f.date_limite.data,
            message=f.message.data,
        ),
        "La demande de compléments est envoyée au porteur ; seuls les éléments nommés sont rouverts.",
    )


@bp.route("/<id:dossier_id>/avis-ctn", methods=["POST"])
@role_requis(*INSTRUCTEURS)
def avis_ctn(dossier_id):
    return _decider(
        dossier_id,
        "form_avis",
        AvisCtnForm,
        lambda d, f: operations.enregistrer_avis_ctn(
            d, par=current_user, avis=f.avis.data, le=f.le.data, commentaire=f.commentaire.data
        ),
        "L'avis du comité technique national est enregistré.",
    )


# --- Étapes du formulaire ------------------------------------------------------------------------


def _preparer(form, dossier):
    if "communes" in form:
        form.communes.choices = choix([(c.code, c.nom) for c in communes_du_service(dossier.service)])
    if "missions" in form:
        form.missions.choices = choix([(m.id, m.libelle) for m in dossier.campagne.missions])
    return form


def _reponse_json(dossier, statut=200, **extra):
    constats = controles_dossier(dossier)
    corps = {
        "version": dossier.version,
        "enregistre_le": heure_fr(dossier.modifie_le),
        "fragments": _fragments(dossier, constats),
    } | extra
    reponse = jsonify(corps)
    reponse.status_code = statut
    return reponse


def _enregistrer_etape(dossier, form):
    """Saves a validated step form: None when saved, or the Refus (a Conflit when the version is stale) that
    stopped it, the session rolled back."""
    try:
        operations.modifier(dossier, form.valeurs(), par=current_user, version=form.version.data)
    except Refus as refus:
        db.session.rollback()
        return refus
    db.session.commit()
    return None


@bp.route("/<id:dossier_id>/etapes/<rubrique>", methods=["GET", "POST"])
@role_requis(*PORTEURS)
def etape(dossier_id, rubrique):
    """A step's page, and its form sent without JavaScript."""
    if rubrique == "pieces":
        return pieces(dossier_id)
    if rubrique not in FORMULAIRES_ETAPES:
        abort(404)
    if request.method == "POST" and veut_json():
        return _enregistrement_auto(dossier_id, rubrique)  # une page chargée avant que dossier.js n'ait sa propre adresse
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    if not dossier.rubrique_ouverte(rubrique):
        if request.method == "POST":
            flash("Cette étape n'est pas modifiable : le dossier est déposé, ou elle n'est pas rouverte.", "info")
        return redirect(url_for("candidatures.dossier", dossier_id=dossier.id))
    classe = FORMULAIRES_ETAPES[rubrique]
    if request.method == "GET":
        return _page_etape(dossier, rubrique, _preparer(classe.depuis(dossier), dossier))
    form = _preparer(classe(), dossier)
    if not form.validate():
        return _page_etape(dossier, rubrique, form, 422)
    refus = _enregistrer_etape(dossier, form)
    if refus is None:
        suivante = _etape_suivante(rubrique)
        if request.form.get("action") == "continuer" and suivante:
            return redirect(url_for("candidatures.etape", dossier_id=dossier.id, rubrique=suivante))
        flash(f"Étape « {regles.RUBRIQUES[rubrique]} » enregistrée.", "succes")
        return redirect(url_for("candidatures.etape", dossier_id=dossier.id, rubrique=rubrique))
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    if isinstance(refus, Conflit):
        # La saisie reste affichée ; la version devient la courante : renvoyer le formulaire écrase sciemment.
        form.version.data = dossier.version
        return _page_etape(dossier, rubrique, form, 409, refus.message)
    form.porter_refus(refus)
    return _page_etape(dossier, rubrique, form, 422)


@bp.route("/<id:dossier_id>/enregistrement/etapes/<rubrique>", methods=["POST"])
@role_requis(Role.PORTEUR)
def enregistrement_auto(dossier_id, rubrique):
    """The step's automatic save (dossier.js): JSON whatever happens — the new version and the fragments of the
    page to refresh, or the errors (422; 409 when the dossier changed elsewhere)."""
    if rubrique not in FORMULAIRES_ETAPES:
        abort(404)
    return _enregistrement_auto(dossier_id, rubrique)


def _enregistrement_auto(dossier_id, rubrique):
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    if not dossier.rubrique_ouverte(rubrique):
        erreur = {"field": None, "code": "rubrique_fermee", "message": "Cette étape n'est pas modifiable."}
        return jsonify({"errors": [erreur]}), 422
    form = _preparer(FORMULAIRES_ETAPES[rubrique](), dossier)
    if not form.validate():
        erreurs = [{"field": nom, "code": "invalide", "message": messages[0]} for nom, messages in form.errors.items()]
        return jsonify({"errors": erreurs}), 422
    refus = _enregistrer_etape(dossier, form)
    if refus is None:
        return _reponse_json(dossier)
    return jsonify({"errors": refus.erreurs()}), 409 if isinstance(refus, Conflit) else 422


def _etape_suivante(rubrique):
    i = ETAPES.index(rubrique)
    return ETAPES[i + 1] if i + 1 < len(ETAPES) else None


def _page_etape(dossier, rubrique, form, statut=200, conflit=None, **extra):
    constats = controles_dossier(dossier)
    i = ETAPES.index(rubrique)
    contexte = {
        "dossier": dossier,
        "rubrique": rubrique,
        "form": form,
        "constats": constats,
        "etapes": _etat_etapes(dossier, constats),
        "numero_etape": i + 1,
        "nombre_etapes": len(ETAPES) + 1,
        "suivante": _etape_suivante(rubrique),
        "precedente": ETAPES[i - 1] if i > 0 else None,
        "conflit": conflit,
        "taux_plafond": taux_plafond(dossier),
        "annees": synthese_budget(dossier),
        "accept": fichiers.ACCEPT_HTML,
        "document_pour_piece": DOCUMENT_POUR_PIECE,
    } | extra
    return render_template(f"candidatures/etapes/{rubrique}.html", **contexte), statut


# --- Pièces --------------------------------------------------------------------------------------


def _page_pieces(dossier, form=None, statut=200):
    form = form or PieceForm()
    lignes, autres = pieces_attendues(dossier)
    form.code.choices = choix([(p.code, p.libelle) for p, _ in lignes if dossier.piece_ouverte(p.code)])
    if dossier.piece_ouverte("autre"):
        form.code.choices += choix([("autre", "Autre document utile à l'instruction")])
    form.fichier.description = aide_fichier()
    documents = [d for d in dossier.structure.documents if d.retire_le is None]
    return _page_etape(
        dossier,
        "pieces",
        form,
        statut,
        lignes=lignes,
        autres=autres,
        documents=documents,
        historique=[p for p in dossier.pieces if not p.en_vigueur],
    )


def pieces(dossier_id):
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    if dossier.statut not in (Statut.BROUILLON, Statut.COMPLEMENTS_DEMANDES):
        return redirect(url_for("candidatures.dossier", dossier_id=dossier.id, _anchor="pieces"))
    return _page_pieces(dossier)


@bp.route("/<id:dossier_id>/pieces", methods=["POST"])
@role_requis(*PORTEURS)
def ajouter_piece(dossier_id):
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    form = PieceForm()
    form.code.choices = choix_pieces(dossier)
    if form.validate_on_submit():
        try:
            piece = operations.ajouter_piece(
                dossier, form.code.data, request.files.get("fichier"), par=current_user, libelle=form.libelle.data or ""
            )
        except Refus as refus:
            db.session.rollback()
            if veut_json():
                return jsonify({"errors": refus.erreurs()}), 422
            champ = refus.champ if refus.champ in form else "fichier"
            form[champ].errors = list(form[champ].errors) + [refus.message]
        else:
            db.session.commit()
            message = f"« {piece.fichier.nom} » est ajouté ({piece.libelle})."
            flash(message, "succes")  # le script recharge la page après l'envoi : le message s'y affiche
            if veut_json():
                dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
                return _reponse_json(dossier, message=message)
            return redirect(url_for("candidatures.etape", dossier_id=dossier.id, rubrique="pieces"))
    elif veut_json():
        erreurs = [{"field": nom, "code": "invalide", "message": m[0]} for nom, m in form.errors.items()]
        return jsonify({"errors": erreurs}), 422
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    return _page_pieces(dossier, form, 422)


@bp.route("/<id:dossier_id>/pieces/<id:piece_id>/retirer", methods=["POST"])
@role_requis(*PORTEURS)
def retirer_piece(dossier_id, piece_id):
    dossier = dossier_accessible(dossier_id, droit=Dossier.can_porter)
    piece = db.session.get(Piece, piece_id)
    if piece is None or piece.dossier_id != dossier.id:
        abort(404)
    operations.retirer_piece(piece, par=current_user)
    db.session.commit()
    flash(f"La pièce « {piece.libelle} » est retirée du dossier.", "succes")
    return redirect(url_for("candidatures.etape", dossier_id=dossier.id, rubrique="pieces"))


@bp.route("/<id:dossier_id>/pieces/documents/<id:document_id>", methods=["POST"])
@role_requis(*PORTEURS)
def reprendre_document(dossier_id, document_id):
    dossier = dossier_accessible(dossier_id, droit=Dossier.can_porter)
    document = db.session.get(DocumentStructure, document_id)
    if document is None or document.structure_id != dossier.structure_id:
        abort(404)
    piece = operations.reprendre_document(dossier, document, par=current_user, code=request.form.get("code") or None)
    db.session.commit()
    flash(f"« {document.intitule} » est repris de votre profil ({piece.libelle}).", "succes")
    return redirect(url_for("candidatures.etape", dossier_id=dossier.id, rubrique="pieces"))


@bp.route("/<id:dossier_id>/pieces/<id:piece_id>")
@login_required
def telecharger_piece(dossier_id, piece_id):
    dossier = dossier_accessible(dossier_id)
    piece = db.session.scalar(
        select(Piece).where(Piece.id == piece_id, Piece.dossier_id == dossier.id).options(joinedload(Piece.fichier))
    )
    if piece is None:
        abort(404)
    return fichiers.reponse_telechargement(piece.fichier)


@bp.route("/<id:dossier_id>/controles")
@role_requis(*PORTEURS)
def controles(dossier_id):
    """The live checklist (for the page's script, after an upload in another tab for instance)."""
    dossier = dossier_accessible(dossier_id, options_page_dossier(), droit=Dossier.can_porter)
    return _reponse_json(dossier)


# --- Dépôt ---------------------------------------------------------------------------------------


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
            depot = operations.deposer(dossier, par=current_user, version=form.version.data)
        except operations.DejaDepose as deja:
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
        etapes=_etat_etapes(dossier, constats),
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
        fichier = operations.accuse_de(depot)
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


# --- La structure --------------------------------------------------------------------------------


def _ma_structure():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        abort(404)  # un rattachement en attente n'ouvre rien (la page de profil l'explique)
    return db.session.scalar(
        select(Structure)
        .where(Structure.id == current_user.structure_id)
        .options(
            selectinload(Structure.financements),
            selectinload(Structure.documents).joinedload(DocumentStructure.fichier),
        )
    )


def _communes_choix():
    communes = communes_du_service(current_user.service)
    return choix([("", "— Choisir —")] + [(c.code, c.nom) for c in communes])


def _page_structure(structure, form=None, form_financement=None, form_document=None, statut=200):
    """The profile page; after a refused form, that one as sent and the others as stored (never read from the
    request, which holds the refused form's fields: the profile once came back empty, and was saved so)."""
    form = form or StructureForm(formdata=None, obj=structure)
    form.commune_code.choices = _communes_choix()
    form_document = form_document or DocumentForm(formdata=None, annee=maintenant().year - 1)
    form_document.fichier.description = aide_fichier()
    return render_template(
        "candidatures/structure.html",
        structure=structure,
        form=form,
        form_financement=form_financement or FinancementForm(formdata=None),
        form_document=form_document,
        financeurs=regles.LIBELLES_FINANCEURS,
    ), statut


# --- Inscription d'un porteur (et de sa structure) -----------------------------------------------


@bp_structures.route("/inscription", methods=["GET", "POST"])
@limiter.limit(limite_connexion, methods=["POST"])
@limite_par_courriel
def inscription():
    if current_user.is_authenticated:
        return redirect(url_for("aap.accueil"))
    form = InscriptionForm()
    if form.validate_on_submit():
        try:
            operations.inscrire_porteur(
                email=form.email.data,
                mot_de_passe=form.mot_de_passe.data,
                prenom=form.prenom.data,
                nom=form.nom.data,
                siret=form.siret.data,
                raison_sociale=form.raison_sociale.data or "",
                statut_juridique=form.statut_juridique.data or "",
            )
        except Refus as refus:
            db.session.rollback()
            getattr(form, refus.champ).errors.append(refus.message)
        else:
            db.session.commit()
            return render_template("comptes/verifiez_vos_courriels.html", email=form.email.data)
    return render_template("comptes/inscription.html", form=form), 422 if form.errors else 200


@bp_structures.route("/structure", methods=["GET", "POST"])
@role_requis(*PORTEURS)
def structure():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        return render_template("candidatures/mes_dossiers.html", dossiers=[], campagnes=[], en_attente=True, page=None)
    structure = _ma_structure()
    form = StructureForm(obj=structure) if request.method == "GET" else StructureForm()
    form.commune_code.choices = _communes_choix()
    if request.method == "POST":
        if form.validate():
            try:
                changes = operations.modifier_structure(structure, form.valeurs(), par=current_user)
            except Refus as refus:
                db.session.rollback()
                champ = refus.champ if refus.champ in form else "raison_sociale"
                form[champ].errors = list(form[champ].errors) + [refus.message]
            else:
                db.session.commit()
                flash("Le profil de la structure est enregistré." if changes else "Aucun changement.", "succes")
                return redirect(url_for("structures.structure"))
        structure = _ma_structure()
        return _page_structure(structure, form=form, statut=422)
    return _page_structure(structure, form=form)


@bp_structures.route("/structure/financements", methods=["POST"])
@role_requis(*PORTEURS)
def ajouter_financement():
    structure = _ma_structure()
    form = FinancementForm()
    if form.validate_on_submit():
        try:
            operations.ajouter_financement(
                structure,
                par=current_user,
                poste=form.poste.data,
                financeur=form.financeur.data,
                nom_financeur=form.nom_financeur.data,
                montant_annee_precedente=form.montant_annee_precedente.data,
                montant_annee_courante=form.montant_annee_courante.data,
            )
        except Refus as refus:
            db.session.rollback()
            champ = refus.champ if refus.champ in form else "nom_financeur"
            form[champ].errors = list(form[champ].errors) + [refus.message]
        else:
            db.session.commit()
            flash("Le financement est ajouté.", "succes")
            return redirect(url_for("structures.structure", _anchor="financements"))
    return _page_structure(_ma_structure(), form_financement=form, statut=422)


@bp_structures.route("/structure/financements/<id:financement_id>/supprimer", methods=["POST"])
@role_requis(*PORTEURS)
def supprimer_financement(financement_id):
    structure = _ma_structure()
    financement = db.session.get(FinancementExistant, financement_id)
    if financement is None or financement.structure_id != structure.id:
        abort(404)
    operations.supprimer_financement(financement, par=current_user)
    db.session.commit()
    flash("Le financement est supprimé.", "succes")
    return redirect(url_for("structures.structure", _anchor="financements"))


@bp_structures.route("/structure/documents", methods=["POST"])
@role_requis(*PORTEURS)
def ajouter_document():
    structure = _ma_structure()
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            document = operations.ajouter_document(
                structure,
                par=current_user,
                type_=form.type.data,
                annee=form.annee.data,
                libelle=form.libelle.data or "",
                televersement=request.files.get("fichier"),
            )
        except Refus as refus:
            db.session.rollback()
            champ = refus.champ if refus.champ in form else "fichier"
            form[champ].errors = list(form[champ].errors) + [refus.message]
        else:
            db.session.commit()
            flash(f"« {document.intitule} » est enregistré : il sera repris dans vos prochains dossiers.", "succes")
            return redirect(url_for("structures.structure", _anchor="documents"))
    return _page_structure(_ma_structure(), form_document=form, statut=422)


@bp_structures.route("/structure/documents/<id:document_id>/retirer", methods=["POST"])
@role_requis(*PORTEURS)
def retirer_document(document_id):
    structure = _ma_structure()
    document = db.session.get(DocumentStructure, document_id)
    if document is None or document.structure_id != structure.id:
        abort(404)
    operations.retirer_document(document, par=current_user)
    db.session.commit()
    flash(f"« {document.intitule} » est retiré du profil (les dossiers déjà déposés le gardent).", "succes")
    return redirect(url_for("structures.structure", _anchor="documents"))


@bp_structures.route("/structures/<id:structure_id>/documents/<id:document_id>")
@login_required
def telecharger_document(structure_id, document_id):
    document = db.session.scalar(
        select(DocumentStructure)
        .where(DocumentStructure.id == document_id, DocumentStructure.structure_id == structure_id)
        .options(joinedload(DocumentStructure.structure), joinedload(DocumentStructure.fichier))
    )
    if document is None or not document.structure.can_voir(current_user):
        abort(404)
    return fichiers.reponse_telechargement(document.fichier)


@bp_structures.route("/structures/<id:structure_id>")
@role_requis(*LECTEURS)
def fiche_structure(structure_id):
    structure = structure_accessible(
        structure_id,
        [
            selectinload(Structure.financements),
            selectinload(Structure.documents).joinedload(DocumentStructure.fichier),
            joinedload(Structure.commune),
        ],
    )
    dossiers = db.session.scalars(
        select(Dossier)
        .where(Dossier.structure_id == structure.id, Dossier.statut != Statut.BROUILLON)
        .order_by(Dossier.depose_le.desc())
    ).all()
    if not current_user.a_role(Role.NATIONAL):
        dossiers = [d for d in dossiers if d.service_id == current_user.service_id]
    return render_template(
        "candidatures/fiche_structure.html", structure=structure, dossiers=dossiers, financeurs=regles.LIBELLES_FINANCEURS
    )
