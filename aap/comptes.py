"""Accounts: sign-up, email confirmation, login and logout, password reset, profile and API tokens."""

import secrets

import pyotp
import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse
from markupsafe import Markup

from . import operations
from .erreurs import Refus
from .extensions import db, limiter
from .forms import CodeForm, ConnexionForm, CourrielForm, JetonForm, NouveauMotDePasse
from .journal import journaliser
from .models import JetonApi, Role, Utilisateur
from .navigation import accueil_de
from .securite import empreinte_jeton
from .types import maintenant

bp = Blueprint("comptes", __name__)


def suite_sure(cible, utilisateur):
    """Only a path of this site (never an open redirect); by default, the person's next step."""
    if cible and cible.startswith("/") and not cible.startswith("//") and "\\" not in cible:
        return cible
    return accueil_de(utilisateur)


def limite_connexion():
    return current_app.config["CONNEXION_LIMITE_ADRESSE"]


def _limite_courriel():
    return current_app.config["CONNEXION_LIMITE_COURRIEL"]


def _cle_courriel():
    """The typed address (hashed: the limiter's store never holds it in clear); empty: no limit applies."""
    adresse = (request.form.get("email") or "").strip().lower()
    return empreinte_jeton(adresse) if adresse else ""


# Inscriptions, demandes de lien et de mot de passe : un seul compteur par adresse électronique, qui ne compte
# que les demandes acceptées (la page « Vérifiez vos courriels »), les mêmes pour une adresse connue ou non.
limite_par_courriel = limiter.shared_limit(
    _limite_courriel,
    scope="courriels-demandes",
    key_func=_cle_courriel,
    methods=["POST"],
    deduct_when=lambda reponse: reponse.status_code == 200,
)

COOKIE_APPAREIL = "aap_appareil"
COOKIE_CONNEXION = "aap_connexion"
CODE_ESSAIS_MAX = 5
TROP_D_ECHECS = (
    "Trop d'essais pour cette adresse depuis cet appareil : réessayez dans {minutes} minutes, "
    "ou réinitialisez votre mot de passe."
)


def _echecs(email):
    """The limit on failed logins and its key: the address, and the client (the login cookie of an earlier
    login to this address, else the IP address). A stranger who tries someone's address from elsewhere
    blocks only himself; the owner's browser keeps its own count (OWASP: lockout keyed on account + client)."""
    config = current_app.config
    limite = parse(f"{config['CONNEXION_ECHECS_MAX']} per {config['CONNEXION_BLOCAGE_MINUTES']} minutes")
    appareil = operations.appareil_de_connexion(request.cookies.get(COOKIE_CONNEXION), email)
    client = f"appareil:{appareil}" if appareil else f"ip:{get_remote_address()}"
    return limite, ("echecs-connexion", empreinte_jeton(email.strip().lower()), client)


def _trop_d_echecs(limite, cle):
    return limiter.enabled and not limiter.limiter.test(limite, *cle)


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(limite_connexion, methods=["POST"])
def connexion():
    if current_user.is_authenticated:
        return redirect(accueil_de(current_user))
    form = ConnexionForm()
    erreur, statut = None, 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        limite, cle = _echecs(form.email.data)
        if _trop_d_echecs(limite, cle):
            minutes = current_app.config["CONNEXION_BLOCAGE_MINUTES"]
            erreur, statut = Refus(TROP_D_ECHECS.format(minutes=minutes), code="trop_d_echecs"), 429
        else:
            try:
                utilisateur = operations.connecter(form.email.data, form.mot_de_passe.data)
            except operations.EchecConnexion as echec:
                db.session.commit()  # le journal garde l'échec
                erreur = echec
                if echec.code == "identifiants" and limiter.enabled:
                    limiter.limiter.hit(limite, *cle)
            else:
                if limiter.enabled:
                    limiter.limiter.clear(limite, *cle)
                suite = request.args.get("suite")
                if operations.second_facteur_requis(utilisateur, request.cookies.get(COOKIE_APPAREIL)):
                    return _second_facteur(utilisateur, suite)
                return _ouvrir_session(utilisateur, suite, "mot_de_passe")
    return render_template("comptes/connexion.html", form=form, erreur=erreur), statut


