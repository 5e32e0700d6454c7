"""A filed dossier is judged on what was filed (AAP §B.2-3 cap, §C.1 comité technique, annexe 2 findings), never on
the structure's profile as edited afterwards; a draft follows the profile. Documents and open data name the
beneficiary as at signature."""

from datetime import date
from decimal import Decimal

import pytest

from aap.erreurs import Refus
from aap.extensions import db
from candidatures import instruction, structures
from candidatures.synthese import controles_dossier, taux_plafond
from conventions import donnees_ouvertes, lecture
from notation import operations as notation

from .conftest import texte
from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture)

D = Decimal

CHANGEMENTS = [
    pytest.param({"emergente": False}, id="decoche-emergente"),
    pytest.param({"statut_juridique": "collectivite"}, id="devient-collectivite"),
    pytest.param({"statut_juridique": "autre", "soumise_cac": True}, id="statut-autre"),
    pytest.param({"adresse": "", "representant_nom": ""}, id="profil-vide"),
    pytest.param({"etp_facilitateurs_existants": "3"}, id="etp-existants"),
]


def _jugement(dossier):
    dossier = db.session.get(type(dossier), dossier.id)
    db.session.refresh(dossier)
    return (
        [(c.code, c.message) for c in controles_dossier(dossier, calendrier=False)],
        taux_plafond(dossier),
        dossier.profil.emergente,
        dossier.pret_pour_copil,
    )


@pytest.mark.parametrize("changement", CHANGEMENTS)
def test_le_profil_modifie_apres_le_depot_ne_change_pas_le_jugement(fab, changement):
    structure = fab.structure_complete(emergente=True)
    dossier = fab.dossier(statut="depose", structure=structure)
    instruction.declarer_recevable(dossier, par=fab.agent_de(structure.service))
    db.session.commit()
    avant = _jugement(dossier)
    assert avant[1] == D("0.70") and avant[2] is True and avant[3] is False  # émergente : avis du comité attendu

    assert structures.modifier_structure(structure, changement, par=fab.porteur_de(structure))
    db.session.commit()
    assert _jugement(dossier) == avant
    # Décocher « émergente » n'ouvre pas l'ordre du jour du COPIL sans l'avis du comité technique national.
    seance = fab.seance(campagne=dossier.campagne)
    with pytest.raises(Refus) as refus:
        notation.inscrire(seance, dossier, par=fab.agent_de(structure.service))
    assert refus.value.code == "avis_ctn_manquant"


def test_un_brouillon_suit_le_profil(fab):
    structure = fab.structure_complete(statut_juridique="association")
    dossier = fab.dossier(statut="brouillon", structure=structure)
    assert taux_plafond(dossier) == D("0.70")
    structures.modifier_structure(structure, {"statut_juridique": "collectivite"}, par=fab.porteur_de(structure))
    db.session.commit()
    assert taux_plafond(db.session.get(type(dossier), dossier.id)) == D("0.80")


def test_la_synthese_du_copil_montre_le_profil_depose(fab, client_de):
    structure = fab.structure_complete(raison_sociale="Association Mlézi")
    dossier = fab.dossier(statut="recevable", structure=structure)
    structures.modifier_structure(structure, {"emergente": True}, par=fab.porteur_de(structure))
    seance = fab.seance(campagne=dossier.campagne, dossiers=[dossier])
    db.session.commit()
    page = texte(client_de(fab.agent_de(structure.service)).get(f"/copil/seances/{seance.id}/dossiers/{dossier.id}"))
    assert "Association Mlézi — Association" in page and "<strong>émergente</strong>" not in page
    assert "1,0 ETP de facilitateur, 0,0 ETP de coordinateur régional" in page
    assert "avec le projet : 2,0 ETP (+1,0)" in page
    assert "facilitateurs 18 000,00 € (18 000,00 € l'année précédente)" in page.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.usefixtures("documents_rapides")
def test_documents_et_donnees_ouvertes_nomment_le_beneficiaire_a_la_signature(fab):
    convention = fab.convention(signee=True, montant_accorde=D("35000.00"))
    structure = convention.structure
    nom_signe = structure.raison_sociale
    structures.modifier_structure(structure, {"raison_sociale": "Nouveau nom après signature"}, par=fab.porteur_de(structure))
    db.session.commit()
    convention = lecture.charger(convention.id)
    assert convention.beneficiaire.raison_sociale == nom_signe
    (ligne,) = donnees_ouvertes.lignes_scdl([convention])
    assert ligne["nomBeneficiaire"] == nom_signe and ligne["idBeneficiaire"] == structure.siret
    from conventions import documents

    assert nom_signe in documents.contenu(convention.premiere).parties[1]
    assert date.today() >= convention.signee_le
