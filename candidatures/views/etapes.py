"""The steps of the dossier's form: each step's page, its form sent without JavaScript, its automatic save (JSON), and
the pieces step."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap import fichiers
from aap.erreurs import Conflit, Refus
from aap.extensions import db
from aap.formats import heure_fr
from aap.forms import choix
from aap.models import Role
from aap.referentiel import communes_du_service
from aap.securite import role_requis, veut_json

from .. import operations, regles
from ..constats import rubriques_a_corriger
from ..enums import DOCUMENT_POUR_PIECE
from ..forms import FORMULAIRES_ETAPES, PieceForm
from ..lecture import PORTEURS, dossier_accessible
from ..models import DocumentStructure, Dossier, Piece, Statut
from ..synthese import controles_dossier, options_page_dossier, pieces_attendues, synthese_budget, taux_plafond
from . import bp

ETAPES = list(regles.RUBRIQUES)


def choix_pieces(dossier):
    return choix([(p.code, p.libelle) for p in dossier.campagne.pieces] + [("autre", "Autre document")])


def aide_fichier():
    return (
        f"Formats acceptés : {fichiers.FORMATS_ACCEPTES}. Taille maximale : "
        f"{fichiers.taille_lisible(current_app.config['TAILLE_MAX_PIECE'])}."
    )


def etat_etapes(dossier, constats):
    a_corriger = rubriques_a_corriger(constats)
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


def _fragments(dossier, constats):
    """The live parts of a step page, rendered by the same macros as the full page."""
    contexte = {"dossier": dossier, "constats": constats, "etapes": etat_etapes(dossier, constats)}
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
        erreurs = [{"field": nom, "code": "invalide", "message": message} for nom, message in form.erreurs().items()]
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
        "etapes": etat_etapes(dossier, constats),
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
            form.porter_refus(refus, a_defaut="fichier")
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
