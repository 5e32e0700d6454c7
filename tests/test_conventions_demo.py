"""The demo's conventions (from the demo world): one at each point of its life, so that the dashboard and the
"À faire" pages show something true at once; loading the demo again adds nothing."""

import pytest
from sqlalchemy import func, select

from aap.demo import charger_demo
from aap.extensions import db
from aap.models import EntreeJournal, Utilisateur
from conventions import lecture
from conventions.models import AnneeConvention, Bilan, Convention, Versement

from .conftest import connecter, texte

MOT_DE_PASSE_DEMO = "mot de passe de la démonstration"  # celui du monde de démonstration (conftest)


@pytest.fixture
def donnees_initiales():
    return "demo"


def _compter():
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (Convention, AnneeConvention, Versement, Bilan, EntreeJournal)
    }


def compte(email):
    return db.session.scalar(select(Utilisateur).where(Utilisateur.email == email))


def test_les_conventions_de_la_demonstration(app):
    app.config["DEMO_PASSWORD"] = MOT_DE_PASSE_DEMO
    avant = _compter()
    charger_demo()
    db.session.commit()
    assert _compter() == avant

    conventions = lecture.conventions_de(select(Convention))
    etats = {lecture.etat_affiche(c, lecture.aujourdhui(c))[0] for c in conventions}
    assert etats == {"close", "en_cours", "a_signer"}
    closes = [c for c in conventions if c.statut == "close"]
    assert sorted(len(c.annees) for c in closes) == [1, 3]  # trois ans pour l'une, non renouvelée pour l'autre
    assert any(a.rang == 2 and a.signee_le for c in conventions if c.statut == "en_cours" for a in c.annees)
    assert any(a.signee_le and a.signee_le > c.date_limite_signature for c in closes for a in c.annees[:1])
    assert any(v.reduit and v.etat == "paye" for c in closes for a in c.annees for v in a.versements)

    agent, porteur, national = compte("agent@exemple.fr"), compte("porteur@exemple.fr"), compte("national@exemple.fr")
    lignes, prochain_copil = lecture.a_faire(agent)
    natures = {(e.nature, e.en_retard) for _, e in lignes}
    assert ("signature", False) in natures  # une convention attend sa signature
    assert ("bilan", True) in natures  # un bilan intermédiaire en retard
    assert any(e.code.startswith("examen-") for _, e in lignes)  # un bilan trimestriel à examiner
    assert prochain_copil is not None  # la séance de la campagne ouverte
    pour_la_structure = lecture.a_faire(porteur)[0]
    assert "signature" in {e.nature for _, e in pour_la_structure}
    assert all(e.pour == "porteur" or e.nature == "signature" for _, e in pour_la_structure)
    assert all(e.en_retard for _, e in lecture.a_faire(national)[0])

    pour_agent, pour_porteur = app.test_client(), app.test_client()
    connecter(pour_agent, agent, MOT_DE_PASSE_DEMO)
    connecter(pour_porteur, porteur, MOT_DE_PASSE_DEMO)
    page = texte(pour_agent.get("/conventions/tableau-de-bord"))
    assert "Rien n'est en retard." not in page and 'id="etat-close">2<' in page
    for convention in conventions:
        assert pour_agent.get(f"/conventions/{convention.id}").status_code == 200
        assert pour_agent.get(f"/conventions/{convention.id}/renouvellement").status_code == 200
    assert "Signature de la convention" in texte(pour_porteur.get("/conventions/a-faire"))
    assert pour_agent.get("/conventions/tableau-de-bord.xlsx").status_code == 200
