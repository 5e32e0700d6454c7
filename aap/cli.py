"""`flask --app aap …` commands: demo data, reference data, accounts, tokens, outbox, audit log."""

import signal
import threading

import click
from flask import current_app

from . import operations
from .erreurs import Refus
from .extensions import db
from .models import Role, Service


def _echouer(message):
    raise click.ClickException(message)


@click.command("api-token")
@click.argument("email")
@click.option("--nom", default="jeton en ligne de commande", help="Nom du jeton, pour le reconnaître.")
@click.option("--jours", type=click.IntRange(1, 3650), default=None, help="Durée de validité (jours).")
def api_token(email, nom, jours):
    """Crée un jeton d'API pour EMAIL et l'affiche (une seule fois)."""
    utilisateur = operations.utilisateur_par_email(email)
    if utilisateur is None or not utilisateur.actif:
        _echouer(f"Aucun compte actif pour {email}.")
    clair, _ = operations.creer_jeton_api(utilisateur, nom, par=utilisateur, validite_jours=jours)
    db.session.commit()
    click.echo(clair)


@click.command("inviter")
@click.argument("email")
@click.option("--role", type=click.Choice([str(r) for r in Role if r != Role.PORTEUR]), required=True)
@click.option("--service", "code_service", default=None, help="Code du service (SERVICE_PAR_DEFAUT sinon).")
@click.option("--prenom", default="")
@click.option("--nom", default="")
def inviter(email, role, code_service, prenom, nom):
    """Invite un agent, un membre du COPIL, un administrateur ou un lecteur national."""
    code = code_service or current_app.config["SERVICE_PAR_DEFAUT"]
    service = db.session.scalar(db.select(Service).where(Service.code == code))
    if service is None and role != Role.NATIONAL:
        _echouer(f"Service {code} inconnu : créez-le avec « flask service creer ».")
    try:
        operations.inviter(email=email, role=role, service=service, prenom=prenom, nom=nom)
    except Refus as refus:
        _echouer(refus.message)
    db.session.commit()
    click.echo(f"Invitation de {email} ({Role(role).libelle}) mise en file d'envoi.")


@click.group("service")
def service_cli():
    """Services instructeurs (DREETS/DEETS)."""


@service_cli.command("creer")
@click.argument("code")
@click.argument("nom")
@click.option("--intitule", required=True, help="Bloc-marque, par exemple « Préfet de La Réunion ».")
@click.option("--courriel", required=True)
@click.option("--fuseau", required=True, help="Fuseau horaire IANA, par exemple Indian/Reunion.")
@click.option("--departement", "departements", multiple=True, required=True, help="Code INSEE d'un département couvert.")
def creer_service(code, nom, intitule, courriel, fuseau, departements):
    """Crée un service ; son administrateur règle le reste (adresse, signataire…) sur la page « Service »."""
    from zoneinfo import available_timezones

    if db.session.scalar(db.select(Service).where(Service.code == code)):
        _echouer(f"Le service {code} existe déjà.")
    if fuseau not in available_timezones():
        _echouer(f"Fuseau horaire inconnu : {fuseau}.")
    prefet = intitule[:1].lower() + intitule[1:]
    db.session.add(
        Service(
            code=code,
            nom=nom,
            intitule_officiel=intitule,
            prefet=prefet,
            courriel=courriel,
            fuseau=fuseau,
            departements=" ".join(departements),
        )
    )
    db.session.commit()
    click.echo(f"Service {code} créé.")


@service_cli.command("siret")
@click.argument("code")
@click.argument("siret")
def siret_service(code, siret):
    """Enregistre le SIRET du service : l'identifiant de l'attribuant dans les données ouvertes des subventions."""
    from .regles import normaliser_siret, probleme_siret

    service = db.session.scalar(db.select(Service).where(Service.code == code))
    if service is None:
        _echouer(f"Service {code} inconnu.")
    probleme = probleme_siret(siret)
    if probleme:
        _echouer(probleme)
    service.siret = normaliser_siret(siret)
    db.session.commit()
    click.echo(f"SIRET du service {code} : {service.siret}.")


@click.group("courriels")
def courriels_cli():
    """File d'envoi des courriels."""


@courriels_cli.command("travailler")
@click.option(
    "--intervalle",
    type=click.FloatRange(0.1, 3600),
    default=5.0,
    show_default=True,
    help="Attente entre deux passages (secondes).",
)
def travailler(intervalle):
    """Envoie les courriels de la file au fil de l'eau, jusqu'à SIGTERM ou Ctrl+C (à lancer à côté du serveur web)."""
    from . import courriels

    arret = threading.Event()
    for signal_ in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_, lambda *_: arret.set())  # le message en cours part (ou échoue) avant l'arrêt
    click.echo(f"Envoi des courriels : file relue toutes les {intervalle:g} s (Ctrl+C pour arrêter).")
    courriels.travailler(arret, intervalle)


@courriels_cli.command("envoyer")
def envoyer():
    """Envoie une fois les courriels dus (le travailleur le fait en continu)."""
    from .courriels import envoyer_en_attente

    click.echo(f"{envoyer_en_attente(limite=1000)} courriel(s) envoyé(s).")


