"""JSON API of the candidatures domain: campaigns, structures, dossiers, budget, pieces, checks, filing,
completeness decisions. The same operations and rules as the pages, the same authorization: an object
of someone else answers 404. Amounts and ETP are decimal strings ("35000.00", "0.5"), never floats.
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aap import fichiers
from aap.api import blueprint_api
from aap.erreurs import Refus
from aap.extensions import db
from aap.models import Campagne, Role
from aap.securite import role_requis

from . import instruction, operations, structures
from .constats import resume
from .depots import accuse_de
from .depots import deposer as deposer_dossier
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
from .models import Depot, Dossier, Piece, Structure
from .schemas import (
    AvisSchema,
    BudgetRemplacementSchema,
    BudgetSchema,
    CampagneDetailSchema,
    CampagneSchema,
    ControlesSchema,
    CreationSchema,
    DecisionSchema,
    DepotDemandeSchema,
    DepotSchema,
    DossierSchema,
    EnvoiPieceSchema,
    FiltresSchema,
    HistoriqueSchema,
    ModificationSchema,
    ModificationStructureSchema,
    PageDossiersSchema,
    PieceSchema,
    PiecesSchema,
    StructureSchema,
)
from .synthese import (
    controles_dossier,
    options_dossier_complet,
    options_page_dossier,
    pieces_attendues,
    synthese_budget,
    taux_plafond,
)

bp = blueprint_api("api_candidatures", "Campagnes, structures, dossiers, pièces, budget, contrôles, dépôt.")

# --- Chargement ------------------------------------------------------------------------------------


def _dossier(dossier_id, options=None, droit=None):
    return dossier_accessible(dossier_id, options_dossier_complet() if options is None else options, droit)


def _campagnes_visibles():
    requete = select(Campagne).options(selectinload(Campagne.service)).order_by(Campagne.ouverture_le.desc())
    if current_user.a_role(Role.NATIONAL):
        return requete
    if current_user.a_role(Role.AGENT, Role.ADMIN):
        return requete.where((Campagne.publiee.is_(True)) | (Campagne.service_id == current_user.service_id))
    return requete.where(Campagne.publiee.is_(True))


# --- Campagnes -------------------------------------------------------------------------------------


@bp.route("/campagnes")
@bp.response(200, CampagneSchema(many=True))
def campagnes():
    """Les campagnes publiées (et, pour les agents, celles de leur service)."""
    return db.session.scalars(_campagnes_visibles()).all()


@bp.route("/campagnes/<id:campagne_id>")
@bp.response(200, CampagneDetailSchema)
def campagne(campagne_id):
    """Une campagne avec ses plafonds, ses pièces (et leurs conditions), ses missions et sa grille."""
    campagne = db.session.scalar(
        _campagnes_visibles()
        .where(Campagne.id == campagne_id)
        .options(selectinload(Campagne.pieces), selectinload(Campagne.missions), selectinload(Campagne.criteres))
    )
    if campagne is None:
        abort(404)
    return campagne


# --- Structures ------------------------------------------------------------------------------------


@bp.route("/structures/<id:structure_id>")
@bp.response(200, StructureSchema)
def structure(structure_id):
    """Le profil d'une structure : la sienne pour un porteur ; celles du service pour un agent."""
    return structure_accessible(structure_id, [selectinload(Structure.financements)])


@bp.route("/structures/<id:structure_id>", methods=["PATCH"])
@role_requis(*PORTEURS)
@bp.arguments(ModificationStructureSchema(partial=True))
@bp.response(200, StructureSchema)
def modifier_structure(valeurs, structure_id):
    """Modifie le profil de sa structure (champs donnés seulement)."""
    structure = structure_accessible(structure_id, [selectinload(Structure.financements)], droit=Structure.can_modifier)
    structures.modifier_structure(structure, valeurs, par=current_user)
    db.session.commit()
    return structure


# --- Dossiers --------------------------------------------------------------------------------------


@bp.route("/dossiers")
@role_requis(*PORTEURS, *LECTEURS)
@bp.arguments(FiltresSchema, location="query")
@bp.response(200, PageDossiersSchema)
def dossiers(filtres):
    """Les dossiers visibles : ceux de sa structure (porteur), ceux du service déposés (agent), tous (national)."""
    valeurs = {c: filtres[c] for c in ("q", "statut", "poste", "commune", "statut_juridique", "tri", "ordre") if c in filtres}
    for cle in ("emergente", "zone_blanche"):
        if cle in filtres:
            valeurs[cle] = "oui" if filtres[cle] else "non"
    valeurs["campagne"] = filtres.get("campagne_id")
    requete = requete_dossiers(filtres_dossiers(valeurs), avec_structure=True)
    page = paginer_dossiers(requete, [selectinload(Dossier.structure)], par_page=filtres["par_page"])
    return {"elements": page.items, "page": page.page, "pages": page.pages, "total": page.total}


