"""The JSON API at /api/v1: token authentication, the error format, French validation messages, OpenAPI.

Each domain declares its endpoints in its own `api.py` with a `flask_smorest.Blueprint`; they are
registered here so that `/api/v1/openapi.json` documents them all.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from flask import abort
from flask_login import current_user
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from .entrees import ID_MAX, PAGE_MAX
from .erreurs import MESSAGES
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


# --- Champs : ce que le document promet, exactement ce que l'API lit et écrit ---------------------------


class Entier(fields.Integer):
    """An integer of a JSON body: a JSON integer and nothing else ("12", 12.5 and true are refused, as the
    document says). In a query string, where everything is text, `texte=True` reads the digits."""

    def __init__(self, *, texte=False, **kwargs):
        super().__init__(strict=not texte, **kwargs)


class Identifiant(Entier):
    """The id of a row, in a body or a query: 1 to ID_MAX (INTEGER column), as the `id` converter of the URLs."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=ID_MAX), **kwargs)


class Page(Entier):
    """`?page=`: 1 to PAGE_MAX, 1 when absent."""

    def __init__(self):
        super().__init__(texte=True, load_default=1, validate=validate.Range(min=1, max=PAGE_MAX))


class Booleen(fields.Boolean):
    """A JSON boolean of a body: true or false, not "yes" nor 1."""

    def _deserialize(self, valeur, attr, data, **kwargs):
        if not isinstance(valeur, bool):
            raise self.make_error("invalid", input=valeur)
        return valeur


def motif_decimal(places, maximum, *, positif=False, signe=False, zeros=0, cinq_centiemes=False):
    """The pattern of a decimal written with a dot, from 0 (or, `positif`, from the smallest step) to `maximum`
    (a power of ten) with at most `places` decimals and no leading zero; `signe`: a minus allowed (figures
    sent, never read); `zeros`: an integer may carry that many zero decimals ("8000.00" for 8000);
    `cinq_centiemes`: two places by steps of 0.05 (ETP: "0.75")."""
    chiffres = len(str(maximum)) - 1
    assert maximum == 10**chiffres, "le maximum d'un nombre décimal est une puissance de dix"
    assert not cinq_centiemes or (places == 2 and not positif), "pas de 0,05 : deux décimales, zéro permis"
    decimales = f"(\\.[0-9]{{1,{places}}})?" if places else (f"(\\.0{{1,{zeros}}})?" if zeros else "")
    if cinq_centiemes:
        decimales = "(\\.[0-9][05]?)?"
    apres_le_maximum = f"(\\.0{{1,{max(places, zeros)}}})?" if places or zeros else ""
    unites = f"[1-9][0-9]{{0,{chiffres - 1}}}" if chiffres else None
    if positif:
        non_nul = "0\\.[1-9]" if places == 1 else "0\\.(0[1-9]|[1-9][0-9]?)"
        sous_le_maximum = f"{unites}{decimales}|{non_nul}" if unites else non_nul
    else:
        sous_le_maximum = f"({'0|' + unites if unites else '0'}){decimales}"
    return f"^{'-?' if signe else ''}({sous_le_maximum}|{maximum}{apres_le_maximum})$"


class Nombre(fields.Field):
    """A decimal, exact both ways: a JSON string with a dot, never a float ("35000.00", "0.5", "7.5"). Sent
    with exactly `places` decimals; read only when it matches the document's `pattern` (at most `places`
    decimals, from 0 to `maximum`: that is its range). Amounts 2 places, ETP 1, rates 4."""

    default_error_messages = {"invalid": "{consigne}"}

    def __init__(
        self,
        places=2,
        *,
        maximum=10**12,
        positif=False,
        signe=False,
        zeros=0,
        cinq_centiemes=False,
        motif=None,
        consigne=None,
        **kwargs,
    ):
        self.quantum = Decimal(1).scaleb(-places)
        self.motif = motif or motif_decimal(
            places, maximum, positif=positif, signe=signe, zeros=zeros, cinq_centiemes=cinq_centiemes
        )
        self.regex = re.compile(self.motif)
        exemple = Decimal("0.5").quantize(self.quantum) if places else 12
        nature = f"Nombre attendu en texte, avec un point et au plus {places} décimale{'s' if places > 1 else ''}"
        if cinq_centiemes:
            nature = "Nombre attendu en texte, avec un point, par pas de 0.05"
        self.consigne = consigne or (
            f"{nature if places else 'Nombre entier attendu en texte'}, de {'plus de ' if positif else ''}0 à {maximum} "
            f"(par exemple « {exemple} »)."
        )
        metadata = {"pattern": self.motif, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, valeur, attr, obj, **kwargs):
        if valeur is None:
            return None
        valeur = Decimal(valeur).quantize(self.quantum, rounding=ROUND_HALF_UP)
        return f"{abs(valeur) if valeur == 0 else valeur:f}"

    def _deserialize(self, valeur, attr, data, **kwargs):
        if not isinstance(valeur, str) or not self.regex.fullmatch(valeur):
            raise self.make_error("invalid", consigne=self.consigne)
        return Decimal(valeur)


