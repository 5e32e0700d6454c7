"""`flask --app aap agregats`: the stored aggregates of sessions that have none yet (after migration 0010)."""

import click

from . import agregats


@click.command("agregats")
def agregats_cli():
    """Calcule les agrégats des séances qui n'en ont pas encore (après la migration 0010)."""
    click.echo(f"{agregats.completer()} séance(s) agrégée(s).")


def init_app(app):
    app.cli.add_command(agregats_cli)