@bp.route("/dossiers", methods=["POST"])
@bp.arguments(CreationSchema)
@bp.response(201, DossierSchema)
def creer_dossier(valeurs):
    """Crée un brouillon pour sa structure sur une campagne ouverte."""
    if not current_user.a_role(Role.PORTEUR) or not current_user.rattachement_valide:
        abort(403)
    campagne = db.session.scalar(_campagnes_visibles().where(Campagne.id == valeurs["campagne_id"]))
    if campagne is None:
        raise Refus("Campagne inconnue.", code="campagne_inconnue", champ="campagne_id")
    dossier = operations.creer_dossier(campagne, current_user.structure, par=current_user, titre=valeurs["titre"])
    db.session.commit()
    return _dossier(dossier.id)


@bp.route("/dossiers/<id:dossier_id>")
@bp.response(200, DossierSchema)
def dossier(dossier_id):
    """Un dossier, avec sa `version` (à renvoyer pour le modifier)."""
    return _dossier(dossier_id)


@bp.route("/dossiers/<id:dossier_id>", methods=["PATCH"])
@role_requis(*PORTEURS)
@bp.arguments(ModificationSchema)
@bp.response(200, DossierSchema)
def modifier_dossier(valeurs, dossier_id):
    """Modifie les champs donnés. Refus 409 si `version` n'est plus la version courante ; 422 si une étape
    n'est pas ouverte (dossier déposé, ou hors des compléments demandés)."""
    dossier = _dossier(dossier_id, droit=Dossier.can_porter)
    version = valeurs.pop("version")
    if "volumes" in valeurs:
        valeurs["volumes"] = {
            c: (v.get("nombre_marches", 0), v.get("heures_insertion", 0)) for c, v in valeurs["volumes"].items()
        }
    operations.modifier(dossier, valeurs, par=current_user, version=version)
    db.session.commit()
    return _dossier(dossier_id)


def _budget(dossier):
    return {
        "version": dossier.version,
        "lignes": {
            ligne.categorie: {"precision": ligne.precision, "montants": list(ligne.montants)} for ligne in dossier.lignes_budget
        },
        "taux_plafond": taux_plafond(dossier),
        "synthese": synthese_budget(dossier),
    }


@bp.route("/dossiers/<id:dossier_id>/budget")
@bp.response(200, BudgetSchema)
def budget(dossier_id):
    """Le budget (cerfa 12156, 3 ans) et ses chiffres calculés : coût, part et taux de l'État, plafond,
    cofinancement, équilibre."""
    return _budget(_dossier(dossier_id))


@bp.route("/dossiers/<id:dossier_id>/budget", methods=["PUT"])
@role_requis(*PORTEURS)
@bp.arguments(BudgetRemplacementSchema)
@bp.response(200, BudgetSchema)
def remplacer_budget(valeurs, dossier_id):
    """Remplace tout le budget : une ligne absente vaut zéro."""
    dossier = _dossier(dossier_id, droit=Dossier.can_porter)
    lignes = {c: (ligne["precision"], tuple(ligne["montants"])) for c, ligne in valeurs["lignes"].items()}
    operations.remplacer_budget(dossier, lignes, par=current_user, version=valeurs["version"])
    db.session.commit()
    return _budget(_dossier(dossier_id))


@bp.route("/dossiers/<id:dossier_id>/controles")
@bp.response(200, ControlesSchema)
def controles(dossier_id):
    """Les constats des règles de l'appel : codes stables, niveau, consigne. Les mêmes décident du dépôt."""
    dossier = _dossier(dossier_id)
    constats = controles_dossier(dossier)
    bloquants, avertissements = resume(constats)
    return {"peut_deposer": bloquants == 0, "bloquants": bloquants, "avertissements": avertissements, "constats": constats}


@bp.route("/dossiers/<id:dossier_id>/historique")
@bp.response(200, HistoriqueSchema(many=True))
def historique(dossier_id):
    """L'historique des statuts, en mots simples."""
    return _dossier(dossier_id, options_page_dossier()).historique


# --- Pièces ----------------------------------------------------------------------------------------


@bp.route("/dossiers/<id:dossier_id>/pieces")
@bp.response(200, PiecesSchema)
def pieces(dossier_id):
    """Les pièces exigées pour ce dossier (et si elles sont fournies), puis toutes les pièces, historique compris."""
    dossier = _dossier(dossier_id)
    lignes, _ = pieces_attendues(dossier)
    return {
        "exigees": [{"code": p.code, "libelle": p.libelle, "fournie": piece is not None} for p, piece in lignes],
        "pieces": dossier.pieces,
    }