# --- Blueprints : jeton, nom de chaque opération, erreurs documentées ---------------------------------


class AnalyseurApi(FlaskParser):
    """webargs' parser, plus `multipart`: the fields and the files of one multipart/form-data body, read as one
    schema (one requestBody in the document)."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)


# Réponses d'erreur nommées dans le document, toutes au format {"errors": [...]}.
REPONSES_ERREUR = {
    400: "RequeteInvalide",
    401: "NonAuthentifie",
    403: "Interdit",
    404: "Introuvable",
    409: "Conflit",
    413: "TropVolumineux",
    422: "Invalide",
}


def erreurs_possibles(regle, methode, lieux):
    """The refusals an operation can answer: no token (401), a role or an object out of reach (403, 404), a
    body unreadable or too large (400, 413), invalid data or a rule of the call (422), a conflict (409)."""
    statuts = {401, 403}
    if "<" in regle:
        statuts.add(404)
    if lieux or methode != "get":
        statuts.add(422)
    if methode != "get":
        statuts.add(409)
    if lieux & {"json", "multipart"}:
        statuts |= {400, 413}
    return statuts


class BlueprintApi(Blueprint):
    ARGUMENTS_PARSER = AnalyseurApi()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        """Also names each operation (`operationId`: domain_view) and documents the errors it can answer."""
        super().add_url_rule(rule, endpoint, view_func, **options)
        endpoint = self._endpoints[-1]
        for methode, doc in self._docs[endpoint].items():
            if methode == "parameters":
                continue
            arguments = doc.get("arguments", {}).get("parameters", [])
            for corps in (a for a in arguments if a["in"] == "json"):
                # Sans champ obligatoire, un corps absent vaut {} : le document le dit facultatif.
                schema = corps["schema"]() if isinstance(corps["schema"], type) else corps["schema"]
                corps["required"] = any(champ.required for champ in schema.fields.values())
            lieux = {a["in"] for a in arguments}
            manuel = doc.setdefault("manual_doc", {})
            manuel.setdefault("operationId", f"{self.name.removeprefix('api_')}_{endpoint}")
            reponses = manuel.setdefault("responses", {})
            for statut in erreurs_possibles(rule, methode, lieux):
                reponses.setdefault(statut, REPONSES_ERREUR[statut])


def blueprint_api(nom, description, url_prefix=""):
    bp = BlueprintApi(nom, __name__, url_prefix="/api/v1" + url_prefix, description=description)
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
    page = Page()


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
    if not current_user.est_agent_etat:
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
    DEFAULT_ERROR_RESPONSE_NAME = None  # chaque opération dit ses erreurs (BlueprintApi), sans réponse « default »

    def _register_pagination_header(self):
        """Our lists carry their page in the body: no X-Pagination header, nor its unused schema in the document."""


def _reponses_erreur(api):
    for statut, nom in REPONSES_ERREUR.items():
        reponse = {"description": MESSAGES[statut][1], "content": {"application/json": {"schema": ErreursSchema}}}
        if statut == 401:
            reponse["headers"] = {
                "WWW-Authenticate": {
                    "description": 'Bearer (RFC 6750), avec error="invalid_token" si le jeton envoyé est refusé.',
                    "schema": {"type": "string"},
                }
            }
        api.spec.components.response(nom, reponse)


def init_app(app, domaines=()):
    """`domaines`: the API blueprints of the domains, given by the application factory (the foundation imports none)."""
    api = ApiAap(
        app,
        spec_kwargs={
            "info": {"description": "API de la plateforme des appels à projets DEETS."},
            "servers": [{"url": app.config["URL_PUBLIQUE"], "description": "Cette plateforme."}],
        },
    )
    api.register_field(Nombre, "string", None)
    api.spec.components.security_scheme("jeton", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"jeton": []}]
    _reponses_erreur(api)
    api.register_blueprint(socle)
    for bp in domaines:
        api.register_blueprint(bp)
