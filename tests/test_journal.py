"""The audit log: append-only in the database, hash-chained, verified by a command that names the first broken entry."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from aap.extensions import db
from aap.journal import journaliser, verifier_chaine
from aap.models import EntreeJournal


def _trois_entrees(fab):
    agent = fab.utilisateur("agent")
    return [journaliser(f"test.{i}", agent, par=agent, details={"i": i}) for i in range(3)]


def test_chaque_entree_porte_le_hash_de_la_precedente(fab):
    entrees = _trois_entrees(fab)
    db.session.commit()
    for avant, apres in zip(entrees, entrees[1:], strict=False):
        assert apres.hash_precedent == avant.hash
    assert verifier_chaine() == (len(db.session.scalars(select(EntreeJournal)).all()), None)


@pytest.mark.parametrize("requete", ["UPDATE journal SET action = 'falsifie'", "DELETE FROM journal"])
def test_la_base_refuse_de_modifier_ou_supprimer_une_entree(fab, requete):
    _trois_entrees(fab)
    db.session.commit()
    with pytest.raises(DatabaseError, match="ajout seul"):
        db.session.execute(text(requete))
    db.session.rollback()


def _sans_protection():
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE journal DISABLE TRIGGER journal_ajout_seul"))
    else:
        db.session.execute(text("DROP TRIGGER journal_ajout_seul_update"))
        db.session.execute(text("DROP TRIGGER journal_ajout_seul_delete"))


def test_une_falsification_directe_est_detectee_et_nommee(fab, runner):
    entrees = _trois_entrees(fab)
    db.session.commit()
    _sans_protection()
    falsifiee = entrees[1].id
    db.session.execute(text("UPDATE journal SET details = :d WHERE id = :id"), {"d": '{"i":99}', "id": falsifiee})
    db.session.commit()
    assert verifier_chaine()[1] == falsifiee
    resultat = runner.invoke(args=["journal", "verifier"])
    assert resultat.exit_code == 1
    assert f"Chaîne rompue à l'entrée n°{falsifiee}" in resultat.output


def test_une_suppression_en_fin_de_chaine_est_detectee(fab):
    entrees = _trois_entrees(fab)
    db.session.commit()
    _sans_protection()
    derniere = entrees[-1].id
    db.session.execute(text("DELETE FROM journal WHERE id = :id"), {"id": derniere})
    db.session.commit()
    assert verifier_chaine()[1] == derniere


def test_la_commande_dit_le_nombre_d_entrees_verifiees(fab, runner):
    _trois_entrees(fab)
    db.session.commit()
    resultat = runner.invoke(args=["journal", "verifier"])
    assert resultat.exit_code == 0 and "Journal intègre" in resultat.output


def test_page_du_journal_filtree_par_objet(client_de, fab):
    agent = fab.utilisateur("agent")
    autre = fab.utilisateur("copil", service=agent.service)
    journaliser("test.agent", agent, par=agent)
    journaliser("test.autre", autre, par=agent)
    page = client_de(agent).get(f"/journal?objet_type=utilisateurs&objet_id={autre.id}").get_data(as_text=True)
    assert "test.autre" in page and "test.agent" not in page
