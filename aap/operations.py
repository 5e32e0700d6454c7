"""Every write of the foundation: accounts, membership of a structure, tokens, logins.

Each operation checks its rule, changes the rows, writes the audit entry and queues the email;
it flushes, and the caller (a view, the API, a command) commits once.
"""

import secrets
from datetime import timedelta
from functools import cache

import pyotp
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .courriels import mettre_en_file
from .erreurs import Refus
from .extensions import db
from .journal import journaliser
from .models import JetonApi, Role, Service, Utilisateur
from .securite import (
    empreinte_jeton,
    generer_jeton_api,
    hacher_mot_de_passe,
    nouveau_jeton_session,
)
from .types import maintenant


def _serialiseur(usage):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"aap-{usage}")


def jeton_lien(utilisateur, usage):
    """A signed link token. It carries the session token, so it dies when the password changes."""
    return _serialiseur(usage).dumps({"id": utilisateur.id, "s": utilisateur.jeton_session})


def utilisateur_du_lien(jeton, usage):
    """The user of a valid link token, or a Refus saying why the link cannot be used."""
    max_age = current_app.config["LIEN_VALIDITE_HEURES"] * 3600
    try:
        donnees = _serialiseur(usage).loads(jeton, max_age=max_age)
    except SignatureExpired:
        raise Refus("Ce lien a expiré : demandez-en un nouveau.", code="lien_expire") from None
    except BadSignature:
        raise Refus("Ce lien n'est pas valide.", code="lien_invalide") from None
    utilisateur = db.session.get(Utilisateur, donnees.get("id"))
    if utilisateur is None or utilisateur.jeton_session != donnees.get("s"):
        raise Refus("Ce lien a déjà servi ou n'est plus valide : demandez-en un nouveau.", code="lien_invalide")
    return utilisateur


def service_par_defaut():
    return db.session.scalar(select(Service).where(Service.code == current_app.config["SERVICE_PAR_DEFAUT"]))


def utilisateur_par_email(email):
    return db.session.scalar(select(Utilisateur).where(func.lower(Utilisateur.email) == email.strip().lower()))


def nouvel_utilisateur(email, role, service, **champs):
    utilisateur = Utilisateur(
        email=email.strip().lower(),
        role=str(role),
        service_id=service.id if service else None,
        jeton_session=nouveau_jeton_session(),
        **champs,
    )
    db.session.add(utilisateur)
    db.session.flush()
    return utilisateur


def envoyer_confirmation(utilisateur):
    mettre_en_file(
        utilisateur.email,
        "Confirmez votre adresse électronique",
        "confirmation",
        service_id=utilisateur.service_id,
        utilisateur=utilisateur,
        jeton=jeton_lien(utilisateur, "confirmation"),
    )


def redemander_confirmation(email):
    """Queues a new confirmation link for an account not yet confirmed; logged whatever the address, as a
    reset request (`demander_reinitialisation`)."""
    utilisateur = utilisateur_par_email(email)
    if utilisateur is None or utilisateur.email_confirme_le is not None:
        journaliser("compte.confirmation_redemandee", details={"email": email.strip().lower()[:254]}, acteur="anonyme")
        return
    envoyer_confirmation(utilisateur)
    journaliser("compte.confirmation_redemandee", utilisateur, par=utilisateur)


def confirmer_email(jeton):
    utilisateur = utilisateur_du_lien(jeton, "confirmation")
    if utilisateur.email_confirme_le is None:
        utilisateur.email_confirme_le = maintenant()
        journaliser("compte.email_confirme", utilisateur, par=utilisateur)
    return utilisateur


