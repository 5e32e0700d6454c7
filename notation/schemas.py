"""The JSON shapes of the notation API: what each endpoint reads and answers. Points, amounts and ETP are decimal
strings ("7.5", "35000.00", "0.5"), never floats; every text has its limit."""

from marshmallow import Schema, ValidationError, fields, validate

from aap.api import Booleen, Entier, Identifiant, Nombre, Page
from aap.entrees import ID_MAX
from aap.limites import TEXTE_MAX

from . import regles
from .models import Avis, Nature, Phase

ANNEES_SEANCE = (2000, 2199)

Points = Nombre(2)  # moyennes, médianes, écarts : au centième
Montant = Nombre(2, signe=True)
Etp = Nombre(1)
# Une note : de 0 à 99,5 par demi-points (le maximum du critère, au plus 20, est vérifié par la règle).
NOTE = "^(0|[1-9][0-9]?)(\\.[05])?$"


def annee_de_seance(instant):
    """The year as written (with its offset), as the document's pattern reads it."""
    if not ANNEES_SEANCE[0] <= instant.year <= ANNEES_SEANCE[1]:
        raise ValidationError(f"Une séance se tient entre {ANNEES_SEANCE[0]} et {ANNEES_SEANCE[1]}.")


class PersonneSchema(Schema):
    id = fields.Integer()
    nom = fields.Function(lambda u: u.nom_complet)
    role = fields.String()


class MembreSchema(Schema):
    utilisateur = fields.Nested(PersonneSchema)
    present = fields.Boolean()


class SeanceSchema(Schema):
    id = fields.Integer()
    intitule = fields.String()
    campagne_id = fields.Integer()
    tenue_le = fields.DateTime(metadata={"description": "Date et heure (UTC) ; affichées à l'heure du service."})
    lieu = fields.String()
    lien_visio = fields.String()
    annee = fields.Integer()
    trimestre = fields.Integer()
    phase = fields.String(metadata={"description": "preparation, notation, deliberation ou close"})
    president = fields.Nested(PersonneSchema)
    membres = fields.List(fields.Nested(MembreSchema))
    seuil_desaccord = Nombre(2, maximum=1)
    version = fields.Integer(metadata={"description": "À renvoyer pour modifier la séance."})
    notation_ouverte_le = fields.DateTime(allow_none=True)
    deliberation_le = fields.DateTime(allow_none=True)
    close_le = fields.DateTime(allow_none=True)


class PageSeancesSchema(Schema):
    elements = fields.List(fields.Nested(SeanceSchema))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()


class FiltresSeancesSchema(Schema):
    campagne_id = Identifiant(texte=True)
    phase = fields.String(validate=validate.OneOf([str(p) for p in Phase]))
    page = Page()


class CreationSeanceSchema(Schema):
    campagne_id = Identifiant(required=True)
    tenue_le = fields.AwareDateTime(
        required=True,
        validate=annee_de_seance,
        metadata={
            "description": "Date et heure de la séance, avec son fuseau (par exemple 2022-12-08T09:00:00+03:00), "
            f"de {ANNEES_SEANCE[0]} à {ANNEES_SEANCE[1]}.",
            "pattern": "^2[01][0-9]{2}-",
        },
    )
    lieu = fields.String(load_default="", validate=validate.Length(max=300))
    lien_visio = fields.String(load_default="", validate=validate.Length(max=500))
    president_id = Identifiant(required=True)
    membres = fields.List(Identifiant(), load_default=list, validate=validate.Length(max=100))
    seuil_desaccord = Nombre(
        2,
        maximum=1,
        positif=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "Part du maximum d'un critère, de 0.01 à 1 (0.40 par défaut)."},
    )


class PhaseSchema(Schema):
    phase = fields.String(
        required=True, validate=validate.OneOf([str(p) for p in (Phase.NOTATION, Phase.DELIBERATION, Phase.CLOSE)])
    )
    motif = fields.String(
        load_default="",
        validate=validate.Length(max=TEXTE_MAX),
        metadata={
            "description": "Délibération ou clôture avant le jour de la séance : le motif, imprimé au procès-verbal "
            "(sans lui : 422 `avant_la_seance`)."
        },
    )
    confirmer_notes_manquantes = Booleen(
        load_default=False,
        metadata={
            "description": "Clôture alors que des membres n'ont pas soumis toutes leurs notes : la confirmer (sans elle : "
            "422 `notes_manquantes`, qui les nomme)."
        },
    )


