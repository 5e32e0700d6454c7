"""Commands of the notation domain (`flask notation …`), registered by the application factory. Their own
docstrings are French: `flask --help` shows them."""

import click
from flask.cli import AppGroup

from aap.extensions import db
from aap.formats import pluriel

from . import agregats, operations

commandes = AppGroup("notation", help="Séances du COPIL.")


@commandes.command("rappels")
def commande_rappels():
    """Rappelle aux membres des séances en notation les dossiers qu'il leur reste à noter, et au service un trimestre
    fini sans COPIL alors que des dossiers recevables attendent (à lancer chaque jour : chaque courriel part une fois)."""
    rappels, alertes = operations.envoyer_rappels(), operations.alerter_trimestres()
    db.session.commit()
    click.echo(
        f"{pluriel(rappels, 'rappel mis', 'rappels mis')} en file ; "
        f"{pluriel(alertes, 'alerte', 'alertes')} de trimestre sans COPIL."
    )


@commandes.command("agregats")
@click.option("--tout", is_flag=True, help="Tout recalculer, pas seulement ce qui manque.")
def commande_agregats(tout):
    """Calcule les agrégats des séances qui n'en ont pas encore (une fois, après la migration 0010 ; ensuite chaque
    note, réouverture ou déport les tient à jour)."""
    click.echo(f"{agregats.completer(tout)} séance(s) agrégée(s).")