@click.group("journal")
def journal_cli():
    """Journal d'audit."""


@journal_cli.command("verifier")
def verifier():
    """Vérifie le chaînage du journal ; nomme la première entrée rompue."""
    from .journal import verifier_chaine

    nombre, rompue = verifier_chaine()
    if rompue is not None:
        _echouer(f"Chaîne rompue à l'entrée n°{rompue} ({nombre} entrée(s) intègres avant elle).")
    click.echo(f"Journal intègre : {nombre} entrée(s) vérifiée(s).")


@click.group("fichiers")
def fichiers_cli():
    """Fichiers déposés."""


@fichiers_cli.command("verifier")
def verifier_fichiers():
    """Vérifie l'empreinte SHA-256 de chaque fichier stocké ; nomme ceux qui manquent ou sont altérés."""
    from .fichiers import Fichier, orphelins, verifier_tous

    alteres = [(fichier.id, fichier.chemin, cause) for fichier, cause in verifier_tous()]
    total = db.session.scalar(db.select(db.func.count(Fichier.id)))
    for ident, chemin, cause in alteres:
        click.echo(f"Fichier n°{ident} ({chemin}) : {cause}.", err=True)
    if alteres:
        _echouer(f"{len(alteres)} fichier(s) sur {total} absent(s) ou altéré(s).")
    click.echo(f"{total} fichier(s) intègre(s).")
    restes = list(orphelins())
    if restes:
        click.echo(f"{len(restes)} fichier(s) sans ligne, laissé(s) par un arrêt brutal : `flask fichiers nettoyer` les efface.")


@fichiers_cli.command("nettoyer")
def nettoyer_fichiers():
    """Efface les fichiers qu'aucune ligne ne nomme (laissés par un arrêt brutal), vieux de plus de 15 minutes."""
    from .fichiers import orphelins

    restes = list(orphelins())
    for chemin in restes:
        chemin.unlink(missing_ok=True)
    click.echo(f"{len(restes)} fichier(s) sans ligne effacé(s).")


@click.group("referentiel")
def referentiel_cli():
    """Référentiel des communes et EPCI."""


@referentiel_cli.command("charger")
@click.option("--departement", "departements", multiple=True, help="Par défaut : les départements de tous les services.")
def charger(departements):
    """Charge les communes et EPCI depuis @etalab/decoupage-administratif (npm)."""
    from .referentiel import charger_referentiel

    if not departements:
        departements = sorted({d for s in db.session.scalars(db.select(Service)) for d in s.codes_departements})
    if not departements:
        _echouer("Aucun service ne couvre de département : précisez --departement.")
    communes, epci = charger_referentiel(tuple(departements))
    db.session.commit()
    click.echo(f"{communes} communes et {epci} EPCI chargés ({', '.join(departements)}).")


@click.group("sauvegarde")
def sauvegarde_cli():
    """Sauvegarde et restauration (base, fichiers, manifeste d'empreintes)."""


@sauvegarde_cli.command("creer")
@click.argument("dossier", type=click.Path(file_okay=False))
def creer_sauvegarde(dossier):
    """Sauvegarde cohérente dans DOSSIER/aap-sauvegarde-<date>/, application en service."""
    from .sauvegarde import ErreurSauvegarde, creer_sauvegarde

    try:
        destination, manifeste = creer_sauvegarde(dossier)
    except ErreurSauvegarde as erreur:
        _echouer(str(erreur))
    lignes = sum(manifeste["lignes_par_table"].values())
    click.echo(f"Sauvegarde créée : {destination} ({lignes} lignes, {len(manifeste['fichiers'])} fichiers).")


@sauvegarde_cli.command("restaurer")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
def restaurer_sauvegarde(source):
    """Restaure SOURCE dans une instance vide (base sans table, dossier des fichiers vide)."""
    from .sauvegarde import ErreurSauvegarde, restaurer_sauvegarde

    try:
        manifeste = restaurer_sauvegarde(source)
    except ErreurSauvegarde as erreur:
        _echouer(str(erreur))
    click.echo(f"Restauration terminée : {len(manifeste['lignes_par_table'])} tables, {len(manifeste['fichiers'])} fichiers.")


@click.command("demo")
def demo():
    """Charge les données de démonstration (idempotent) et affiche les comptes."""
    from .demo import charger_demo, mot_de_passe_demo

    contexte = charger_demo()
    db.session.commit()
    url = current_app.config["URL_PUBLIQUE"]
    click.echo("")
    click.echo(f"Plateforme des appels à projets — {contexte.service.nom} (démonstration)")
    click.echo(f"  Adresse : {url}")
    click.echo(f"  Campagne ouverte : {contexte.campagne_ouverte}")
    click.echo(f"  Mot de passe de tous les comptes : {mot_de_passe_demo()}")
    for email, utilisateur in contexte.comptes.items():
        click.echo(f"    {email:<24} {Role(utilisateur.role).libelle}")
    click.echo("")


def init_app(app):
    for commande in (
        api_token,
        inviter,
        service_cli,
        courriels_cli,
        journal_cli,
        fichiers_cli,
        referentiel_cli,
        sauvegarde_cli,
        demo,
    ):
        app.cli.add_command(commande)