class MaPositionSchema(Schema):
    declaration = fields.String(allow_none=True, metadata={"description": "aucun_conflit, deport ou null"})
    feuille = fields.String(allow_none=True, metadata={"description": "brouillon, soumise ou null"})
    peut_noter = fields.Boolean()
    voit_notes = fields.Boolean()


class PointSchema(Schema):
    rang = fields.Integer()
    dossier_id = fields.Integer()
    numero = fields.String()
    structure = fields.String()
    titre = fields.String()
    montant_demande = Montant
    etp_facilitateur = Etp
    etp_coordinateur = Etp
    moi = fields.Nested(MaPositionSchema, allow_none=True)


class InscriptionSchema(Schema):
    dossier_id = Identifiant(required=True)


class DeclarationDemandeSchema(Schema):
    conflit = Booleen(required=True)
    nature = fields.String(load_default="", validate=validate.Length(max=TEXTE_MAX))


class DeclarationSchema(Schema):
    dossier_id = fields.Integer()
    conflit = fields.Boolean()
    nature = fields.String()
    declaree_le = fields.DateTime()
    modifiee_le = fields.DateTime(allow_none=True)


class NoteSchema(Schema):
    critere = fields.String(required=True, validate=validate.Length(max=40), metadata={"description": "Code du critère."})
    points = Nombre(
        1,
        motif=NOTE,
        consigne="Demi-points attendus, en texte : de 0 au maximum du critère (par exemple « 7.5 »).",
        allow_none=True,
        load_default=None,
        metadata={"description": "De 0 au maximum du critère, par demi-points ; null : pas encore noté."},
    )
    commentaire = fields.String(load_default="", validate=validate.Length(max=TEXTE_MAX))


class FeuilleSchema(Schema):
    version = fields.Integer(metadata={"description": "0 tant que rien n'est enregistré ; à renvoyer à chaque écriture."})
    membre = fields.Nested(PersonneSchema, allow_none=True)
    soumise = fields.Boolean()
    soumise_le = fields.DateTime(allow_none=True)
    modifiee_le = fields.DateTime(allow_none=True)
    avis = fields.String(allow_none=True)
    commentaire = fields.String()
    total = Nombre(1)
    notes = fields.List(fields.Nested(NoteSchema))


class EnregistrementFeuilleSchema(Schema):
    version = Entier(required=True, validate=validate.Range(min=0, max=ID_MAX))
    notes = fields.List(fields.Nested(NoteSchema), load_default=list, validate=validate.Length(max=50))
    avis = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([str(a) for a in Avis]))
    commentaire = fields.String(load_default="", validate=validate.Length(max=TEXTE_MAX))


class SoumissionSchema(Schema):
    version = Entier(required=True, validate=validate.Range(min=0, max=ID_MAX))


class ReouvertureSchema(Schema):
    motif = fields.String(required=True, validate=validate.Length(min=1, max=TEXTE_MAX))


class StatCritereSchema(Schema):
    code = fields.String()
    groupe = fields.String()
    libelle = fields.String()
    maximum = Points
    moyenne = Nombre(2, allow_none=True)
    mediane = Nombre(2, allow_none=True)
    minimum = Nombre(2, allow_none=True)
    plus_haute = Nombre(2, allow_none=True)
    ecart_type = Nombre(2, allow_none=True)
    desaccord = fields.Boolean()


class StatGroupeSchema(Schema):
    groupe = fields.String()
    maximum = Points
    moyenne = Nombre(2, allow_none=True)


class AgregatSchema(Schema):
    dossier_id = fields.Integer()
    recues = fields.Integer()
    attendues = fields.Integer()
    moyenne = Nombre(2, allow_none=True)
    mediane = Nombre(2, allow_none=True)
    ecart_type = Nombre(2, allow_none=True)
    minimum = Nombre(2, allow_none=True)
    plus_haute = Nombre(2, allow_none=True)
    normalise = Nombre(2, signe=True, allow_none=True, metadata={"description": regles.EXPLICATION_NORMALISATION})
    avis = fields.Dict(keys=fields.String(), values=fields.Integer())
    criteres = fields.List(fields.Nested(StatCritereSchema))
    groupes = fields.List(fields.Nested(StatGroupeSchema))


