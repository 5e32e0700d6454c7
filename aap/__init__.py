"""The application package: `create_app` builds the Flask app (`flask --app aap …` finds it)."""

import os
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, RACINE

from . import entrees
from .extensions import csrf, db, limiter, login_manager, migrate


def create_app(config=None):
    """`config`: a config class, a name (`development`, `test`, `production`) or a dict of overrides."""
    app = Flask(
        __name__,
        template_folder=str(RACINE / "templates"),
        instance_path=str(RACINE / "instance"),
    )
    _charger_config(app, config)
    entrees.init_app(app)  # le convertisseur `id` des routes, avant qu'aucune ne s'enregistre
    app.json.ensure_ascii = False
    if app.config["NOMBRE_DE_PROXYS"]:
        proxys = app.config["NOMBRE_DE_PROXYS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxys, x_proto=proxys, x_host=0)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(RACINE / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    _pages_et_api(app)
    _commandes_et_conservation(app)
    Path(app.config["FICHIERS_DIR"]).mkdir(parents=True, exist_ok=True)
    return app


def _pages_et_api(app):
    """The models, pages and API of the foundation and of each domain, and the foundation's services around them."""
    import candidatures.models  # noqa: F401  (tous les modèles, pour les relations et Alembic)
    import conventions.models  # noqa: F401
    import notation.models  # noqa: F401
    from candidatures import api as candidatures_api
    from candidatures import views as candidatures_views
    from conventions import api as conventions_api
    from conventions import views as conventions_views
    from notation import api as notation_api
    from notation import views as notation_views

    from . import (
        actifs,
        api,
        comptes,
        erreurs,
        fichiers,  # noqa: F401
        formats,
        mentions,
        mesures,
        navigation,
        securite,
        views,
    )
    from . import admin as admin_views
    from .campagnes import views as campagnes_views

    securite.init_app(app)
    actifs.init_app(app)
    formats.init_app(app)
    mentions.init_app(app)
    navigation.init_app(app)
    api.init_app(app, domaines=(candidatures_api.bp, notation_api.bp, conventions_api.bp))
    mesures.init_app(app)
    erreurs.init_app(app)  # après l'API : ses pages d'erreur remplacent celles de flask-smorest
    app.register_blueprint(views.bp)
    app.register_blueprint(comptes.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(campagnes_views.bp)
    app.register_blueprint(candidatures_views.bp)
    app.register_blueprint(candidatures_views.bp_structures)
    app.register_blueprint(notation_views.bp)
    app.register_blueprint(conventions_views.bp)
    app.register_blueprint(conventions_views.bp_public)


def _commandes_et_conservation(app):
    """The `flask` commands of the foundation and of each domain, and each domain's retention steps."""
    from candidatures import retention as retention_candidatures
    from candidatures.cli import commandes as commandes_candidatures
    from conventions import retention as retention_conventions
    from conventions.cli import commandes as commandes_conventions
    from notation import retention as retention_notation
    from notation.cli import commandes as commandes_notation

    from . import retention
    from .cli import init_app as init_cli

    init_cli(app)
    app.cli.add_command(commandes_candidatures)
    app.cli.add_command(commandes_notation)
    app.cli.add_command(commandes_conventions)
    # Durées de conservation : chaque domaine applique les siennes ; la fondation les enchaîne (flask rgpd purger).
    retention.init_app(
        app,
        etapes=[
            ("brouillons", retention_candidatures.brouillons),
            ("dossiers_non_retenus", retention_candidatures.dossiers_non_retenus),
            ("lettres_non_retenus", retention_notation.lettres_non_retenus),
            ("notes_copil", retention_notation.commentaires_copil),
            ("conventions", retention_conventions.conventions_echues),
        ],
        donnees=[
            ("candidatures", retention_candidatures.donnees_personnelles),
            ("notation", retention_notation.donnees_personnelles),
        ],
    )


def _charger_config(app, config):
    nom = os.environ.get("AAP_ENV", "development")
    if config is None or isinstance(config, dict):
        classe = CONFIGS[nom]
    elif isinstance(config, str):
        classe = CONFIGS[config]
    else:
        classe = config
    app.config.from_object(classe)
    if isinstance(config, dict):
        app.config.update(config)
    manquants = [cle for cle in getattr(classe, "REQUIRED", ()) if not app.config.get(cle)]
    if manquants:
        noms = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"}
        raise RuntimeError(
            "Configuration de production incomplète : définissez "
            + ", ".join(noms.get(cle, cle) for cle in manquants)
            + " dans l'environnement."
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


@event.listens_for(Engine, "connect")
def _pragmas_sqlite(connexion, _record):
    """SQLite: enforce foreign keys, let readers and one writer work side by side, wait for the write lock."""
    if isinstance(connexion, sqlite3.Connection):
        curseur = connexion.cursor()
        curseur.execute("PRAGMA foreign_keys=ON")
        curseur.execute("PRAGMA journal_mode=WAL")
        curseur.execute("PRAGMA busy_timeout=15000")
        curseur.close()
