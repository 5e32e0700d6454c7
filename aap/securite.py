"""Passwords, roles, API tokens and the security headers of every response."""

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import abort, current_app, flash, jsonify, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .extensions import db, login_manager
from .models import JetonApi, Utilisateur
from .types import maintenant

USAGE_PRECISION = timedelta(minutes=5)  # « dernier usage » d'un jeton : sans écrire à chaque appel

# Aucun script ni style en ligne : le DSFR et nos fichiers sont servis depuis l'application.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def hacher_mot_de_passe(mot_de_passe):
    return generate_password_hash(mot_de_passe, method=current_app.config["HACHAGE_MOT_DE_PASSE"])


def nouveau_jeton_session():
    return secrets.token_hex(16)


def empreinte_jeton(jeton):
    return hashlib.sha256(jeton.encode()).hexdigest()


def generer_jeton_api():
    return "aap_" + secrets.token_urlsafe(32)


def est_requete_api():
    return request.path.startswith("/api/")


def veut_json():
    """A page's form posted by a script (autosave, scoring sheet), which asks for JSON rather than the page."""
    return request.accept_mimetypes.best == "application/json"


def role_requis(*roles):
    """Route guard by role. Object-level checks stay in the view (they answer 404)."""

    def decorateur(vue):
        @wraps(vue)
        def garde(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.a_role(*roles):
                abort(403)
            return vue(*args, **kwargs)

        return garde

    return decorateur


def accessible(objet, droit=None):
    """The status rule of pages and API for an object (flaskr's `get_post(id, check_author)`), after `role_requis`:
    404 when it does not exist or the current user may not see it (`can_voir`: its existence is not revealed);
    403 when they see it but `droit` (a `can_*` method of its class) refuses."""
    if objet is None or not objet.can_voir(current_user):
        abort(404)
    if droit is not None and not droit(objet, current_user):
        abort(403)
    return objet


@login_manager.user_loader
def charger_utilisateur(identifiant):
    # L'API ne connaît que les jetons : un cookie de session n'y authentifie personne.
    if est_requete_api():
        return None
    id_, _, jeton_session = identifiant.partition(":")
    if not id_.isdigit():
        return None
    utilisateur = db.session.get(Utilisateur, int(id_))
    if utilisateur is None or not secrets.compare_digest(utilisateur.jeton_session, jeton_session):
        return None
    return utilisateur


@login_manager.request_loader
def charger_par_jeton(req):
    if not est_requete_api():
        return None
    entete = req.headers.get("Authorization", "")
    if not entete.startswith("Bearer "):
        return None
    jeton = db.session.scalar(select(JetonApi).where(JetonApi.empreinte == empreinte_jeton(entete[7:].strip())))
    instant = maintenant()
    if jeton is None or not jeton.est_valide(instant) or not jeton.utilisateur.actif:
        return None
    if jeton.dernier_usage_le is None or instant - jeton.dernier_usage_le > USAGE_PRECISION:
        jeton.dernier_usage_le = instant
        db.session.commit()
    return jeton.utilisateur


@login_manager.unauthorized_handler
def non_authentifie():
    if est_requete_api():
        abort(401)
    flash(login_manager.login_message, "info")
    suite = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("comptes.connexion", suite=suite))


def _entetes(reponse):
    reponse.headers.setdefault("Content-Security-Policy", CSP)
    reponse.headers["X-Content-Type-Options"] = "nosniff"
    reponse.headers["X-Frame-Options"] = "DENY"
    reponse.headers["Referrer-Policy"] = "same-origin"
    reponse.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    reponse.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        reponse.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Données personnelles : rien en cache partagé ni dans l'historique d'un poste public.
    if current_user.is_authenticated and not request.path.startswith(("/dsfr/", "/static/")):
        reponse.headers["Cache-Control"] = "no-store"
    return reponse


def _verifier_inactivite():
    """Sessions end after SESSION_INACTIVITE_MINUTES without a request; the page warns before (aap.js)."""
    if est_requete_api() or request.endpoint in {"static", "dsfr"} or not current_user.is_authenticated:
        return None
    instant = int(maintenant().timestamp())
    vu = session.get("vu_le")
    if vu is not None and instant - vu > current_app.config["SESSION_INACTIVITE_MINUTES"] * 60:
        logout_user()
        session.clear()
        message = (
            f"Votre session a expiré après {current_app.config['SESSION_INACTIVITE_MINUTES']} minutes d'inactivité : "
            "reconnectez-vous. Ce qui avait été enregistré est conservé."
        )
        if request.method != "GET" or request.accept_mimetypes.best == "application/json":
            return jsonify({"errors": [{"field": None, "code": "session_expiree", "message": message}]}), 401
        flash(message, "info")
        return redirect(url_for("comptes.connexion", suite=request.full_path.rstrip("?")))
    session["vu_le"] = instant
    return None


def init_app(app):
    app.before_request(_verifier_inactivite)
    login_manager.login_view = "comptes.connexion"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.after_request(_entetes)
