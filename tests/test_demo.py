"""`flask demo`: idempotent, the 2022 call exactly as written, a campaign open today, one account per role.

These tests start from the demo world (built once per test process by `monde_demo`) and load it again."""

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aap.aap2022 import MAYOTTE
from aap.extensions import db
from aap.models import Campagne, Commune, EntreeJournal, Utilisateur
from aap.regles import EtatCampagne, etat_campagne
from aap.types import maintenant

COMPTES_DEMO = [
    "admin@exemple.fr",
    "agent@exemple.fr",
    "copil@exemple.fr",
    "copil2@exemple.fr",
    "porteur@exemple.fr",
    "porteur2@exemple.fr",
    "national@exemple.fr",
]


@pytest.fixture
def donnees_initiales():
    return "demo"


def _compter():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in (Campagne, Utilisateur, Commune)}


def test_demo_idempotente_et_complete(app, runner, monkeypatch):
    app.config["DEMO_PASSWORD"] = "mot-de-passe-de-demo-2026"
    comptes = _compter()
    journal = db.session.scalar(select(func.count(EntreeJournal.id)))
    resultat = runner.invoke(args=["demo"])
    assert resultat.exit_code == 0, resultat.output
    for email in COMPTES_DEMO:
        assert email in resultat.output
    assert "mot-de-passe-de-demo-2026" in resultat.output
    assert _compter() == comptes
    assert db.session.scalar(select(func.count(EntreeJournal.id))) == journal

    porteur2 = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "porteur2@exemple.fr"))
    assert porteur2.structure.statut_juridique == "collectivite"
    porteur = db.session.scalar(select(Utilisateur).where(Utilisateur.email == "porteur@exemple.fr"))
    assert porteur.structure.statut_juridique == "association"


def test_la_campagne_2022_est_celle_de_l_appel(app):
    c = db.session.scalar(select(Campagne).where(Campagne.annee == 2022))
    assert c.ouverture_le == datetime(2022, 7, 1, 0, 0, tzinfo=MAYOTTE)
    assert c.cloture_le == datetime(2022, 10, 31, 23, 59, tzinfo=MAYOTTE)
    assert (c.taux_plafond, c.taux_plafond_collectivite, c.etp_minimum) == (
        Decimal("0.70"),
        Decimal("0.80"),
        Decimal("0.50"),
    )
    assert [cr.maximum for cr in c.criteres] == [15, 10, 10, 10, 15, 20, 10, 5, 5]
    assert len({cr.groupe for cr in c.criteres}) == 3 and sum(cr.maximum for cr in c.criteres) == 100
    assert {p.code for p in c.pieces} >= {"demande_subvention", "rapports_activite", "comptes_annuels", "rapport_cac"}
    assert sorted({m.poste for m in c.missions}) == ["coordinateur", "facilitateur"]
    assert etat_campagne(c.ouverture_le, c.cloture_le, maintenant()) == EtatCampagne.CLOTUREE


def test_une_campagne_est_ouverte_le_jour_du_chargement(app):
    ouvertes = [
        c
        for c in db.session.scalars(select(Campagne))
        if etat_campagne(c.ouverture_le, c.cloture_le, maintenant()) == EtatCampagne.OUVERTE
    ]
    assert len(ouvertes) == 1
