"""The documents of the conventions API: what each endpoint reads and answers. Amounts, ETP and indicator
values are decimal strings ("35000.00"), never floats; indicator values are typed one by one, another key is
refused."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from aap import limites
from aap.api import Entier, ErreurSchema, Identifiant, Nombre, Page

from . import lecture, operations, regles, suivi
from .models import StatutConvention

Montant = Nombre(2, signe=True)  # montants envoyés (sommes, reversements)
Etp = Nombre(2)  # par pas de 0,05
Taux = Nombre(4, signe=True, allow_none=True)


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
    """{key: Decimal, text or None} of what a `par_indicateur` schema read, as the operations take it."""
    return {attribut.replace("__", "."): v for attribut, v in valeurs.items()}


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
