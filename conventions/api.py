"""JSON API of the conventions domain: conventions (list, read with their schedule and deadlines, creation,
signature, documents), payments (list, state changes), reports (read, save, attachments, file, approve or
return), renewal (view, avenant, non-renewal), the dashboard's figures and the "À faire" list.

The same operations, rules and permissions as the pages: a convention the caller may not see answers 404 (another
structure, another service, a COPIL member). Amounts, ETP and indicator values are decimal strings ("35000.00"),
never floats.
"""

from flask import abort, request
from flask_login import current_user
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap import fichiers, limites
from aap.api import Entier, ErreurSchema, Identifiant, Nombre, Page, blueprint_api
from aap.erreurs import Refus
from aap.extensions import db
from aap.securite import role_requis
from aap.types import maintenant
from notation.models import Decision

from . import avenants, bilans, lecture, operations, paiements, regles, suivi, tableau
from .lecture import GESTION, LECTEURS, LECTEURS_DEETS, PORTEURS
from .models import Convention, StatutConvention, Versement

bp = blueprint_api("api_conventions", "Conventions, versements, bilans, avenants, tableau de bord.")


Montant = Nombre(2, signe=True)  # montants envoyés (sommes, reversements)
Etp = Nombre(2)  # par pas de 0,05
Taux = Nombre(4, signe=True, allow_none=True)
# Un montant saisi : en euros et centimes, au plus limites.MONTANT_MAX.
MontantSaisi = Nombre(2, maximum=limites.MONTANT_MAX, metadata={"description": "En euros et centimes."})


def valeur_indicateur(indicateur, **kwargs):
    """An indicator's value as the document says it: counts and hours in whole numbers, euros and decimals with
    two places (up to suivi.NOMBRE_MAX), texts up to limites.TEXTE_MAX characters; null erases it."""
    description = {"description": indicateur.libelle}
    if not indicateur.numerique:
        return fields.String(allow_none=True, validate=validate.Length(max=limites.TEXTE_MAX), metadata=description, **kwargs)
    places = 0 if indicateur.type in ("entier", "heures") else 2
    # Un objectif est envoyé avec deux décimales ("8000.00") : renvoyé tel quel, il est lu.
    return Nombre(places, maximum=int(suivi.NOMBRE_MAX), zeros=2, allow_none=True, metadata=description, **kwargs)


def par_indicateur(indicateurs, nom):
    """One property per indicator, typed: another key is refused, as the document says. (marshmallow reads a
    dotted name as a path: each attribute is the key with `__` for its dot, `cles` gives the keys back.)"""
    return Schema.from_dict({i.cle.replace(".", "__"): valeur_indicateur(i, data_key=i.cle) for i in indicateurs}, name=nom)


def cles(valeurs):
    """{key: text or None} of what a `par_indicateur` schema read, as the operations take it."""
    return {attribut.replace("__", "."): None if v is None else str(v) for attribut, v in valeurs.items()}


ValeursBilanSchema = par_indicateur(suivi.INDICATEURS, "ValeursBilanSchema")
ObjectifsSchema = par_indicateur(suivi.CIBLES, "ObjectifsSchema")


# --- Schémas ---------------------------------------------------------------------------------------------


class BeneficiaireSchema(Schema):
    id = fields.Integer()
    raison_sociale = fields.String()
    siret = fields.String()


class VersementSchema(Schema):
    id = fields.Integer()
    convention_id = fields.Integer()
    annee = fields.Function(lambda v: v.annee.rang)
    nature = fields.String(metadata={"description": "avance ou solde"})
    montant_prevu = Montant
    montant = Montant
    etat = fields.String(metadata={"description": "prevu, a_payer, paye ou annule"})
    a_payer_le = fields.Date(allow_none=True)
    paye_le = fields.Date(allow_none=True)
    reference_comptable = fields.String()
    motif = fields.String()
    version = fields.Integer(metadata={"description": "À renvoyer pour changer le versement."})


class ReversementSchema(Schema):
    id = fields.Integer()
    montant = Montant
    etat = fields.String(metadata={"description": "a_emettre, emis ou recouvre"})
    titre_emis_le = fields.Date(allow_none=True)
    reference = fields.String()
    recouvre_le = fields.Date(allow_none=True)
    commentaire = fields.String()


