"""JSON API of the candidatures domain: campaigns, structures, dossiers, budget, pieces, checks, filing,
completeness decisions. The same operations and rules as the pages, the same authorization: an object
of someone else answers 404. Amounts and ETP are decimal strings ("35000.00", "0.5"), never floats.
"""

from flask import abort, url_for
from flask_login import current_user
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aap import fichiers, limites
from aap.api import Booleen, Entier, Identifiant, Nombre, Page, blueprint_api
from aap.erreurs import Refus
from aap.extensions import db
from aap.models import Campagne, Role
from aap.regles import LIBELLES_CONDITIONS, etat_campagne
from aap.securite import role_requis
from aap.types import maintenant

from . import operations, regles
from .lecture import (
    INSTRUCTEURS,
    LECTEURS,
    PORTEURS,
    TRIS,
    dossier_accessible,
    filtres_dossiers,
    paginer_dossiers,
    requete_dossiers,
    structure_accessible,
)
from .models import AvisCtn, Depot, Dossier, Piece, Poste, Statut, StatutJuridique, Structure
from .synthese import (
    controles_dossier,
    options_dossier_complet,
    options_page_dossier,
    pieces_attendues,
    synthese_budget,
    taux_plafond,
)

bp = blueprint_api("api_candidatures", "Campagnes, structures, dossiers, pièces, budget, contrôles, dépôt.")

Montant = Nombre(2, maximum=limites.MONTANT_MAX, metadata={"description": "En euros et centimes."})
Somme = Nombre(2, signe=True)  # totaux calculés, envoyés seulement
Taux = Nombre(4, maximum=1, metadata={"description": "Fraction de 0 à 1, quatre décimales (0.7000 pour 70 %)."})
Etp = Nombre(
    2, maximum=limites.ETP_MAX, cinq_centiemes=True, metadata={"description": "Équivalents temps plein, par pas de 0,05."}
)


# --- Schémas ---------------------------------------------------------------------------------------


class PieceRequiseSchema(Schema):
    code = fields.String()
    libelle = fields.String()
    description = fields.String()
    condition = fields.String(metadata={"description": "Code de la condition (annexe 2, §B.1)."})
    condition_libelle = fields.Function(lambda p: LIBELLES_CONDITIONS.get(p.condition, p.condition))


class MissionSchema(Schema):
    id = fields.Integer()
    poste = fields.String()
    libelle = fields.String()


class CritereSchema(Schema):
    groupe = fields.String()
    code = fields.String()
    libelle = fields.String()
    maximum = fields.Integer()


class CampagneSchema(Schema):
    id = fields.Integer()
    titre = fields.String()
    annee = fields.Integer()
    service = fields.Function(lambda c: c.service.code)
    ouverture_le = fields.DateTime()
    cloture_le = fields.DateTime(metadata={"description": "Dernière minute de dépôt (heure du service)."})
    etat = fields.Function(lambda c: str(etat_campagne(c.ouverture_le, c.cloture_le, maintenant())))
    taux_plafond = Taux
    taux_plafond_collectivite = Taux
    etp_minimum = Nombre(2, maximum=limites.ETP_MAX)
    credits = Nombre(2, metadata={"description": "Crédits de l'année 1 : les décisions du COPIL."})
    credits_annee2 = Nombre(2, metadata={"description": "Crédits de l'année 2 : les premiers avenants."})
    credits_annee3 = Nombre(2, metadata={"description": "Crédits de l'année 3 : les seconds avenants."})
    courriel_contact = fields.String()


class CampagneDetailSchema(CampagneSchema):
    presentation = fields.String()
    pieces = fields.List(fields.Nested(PieceRequiseSchema))
    missions = fields.List(fields.Nested(MissionSchema))
    criteres = fields.List(fields.Nested(CritereSchema))


