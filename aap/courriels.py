"""Outbox: emails are queued in the `courriels` table by the transaction that causes them; a separate worker
(`flask courriels travailler`) sends them. No request ever talks to the SMTP server.

The worker claims each row with a conditional UPDATE before talking to the SMTP server, so several workers
(on several hosts) never send the same message twice. A failed attempt sets the next one later and later
(`delai_avant_essai`); after TENTATIVES_MAX attempts the message is in failure, shown to the administrators
of its service, who may put it back in the queue (`aap/admin.py`).
"""

import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .erreurs import Refus
from .extensions import db
from .formats import typographie
from .journal import journaliser
from .models import Courriel
from .types import maintenant

TENTATIVES_MAX = 10
PREMIER_DELAI = timedelta(minutes=1)
DELAI_MAX = timedelta(hours=4)
# Un message réservé par un travailleur arrêté net redevient disponible après ce délai.
RESERVATION = timedelta(minutes=10)
LOT = 100  # messages par tour du travailleur
# Refus propres à un message (destinataire, contenu, pièce jointe altérée) : la connexion sert aux suivants.
ERREURS_DU_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, Refus)


def delai_avant_essai(tentatives):
    """Wait after the `tentatives`-th failed attempt: one minute, doubled at each failure, at most four hours
    (about eight hours from the first attempt to the last)."""
    return min(PREMIER_DELAI * 2 ** (tentatives - 1), DELAI_MAX)


def lien(endpoint, **valeurs):
    """An absolute link for an email, built on URL_PUBLIQUE (never on the request's Host header)."""
    base = urlsplit(current_app.config["URL_PUBLIQUE"])
    adaptateur = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adaptateur.build(endpoint, valeurs, force_external=True)


def mettre_en_file(destinataire, sujet, gabarit, *, service_id, cle=None, pieces_jointes=(), **contexte):
    """Queues `templates/courriels/<gabarit>.txt`. With `cle`, queues it at most once, ever.

    `service_id`: the service the message is about (its administrators see it if it cannot leave), None for
    national readers. `pieces_jointes`: stored files (`aap.fichiers.Fichier`) sent attached, checked against
    their hash.
    """
    from .fichiers import PieceJointe

    texte = typographie(render_template(f"courriels/{gabarit}.txt", lien=lien, **contexte))
    courriel = Courriel(destinataire=destinataire, sujet=sujet, texte=texte, cle=cle, service_id=service_id)
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
    return courriel


def _message(courriel):
    message = EmailMessage()
    message["From"] = current_app.config["COURRIEL_EXPEDITEUR"]
    message["To"] = courriel.destinataire
    message["Subject"] = courriel.sujet
    # RFC 5322 § 3.6.1 : l'instant où le message a été écrit (mis en file), en UTC.
    message["Date"] = format_datetime(courriel.cree_le)
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


def _a_envoyer(instant):
    """Not sent, not in failure, due, and not held by a live worker."""
    return (
        Courriel.envoye_le.is_(None),
        Courriel.tentatives < TENTATIVES_MAX,
        Courriel.prochain_essai_le <= instant,
        or_(Courriel.reserve_le.is_(None), Courriel.reserve_le < instant - RESERVATION),
    )


def _reserver(courriel_id, instant):
    resultat = db.session.execute(
        update(Courriel).where(Courriel.id == courriel_id, *_a_envoyer(instant)).values(reserve_le=instant)
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


def _reporter(courriel, erreur):
    courriel.tentatives += 1
    courriel.erreur = (str(erreur) or type(erreur).__name__)[:2000]
    courriel.reserve_le = None
    courriel.prochain_essai_le = maintenant() + delai_avant_essai(courriel.tentatives)
    current_app.logger.warning("Courriel %s non envoyé (essai %s) : %s", courriel.id, courriel.tentatives, erreur)


def envoyer_en_attente(limite=LOT, arret=None):
    """Sends the messages that are due, oldest first; returns how many left.

    A server that cannot be reached (or stops answering) ends the round: the other messages wait for the next
    round instead of costing one timeout each. So does `arret` (a threading.Event) once set, between two messages.
    """
    instant = maintenant()
    ids = db.session.scalars(
        select(Courriel.id).where(*_a_envoyer(instant)).order_by(Courriel.prochain_essai_le, Courriel.id).limit(limite)
    ).all()
    console = current_app.config["COURRIEL_TRANSPORT"] == "console"
    connexion, envoyes = None, 0
    try:
        for courriel_id in ids:
            if arret is not None and arret.is_set():
                break
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
            except (OSError, smtplib.SMTPException, Refus) as erreur:
                _reporter(courriel, erreur)
                db.session.commit()
                if isinstance(erreur, ERREURS_DU_MESSAGE):
                    continue
                connexion = None
                break
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


def travailler(arret, intervalle=5.0):
    """The worker's loop until `arret` (a threading.Event) is set: sends what is due, then waits `intervalle`
    seconds, or goes on at once after a full batch. Each round has its own database session; a database
    that does not answer is retried at the next round."""
    while not arret.is_set():
        envoyes = 0
        try:
            envoyes = envoyer_en_attente(arret=arret)
        except SQLAlchemyError:
            current_app.logger.exception("File des courriels illisible : nouvel essai dans %s s", intervalle)
        finally:
            db.session.remove()
        if envoyes < LOT:
            arret.wait(intervalle)


def relancer(courriel, *, par):
    """An administrator puts a message in failure back in the queue, for a new series of attempts."""
    if courriel.envoye_le is not None:
        raise Refus("Ce courriel est déjà parti.", code="deja_envoye")
    journaliser(
        "courriel.relance",
        courriel,
        par=par,
        details={"destinataire": courriel.destinataire, "tentatives": courriel.tentatives, "erreur": courriel.erreur},
        service_id=courriel.service_id,
    )
    courriel.tentatives = 0
    courriel.prochain_essai_le = maintenant()