class BilanResumeSchema(Schema):
    id = fields.Integer()
    annee = fields.Function(lambda b: b.annee.rang)
    type = fields.String(metadata={"description": "intermediaire, annuel, trimestriel ou financier (compte rendu financier)"})
    intitule = fields.String()
    arrete_au = fields.Date(allow_none=True, metadata={"description": "Trimestriel : résultats à cette date."})
    echeance = fields.Date()
    statut = fields.String(metadata={"description": "a_deposer, depose, a_corriger ou approuve"})
    premier_depot_le = fields.DateTime(allow_none=True)
    a_l_heure = fields.Boolean(allow_none=True)
    corrections_avant = fields.Date(allow_none=True)
    version = fields.Integer()


class ObjectifSchema(Schema):
    cle = fields.Function(lambda o: f"{o.poste}.{o.code}")
    libelle = fields.Function(lambda o: o.indicateur.libelle if o.indicateur else o.code)
    cible = Nombre(2)


class AnneeConventionSchema(Schema):
    rang = fields.Integer()
    intitule = fields.String()
    debut = fields.Date()
    fin = fields.Date()
    montant = Montant
    etp_facilitateur = Etp
    etp_coordinateur = Etp
    cout_retenu = Nombre(2, allow_none=True, metadata={"description": "Budget révisé de l'année, s'il a été saisi."})
    signee_le = fields.Date(allow_none=True)
    depenses_eligibles = Nombre(2, allow_none=True, metadata={"description": "Retenues au compte rendu financier approuvé."})
    montant_du = Nombre(
        2,
        allow_none=True,
        metadata={
            "description": "Ce que l'État doit pour l'année, fixé au compte rendu financier approuvé : le taux plafond des "
            "dépenses éligibles, dans la limite de la subvention (null avant)."
        },
    )
    renouvellement = fields.String(allow_none=True, metadata={"description": "renouvelee, non_renouvelee ou null"})
    renouvellement_motif = fields.String()
    objectifs = fields.List(fields.Nested(ObjectifSchema))
    versements = fields.List(fields.Nested(VersementSchema))
    reversement = fields.Nested(ReversementSchema, allow_none=True)
    bilans = fields.List(fields.Nested(BilanResumeSchema))


class EcheanceSchema(Schema):
    code = fields.String()
    nature = fields.String(metadata={"description": "signature, versement, bilan, corrections, avenant ou copil"})
    libelle = fields.String()
    date = fields.Date()
    jours = fields.Integer(metadata={"description": "Jours restants (négatif : en retard)."})
    etat = fields.String(metadata={"description": "a_venir, bientot ou en_retard"})
    pour = fields.String(metadata={"description": "agent (la DEETS) ou porteur (la structure)"})


class ConventionSchema(Schema):
    id = fields.Integer()
    numero = fields.String()
    service = fields.Function(lambda c: c.service.code)
    campagne_id = fields.Integer()
    dossier_id = fields.Integer()
    decision_id = fields.Integer()
    structure = fields.Nested(BeneficiaireSchema)
    statut = fields.String(metadata={"description": "a_signer, en_cours ou close"})
    etat = fields.Method("_etat")
    notifie_le = fields.DateTime()
    date_limite_signature = fields.Date(metadata={"description": "15 jours après la notification (AAP §D.1)."})
    signee_le = fields.Date(allow_none=True)
    signature_en_retard = fields.Method("_retard")
    montant_total = Montant
    taux_plafond = Nombre(
        4, maximum=1, metadata={"description": 'Part de l\'État dans les dépenses éligibles, au plus ("0.7000").'}
    )
    annees_ecoulees = fields.Function(lambda c: len(c.annees))
    version = fields.Integer()

    def _etat(self, convention):
        return lecture.etat_affiche(convention, lecture.aujourdhui(convention))[0]

    def _retard(self, convention):
        return operations.signature_en_retard(convention.premiere) if convention.premiere else False