def demander_reinitialisation(email):
    """Queues a reset link. An unknown or inactive address gets the same answer, and its request is logged
    as the others: nothing on the page nor in its timing says which addresses have an account."""
    utilisateur = utilisateur_par_email(email)
    if utilisateur is None or not utilisateur.actif:
        journaliser("compte.reinitialisation_demandee", details={"email": email.strip().lower()[:254]}, acteur="anonyme")
        return
    mettre_en_file(
        utilisateur.email,
        "Réinitialisation de votre mot de passe",
        "reinitialisation",
        service_id=utilisateur.service_id,
        utilisateur=utilisateur,
        jeton=jeton_lien(utilisateur, "mot-de-passe"),
    )
    journaliser("compte.reinitialisation_demandee", utilisateur, par=utilisateur)


def definir_mot_de_passe(utilisateur, mot_de_passe):
    """Sets the password from an emailed link: the link proves the address, so it is confirmed too."""
    utilisateur.mot_de_passe_hash = hacher_mot_de_passe(mot_de_passe)
    utilisateur.jeton_session = nouveau_jeton_session()
    if utilisateur.email_confirme_le is None:
        utilisateur.email_confirme_le = maintenant()
    journaliser("compte.mot_de_passe_change", utilisateur, par=utilisateur)


def inviter(*, email, role, par=None, service=None, prenom="", nom=""):
    """Invites an agent, a COPIL member, an administrator or a national reader.

    `par` is the inviting administrator (his service by default); None for the `flask inviter` command.
    """
    if utilisateur_par_email(email) is not None:
        raise Refus("Un compte existe déjà avec cette adresse.", code="compte_existant", champ="email")
    if str(role) == Role.PORTEUR:
        raise Refus("Les porteurs créent eux-mêmes leur compte.", code="role_invalide", champ="role")
    service = None if str(role) == Role.NATIONAL else (service or par.service)
    utilisateur = nouvel_utilisateur(email, role, service, prenom=prenom.strip(), nom=nom.strip())
    journaliser(
        "compte.invitation",
        utilisateur,
        par=par,
        acteur=None if par else "commande flask",
        details={"role": str(role)},
        service_id=service.id if service else None,
    )
    mettre_en_file(
        utilisateur.email,
        "Invitation à la plateforme des appels à projets de la DEETS",
        "invitation",
        service_id=utilisateur.service_id,
        utilisateur=utilisateur,
        invitant=par,
        jeton=jeton_lien(utilisateur, "mot-de-passe"),
    )
    return utilisateur


def modifier_compte(utilisateur, *, role, actif, par):
    if utilisateur.id == par.id and (str(role) != utilisateur.role or not actif):
        raise Refus("Vous ne pouvez pas changer votre propre rôle ni désactiver votre propre compte.", code="soi_meme")
    if utilisateur.role == Role.PORTEUR and str(role) != Role.PORTEUR:
        raise Refus("Le compte d'un porteur reste un compte de porteur.", code="role_invalide", champ="role")
    if str(role) in {Role.PORTEUR, Role.NATIONAL} and str(role) != utilisateur.role:
        raise Refus("Ce rôle ne s'attribue pas depuis l'administration.", code="role_invalide", champ="role")
    avant = {"role": utilisateur.role, "actif": utilisateur.actif}
    utilisateur.role = str(role)
    utilisateur.actif = actif
    if avant != {"role": utilisateur.role, "actif": actif}:
        utilisateur.jeton_session = nouveau_jeton_session()  # ses sessions repartent avec les nouveaux droits
        journaliser(
            "compte.modification",
            utilisateur,
            par=par,
            details={"avant": avant, "apres": {"role": utilisateur.role, "actif": actif}},
            service_id=par.service_id,
        )


def decider_rattachement(demandeur, *, accepte, par):
    if demandeur.rattachement_valide or demandeur.structure_id is None:
        raise Refus("Cette demande de rattachement n'est plus en attente.", code="deja_traite")
    structure = demandeur.structure
    if accepte:
        demandeur.rattachement_valide = True
    else:
        demandeur.structure_id = None
        demandeur.actif = False
    journaliser(
        "compte.rattachement_" + ("accepte" if accepte else "refuse"),
        demandeur,
        par=par,
        details={"structure": structure.id},
        service_id=structure.service_id,
    )
    mettre_en_file(
        demandeur.email,
        f"Votre rattachement à {structure.raison_sociale}",
        "rattachement_decide",
        service_id=structure.service_id,
        utilisateur=demandeur,
        structure=structure,
        accepte=accepte,
    )


