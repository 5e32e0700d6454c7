"""The JSON API at /api/v1: token authentication, the error format, French validation messages, OpenAPI.

Each domain declares its endpoints in its own `api.py` with a `flask_smorest.Blueprint`; they are
registered here so that `/api/v1/openapi.json` documents them all.
"""

from flask import abort
from flask_login import current_user
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from .extensions import csrf, db
from .models import EntreeJournal, Role

MESSAGES_MARSHMALLOW = {
    fields.Field: {
        "required": "Ce champ est obligatoire.",
        "null": "Ce champ ne peut pas être nul.",
        "validator_failed": "Valeur invalide.",
    },
    fields.String: {"invalid": "Texte attendu.", "invalid_utf8": "Texte UTF-8 invalide."},
    fields.Number: {"invalid": "Nombre attendu.", "too_large": "Nombre trop grand."},
    fields.Integer: {"invalid": "Nombre entier attendu."},
    fields.Decimal: {"special": "Nombre fini attendu."},
    fields.Boolean: {"invalid": "Booléen attendu (true ou false)."},
    fields.DateTime: {
        "invalid": "Date et heure invalides (format ISO 8601 attendu).",
        "invalid_awareness": "Précisez le fuseau horaire.",
        "format": "Format de date invalide.",
    },
    fields.Date: {"invalid": "Date invalide (format AAAA-MM-JJ attendu).", "format": "Format de date invalide."},
    fields.Email: {"invalid": "Adresse électronique invalide."},
    fields.List: {"invalid": "Liste attendue."},
    fields.Nested: {"type": "Objet attendu."},
    fields.Dict: {"invalid": "Objet attendu."},
}


def traduire_marshmallow():
    """marshmallow speaks English; the API answers in French, as the pages do."""
    for classe, messages in MESSAGES_MARSHMALLOW.items():
        classe.default_error_messages = {**classe.default_error_messages, **messages}
    Schema._default_error_messages = {
        **Schema._default_error_messages,
        "type": "Objet JSON attendu.",
        "unknown": "Champ inconnu.",
    }
    validate.Range.message_min = "Doit être {min_op} {{min}}."
    validate.Range.message_max = "Doit être {max_op} {{max}}."
    validate.Range.message_all = "Doit être {min_op} {{min}} et {max_op} {{max}}."
    validate.Range.message_gte = "supérieur ou égal à"
    validate.Range.message_gt = "strictement supérieur à"
    validate.Range.message_lte = "inférieur ou égal à"
    validate.Range.message_lt = "strictement inférieur à"
    validate.Length.message_min = "Au moins {min} caractères ou éléments."
    validate.Length.message_max = "Au plus {max} caractères ou éléments."
    validate.Length.message_all = "Entre {min} et {max} caractères ou éléments."
    validate.Length.message_equal = "Exactement {equal} caractères ou éléments."
    validate.OneOf.default_message = "Valeur non permise : choisissez parmi {choices}."


traduire_marshmallow()  # avant toute déclaration de schéma : les champs figent leurs messages à leur création


def exiger_jeton():
    """Every API endpoint needs a valid token (the loader in `securite` reads it)."""
    if not current_user.is_authenticated:
        abort(401)


def blueprint_api(nom, description, url_prefix=""):
    bp = Blueprint(nom, __name__, url_prefix="/api/v1" + url_prefix, description=description)
    bp.before_request(exiger_jeton)
    csrf.exempt(bp)  # l'API n'accepte pas les cookies de session : pas de CSRF possible
    return bp


class ErreurSchema(Schema):
    field = fields.String(allow_none=True, metadata={"description": "Champ en cause, ou null."})
    code = fields.String(metadata={"description": "Code stable de l'erreur."})
    message = fields.String(metadata={"description": "Message en français."})


class ErreursSchema(Schema):
    errors = fields.List(fields.Nested(ErreurSchema))


class MoiSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    prenom = fields.String()
    nom = fields.String()
    role = fields.String()
    service_id = fields.Integer(allow_none=True)
    structure_id = fields.Integer(allow_none=True)


class EntreeJournalSchema(Schema):
    id = fields.Integer()
    le = fields.DateTime()
    acteur = fields.String()
    action = fields.String()
    objet_type = fields.String()
    objet_id = fields.String()
    details = fields.String(metadata={"description": "Ce qui a changé, en JSON canonique."})
    hash = fields.String()


class JournalQuerySchema(Schema):
    objet_type = fields.String(load_default=None, validate=validate.Length(max=40))
    objet_id = fields.String(load_default=None, validate=validate.Length(max=40))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))


socle = blueprint_api("api_socle", "Compte courant et journal d'audit.")


@socle.route("/moi")
@socle.response(200, MoiSchema)
def moi():
    """L'utilisateur à qui appartient le jeton."""
    return current_user


@socle.route("/journal")
@socle.arguments(JournalQuerySchema, location="query")
@socle.response(200, EntreeJournalSchema(many=True))
def journal(filtres):
    """Journal d'audit du service (agents, administrateurs, lecture nationale), 100 entrées par page."""
    if not current_user.a_role(Role.AGENT, Role.ADMIN, Role.NATIONAL):
        abort(403)
    requete = select(EntreeJournal).order_by(EntreeJournal.id.desc())
    if not current_user.a_role(Role.NATIONAL):
        requete = requete.where(EntreeJournal.service_id == current_user.service_id)
    for champ in ("objet_type", "objet_id"):
        if filtres[champ]:
            requete = requete.where(getattr(EntreeJournal, champ) == filtres[champ])
    return db.session.scalars(requete.limit(100).offset((filtres["page"] - 1) * 100)).all()


class ApiAap(Api):
    ERROR_SCHEMA = ErreursSchema  # le document OpenAPI décrit nos erreurs telles qu'elles sont


def init_app(app):
    api = ApiAap(app, spec_kwargs={"info": {"description": "API de la plateforme des appels à projets DEETS."}})
    api.spec.components.security_scheme("jeton", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"jeton": []}]
    api.register_blueprint(socle)

    from candidatures.api import bp as candidatures_api
    from conventions.api import bp as conventions_api
    from notation.api import bp as notation_api

    for bp in (candidatures_api, notation_api, conventions_api):
        api.register_blueprint(bp)