class ConventionDetailSchema(ConventionSchema):
    annees = fields.List(fields.Nested(AnneeConventionSchema))
    echeances = fields.Method("_echeances")

    def _echeances(self, convention):
        return EcheanceSchema(many=True).dump(lecture.echeances_de(convention))


class PageConventionsSchema(Schema):
    elements = fields.List(fields.Nested(ConventionSchema))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()


class FiltresConventionsSchema(Schema):
    statut = fields.String(validate=validate.OneOf([str(s) for s in StatutConvention]))
    campagne_id = Identifiant(texte=True)
    page = Page()


def Objectifs():  # noqa: N802 (un champ, nommé comme les autres)
    return fields.Nested(
        ObjectifsSchema,
        load_default=dict,
        metadata={"description": "Un objectif par indicateur cible des postes financés (les autres sont ignorés)."},
    )


Version = Identifiant(load_default=None, metadata={"description": "La version lue : 409 si l'objet a changé entre-temps."})


class CreationConventionSchema(Schema):
    decision_id = Identifiant(required=True)
    date_effet = fields.Date(required=True)
    mois_bilan_intermediaire = Entier(load_default=regles.MOIS_BILAN_INTERMEDIAIRE, validate=validate.Range(min=1, max=11))
    taux_plafond = Nombre(
        4,
        maximum=1,
        positif=True,
        load_default=None,
        allow_none=True,
        metadata={
            "description": 'Part de l\'État dans les dépenses éligibles, au plus ("0.7") : par défaut le plafond du dossier '
            "déposé (AAP §B.2-3) ; un taux inférieur peut être convenu, jamais supérieur."
        },
    )
    objectifs = Objectifs()


class SignatureSchema(Schema):
    signee_le = fields.Date(required=True)
    scan = Upload(required=True, metadata={"description": "L'exemplaire signé, numérisé (PDF, JPEG ou PNG)."})


class PaiementSchema(Schema):
    paye_le = fields.Date(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = Version


class AnnulationSchema(Schema):
    motif = fields.String(required=True, validate=validate.Length(min=1, max=limites.TEXTE_MAX))
    version = Version


class AjustementSchema(Schema):
    montant = Nombre(2, maximum=limites.MONTANT_MAX, required=True, metadata={"description": "Le solde, en euros."})
    motif = fields.String(load_default="", validate=validate.Length(max=limites.TEXTE_MAX))
    version = Version


class FiltresVersementsSchema(Schema):
    convention_id = Identifiant(texte=True)
    etat = fields.String(validate=validate.OneOf(["prevu", "a_payer", "paye", "annule"]))


class IndicateurValeurSchema(Schema):
    cle = fields.String()
    poste = fields.String()
    libelle = fields.String()
    type = fields.String(metadata={"description": "entier, heures, euros, decimal ou texte"})
    valeur = fields.String(allow_none=True, metadata={"description": "Nombre décimal en texte, ou texte."})
    cible = Nombre(2, allow_none=True)
    precedente = Nombre(2, allow_none=True)


class PieceBilanSchema(Schema):
    id = fields.Integer()
    nature = fields.String()
    libelle = fields.String()
    nom = fields.Function(lambda p: p.fichier.nom)
    sha256 = fields.Function(lambda p: p.fichier.sha256)
    ajoutee_le = fields.DateTime()


class VersionBilanSchema(Schema):
    rang = fields.Integer()
    depose_le = fields.DateTime()
    empreinte = fields.String()
    decision = fields.String(allow_none=True)
    decide_le = fields.DateTime(allow_none=True)
    commentaire = fields.String()


class BilanSchema(Schema):
    id = fields.Integer()
    convention_id = fields.Integer()
    annee = fields.Integer()
    type = fields.String(metadata={"description": "intermediaire, annuel, trimestriel ou financier (compte rendu financier)"})
    intitule = fields.String()
    arrete_au = fields.Date(allow_none=True)
    echeance = fields.Date()
    statut = fields.String(metadata={"description": "a_deposer, depose, a_corriger ou approuve"})
    premier_depot_le = fields.DateTime(allow_none=True)
    a_l_heure = fields.Boolean(allow_none=True)
    corrections_avant = fields.Date(allow_none=True)
    version = fields.Integer()
    depenses_realisees = Nombre(2, allow_none=True)
    indicateurs = fields.List(fields.Nested(IndicateurValeurSchema))
    pieces = fields.List(fields.Nested(PieceBilanSchema))
    versions = fields.List(fields.Nested(VersionBilanSchema))
    avertissements = fields.List(fields.Nested(ErreurSchema))


class EnregistrementBilanSchema(Schema):
    valeurs = fields.Nested(
        ValeursBilanSchema,
        load_default=dict,
        metadata={"description": "Les valeurs à enregistrer, par indicateur (ceux que le bilan ne demande pas sont ignorés)."},
    )
    depenses_realisees = Nombre(
        2, maximum=int(suivi.NOMBRE_MAX), load_default=None, allow_none=True, metadata={"description": "Bilan annuel."}
    )
    version = Version


class VersionBilanEnvoiSchema(Schema):
    version = Version


class PieceEnvoiSchema(Schema):
    nature = fields.String(load_default="annexe", validate=validate.OneOf(["annexe", "compte_rendu_financier"]))
    libelle = fields.String(load_default="", validate=validate.Length(max=200))
    fichier = Upload(required=True, metadata={"description": "PDF, image ou bureautique ; type lu dans le contenu."})


class ApprobationSchema(Schema):
    depenses_eligibles = Nombre(
        2,
        maximum=int(suivi.NOMBRE_MAX),
        load_default=None,
        allow_none=True,
        metadata={"description": "Bilan annuel : les dépenses retenues (par défaut celles déclarées)."},
    )
    commentaire = fields.String(load_default="", validate=validate.Length(max=limites.TEXTE_MAX))
    version = Version


class CorrectionsSchema(Schema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=limites.TEXTE_MAX))
    date_limite = fields.Date(required=True)
    version = Version


