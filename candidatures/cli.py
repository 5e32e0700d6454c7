"""`flask --app aap resumes`: the stored summaries of dossiers that have none yet (after migration 0010)."""

import click

from . import resumes


@click.command("resumes")
@click.option("--tout", is_flag=True, help="Tout recalculer, pas seulement ce qui manque.")
def resumes_cli(tout):
    """Calcule les résumés des dossiers qui n'en ont pas encore (après la migration 0010)."""
    click.echo(f"{resumes.completer(tout)} résumé(s) de dossier calculé(s).")


def init_app(app):
    app.cli.add_command(resumes_cli)
