"""Commands of the candidatures domain (`flask candidatures …`), registered by the application factory. Their own
docstrings are French: `flask --help` shows them."""

import click
from flask.cli import AppGroup

from . import resumes

commandes = AppGroup("candidatures", help="Dossiers des candidats.")


@commandes.command("resumes")
@click.option("--tout", is_flag=True, help="Tout recalculer, pas seulement ce qui manque.")
def commande_resumes(tout):
    """Calcule les résumés des constats des dossiers qui n'en ont pas encore (une fois, après la migration 0010 ;
    ensuite chaque écriture les tient à jour)."""
    click.echo(f"{resumes.completer(tout)} résumé(s) de dossier calculé(s).")