class LigneRenouvellementSchema(Schema):
    cle = fields.Function(lambda ligne: ligne.indicateur.cle)
    libelle = fields.Function(lambda ligne: ligne.indicateur.libelle)
    cible = Nombre(2, allow_none=True)
    realise = Nombre(2, allow_none=True)
    taux = Taux
    precedent = Nombre(2, allow_none=True)
    evolution = Taux


class RenouvellementSchema(Schema):
    annee = fields.Function(lambda v: v.annee.rang)
    bilan_annuel = fields.Function(lambda v: v.bilan.statut if v.bilan else None)
    a_l_heure = fields.Boolean(allow_none=True)
    heures_par_etp = Nombre(0, allow_none=True)
    part_heures_etp = Taux
    suggestion = fields.Function(lambda v: {"issue": v.suggestion.issue, "texte": v.suggestion.texte})
    decidable = fields.Boolean()
    lignes = fields.List(fields.Nested(LigneRenouvellementSchema))


class AvenantSchema(Schema):
    montant = Nombre(
        2, maximum=limites.MONTANT_MAX, positif=True, required=True, metadata={"description": "Le montant de l'année."}
    )
    cout_retenu = Nombre(
        2,
        maximum=limites.MONTANT_MAX,
        positif=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "Budget révisé de l'année, s'il remplace celui du dossier déposé."},
    )
    objectifs = Objectifs()


class NonRenouvellementSchema(Schema):
    motif = fields.String(required=True, validate=validate.Length(min=1, max=limites.TEXTE_MAX))


class FiltresTableauSchema(Schema):
    campagne_id = Identifiant(texte=True)
    service_id = Identifiant(texte=True)


class ParAnneeSchema(Schema):
    exercice = fields.Integer()
    conventions = fields.Integer()
    engage = Montant
    verse = Montant
    etp_facilitateur = Etp
    etp_coordinateur = Etp
    heures_cible = Nombre(2, allow_none=True)
    heures_declarees = Nombre(2, allow_none=True)


class AnneeBudgetaireSchema(Schema):
    rang = fields.Integer(metadata={"description": "1 : décisions du COPIL ; 2 et 3 : avenants."})
    libelle = fields.String()
    credits = Montant
    accorde = Montant
    renouvele = Montant
    restant = Nombre(2, signe=True, metadata={"description": "credits − accorde − renouvele"})


