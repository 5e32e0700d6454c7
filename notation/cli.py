"""`flask --app aap agregats`: the stored aggregates of sessions that have none yet (after migration 0010)."""

import click

from . import agregats


@click.command("agregats")
@click.option("--tout", is_flag=True, help="Tout recalculer, pas seulement ce qui manque.")
def agregats_cli(tout):
    """Calcule les agrégats des séances qui n'en ont pas encore (après la migration 0010)."""
    click.echo(f"{agregats.completer(tout)} séance(s) agrégée(s).")


def init_app(app):
    app.cli.add_command(agregats_cli)
