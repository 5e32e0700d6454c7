"""Outbox: emails are queued in the `courriels` table by the transaction that causes them, then sent.

Sending claims each row with a conditional UPDATE before talking to the SMTP server, so two senders
(the app after a request, the `flask courriels envoyer` cron) never send the same message twice.
"""

import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app, g, has_app_context, render_template
from sqlalchemy import event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .erreurs import Refus
from .extensions import db
from .formats import typographie
from .models import Courriel
from .types import maintenant

TENTATIVES_MAX = 8
RESERVATION = timedelta(minutes=10)


def lien(endpoint, **valeurs):
    """An absolute link for an email, built on URL_PUBLIQUE (never on the request's Host header)."""
    base = urlsplit(current_app.config["URL_PUBLIQUE"])
    adaptateur = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adaptateur.build(endpoint, valeurs, force_external=True)


def mettre_en_file(destinataire, sujet, gabarit, *, cle=None, pieces_jointes=(), **contexte):
    """Queues `templates/courriels/<gabarit>.txt`. With `cle`, queues it at most once, ever.

    `pieces_jointes`: stored files (`aap.fichiers.Fichier`) sent attached, checked against their hash.
    """
    from .fichiers import PieceJointe

    texte = typographie(render_template(f"courriels/{gabarit}.txt", lien=lien, **contexte))
    courriel = Courriel(destinataire=destinataire, sujet=sujet, texte=texte, cle=cle)
    if cle is None:
        db.session.add(courriel)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(courriel)
        except IntegrityError:
            return None
    for fichier in pieces_jointes:
        db.session.add(PieceJointe(courriel_id=courriel.id, fichier_id=fichier.id))
    db.session.info["courriels_en_file"] = True
    return courriel


def _message(courriel):
    message = EmailMessage()
    message["From"] = current_app.config["COURRIEL_EXPEDITEUR"]
    message["To"] = courriel.destinataire
    message["Subject"] = courriel.sujet
    message["Message-ID"] = make_msgid(domain="deets.gouv.fr")
    message.set_content(courriel.texte)
    from .fichiers import Fichier, PieceJointe, lire

    fichiers = db.session.scalars(
        select(Fichier).join(PieceJointe, PieceJointe.fichier_id == Fichier.id).where(PieceJointe.courriel_id == courriel.id)
    ).all()
    for fichier in fichiers:
        principal, _, secondaire = fichier.type_mime.partition("/")
        message.add_attachment(lire(fichier), maintype=principal, subtype=secondaire, filename=fichier.nom)
    return message


def _reserver(courriel_id, instant):
    resultat = db.session.execute(
        update(Courriel)
        .where(
            Courriel.id == courriel_id,
            Courriel.envoye_le.is_(None),
            or_(Courriel.reserve_le.is_(None), Courriel.reserve_le < instant - RESERVATION),
        )
        .values(reserve_le=instant)
    )
    db.session.commit()
    return resultat.rowcount == 1


def _smtp():
    config = current_app.config
    connexion = smtplib.SMTP(config["SMTP_HOTE"], config["SMTP_PORT"], timeout=config["SMTP_DELAI"])
    if config["SMTP_STARTTLS"]:
        connexion.starttls()
    if config["SMTP_UTILISATEUR"]:
        connexion.login(config["SMTP_UTILISATEUR"], config["SMTP_MOT_DE_PASSE"])
    return connexion


def envoyer_en_attente(limite=100):
    """Sends what waits in the outbox; returns the number of messages sent."""
    instant = maintenant()
    ids = db.session.scalars(
        select(Courriel.id)
        .where(Courriel.envoye_le.is_(None), Courriel.tentatives < TENTATIVES_MAX)
        .order_by(Courriel.id)
        .limit(limite)
    ).all()
    console = current_app.config["COURRIEL_TRANSPORT"] == "console"
    connexion, envoyes = None, 0
    try:
        for courriel_id in ids:
            if not _reserver(courriel_id, instant):
                continue
            courriel = db.session.get(Courriel, courriel_id)
            try:
                if console:
                    entete = f"--- Courriel à {courriel.destinataire} : {courriel.sujet}"
                    print(f"\n{entete}\n{courriel.texte}\n---", flush=True)
                else:
                    connexion = connexion or _smtp()
                    connexion.send_message(_message(courriel))
            except (OSError, smtplib.SMTPException, Refus) as erreur:  # Refus : pièce jointe altérée
                courriel.tentatives += 1
                courriel.erreur = str(erreur)[:2000]
                courriel.reserve_le = None
                current_app.logger.warning("Courriel %s non envoyé : %s", courriel_id, erreur)
                connexion = None
            else:
                courriel.envoye_le = maintenant()
                envoyes += 1
            db.session.commit()
    finally:
        if connexion is not None:
            try:
                connexion.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return envoyes


@event.listens_for(Session, "after_commit")
def _apres_validation(session):
    # Seule une transaction validée fait partir ses courriels ; une annulation les emporte avec elle.
    if session.info.pop("courriels_en_file", False) and has_app_context():
        g.courriels_en_file = True


@event.listens_for(Session, "after_rollback")
def _apres_annulation(session):
    session.info.pop("courriels_en_file", None)


def envoyer_si_en_file():
    """After a commit (a view, a command): sends what that transaction queued, unless sending is deferred."""
    if g.pop("courriels_en_file", False) and current_app.config["COURRIEL_ENVOI_IMMEDIAT"]:
        try:
            envoyer_en_attente()
        except Exception:  # l'envoi différé (commande cron) reprendra : la réponse n'en dépend pas
            db.session.rollback()
            current_app.logger.exception("Envoi des courriels après validation")


def init_app(app):
    @app.after_request
    def envoyer_apres_requete(reponse):
        envoyer_si_en_file()
        return reponse