@bp.route("/dossiers/<id:dossier_id>/pieces", methods=["POST"])
@role_requis(*PORTEURS)
@bp.arguments(EnvoiPieceSchema, location="multipart")
@bp.response(201, PieceSchema)
def envoyer_piece(valeurs, dossier_id):
    """Envoie un fichier (multipart/form-data) : type vérifié par son contenu, taille plafonnée, SHA-256 gardé."""
    dossier = _dossier(dossier_id, droit=Dossier.can_porter)
    piece = operations.ajouter_piece(dossier, valeurs["code"], valeurs["fichier"], par=current_user, libelle=valeurs["libelle"])
    db.session.commit()
    return piece


def _piece(dossier, piece_id):
    piece = db.session.get(Piece, piece_id)
    if piece is None or piece.dossier_id != dossier.id:
        abort(404)
    return piece


@bp.route("/dossiers/<id:dossier_id>/pieces/<id:piece_id>", methods=["DELETE"])
@role_requis(*PORTEURS)
@bp.response(204)
def retirer_piece(dossier_id, piece_id):
    """Retire une pièce du dossier (elle reste dans l'historique)."""
    dossier = _dossier(dossier_id, droit=Dossier.can_porter)
    operations.retirer_piece(_piece(dossier, piece_id), par=current_user)
    db.session.commit()


@bp.route("/dossiers/<id:dossier_id>/pieces/<id:piece_id>/fichier")
@bp.response(200, content_type="application/octet-stream")
def fichier_piece(dossier_id, piece_id):
    """Le fichier d'une pièce (en pièce jointe, empreinte vérifiée)."""
    return fichiers.reponse_telechargement(_piece(_dossier(dossier_id), piece_id).fichier)


# --- Dépôt et instruction ----------------------------------------------------------------------------


@bp.route("/dossiers/<id:dossier_id>/depot", methods=["POST"])
@role_requis(*PORTEURS)
@bp.arguments(DepotDemandeSchema)
@bp.response(201, DepotSchema)
def deposer(valeurs, dossier_id):
    """Dépose le dossier (une seule fois : 409 s'il l'est déjà) ; 422 avec le premier constat bloquant sinon."""
    dossier = _dossier(dossier_id, droit=Dossier.can_porter)
    depot = deposer_dossier(dossier, par=current_user, version=valeurs["version"])
    db.session.commit()
    return depot


@bp.route("/dossiers/<id:dossier_id>/depots")
@bp.response(200, DepotSchema(many=True))
def depots(dossier_id):
    """Les dépôts successifs (le premier, puis un par retour de compléments)."""
    return _dossier(dossier_id, [selectinload(Dossier.depots).joinedload(Depot.dossier)]).depots


@bp.route("/dossiers/<id:dossier_id>/depots/<id:rang>/accuse")
@bp.response(200, content_type="application/pdf")
def accuse(dossier_id, rang):
    """L'accusé de réception d'un dépôt (PDF)."""
    dossier = _dossier(dossier_id, [selectinload(Dossier.depots)])
    depot = next((d for d in dossier.depots if d.rang == rang), None)
    if depot is None:
        abort(404)
    fichier = accuse_de(depot)
    db.session.commit()
    return fichiers.reponse_telechargement(fichier)


@bp.route("/dossiers/<id:dossier_id>/decisions", methods=["POST"])
@role_requis(*INSTRUCTEURS)
@bp.arguments(DecisionSchema)
@bp.response(200, DossierSchema)
def decider(valeurs, dossier_id):
    """Décision de complétude (agents du service) : recevable (date du dossier complet), irrecevable (motif),
    ou demande de compléments (étapes et pièces rouvertes, date limite, message)."""
    dossier = _dossier(dossier_id, droit=Dossier.can_instruire)
    decision = valeurs["decision"]
    if decision == "recevable":
        instruction.declarer_recevable(dossier, par=current_user, le=valeurs.get("recevable_le"))
    elif decision == "irrecevable":
        instruction.declarer_irrecevable(dossier, par=current_user, motif=valeurs.get("motif", ""))
    else:
        if valeurs.get("date_limite") is None:
            raise Refus("Indiquez la date limite des compléments.", code="date_invalide", champ="date_limite")
        instruction.demander_complements(
            dossier,
            par=current_user,
            rubriques=valeurs["rubriques"],
            pieces=valeurs["pieces"],
            date_limite=valeurs["date_limite"],
            message=valeurs["message"],
        )
    db.session.commit()
    return _dossier(dossier_id)


@bp.route("/dossiers/<id:dossier_id>/avis-ctn", methods=["PUT"])
@role_requis(*INSTRUCTEURS)
@bp.arguments(AvisSchema)
@bp.response(200, DossierSchema)
def avis_ctn(valeurs, dossier_id):
    """Avis du comité technique national sur le dossier d'une structure émergente (§C.1)."""
    dossier = _dossier(dossier_id, droit=Dossier.can_instruire)
    instruction.enregistrer_avis_ctn(dossier, par=current_user, **valeurs)
    db.session.commit()
    return _dossier(dossier_id)