def demandes_de_rattachement(structure_id):
    return db.session.scalars(
        select(Utilisateur).where(
            Utilisateur.structure_id == structure_id,
            Utilisateur.rattachement_valide.is_(False),
            Utilisateur.actif.is_(True),
        )
    ).all()


def creer_jeton_api(utilisateur, nom, *, par=None, validite_jours=None):
    """Returns (the token in clear, shown once; its row, which keeps only the hash)."""
    jours = validite_jours or current_app.config["JETON_API_VALIDITE_JOURS"]
    clair = generer_jeton_api()
    jeton = JetonApi(
        utilisateur_id=utilisateur.id,
        nom=nom.strip() or "jeton",
        prefixe=clair[:12],
        empreinte=empreinte_jeton(clair),
        expire_le=maintenant() + timedelta(days=jours),
    )
    db.session.add(jeton)
    db.session.flush()
    journaliser("jeton.creation", jeton, par=par or utilisateur, details={"nom": jeton.nom, "expire_le": jeton.expire_le})
    return clair, jeton


def revoquer_jeton(jeton, *, par):
    if jeton.revoque_le is None:
        jeton.revoque_le = maintenant()
        journaliser("jeton.revocation", jeton, par=par, details={"nom": jeton.nom})


class EchecConnexion(Refus):
    statut = 401


def connecter(email, mot_de_passe):
    """Checks the credentials; returns the user or raises EchecConnexion (code `identifiants` for a wrong
    pair, whether the address has an account or not: same message, same hashing work). Failures are
    counted per address and per client by the view (aap/comptes.py), never per account."""
    utilisateur = utilisateur_par_email(email)
    hash_ = utilisateur.mot_de_passe_hash if utilisateur else None
    # Le même hachage, que l'adresse ait un compte (et déjà un mot de passe) ou non.
    leurre = _hash_leurre(current_app.config["HACHAGE_MOT_DE_PASSE"])
    valide = check_password_hash(hash_ or leurre, mot_de_passe) and hash_ is not None
    if not valide:
        if utilisateur is None:
            journaliser("connexion.echec", details={"email": email.strip().lower()[:254]}, acteur="anonyme")
        else:
            journaliser("connexion.echec", utilisateur, acteur=utilisateur.email, service_id=utilisateur.service_id)
        raise EchecConnexion("Adresse électronique ou mot de passe incorrect.", code="identifiants")
    if not utilisateur.actif:
        raise EchecConnexion("Ce compte est désactivé. Contactez la DEETS.", code="compte_inactif")
    if utilisateur.email_confirme_le is None:
        raise EchecConnexion(
            "Confirmez d'abord votre adresse électronique avec le lien que nous vous avons envoyé.",
            code="email_non_confirme",
        )
    return utilisateur


def session_ouverte(utilisateur, moyen):
    """Records a login once every factor passed: `moyen` is mot_de_passe, lien_appareil or totp."""
    utilisateur.derniere_connexion_le = maintenant()
    journaliser("connexion.reussie", utilisateur, par=utilisateur, details={"moyen": moyen})


def jeton_appareil(utilisateur):
    """The value of the trusted-device cookie; it dies with the password (jeton_session)."""
    return _serialiseur("appareil").dumps({"id": utilisateur.id, "s": utilisateur.jeton_session})


def jeton_connexion(email):
    """The value of the login cookie, set at each login: this browser has logged in to this address (OWASP's
    device cookie). Its failures are counted apart from everyone else's, so a stranger does not block it."""
    return _serialiseur("connexion").dumps({"e": empreinte_jeton(email.strip().lower()), "n": secrets.token_urlsafe(12)})