def _second_facteur(utilisateur, suite):
    """Agents, administrators and national readers confirm a new device: TOTP code, or an emailed link."""
    session.clear()
    nonce = secrets.token_urlsafe(16)
    session["en_attente"] = {"id": utilisateur.id, "nonce": nonce, "suite": suite, "essais": 0}
    if utilisateur.totp_secret:
        db.session.commit()
        return redirect(url_for("comptes.code_totp"))
    operations.envoyer_lien_appareil(utilisateur, nonce)
    db.session.commit()
    return render_template("comptes/nouvel_appareil.html", utilisateur=utilisateur)


def _ouvrir_session(utilisateur, suite, moyen, appareil_confirme=False):
    operations.session_ouverte(utilisateur, moyen)
    db.session.commit()
    session.clear()
    login_user(utilisateur)
    session.permanent = True
    session["vu_le"] = int(maintenant().timestamp())
    reponse = redirect(suite_sure(suite, utilisateur))
    reponse.set_cookie(
        COOKIE_CONNEXION,
        operations.jeton_connexion(utilisateur.email),
        max_age=current_app.config["APPAREIL_VALIDITE_JOURS"] * 86400,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
    if appareil_confirme:
        reponse.set_cookie(
            COOKIE_APPAREIL,
            operations.jeton_appareil(utilisateur),
            max_age=current_app.config["APPAREIL_VALIDITE_JOURS"] * 86400,
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
        )
    return reponse


def _en_attente():
    attente = session.get("en_attente")
    utilisateur = db.session.get(Utilisateur, attente["id"]) if attente else None
    return attente, utilisateur


@bp.route("/connexion/appareil/<jeton>")
def confirmer_appareil(jeton):
    try:
        utilisateur_id, nonce = operations.lire_lien_appareil(jeton)
    except Refus as refus:
        return render_template("comptes/lien_invalide.html", message=refus.message), 400
    attente, utilisateur = _en_attente()
    if not attente or attente["id"] != utilisateur_id or attente["nonce"] != nonce or utilisateur is None:
        message = "Ouvrez ce lien dans le navigateur où vous venez de vous connecter, ou reconnectez-vous."
        return render_template("comptes/lien_invalide.html", message=message), 400
    return _ouvrir_session(utilisateur, attente["suite"], "lien_appareil", appareil_confirme=True)


@bp.route("/connexion/code", methods=["GET", "POST"])
@limiter.limit(limite_connexion, methods=["POST"])
def code_totp():
    attente, utilisateur = _en_attente()
    if not attente or utilisateur is None or not utilisateur.totp_secret:
        return redirect(url_for("comptes.connexion"))
    form = CodeForm()
    if form.validate_on_submit():
        if operations.code_totp_valide(utilisateur.totp_secret, form.code.data):
            return _ouvrir_session(utilisateur, attente["suite"], "totp", appareil_confirme=True)
        attente["essais"] += 1
        session["en_attente"] = attente
        journaliser("connexion.echec_code", utilisateur, par=utilisateur)
        db.session.commit()
        if attente["essais"] >= CODE_ESSAIS_MAX:
            session.clear()
            flash("Trop de codes incorrects : reconnectez-vous.", "erreur")
            return redirect(url_for("comptes.connexion"))
        form.code.errors.append(operations.CODE_INCORRECT)
    return render_template("comptes/code_totp.html", form=form), 422 if form.errors else 200


@bp.route("/session/prolonger", methods=["POST"])
@login_required
def prolonger_session():
    """Called by the page's script when the person chooses to stay: the request itself renews the session."""
    return "", 204


@bp.route("/deconnexion", methods=["POST"])
def deconnexion():
    if current_user.is_authenticated:
        journaliser("connexion.fin", current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("aap.accueil"))


@bp.route("/confirmation/<jeton>")
def confirmer(jeton):
    try:
        operations.confirmer_email(jeton)
    except Refus as refus:
        return render_template("comptes/lien_invalide.html", message=refus.message), 400
    db.session.commit()
    flash("Votre adresse est confirmée : vous pouvez vous connecter.", "succes")
    return redirect(url_for("comptes.connexion"))


@bp.route("/confirmation/renvoyer", methods=["GET", "POST"])
@limiter.limit(limite_connexion, methods=["POST"])
@limite_par_courriel
def renvoyer_confirmation():
    form = CourrielForm()
    if form.validate_on_submit():
        operations.redemander_confirmation(form.email.data)
        db.session.commit()
        return render_template("comptes/verifiez_vos_courriels.html", email=form.email.data)
    return render_template("comptes/renvoyer_confirmation.html", form=form)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(limite_connexion, methods=["POST"])
@limite_par_courriel
def mot_de_passe_oublie():
    form = CourrielForm()
    if form.validate_on_submit():
        operations.demander_reinitialisation(form.email.data)
        db.session.commit()
        return render_template("comptes/verifiez_vos_courriels.html", email=form.email.data)
    return render_template("comptes/mot_de_passe_oublie.html", form=form)


@bp.route("/mot-de-passe/<jeton>", methods=["GET", "POST"])
def nouveau_mot_de_passe(jeton):
    try:
        utilisateur = operations.utilisateur_du_lien(jeton, "mot-de-passe")
    except Refus as refus:
        return render_template("comptes/lien_invalide.html", message=refus.message), 400
    form = NouveauMotDePasse()
    form.indices = lambda: [utilisateur.email, utilisateur.prenom, utilisateur.nom]
    if form.validate_on_submit():
        operations.definir_mot_de_passe(utilisateur, form.mot_de_passe.data)
        db.session.commit()
        logout_user()
        flash("Votre mot de passe est enregistré : connectez-vous avec lui.", "succes")
        return redirect(url_for("comptes.connexion"))
    return render_template("comptes/nouveau_mot_de_passe.html", form=form, utilisateur=utilisateur)


@bp.route("/profil")
@login_required
def profil():
    demandes = []
    if current_user.a_role(Role.PORTEUR) and current_user.rattachement_valide:
        demandes = operations.demandes_de_rattachement(current_user.structure_id)
    return render_template(
        "comptes/profil.html",
        form=JetonForm(),
        demandes=demandes,
        jeton_clair=session.pop("jeton_clair", None),
    )


@bp.route("/profil/jetons", methods=["POST"])
@login_required
def creer_jeton():
    form = JetonForm()
    if not form.validate_on_submit():
        return render_template("comptes/profil.html", form=form, demandes=[], jeton_clair=None), 422
    clair, _ = operations.creer_jeton_api(current_user, form.nom.data)
    db.session.commit()
    session["jeton_clair"] = clair  # montré une seule fois, à la page suivante
    return redirect(url_for("comptes.profil", _anchor="jetons"))


@bp.route("/profil/jetons/<id:jeton_id>/revoquer", methods=["POST"])
@login_required
def revoquer_jeton(jeton_id):
    jeton = db.get_or_404(JetonApi, jeton_id)
    if jeton.utilisateur_id != current_user.id:
        abort(404)
    operations.revoquer_jeton(jeton, par=current_user)
    db.session.commit()
    flash(f"Le jeton « {jeton.nom} » est révoqué.", "succes")
    return redirect(url_for("comptes.profil", _anchor="jetons"))


@bp.route("/profil/totp", methods=["GET", "POST"])
@login_required
def totp():
    """Turns on (or off) codes from an authentication app, instead of a link for each new device."""
    form = CodeForm()
    actif = bool(current_user.totp_secret)
    if not actif:
        session.setdefault("totp_nouveau", pyotp.random_base32())
    secret = session.get("totp_nouveau")
    if form.validate_on_submit():
        try:
            if actif:
                operations.desactiver_totp(current_user, form.code.data)
            else:
                operations.activer_totp(current_user, secret, form.code.data)
        except Refus as refus:
            db.session.rollback()
            form.code.errors.append(refus.message)
        else:
            db.session.commit()
            session.pop("totp_nouveau", None)
            flash("Application d'authentification " + ("désactivée." if actif else "activée."), "succes")
            return redirect(url_for("comptes.profil"))
    uri = None if actif else pyotp.TOTP(secret).provisioning_uri(name=current_user.email, issuer_name="AAP DEETS")
    # SVG produit par segno à partir de notre propre URI : aucune donnée saisie par l'utilisateur.
    qr = None if actif else Markup(segno.make(uri, error="m").svg_inline(scale=4, title="Code QR à scanner"))  # noqa: S704
    return render_template("comptes/totp.html", form=form, actif=actif, secret=secret, qr=qr), (422 if form.errors else 200)


@bp.route("/profil/rattachements/<id:utilisateur_id>", methods=["POST"])
@login_required
def decider_rattachement(utilisateur_id):
    demandeur = db.session.get(Utilisateur, utilisateur_id)
    if demandeur is None or not current_user.porte(demandeur.structure_id) or demandeur.id == current_user.id:
        abort(404)
    accepte = request.form.get("decision") == "accepter"
    operations.decider_rattachement(demandeur, accepte=accepte, par=current_user)
    db.session.commit()
    flash(f"Demande de {demandeur.nom_complet} {'acceptée' if accepte else 'refusée'}.", "succes")
    return redirect(url_for("comptes.profil"))