class NotesDossierSchema(Schema):
    agregat = fields.Nested(AgregatSchema)
    deportes = fields.List(fields.Nested(PersonneSchema))
    feuilles = fields.List(fields.Nested(FeuilleSchema))


class DecisionCopilSchema(Schema):
    id = fields.Integer()
    seance_id = fields.Integer()
    dossier_id = fields.Integer()
    nature = fields.String()
    montant_accorde = Nombre(2, allow_none=True)
    etp_facilitateur = Etp
    etp_coordinateur = Etp
    cout_retenu = Nombre(2, allow_none=True, metadata={"description": "Budget révisé de ce qui est financé, s'il a été saisi."})
    conditions = fields.String()
    motif = fields.String()
    decide_le = fields.DateTime()
    decide_par_id = fields.Integer(allow_none=True)
    notifie_le = fields.DateTime(allow_none=True)
    version = fields.Integer()


class DecisionCopilDemandeSchema(Schema):
    version = Entier(
        load_default=0,
        validate=validate.Range(min=0, max=ID_MAX),
        metadata={"description": "0 pour une première décision, sinon la version lue."},
    )
    nature = fields.String(required=True, validate=validate.OneOf([str(n) for n in Nature]))
    montant_accorde = Nombre(
        2,
        maximum=100_000_000,
        allow_none=True,
        load_default=None,
        metadata={"description": "En euros et centimes ; au plus le montant demandé et les crédits restants."},
    )
    etp_facilitateur = Nombre(2, maximum=1000, cinq_centiemes=True, load_default=None, allow_none=True)
    etp_coordinateur = Nombre(2, maximum=1000, cinq_centiemes=True, load_default=None, allow_none=True)
    cout_retenu = Nombre(
        2,
        maximum=100_000_000,
        positif=True,
        load_default=None,
        allow_none=True,
        metadata={
            "description": 'Si retenu avec un budget revu : le coût de ce qui est financé ("25000.00"). Sinon le coût de '
            "l'année 1 du budget déposé, ramené aux ETP accordés. Le montant accordé en est au plus le taux plafond."
        },
    )
    conditions = fields.String(load_default="", validate=validate.Length(max=TEXTE_MAX))
    motif = fields.String(load_default="", validate=validate.Length(max=TEXTE_MAX))


class LigneClassementSchema(Schema):
    rang = fields.Integer(allow_none=True)
    ex_aequo = fields.Boolean()
    dossier_id = fields.Integer()
    numero = fields.String()
    structure = fields.String()
    masque = fields.Boolean(
        metadata={"description": "Vous êtes déporté sur ce dossier, ou n'avez pas déclaré vos intérêts : notes masquées."}
    )
    moyenne = Nombre(2, allow_none=True)
    mediane = Nombre(2, allow_none=True)
    ecart_type = Nombre(2, allow_none=True)
    normalise = Nombre(2, signe=True, allow_none=True)
    recues = fields.Integer(allow_none=True)
    attendues = fields.Integer(allow_none=True)
    desaccords = fields.List(fields.String(), metadata={"description": "Codes des critères en désaccord."})
    montant_demande = Montant
    cumul = Nombre(2, allow_none=True)
    enveloppe = fields.String(metadata={"description": "dans, a_departager, hors ou non_note"})
    decision = fields.Nested(DecisionCopilSchema, allow_none=True)


class ClassementSchema(Schema):
    credits = Montant
    accordes_ailleurs = Montant
    disponible_seance = Montant
    accordes_seance = Montant
    restant = Montant
    lignes = fields.List(fields.Nested(LigneClassementSchema))


class ClassementQuerySchema(Schema):
    normalise = fields.Boolean(load_default=False, truthy={"true"}, falsy={"false"})


class DocumentSeanceSchema(Schema):
    nom = fields.String()
    sha256 = fields.String()
    taille = fields.Integer()
    type_mime = fields.String()


class LettreNotificationSchema(DocumentSeanceSchema):
    dossier_id = fields.Integer()


class DocumentsSeanceSchema(Schema):
    proces_verbal = fields.Nested(DocumentSeanceSchema, allow_none=True)
    classeur = fields.Nested(DocumentSeanceSchema, allow_none=True)
    lettres = fields.List(fields.Nested(LettreNotificationSchema))
