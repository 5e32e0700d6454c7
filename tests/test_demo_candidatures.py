"""The demo history: dossiers in every state for the demo structures, coherent with the rules, loaded once."""

import pytest
from sqlalchemy import func, select

from aap.demo import charger_demo
from aap.extensions import db
from aap.fichiers import Fichier
from aap.models import EntreeJournal
from candidatures.models import Depot, Dossier
from candidatures.synthese import controles_dossier


def compter():
    return {
        modele.__name__: db.session.scalar(select(func.count()).select_from(modele))
        for modele in (Dossier, Depot, Fichier, EntreeJournal)
    }


@pytest.fixture
def donnees_initiales():
    return "demo"


def test_la_demo_montre_chaque_etat_et_se_recharge_sans_doublon(app):
    avant = compter()
    contexte = charger_demo()  # deuxième chargement, sur le monde de démonstration déjà chargé
    db.session.commit()
    assert compter() == avant
    dossiers = db.session.scalars(select(Dossier)).all()
    etats = {(d.structure.statut_juridique, d.statut) for d in dossiers}
    for statut in ("brouillon", "depose", "complements_demandes", "recevable"):
        assert any(s == statut for _, s in etats), statut
    assert {"irrecevable"} <= {s for _, s in etats}
    for structure in ("association", "collectivite"):
        assert len({s for j, s in etats if j == structure}) >= 3, structure
    for dossier in dossiers:
        if dossier.statut != "brouillon":
            # Des compléments demandés, pas encore apportés : seuls les éléments demandés bloquent un nouveau dépôt.
            bloquants = {c.code for c in controles_dossier(dossier) if c.bloquant}
            assert bloquants <= ({"complement_attendu"} if dossier.statut == "complements_demandes" else set()), dossier.titre
            assert dossier.numero.startswith(f"AAP-{dossier.campagne.annee}-976-")
            assert dossier.dernier_depot.accuse is not None
    koungou_2022 = next(
        d for d in dossiers if d.campagne_id == contexte.campagne_2022.id and d.structure.statut_juridique == "collectivite"
    )
    assert [d.rang for d in koungou_2022.depots] == [1, 2]
    assert koungou_2022.depots[0].depose_le.year == 2022
    assert any(d.structure.emergente and d.avis_ctn == "favorable" for d in dossiers)
    assert "porteur3@exemple.fr" in contexte.comptes
