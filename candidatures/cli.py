"""`flask --app aap resumes`: the stored summaries of dossiers that have none yet (after migration 0010)."""

import click

from . import resumes


@click.command("resumes")
def resumes_cli():
    """Calcule les résumés des dossiers qui n'en ont pas encore (après la migration 0010)."""
    click.echo(f"{resumes.completer()} résumé(s) de dossier calculé(s).")


def init_app(app):
    app.cli.add_command(resumes_cli)
