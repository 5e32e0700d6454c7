"""Reminders: to members who still owe scores before their session, to services whose quarter ended without a
COPIL while dossiers waited (AAP §C.2)."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from aap.courriels import mettre_en_file
from aap.extensions import db
from aap.formats import pluriel
from aap.models import Service
from aap.types import maintenant

from .. import lecture, regles
from ..models import Declaration, FeuilleNotation, Phase, Seance


def delais_rappel():
    brut = str(current_app.config.get("RAPPELS_COPIL_JOURS", "7,2"))
    try:
        return tuple(sorted({int(n) for n in brut.split(",") if n.strip()}, reverse=True)) or regles.RAPPELS_JOURS_DEFAUT
    except ValueError:
        return regles.RAPPELS_JOURS_DEFAUT


def envoyer_rappels(instant=None, seance=None):
    """Reminds members of sessions in scoring who have not submitted every score they owe, a few days
    before the session (RAPPELS_COPIL_JOURS, "7,2" by default). Each reminder is queued once per member and
    delay (its key), however often this runs. Returns the number of reminders queued."""
    instant = instant or maintenant()
    delais = delais_rappel()
    requete = select(Seance).where(Seance.phase == Phase.NOTATION, Seance.tenue_le >= instant - timedelta(days=1))
    if seance is not None:
        requete = requete.where(Seance.id == seance.id)
    envoyes = 0
    for une_seance in db.session.scalars(requete).all():
        jours = regles.rappel_du(une_seance.tenue_le, instant, une_seance.service.fuseau, delais)
        if jours is None:
            continue
        dossiers = {p.dossier_id for p in une_seance.ordre_du_jour}
        deportes = {
            (d.membre_id, d.dossier_id)
            for d in db.session.scalars(
                select(Declaration).where(Declaration.seance_id == une_seance.id, Declaration.conflit.is_(True))
            )
        }
        soumises = {
            (f.membre_id, f.dossier_id)
            for f in db.session.execute(
                select(FeuilleNotation.membre_id, FeuilleNotation.dossier_id).where(
                    FeuilleNotation.seance_id == une_seance.id, FeuilleNotation.soumise_le.is_not(None)
                )
            )
        }
        for membre in une_seance.membres:
            restants = [
                d for d in dossiers if (membre.utilisateur_id, d) not in deportes and (membre.utilisateur_id, d) not in soumises
            ]
            if not restants:
                continue
            courriel = mettre_en_file(
                membre.utilisateur.email,
                f"Rappel : {une_seance.intitule} — {pluriel(len(restants), 'dossier')} à noter",
                "rappel_notation",
                service_id=une_seance.service_id,
                cle=f"rappel-notation:{une_seance.id}:{membre.utilisateur_id}:J-{jours}",
                seance=une_seance,
                membre=membre.utilisateur,
                restants=len(restants),
            )
            envoyes += courriel is not None
    return envoyes


def alerter_trimestres(instant=None):
    """AAP §C.2 (a minima une fois par trimestre): tells each service, once per quarter (its key), when a calendar
    quarter ended with recevable dossiers waiting and no COPIL session held. Returns the number of emails queued."""
    envoyes = 0
    for service in db.session.scalars(select(Service).where(Service.courriel != "")).all():
        alerte = lecture.trimestre_sans_copil(service, instant)
        if alerte is None:
            continue
        courriel = mettre_en_file(
            service.courriel,
            f"Aucun COPIL au {'1er' if alerte.trimestre == 1 else f'{alerte.trimestre}e'} trimestre {alerte.annee} : "
            f"{pluriel(alerte.dossiers, 'dossier recevable')} {'attendent' if alerte.dossiers > 1 else 'attend'}",
            "trimestre_sans_copil",
            service_id=service.id,
            cle=f"trimestre-sans-copil:{service.id}:{alerte.annee}-T{alerte.trimestre}",
            alerte=alerte,
        )
        envoyes += courriel is not None
    return envoyes