class FinancementSchema(Schema):
    id = fields.Integer(dump_only=True)
    poste = fields.String(validate=validate.OneOf([str(p) for p in Poste]))
    financeur = fields.String(validate=validate.OneOf(list(regles.LIBELLES_FINANCEURS)))
    nom_financeur = fields.String()
    montant_annee_precedente = Montant
    montant_annee_courante = Montant


class StructureSchema(Schema):
    id = fields.Integer(dump_only=True)
    siret = fields.String(dump_only=True)
    raison_sociale = fields.String(validate=validate.Length(min=1, max=limites.RAISON_SOCIALE_MAX))
    statut_juridique = fields.String(validate=validate.OneOf([s.value for s in StatutJuridique]))
    adresse = fields.String(validate=validate.Length(max=2000))
    code_postal = fields.String(validate=validate.Length(max=5))
    commune_code = fields.String(allow_none=True, validate=validate.Length(max=5))
    representant_nom = fields.String(validate=validate.Length(max=200))
    representant_qualite = fields.String(validate=validate.Length(max=200))
    contact_nom = fields.String(validate=validate.Length(max=200))
    contact_courriel = fields.String(validate=validate.Length(max=254))
    contact_telephone = fields.String(validate=validate.Length(max=40))
    emergente = Booleen()
    soumise_cac = Booleen()
    etp_facilitateurs_existants = Nombre(2, maximum=limites.ETP_MAX, metadata={"description": "ETP existants."})
    etp_coordinateurs_existants = Nombre(2, maximum=limites.ETP_MAX, metadata={"description": "ETP existants."})
    annee_financements = Entier(allow_none=True, validate=validate.Range(min=2000, max=2100))
    financements = fields.List(fields.Nested(FinancementSchema), dump_only=True)


class ModificationStructureSchema(StructureSchema):
    """The profile's fields to change (any subset)."""


class ConstatSchema(Schema):
    code = fields.String(metadata={"description": "Code stable du constat."})
    niveau = fields.String(metadata={"description": "bloquant ou avertissement"})
    message = fields.String(metadata={"description": "Ce qu'il faut faire, en français."})
    rubrique = fields.String()
    cible = fields.String()


class ControlesSchema(Schema):
    peut_deposer = fields.Boolean()
    bloquants = fields.Integer()
    avertissements = fields.Integer()
    constats = fields.List(fields.Nested(ConstatSchema))


class DossierResumeSchema(Schema):
    id = fields.Integer()
    numero = fields.String(allow_none=True)
    titre = fields.String()
    statut = fields.String()
    version = fields.Integer()
    campagne_id = fields.Integer()
    structure_id = fields.Integer()
    structure = fields.Function(lambda d: d.structure.raison_sociale)
    etp_facilitateur = Etp
    etp_coordinateur = Etp
    montant_demande = Nombre(2, metadata={"description": "Part de l'État demandée, année 1."})
    depose_le = fields.DateTime(allow_none=True)
    recevable_le = fields.Date(allow_none=True)


class VolumeSchema(Schema):
    nombre_marches = Entier(validate=validate.Range(min=0, max=limites.VOLUME_MAX))
    heures_insertion = Entier(validate=validate.Range(min=0, max=limites.VOLUME_MAX))


# Une propriété par type de marchés (annexe 2) : une autre clé est refusée, comme le dit le document.
VolumesSchema = Schema.from_dict(
    {categorie: fields.Nested(VolumeSchema) for categorie in regles.CATEGORIES_VOLUMES}, name="VolumesSchema"
)


