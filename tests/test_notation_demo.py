"""The demo's COPIL history: a closed 2022 session (one recusal, one disagreement, a retenu decision, the
minutes) and a session of the open campaign in scoring, loaded idempotently (from the demo world)."""

import pytest
from sqlalchemy import func, select

from aap.demo import charger_demo
from aap.extensions import db
from aap.models import Courriel, EntreeJournal
from notation import lecture, resultats
from notation.models import Decision, Declaration, FeuilleNotation, Phase, Seance


@pytest.fixture
def donnees_initiales():
    return "demo"


def _compter():
    return {
        modele.__name__: db.session.scalar(select(func.count()).select_from(modele))
        for modele in (Seance, Decision, Declaration, FeuilleNotation, EntreeJournal, Courriel)
    }


def test_demo_du_copil(app):
    avant = _compter()
    contexte = charger_demo()  # deuxième chargement : rien de plus
    db.session.commit()
    assert _compter() == avant
    # Les séances des deux campagnes de la notation (la démonstration des conventions en ajoute d'autres).
    campagnes = {contexte.campagne_2022.id, contexte.campagne_ouverte.id}
    close, ouverte = db.session.scalars(select(Seance).where(Seance.campagne_id.in_(campagnes)).order_by(Seance.id)).all()
    assert close.phase == Phase.CLOSE and close.proces_verbal is not None and close.classeur is not None
    membres = {m.utilisateur.email for m in close.membres}
    assert membres == {"agent@exemple.fr", "copil@exemple.fr", "copil2@exemple.fr"}
    tableau = resultats.tableau_seance(lecture.charger_seance(close.id))
    deportes = [u.email for liste in tableau.deportes.values() for u, _ in liste]
    assert deportes == ["copil2@exemple.fr"]
    assert tableau.desaccords >= 1
    assert sorted(ligne.decision.nature for ligne in tableau.lignes) == ["ajourne", "retenu", "retenu"]
    assert all(ligne.decision.notifie_le and ligne.decision.lettre_id for ligne in tableau.lignes)
    assert tableau.restant >= 0
    assert ouverte.phase == Phase.NOTATION
    feuilles = db.session.scalars(select(FeuilleNotation).where(FeuilleNotation.seance_id == ouverte.id)).all()
    assert sorted(f.soumise for f in feuilles) == [False, True]
