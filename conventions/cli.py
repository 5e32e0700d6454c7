"""Commands of the conventions domain (`flask conventions …`), registered by the application factory. Their own
docstrings are French: `flask --help` shows them."""

import click
from flask.cli import AppGroup

from aap.extensions import db

from . import operations

commandes = AppGroup("conventions", help="Conventions et leurs échéances.")


@commandes.command("rappels")
def commande_rappels():
    """Envoie les rappels des échéances des conventions (signature, versements, bilans, renouvellement) ; à lancer
    chaque jour : chaque rappel ne part qu'une fois."""
    nombre = operations.envoyer_rappels()
    db.session.commit()
    click.echo(f"{nombre} rappel(s) mis en file.")