class DossierSchema(DossierResumeSchema):
    communes = fields.Function(lambda d: [c.code for c in d.communes])
    zone_blanche = fields.Boolean()
    zone_blanche_justification = fields.String()
    diagnostic = fields.String()
    objectifs = fields.String()
    strategie = fields.String()
    calendrier = fields.String()
    missions = fields.Function(lambda d: [m.id for m in d.missions])
    volumes = fields.Function(
        lambda d: {v.categorie: {"nombre_marches": v.nombre_marches, "heures_insertion": v.heures_insertion} for v in d.volumes},
        metadata={"allOf": [{"$ref": "#/components/schemas/Volumes"}]},
    )
    engagement_non_baisse = fields.Boolean()
    declaration_honneur = fields.Boolean()
    signataire_nom = fields.String()
    signataire_qualite = fields.String()
    motif_irrecevabilite = fields.String()
    avis_ctn = fields.String(allow_none=True)
    avis_ctn_le = fields.Date(allow_none=True)
    rubriques_ouvertes = fields.Function(lambda d: [r for r in regles.RUBRIQUES if r != "pieces" and d.rubrique_ouverte(r)])


class ModificationSchema(Schema):
    """The fields to change (any subset) and the version they were read at."""

    version = Entier(required=True, metadata={"description": "Version lue : 409 si le dossier a changé."})
    titre = fields.String(validate=validate.Length(max=limites.TITRE_MAX))
    etp_facilitateur = Etp
    etp_coordinateur = Etp
    communes = fields.List(fields.String(validate=validate.Length(max=5)), validate=validate.Length(max=50))
    zone_blanche = Booleen()
    zone_blanche_justification = fields.String(validate=validate.Length(max=limites.TEXTE_MAX))
    diagnostic = fields.String(validate=validate.Length(max=limites.TEXTE_MAX))
    objectifs = fields.String(validate=validate.Length(max=limites.TEXTE_MAX))
    strategie = fields.String(validate=validate.Length(max=limites.TEXTE_MAX))
    calendrier = fields.String(validate=validate.Length(max=limites.TEXTE_MAX))
    missions = fields.List(Identifiant(), validate=validate.Length(max=50))
    volumes = fields.Nested(VolumesSchema)
    engagement_non_baisse = Booleen()
    declaration_honneur = Booleen()
    signataire_nom = fields.String(validate=validate.Length(max=200))
    signataire_qualite = fields.String(validate=validate.Length(max=200))


class CreationSchema(Schema):
    campagne_id = Identifiant(required=True)
    titre = fields.String(load_default="", validate=validate.Length(max=limites.TITRE_MAX))


class LigneBudgetSchema(Schema):
    precision = fields.String(load_default="", validate=validate.Length(max=300))
    montants = fields.List(
        Montant, required=True, validate=validate.Length(equal=3), metadata={"description": "Années 1, 2 et 3, en euros."}
    )


# Une propriété par ligne du cerfa 12156 : une autre clé est refusée, comme le dit le document.
LignesBudgetSchema = Schema.from_dict(
    {categorie: fields.Nested(LigneBudgetSchema) for categorie in regles.CATEGORIES_BUDGET}, name="LignesBudgetSchema"
)


class AnneeSchema(Schema):
    annee = fields.Integer()
    charges = Somme
    produits = Somme
    part_etat = Somme
    taux_etat = Nombre(4, allow_none=True)
    cofinancement = Somme
    taux_cofinancement = Nombre(4, allow_none=True)
    plafond_etat = Nombre(2, metadata={"description": "Maximum de l'État sous le plafond."})
    equilibre = fields.Boolean()


class BudgetSchema(Schema):
    version = fields.Integer(dump_only=True)
    lignes = fields.Nested(LignesBudgetSchema)
    taux_plafond = Nombre(4, maximum=1, dump_only=True)
    synthese = fields.List(fields.Nested(AnneeSchema), dump_only=True)


class BudgetRemplacementSchema(Schema):
    version = Entier(required=True)
    lignes = fields.Nested(LignesBudgetSchema, required=True)


class FichierSchema(Schema):
    nom = fields.String()
    type_mime = fields.String()
    taille = fields.Integer()
    sha256 = fields.String()
    alerte = fields.String()


class PieceSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    libelle = fields.String()
    en_vigueur = fields.Boolean()
    ajoutee_le = fields.DateTime()
    remplacee_le = fields.DateTime(allow_none=True)
    retiree_le = fields.DateTime(allow_none=True)
    fichier = fields.Nested(FichierSchema)
    url = fields.Function(lambda p: url_for("api_candidatures.fichier_piece", dossier_id=p.dossier_id, piece_id=p.id))


