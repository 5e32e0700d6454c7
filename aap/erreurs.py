"""Errors: French pages for people, `{"errors": [...]}` for the API, and refusals of business rules."""

from flask import jsonify, make_response, render_template, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .navigation import espace_de
from .securite import est_requete_api


class Refus(Exception):
    """A business rule refused an operation. Raised by operations; pages and API answer it alike."""

    statut = 422

    def __init__(self, message, *, code="refus", champ=None):
        super().__init__(message)
        self.message, self.code, self.champ = message, code, champ

    def erreurs(self):
        return [{"field": self.champ, "code": self.code, "message": self.message}]


class Conflit(Refus):
    """The object changed meanwhile (another tab, another person): nothing was overwritten."""

    statut = 409


class Invalide(Refus):
    """Several problems at once, field by field (a form, a score sheet): all are answered together."""

    statut = 422

    def __init__(self, erreurs):
        premiere = erreurs[0]
        super().__init__(premiere.message, code=premiere.code, champ=premiere.champ)
        self.liste = list(erreurs)

    def erreurs(self):
        return [{"field": e.champ, "code": e.code, "message": e.message} for e in self.liste]

    def par_champ(self):
        resultat = {}
        for erreur in self.liste:
            resultat.setdefault(erreur.champ, erreur.message)
        return resultat


def refuser_si_erreurs(erreurs):
    """Raises `Invalide` with every finding of a rule (objects with champ, code, message), if there is any."""
    if erreurs:
        raise Invalide(erreurs)


def flush_ou_conflit(message):
    """Flushes; a concurrent change of a versioned row (another tab, another person) becomes a Conflit."""
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflit(message) from None


MESSAGES = {
    400: ("requete_invalide", "Requête invalide."),
    401: ("non_authentifie", "Authentification requise : fournissez un jeton d'API valide (Authorization: Bearer …)."),
    403: ("interdit", "Vous n'avez pas accès à cette page."),
    404: ("introuvable", "Page ou ressource introuvable."),
    405: ("methode_non_permise", "Méthode non permise sur cette adresse."),
    409: ("conflit", "La ressource a changé entre-temps."),
    413: ("trop_volumineux", "Le fichier ou la requête est trop volumineux."),
    415: ("type_non_supporte", "Type de contenu non pris en charge : envoyez du JSON."),
    422: ("invalide", "Données invalides."),
    429: ("trop_de_requetes", "Trop de tentatives : réessayez dans quelques minutes."),
    500: ("erreur_interne", "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard."),
}
TITRES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action impossible",
    409: "Modification concurrente",
    413: "Envoi trop volumineux",
    415: "Type de contenu non pris en charge",
    422: "Action refusée",
    429: "Trop de tentatives",
    500: "Erreur inattendue",
}


def _aplatir(messages, prefixe=""):
    """webargs' nested {"json": {"champ": ["msg"]}} into a flat list of (field, message)."""
    if isinstance(messages, dict):
        for cle, valeur in messages.items():
            chemin = prefixe if cle in {"json", "query", "form", "files", "_schema"} else f"{prefixe}.{cle}".strip(".")
            yield from _aplatir(valeur, chemin)
    elif isinstance(messages, (list, tuple)):
        for valeur in messages:
            yield from _aplatir(valeur, prefixe)
    else:
        yield prefixe or None, str(messages)


def erreurs_http(erreur):
    code, message = MESSAGES.get(erreur.code, ("erreur", erreur.description or ""))
    donnees = getattr(erreur, "data", None) or {}
    if "messages" in donnees:
        if erreur.code == 400:
            return [{"field": None, "code": code, "message": "Le corps de la requête n'est pas un JSON valide."}]
        return [{"field": champ, "code": code, "message": texte} for champ, texte in _aplatir(donnees["messages"])]
    if donnees.get("erreurs"):
        return donnees["erreurs"]
    return [{"field": None, "code": code, "message": message}]


def reponse_json(statut, erreurs):
    reponse = jsonify({"errors": erreurs})
    reponse.status_code = statut
    return reponse


def page(statut, message=None, titre=None, retour=None):
    """An error page for people, never a dead end: `retour` (label, URL) leads back where the person was going;
    the page they came from (on this site) and their own space are offered too."""
    precedente = request.referrer
    if not (precedente and precedente.startswith(request.host_url) and precedente != request.url):
        precedente = None
    return render_template(
        "erreur.html",
        statut=statut,
        titre=titre or TITRES.get(statut, "Erreur"),
        message=message or MESSAGES.get(statut, ("", "Erreur."))[1],
        retour=retour,
        precedente=precedente,
        espace=espace_de(current_user),
    ), statut


def entetes_http(erreur):
    """The headers a refusal owes the client (RFC 9110): `Allow` of a 405 (pages and API); on the API, how to
    authenticate with a 401 (RFC 6750), and whether the token sent was refused."""
    entetes = [(nom, valeur) for nom, valeur in erreur.get_headers() if nom.lower() != "content-type"]
    if erreur.code == 401 and est_requete_api():
        refuse = ', error="invalid_token"' if request.headers.get("Authorization") else ""
        entetes.append(("WWW-Authenticate", f'Bearer realm="api"{refuse}'))
    return entetes


def init_app(app):
    @app.errorhandler(HTTPException)
    def erreur_http(erreur):
        if est_requete_api():
            reponse = reponse_json(erreur.code, erreurs_http(erreur))
        else:
            reponse = make_response(page(erreur.code))
        reponse.headers.extend(entetes_http(erreur))
        return reponse

    @app.errorhandler(Refus)
    def refus(erreur):
        db.session.rollback()
        if est_requete_api():
            return reponse_json(erreur.statut, erreur.erreurs())
        return page(erreur.statut, erreur.message)

    @app.errorhandler(Exception)
    def erreur_inattendue(erreur):
        db.session.rollback()
        app.logger.exception("Erreur inattendue")
        if est_requete_api():
            return reponse_json(500, erreurs_http(InternalServerError()))
        return page(500)