class TableauSchema(Schema):
    campagne_id = fields.Function(lambda t: t.campagne.id if t.campagne else None)
    credits = Montant
    annees_budgetaires = fields.List(fields.Nested(AnneeBudgetaireSchema))
    accorde_copil = Montant
    avenants = Montant
    engage = Montant
    verse = Montant
    a_verser = Montant
    restant = Montant
    reversements = Montant
    etp_facilitateur = Etp
    etp_coordinateur = Etp
    conventions = fields.Integer()
    etats = fields.Function(lambda t: {code: n for code, _, n in t.etats})
    par_annee = fields.List(fields.Nested(ParAnneeSchema))
    bilans_en_retard = fields.Function(lambda t: len(t.retards_bilans))
    versements_en_retard = fields.Function(lambda t: len(t.retards_versements))


class AFaireSchema(EcheanceSchema):
    nature = fields.String(
        metadata={
            "description": "signature, versement, bilan, corrections, examen, avenant, ou copil_trimestriel : un trimestre "
            "fini sans COPIL alors que des dossiers recevables attendent (AAP §C.2 ; convention_id null)"
        }
    )
    convention_id = fields.Integer(allow_none=True)
    numero = fields.String()
    structure = fields.String()


# --- Chargement ----------------------------------------------------------------------------------------------


def _bilan(bilan_id, droit=None):
    return lecture.bilan_accessible(bilan_id, droit=droit)


def _detail_bilan(bilan, avertissements=()):
    complet = lecture.bilan_complet(bilan.id)
    # La baisse du financement des postes préexistants reste signalée tant qu'elle dure (article 7).
    alertes = list(avertissements)
    if (non_baisse := bilans.alerte_non_baisse(complet)) is not None and non_baisse not in alertes:
        alertes.append(non_baisse)
    valeurs, cibles, precedentes = complet.valeurs_par_cle(), bilan.annee.cibles(), bilans.precedentes(bilan)
    indicateurs = [
        {
            "cle": i.cle,
            "poste": i.poste,
            "libelle": i.libelle,
            "type": i.type,
            "valeur": (str(valeurs[i.cle]) if valeurs.get(i.cle) is not None else None)
            if i.numerique
            else valeurs.get(i.cle, ""),
            "cible": cibles.get(i.cle),
            "precedente": precedentes.get(i.cle),
        }
        for i in bilans.indicateurs_de(bilan)
    ]
    champs = (
        "id",
        "convention_id",
        "type",
        "intitule",
        "arrete_au",
        "echeance",
        "statut",
        "premier_depot_le",
        "a_l_heure",
        "corrections_avant",
        "version",
    )
    return {
        **{champ: getattr(complet, champ) for champ in champs},
        "annee": bilan.annee.rang,
        "depenses_realisees": complet.depenses_realisees,
        "indicateurs": indicateurs,
        "pieces": complet.pieces_courantes,
        "versions": complet.versions,
        "avertissements": [{"field": a.champ, "code": a.code, "message": a.message} for a in alertes],
    }


# --- Conventions --------------------------------------------------------------------------------------------


@bp.route("/conventions")
@role_requis(*LECTEURS)
@bp.arguments(FiltresConventionsSchema, location="query")
@bp.response(200, PageConventionsSchema)
def conventions(filtres):
    """Les conventions visibles : celles de sa structure (porteur), de son service (agents), toutes (national)."""
    requete = lecture.visibles(current_user)
    if filtres.get("statut"):
        requete = requete.where(Convention.statut == filtres["statut"])
    if filtres.get("campagne_id"):
        requete = requete.where(Convention.campagne_id == filtres["campagne_id"])
    page = db.paginate(
        requete.options(*lecture.options_liste()).order_by(Convention.numero), page=filtres["page"], per_page=25, error_out=False
    )
    return {"elements": page.items, "page": page.page, "pages": page.pages, "total": page.total}


