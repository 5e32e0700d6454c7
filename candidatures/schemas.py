"""The schemas of the candidatures API: what each route accepts and answers, documented in its OpenAPI. Amounts and
ETP are decimal strings ("35000.00", "0.5"), never floats."""

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from aap import limites
from aap.api import Booleen, Entier, Identifiant, Nombre, Page
from aap.regles import LIBELLES_CONDITIONS, etat_campagne
from aap.types import maintenant

from . import regles
from .lecture import TRIS
from .models import AvisCtn, Poste, Statut, StatutJuridique

Montant = Nombre(2, maximum=limites.MONTANT_MAX, metadata={"description": "En euros et centimes."})
Somme = Nombre(2, signe=True)  # totaux calculés, envoyés seulement
Taux = Nombre(4, maximum=1, metadata={"description": "Fraction de 0 à 1, quatre décimales (0.7000 pour 70 %)."})
Etp = Nombre(
    2, maximum=limites.ETP_MAX, cinq_centiemes=True, metadata={"description": "Équivalents temps plein, par pas de 0,05."}
)


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