class PiecesSchema(Schema):
    exigees = fields.List(fields.Dict())
    pieces = fields.List(fields.Nested(PieceSchema))


class EnvoiPieceSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Code de la pièce requise, ou « autre »."})
    libelle = fields.String(load_default="", validate=validate.Length(max=300))
    fichier = Upload(required=True, metadata={"description": "PDF, image ou bureautique ; type lu dans le contenu."})


class DepotDemandeSchema(Schema):
    version = Entier(required=True)


class DepotSchema(Schema):
    rang = fields.Integer()
    numero = fields.Function(lambda d: d.dossier.numero)
    depose_le = fields.DateTime()
    empreinte = fields.String()
    accuse = fields.Function(lambda d: url_for("api_candidatures.accuse", dossier_id=d.dossier_id, rang=d.rang))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["recevable", "irrecevable", "complements"]))
    recevable_le = fields.Date(metadata={"description": "Décision « recevable » : date du dossier complet."})
    motif = fields.String(validate=validate.Length(max=limites.TEXTE_MAX))
    rubriques = fields.List(fields.String(), load_default=list)
    pieces = fields.List(fields.String(), load_default=list)
    date_limite = fields.Date()
    message = fields.String(load_default="", validate=validate.Length(max=limites.TEXTE_MAX))


class AvisSchema(Schema):
    avis = fields.String(required=True, validate=validate.OneOf([str(a) for a in AvisCtn]))
    le = fields.Date(load_default=None)
    commentaire = fields.String(load_default="", validate=validate.Length(max=limites.TEXTE_MAX))


class HistoriqueSchema(Schema):
    le = fields.DateTime()
    statut = fields.String()
    libelle = fields.Function(lambda c: c.statut.libelle)
    explication = fields.Function(lambda c: c.statut.explication)
    commentaire = fields.String()


class FiltresSchema(Schema):
    statut = fields.String(validate=validate.OneOf([str(s) for s in Statut]))
    poste = fields.String(validate=validate.OneOf([str(p) for p in Poste]))
    commune = fields.String(validate=validate.Length(max=5))
    statut_juridique = fields.String(validate=validate.OneOf([s.value for s in StatutJuridique]))
    emergente = fields.Boolean(truthy={"true"}, falsy={"false"})
    zone_blanche = fields.Boolean(truthy={"true"}, falsy={"false"})
    campagne_id = Identifiant(texte=True)
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "Numéro, titre, structure ou SIRET."})
    tri = fields.String(validate=validate.OneOf(list(TRIS)), metadata={"description": "Par défaut : création (porteur), dépôt."})
    ordre = fields.String(validate=validate.OneOf(["asc", "desc"]), load_default="desc")
    page = Page()
    par_page = Entier(texte=True, load_default=25, validate=validate.Range(min=1, max=100))


class PageDossiersSchema(Schema):
    elements = fields.List(fields.Nested(DossierResumeSchema))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()


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
    operations.modifier_structure(structure, valeurs, par=current_user)
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
    bloquants, avertissements = regles.resume(constats)
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
    depot = operations.deposer(dossier, par=current_user, version=valeurs["version"])
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
    fichier = operations.accuse_de(depot)
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
        operations.declarer_recevable(dossier, par=current_user, le=valeurs.get("recevable_le"))
    elif decision == "irrecevable":
        operations.declarer_irrecevable(dossier, par=current_user, motif=valeurs.get("motif", ""))
    else:
        if valeurs.get("date_limite") is None:
            raise Refus("Indiquez la date limite des compléments.", code="date_invalide", champ="date_limite")
        operations.demander_complements(
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
    operations.enregistrer_avis_ctn(dossier, par=current_user, **valeurs)
    db.session.commit()
    return _dossier(dossier_id)