@bp.route("/conventions", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(CreationConventionSchema)
@bp.response(201, ConventionDetailSchema)
def creer(valeurs):
    """Crée la convention d'une décision retenue et notifiée (agents du service) : numéro, première année de douze
    mois à la date d'effet, taux plafond, objectifs, échéancier (50 % à la signature, le solde sur le compte rendu
    financier), calendrier des bilans, documents PDF et DOCX. 409 si elle existe déjà."""
    decision = db.session.get(Decision, valeurs["decision_id"])
    if decision is None or not current_user.instruit(decision.dossier.service_id):
        raise Refus("Décision inconnue dans ce service.", code="decision_inconnue", champ="decision_id")
    objectifs = cles(valeurs["objectifs"])
    convention = operations.creer_convention(
        decision,
        par=current_user,
        date_effet=valeurs["date_effet"],
        objectifs=objectifs,
        mois_intermediaire=valeurs["mois_bilan_intermediaire"],
        taux_plafond=valeurs["taux_plafond"],
    )
    db.session.commit()
    return lecture.charger(convention.id)


@bp.route("/conventions/<id:convention_id>")
@role_requis(*LECTEURS)
@bp.response(200, ConventionDetailSchema)
def convention(convention_id):
    """Une convention : ses années (convention puis avenants), objectifs, versements, bilans, et ses échéances."""
    return lecture.convention_accessible(convention_id)


@bp.route("/conventions/<id:convention_id>/annees/<id:rang>/document")
@role_requis(*LECTEURS)
@bp.response(200, content_type="application/pdf")
def document(convention_id, rang):
    """Le document de l'année (convention ou avenant), en PDF ; `?format=docx` pour la version modifiable."""
    annee = lecture.convention_accessible(convention_id).annee(rang)
    if annee is None:
        abort(404)
    if annee.document is None:
        operations.produire_documents(annee, par=current_user)
        db.session.commit()
    fichier = annee.document_modifiable if request.args.get("format") == "docx" else annee.document
    return fichiers.reponse_telechargement(fichier)


@bp.route("/conventions/<id:convention_id>/annees/<id:rang>/signature", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(SignatureSchema, location="multipart")
@bp.response(200, ConventionDetailSchema)
def signer(valeurs, convention_id, rang):
    """Enregistre la signature de la convention (année 1) ou d'un avenant (multipart/form-data : `signee_le`,
    `scan`). L'avance de l'année passe « à mettre en paiement » ; une signature au-delà du 15e jour est signalée."""
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    annee = convention.annee(rang)
    if annee is None:
        abort(404)
    operations.enregistrer_signature(annee, signee_le=valeurs["signee_le"], scan=valeurs["scan"], par=current_user)
    db.session.commit()
    return lecture.charger(convention.id)


# --- Versements ---------------------------------------------------------------------------------------------


@bp.route("/versements")
@role_requis(*LECTEURS)
@bp.arguments(FiltresVersementsSchema, location="query")
@bp.response(200, VersementSchema(many=True))
def versements(filtres):
    """Les versements des conventions visibles (500 au plus), les plus récents d'abord."""
    visibles = lecture.visibles(current_user).with_only_columns(Convention.id)
    requete = select(Versement).where(Versement.convention_id.in_(visibles)).order_by(Versement.id.desc()).limit(500)
    if filtres.get("convention_id"):
        requete = requete.where(Versement.convention_id == filtres["convention_id"])
    if filtres.get("etat"):
        requete = requete.where(Versement.etat == filtres["etat"])
    return db.session.scalars(requete.options(joinedload(Versement.annee))).all()


@bp.route("/versements/<id:versement_id>/paiement", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(PaiementSchema)
@bp.response(200, VersementSchema)
def payer(valeurs, versement_id):
    """Marque payé un versement à mettre en paiement : date et référence comptable (agents du service)."""
    _, versement = lecture.versement_accessible(versement_id, Convention.can_gerer)
    paiements.payer(
        versement, paye_le=valeurs["paye_le"], reference=valeurs["reference"], par=current_user, version=valeurs["version"]
    )
    db.session.commit()
    return db.session.get(Versement, versement.id)


@bp.route("/versements/<id:versement_id>/annulation", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(AnnulationSchema)
@bp.response(200, VersementSchema)
def annuler(valeurs, versement_id):
    """Annule un versement prévu ou à mettre en paiement, avec son motif."""
    _, versement = lecture.versement_accessible(versement_id, Convention.can_gerer)
    paiements.annuler(versement, motif=valeurs["motif"], par=current_user, version=valeurs["version"])
    db.session.commit()
    return db.session.get(Versement, versement.id)


@bp.route("/versements/<id:versement_id>/ajustement", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(AjustementSchema)
@bp.response(200, VersementSchema)
def ajuster(valeurs, versement_id):
    """Réduit un solde à mettre en paiement (motif obligatoire), dans la limite des dépenses éligibles."""
    _, versement = lecture.versement_accessible(versement_id, Convention.can_gerer)
    paiements.ajuster_solde(
        versement, montant=valeurs["montant"], motif=valeurs["motif"], par=current_user, version=valeurs["version"]
    )
    db.session.commit()
    return db.session.get(Versement, versement.id)


# --- Bilans -----------------------------------------------------------------------------------------------


@bp.route("/bilans/<id:bilan_id>")
@role_requis(*LECTEURS)
@bp.response(200, BilanSchema)
def bilan(bilan_id):
    """Un bilan : ses indicateurs (valeur, objectif, période précédente), pièces et versions déposées."""
    _, bilan_ = _bilan(bilan_id)
    return _detail_bilan(bilan_)


@bp.route("/bilans/<id:bilan_id>", methods=["PUT"])
@role_requis(*LECTEURS)
@bp.arguments(EnregistrementBilanSchema)
@bp.response(200, BilanSchema)
def enregistrer_bilan(valeurs, bilan_id):
    """Enregistre le brouillon (membres de la structure) : chaque valeur vérifiée ; un saut invraisemblable depuis la
    période précédente est signalé dans `avertissements` sans bloquer."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_rendre_compte)
    saisies = cles(valeurs["valeurs"])
    depenses = valeurs["depenses_realisees"]
    avertissements = bilans.enregistrer_bilan(
        bilan_,
        valeurs=saisies,
        par=current_user,
        version=valeurs["version"],
        depenses_realisees=None if depenses is None else str(depenses),
    )
    db.session.commit()
    return _detail_bilan(bilan_, avertissements)


@bp.route("/bilans/<id:bilan_id>/pieces", methods=["POST"])
@role_requis(*PORTEURS)
@bp.arguments(PieceEnvoiSchema, location="multipart")
@bp.response(201, PieceBilanSchema)
def joindre(valeurs, bilan_id):
    """Joint un fichier au bilan (multipart/form-data) : le compte rendu financier (cerfa n° 15059) ou une annexe."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_rendre_compte)
    piece = bilans.ajouter_piece(
        bilan_, valeurs["fichier"], par=current_user, nature=valeurs["nature"], libelle=valeurs["libelle"]
    )
    db.session.commit()
    return piece


@bp.route("/bilans/<id:bilan_id>/depot", methods=["POST"])
@role_requis(*LECTEURS)
@bp.arguments(VersionBilanEnvoiSchema)
@bp.response(200, BilanSchema)
def deposer(valeurs, bilan_id):
    """Dépose le bilan, dans sa fenêtre (422 `hors_fenetre` avant : le compte rendu financier, une fois l'année
    terminée) : chaque indicateur renseigné ; les dépenses (prévisionnelles au bilan annuel) ; pour le compte
    rendu financier, le cerfa n° 15059 joint."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_rendre_compte)
    bilans.deposer_bilan(bilan_, par=current_user, version=valeurs["version"])
    db.session.commit()
    return _detail_bilan(bilan_)


@bp.route("/bilans/<id:bilan_id>/approbation", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(ApprobationSchema)
@bp.response(200, BilanSchema)
def approuver(valeurs, bilan_id):
    """Approuve un bilan déposé (agents du service). Le compte rendu financier approuvé fixe ce que l'État doit pour
    l'année (son taux plafond des dépenses éligibles, dans la limite de la subvention) : le solde (dû − avance) est
    mis en paiement, ou le reversement (avance − dû) calculé."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_gerer)
    bilans.approuver_bilan(
        bilan_,
        par=current_user,
        depenses_eligibles=valeurs["depenses_eligibles"],
        commentaire=valeurs["commentaire"],
        version=valeurs["version"],
    )
    db.session.commit()
    return _detail_bilan(bilan_)


@bp.route("/bilans/<id:bilan_id>/corrections", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(CorrectionsSchema)
@bp.response(200, BilanSchema)
def corriger(valeurs, bilan_id):
    """Renvoie un bilan déposé à la structure, avec ce qui est à corriger et la date limite."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_gerer)
    bilans.demander_corrections(
        bilan_, message=valeurs["message"], date_limite=valeurs["date_limite"], par=current_user, version=valeurs["version"]
    )
    db.session.commit()
    return _detail_bilan(bilan_)


# --- Renouvellement ------------------------------------------------------------------------------------------


@bp.route("/conventions/<id:convention_id>/renouvellement")
@role_requis(*LECTEURS_DEETS)
@bp.response(200, RenouvellementSchema)
def renouvellement(convention_id):
    """La vue du renouvellement : objectifs et réalisations du dernier bilan annuel, évolution, heures par ETP, bilan
    à temps ou non, et l'issue suggérée (la décision reste à la DEETS)."""
    convention = lecture.convention_accessible(convention_id)
    return tableau.vue_renouvellement(convention)


@bp.route("/conventions/<id:convention_id>/avenants", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(AvenantSchema)
@bp.response(201, AnneeConventionSchema)
def renouveler(valeurs, convention_id):
    """Renouvelle la convention par avenant pour une année (deux au plus : 422 au troisième), sur le bilan annuel
    approuvé : montant, objectifs, échéancier 50/50, calendrier des bilans, avenant PDF et DOCX."""
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    objectifs = cles(valeurs["objectifs"])
    annee = avenants.renouveler(
        convention, montant=valeurs["montant"], cout_retenu=valeurs["cout_retenu"], objectifs=objectifs, par=current_user
    )
    db.session.commit()
    return lecture.charger(convention.id).annee(annee.rang)


@bp.route("/conventions/<id:convention_id>/non-renouvellement", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(NonRenouvellementSchema)
@bp.response(200, ConventionDetailSchema)
def ne_pas_renouveler(valeurs, convention_id):
    """Décide de ne pas renouveler la convention après l'année en cours, avec son motif."""
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    avenants.ne_pas_renouveler(convention, motif=valeurs["motif"], par=current_user)
    db.session.commit()
    return lecture.charger(convention.id)


# --- Tableau de bord, à faire --------------------------------------------------------------------------------


@bp.route("/tableau-de-bord")
@role_requis(*LECTEURS_DEETS)
@bp.arguments(FiltresTableauSchema, location="query")
@bp.response(200, TableauSchema)
def tableau_de_bord(filtres):
    """Les chiffres du tableau de bord (agents : leur service ; national : tous, ou un service) : crédits, accordé,
    versé, restant, ETP financés, conventions par état, par exercice, retards."""
    return tableau.tableau_de_bord(current_user, campagne_id=filtres.get("campagne_id"), service_id=filtres.get("service_id"))


@bp.route("/a-faire")
@role_requis(*LECTEURS)
@bp.response(200, AFaireSchema(many=True))
def a_faire():
    """Ce qui est dû, en retard ou attend la personne, les échéances les plus proches d'abord."""
    instant = maintenant()
    lignes, _ = lecture.a_faire(current_user, instant)
    alerte = lecture.trimestre_sans_copil(current_user, instant)
    copil = (
        [
            {
                "code": f"copil-{alerte.annee}-T{alerte.trimestre}",
                "nature": "copil_trimestriel",
                "libelle": alerte.libelle,
                "date": alerte.fin,
                "jours": (alerte.fin - regles.jour_local(instant, current_user.service.fuseau)).days,
                "etat": "en_retard",
                "pour": "agent",
                "convention_id": None,
                "numero": "",
                "structure": "",
            }
        ]
        if alerte
        else []
    )
    return copil + [
        {
            "code": e.code,
            "nature": e.nature,
            "libelle": e.libelle,
            "date": e.date,
            "jours": e.jours,
            "etat": e.etat,
            "pour": e.pour,
            "convention_id": c.id,
            "numero": c.numero,
            "structure": c.structure.raison_sociale,
        }
        for c, e in lignes
    ]