def appareil_de_connexion(cookie, email):
    """The device id carried by a login cookie issued for this address, or None."""
    if not cookie:
        return None
    try:
        donnees = _serialiseur("connexion").loads(cookie, max_age=current_app.config["APPAREIL_VALIDITE_JOURS"] * 86400)
    except BadSignature:
        return None
    if not isinstance(donnees, dict) or donnees.get("e") != empreinte_jeton(email.strip().lower()):
        return None
    return donnees.get("n")


def appareil_reconnu(utilisateur, cookie):
    if not cookie:
        return False
    try:
        donnees = _serialiseur("appareil").loads(cookie, max_age=current_app.config["APPAREIL_VALIDITE_JOURS"] * 86400)
    except BadSignature:
        return False
    return donnees == {"id": utilisateur.id, "s": utilisateur.jeton_session}


def second_facteur_requis(utilisateur, cookie):
    return (
        current_app.config["APPAREIL_CONFIRMATION"] and utilisateur.est_agent_etat and not appareil_reconnu(utilisateur, cookie)
    )


def envoyer_lien_appareil(utilisateur, nonce):
    jeton = _serialiseur("lien-appareil").dumps({"id": utilisateur.id, "n": nonce})
    mettre_en_file(
        utilisateur.email,
        "Confirmez la connexion depuis un nouvel appareil",
        "nouvel_appareil",
        service_id=utilisateur.service_id,
        utilisateur=utilisateur,
        jeton=jeton,
        minutes=current_app.config["APPAREIL_LIEN_MINUTES"],
    )
    journaliser("connexion.appareil_a_confirmer", utilisateur, par=utilisateur)


def lire_lien_appareil(jeton):
    """(user id, nonce) of a new-device link, or a Refus."""
    try:
        donnees = _serialiseur("lien-appareil").loads(jeton, max_age=current_app.config["APPAREIL_LIEN_MINUTES"] * 60)
    except SignatureExpired:
        raise Refus("Ce lien a expiré : reconnectez-vous pour en recevoir un nouveau.", code="lien_expire") from None
    except BadSignature:
        raise Refus("Ce lien n'est pas valide.", code="lien_invalide") from None
    return donnees["id"], donnees["n"]


def code_totp_valide(secret, code):
    code = (code or "").replace(" ", "")
    return bool(secret) and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


CODE_INCORRECT = "Code incorrect : saisissez le code à 6 chiffres affiché par l'application."


def activer_totp(utilisateur, secret, code):
    if not code_totp_valide(secret, code):
        raise Refus(CODE_INCORRECT, code="code", champ="code")
    utilisateur.totp_secret = secret
    journaliser("compte.totp_active", utilisateur, par=utilisateur)


def desactiver_totp(utilisateur, code):
    if not code_totp_valide(utilisateur.totp_secret, code):
        raise Refus(CODE_INCORRECT, code="code", champ="code")
    utilisateur.totp_secret = None
    journaliser("compte.totp_desactive", utilisateur, par=utilisateur)


@cache
def _hash_leurre(methode):
    return generate_password_hash("leurre-pour-un-temps-de-reponse-constant", method=methode)


def modifier_service(service, valeurs, *, par):
    """Saves the service's settings; the communes of a newly covered département are loaded."""
    from .journal import changements
    from .referentiel import charger_referentiel

    modifies = changements(service, valeurs.keys(), valeurs)
    if not modifies:
        return modifies
    nouveaux = set(valeurs.get("departements", "").split()) - set(service.codes_departements)
    for champ, valeur in valeurs.items():
        setattr(service, champ, valeur)
    if nouveaux:
        charger_referentiel(tuple(sorted(nouveaux)))
    journaliser("service.modification", service, par=par, details=modifies, service_id=service.id)
    return modifies
