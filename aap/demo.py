"""Demo data for `make run`: loaded idempotently (running it twice changes nothing but the open campaign's dates)."""

import importlib
import importlib.util
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from stdnum import luhn

from . import aap2022
from .extensions import db
from .journal import journaliser
from .models import Campagne, Role, Service, Utilisateur
from .referentiel import charger_referentiel
from .securite import hacher_mot_de_passe, nouveau_jeton_session
from .types import maintenant

DOMAINES = ("candidatures", "notation", "conventions")

SERVICE = {
    "code": "976",
    "nom": "DEETS de Mayotte",
    "intitule_officiel": "Préfet de Mayotte",
    "courriel": aap2022.COURRIEL_CONTACT,
    "prefet": "préfet de Mayotte",
    "departements": "976",
    "fuseau": "Indian/Mayotte",
    "telephone": "02 69 61 00 00",
    "adresse": "Direction de l'économie, de l'emploi, du travail et des solidarités\nRue de l'Hôpital, BP 1003",
    "code_postal": "97600",
    "commune": "Mamoudzou",
    "lieu_signature": "Mamoudzou",
    "signataire_prenom": "Ahmed",
    "signataire_nom": "Soilihi (démonstration)",
    "signataire_qualite": "directeur de l'économie, de l'emploi, du travail et des solidarités de Mayotte",
    "tribunal": "tribunal administratif de Mayotte",
}

# (email, rôle, prénom, nom) ; les porteurs et leurs structures viennent du domaine des candidatures.
COMPTES = [
    ("admin@exemple.fr", Role.ADMIN, "Anli", "Madi"),
    ("agent@exemple.fr", Role.AGENT, "Zaïnaba", "Ahamada"),
    ("copil@exemple.fr", Role.COPIL, "Julien", "Payet"),
    ("copil2@exemple.fr", Role.COPIL, "Faïza", "Soilihi"),
    ("national@exemple.fr", Role.NATIONAL, "Claire", "Martin"),
]


def siret_valide(debut_siren, etablissement="0001"):
    """A SIRET whose two check digits (SIREN's and SIRET's, Luhn) are right."""
    siren = debut_siren + luhn.calc_check_digit(debut_siren)
    debut = siren + etablissement
    return debut + luhn.calc_check_digit(debut)


@dataclass
class ContexteDemo:
    service: Service
    campagne_2022: Campagne
    campagne_ouverte: Campagne
    mot_de_passe_hash: str = ""
    comptes: dict = field(default_factory=dict)
    structures: dict = field(default_factory=dict)


def mot_de_passe_demo():
    """DEMO_PASSWORD, or one generated once and kept in instance/ so that every run prints the same."""
    if current_app.config.get("DEMO_PASSWORD"):
        return current_app.config["DEMO_PASSWORD"]
    fichier = Path(current_app.instance_path) / "mot-de-passe-demo.txt"
    if not fichier.exists():
        fichier.parent.mkdir(parents=True, exist_ok=True)
        fichier.write_text(secrets.token_urlsafe(12))
        fichier.chmod(0o600)
    return fichier.read_text().strip()


def _service():
    service = db.session.scalar(select(Service).where(Service.code == SERVICE["code"]))
    if service is None:
        service = Service(**SERVICE)
        db.session.add(service)
        db.session.flush()
    for champ, valeur in SERVICE.items():  # une base d'avant les réglages du service les reçoit
        if not getattr(service, champ):
            setattr(service, champ, valeur)
    return service


def campagne_demo(service, annee, ouverture, cloture, credits):
    campagne = db.session.scalar(select(Campagne).where(Campagne.service_id == service.id, Campagne.annee == annee))
    if campagne is None:
        campagne = aap2022.garnir(
            Campagne(
                service_id=service.id,
                titre=aap2022.TITRE,
                annee=annee,
                presentation=aap2022.PRESENTATION,
                courriel_contact=aap2022.COURRIEL_CONTACT,
                taux_plafond=aap2022.TAUX_PLAFOND,
                taux_plafond_collectivite=aap2022.TAUX_PLAFOND_COLLECTIVITE,
                etp_minimum=aap2022.ETP_MINIMUM,
                credits=credits,
                credits_annee2=credits,
                credits_annee3=credits,
                ouverture_le=ouverture,
                cloture_le=cloture,
            )
        )
        db.session.add(campagne)
        db.session.flush()
        journaliser("campagne.creation", campagne, acteur="démo")
    elif (campagne.ouverture_le, campagne.cloture_le) != (ouverture, cloture):
        journaliser(
            "campagne.calendrier",
            campagne,
            acteur="démo",
            details={"avant": [campagne.ouverture_le, campagne.cloture_le], "apres": [ouverture, cloture]},
        )
        campagne.ouverture_le, campagne.cloture_le = ouverture, cloture
    return campagne


def _campagne_ouverte(service):
    """A campaign of the same call open today: opened a month ago, closing in two months, at 23:59 Mayotte."""
    aujourdhui = maintenant().astimezone(aap2022.MAYOTTE).date()
    ouverture = datetime.combine(aujourdhui - timedelta(days=30), time(0, 0), tzinfo=aap2022.MAYOTTE)
    cloture = datetime.combine(aujourdhui + timedelta(days=60), time(23, 59), tzinfo=aap2022.MAYOTTE)
    return campagne_demo(service, aujourdhui.year, ouverture, cloture, Decimal("150000.00"))


def compte_demo(contexte, email, role, prenom, nom, structure=None):
    """The demo account at that address, created once (confirmed, attached to `structure` for a porteur), with the
    demo password; kept in `contexte.comptes`."""
    utilisateur = db.session.scalar(select(Utilisateur).where(Utilisateur.email == email))
    if utilisateur is None:
        utilisateur = Utilisateur(
            email=email,
            role=str(role),
            prenom=prenom,
            nom=nom,
            service_id=None if role == Role.NATIONAL else contexte.service.id,
            structure_id=structure.id if structure else None,
            rattachement_valide=structure is not None,
            email_confirme_le=maintenant(),
            jeton_session=nouveau_jeton_session(),
        )
        db.session.add(utilisateur)
        db.session.flush()
        journaliser("compte.creation", utilisateur, acteur="démo", details={"role": str(role)})
    utilisateur.mot_de_passe_hash = contexte.mot_de_passe_hash
    utilisateur.actif = True
    contexte.comptes[email] = utilisateur
    return utilisateur


def charger_demo():
    service = _service()
    charger_referentiel(service.codes_departements)
    contexte = ContexteDemo(
        service=service,
        campagne_2022=campagne_demo(service, 2022, aap2022.OUVERTURE, aap2022.CLOTURE, Decimal("120000.00")),
        campagne_ouverte=_campagne_ouverte(service),
    )
    contexte.mot_de_passe_hash = hacher_mot_de_passe(mot_de_passe_demo())
    for email, role, prenom, nom in COMPTES:
        compte_demo(contexte, email, role, prenom, nom)
    db.session.flush()
    # Chaque domaine ajoute son histoire (structures, dossiers, séances, conventions), dans cet ordre.
    for domaine in DOMAINES:
        if importlib.util.find_spec(f"{domaine}.demo"):
            importlib.import_module(f"{domaine}.demo").charger(contexte)
            db.session.flush()
    return contexte
