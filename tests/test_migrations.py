"""The schema comes from the migrations, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from aap.extensions import db


def _differences():
    with db.engine.connect() as connexion:
        contexte = MigrationContext.configure(connexion, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(contexte, db.metadata)


def test_les_modeles_et_les_migrations_concordent(app):
    assert _differences() == []


def test_les_migrations_se_defont_et_se_refont(app):
    db.session.remove()
    downgrade(revision="base")
    upgrade()
    assert _differences() == []
