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


def _sans_declencheurs(connexion):
    from sqlalchemy import text

    if db.engine.dialect.name == "postgresql":
        connexion.execute(text("ALTER TABLE journal DISABLE TRIGGER journal_ajout_seul"))
    else:
        connexion.execute(text("DROP TRIGGER journal_ajout_seul_update"))
        connexion.execute(text("DROP TRIGGER journal_ajout_seul_delete"))


def _entree_0001(connexion, precedent, numero, details):
    """An entry sealed as version 0001 did: the chain covered the actor's label and the details' text."""
    import hashlib

    from sqlalchemy import text

    le = f"2030-01-0{numero} 10:00:00"
    contenu = "|".join([precedent, f"2030-01-0{numero}T10:00:00+00:00", "", "démo", "test.avant", "", "", "", details])
    hash_ = hashlib.sha256(contenu.encode()).hexdigest()
    connexion.execute(
        text(
            "INSERT INTO journal (le, acteur, action, objet_type, objet_id, details, hash_precedent, hash) "
            "VALUES (:le, 'démo', 'test.avant', '', '', :d, :p, :h)"
        ),
        {"le": le, "d": details, "p": precedent, "h": hash_},
    )
    connexion.execute(text("UPDATE journal_tete SET dernier_hash = :h WHERE id = 1"), {"h": hash_})
    return hash_


def test_la_migration_0007_verifie_puis_rescelle_le_journal(app, capfd):
    """A journal written before 0007 is checked as it was sealed, then sealed again over the personal part's
    SHA-256: it still verifies, and can now be anonymised. A broken one stops the migration."""
    import pytest
    from sqlalchemy import text

    from aap.journal import verifier_chaine

    db.session.remove()
    downgrade(revision="0005_index_liste_dossiers")
    with db.engine.begin() as connexion:
        precedent = "0" * 64
        for numero in (1, 2, 3):
            precedent = _entree_0001(connexion, precedent, numero, f'{{"motif":"M. Untel {numero}"}}')
    upgrade()
    assert verifier_chaine() == (3, None)
    db.session.remove()  # sa lecture du journal ne doit pas retenir de verrou pendant la suite

    # Une entrée falsifiée avant la migration : elle s'arrête et la nomme (un journal rompu n'est pas rescellé).
    downgrade(revision="0005_index_liste_dossiers")
    with db.engine.begin() as connexion:
        _sans_declencheurs(connexion)
        connexion.execute(text("DELETE FROM journal"))
        precedent = "0" * 64
        for numero in (1, 2, 3):
            precedent = _entree_0001(connexion, precedent, numero, f'{{"motif":"M. Untel {numero}"}}')
        falsifiee = connexion.execute(text("SELECT max(id) - 1 FROM journal")).scalar()
        connexion.execute(text("UPDATE journal SET details = '{}' WHERE id = :id"), {"id": falsifiee})
    with pytest.raises(SystemExit):  # flask-migrate journalise l'erreur et sort
        upgrade()
    assert f"Journal d'audit rompu à l'entrée n°{falsifiee} " in capfd.readouterr().err
    with db.engine.begin() as connexion:  # rien n'a changé : le journal vidé, la migration passe
        connexion.execute(text("DELETE FROM journal"))
        connexion.execute(text("UPDATE journal_tete SET dernier_hash = :h WHERE id = 1"), {"h": "0" * 64})
    upgrade()
    assert _differences() == []
