"""The simulator of a campaign's public page, before any account: the State's maximum, the rate, whether the
project passes and the pieces it will need — judged by the dossier's own rules (`candidatures.regles`) — without
JavaScript (a GET form); its figures seed the first dossier created from the same browser."""

import re
from decimal import Decimal

import pytest

from aap.extensions import db
from candidatures.constats import CONSTATS_SIMULES, budget_simule
from candidatures.models import Dossier
from candidatures.synthese import controles_dossier

from .conftest import connecter, texte

BASE = {"statut_juridique": "association", "etp_facilitateur": "1", "etp_coordinateur": "0", "cout": "42 000"}


def simuler(client, campagne, **champs):
    return client.get(f"/campagnes/{campagne.id}/simulation", query_string=BASE | champs)


def valeur(page, ident):
    return re.sub(r"<[^>]+>", "", page.split(f'id="{ident}">')[1].split("</dd>")[0]).strip()


@pytest.mark.parametrize(
    ("statut", "collectivites", "part", "passe"),
    [
        ("association", "12 600", "29\u202f400,00\xa0€ (70\u202f% du coût)", True),  # au plafond : permis
        ("association", "12 599,99", "29\u202f400,01\xa0€ (70\u202f% du coût)", False),  # un centime au-dessus
        ("collectivite", "8 400", "33\u202f600,00\xa0€ (80\u202f% du coût)", True),  # §B.2-3 : 80 % pour elles
    ],
)
def test_la_part_de_l_etat_est_jugee_au_centime_comme_dans_le_dossier(client, fab, statut, collectivites, part, passe):
    campagne = fab.campagne()
    reponse = simuler(client, campagne, statut_juridique=statut, collectivites=collectivites)
    page = texte(reponse)
    assert reponse.status_code == 200 and valeur(page, "part-simulee") == part
    plafond = "29\u202f400,00\xa0€ (70\u202f% du coût)" if statut == "association" else "33\u202f600,00\xa0€ (80\u202f% du coût)"
    assert valeur(page, "plafond-simule") == plafond
    assert ("respecte les règles de financement" in page) is passe
    if not passe:
        assert "dépasse de 0,01\xa0€ le plafond de 70\u202f%" in page


def test_les_constats_sont_ceux_du_dossier_aux_memes_chiffres(client, fab):
    """No rule written twice: a dossier with the simulated posts and budget gets the same findings on them."""
    dossier = fab.dossier(statut="brouillon", complet=False)
    campagne = dossier.campagne
    page = texte(simuler(client, campagne, etp_facilitateur="0,3", cout="30 000", fse="1 000"))
    simules = re.findall(r"<li><strong>Bloquant :</strong> (.*?)</li>", page.split('id="constats-simulation"')[1])
    from candidatures import operations

    budget = budget_simule(Decimal("30000"), {"fse": Decimal("1000")})
    valeurs = {"etp_facilitateur": Decimal("0.3"), "budget": {c: ("", m) for c, m in budget.items()}}
    operations.modifier(dossier, valeurs, par=fab.porteur_de(dossier.structure))
    db.session.commit()
    attendus = [c.message for c in controles_dossier(dossier) if c.bloquant and c.code in CONSTATS_SIMULES]
    assert simules == attendus and any("0,5 ETP" in m for m in simules)


def test_les_pieces_dependent_du_statut_et_des_postes(client, fab):
    campagne = fab.campagne()
    emergente = texte(simuler(client, campagne, emergente="y", etp_coordinateur="1", etp_facilitateur="0"))
    existante = texte(simuler(client, campagne))
    libelles = {p.condition: p.libelle for p in campagne.pieces}
    if "coordinateur_emergente" in libelles:
        assert libelles["coordinateur_emergente"] in emergente.split('id="pieces-simulation"')[1].split("</ul>")[0]
        assert libelles["coordinateur_emergente"] not in existante.split('id="pieces-simulation"')[1].split("</ul>")[0]
    # Annexe 2 : l'état de financement des ETP existants est demandé à chaque candidat, émergent compris.
    financement = next(p.libelle for p in campagne.pieces if p.code == "budget_etp_existants")
    assert all(financement in page.split('id="pieces-simulation"')[1].split("</ul>")[0] for page in (emergente, existante))


def test_une_saisie_invalide_revient_avec_ses_valeurs_et_ses_erreurs(client, fab):
    campagne = fab.campagne()
    reponse = simuler(client, campagne, etp_facilitateur="0,55", cout="quarante mille")
    page = texte(reponse)
    assert reponse.status_code == 422 and 'id="resume-erreurs"' in page
    assert 'value="0,55"' in page and 'value="quarante mille"' in page
    assert "aap_simulation" not in reponse.headers.get("Set-Cookie", "")


def test_la_simulation_amorce_le_dossier_cree_depuis_ce_navigateur(client, fab):
    structure = fab.structure_complete()
    campagne = fab.campagne(service=structure.service)
    porteur = fab.porteur_de(structure)
    db.session.commit()
    simuler(client, campagne, etp_facilitateur="1,5", cout="63 000", collectivites="18 900")  # anonyme
    connecter(client, porteur)
    reponse = client.post("/dossiers/nouveau", data={"campagne_id": campagne.id, "titre": "Projet simulé"})
    assert reponse.status_code == 302 and "aap_simulation=;" in reponse.headers["Set-Cookie"]
    dossier = db.session.query(Dossier).filter_by(titre="Projet simulé").one()
    montants = {ligne.categorie: ligne.montant_annee1 for ligne in dossier.lignes_budget}
    assert dossier.etp_facilitateur == Decimal("1.5")
    assert montants == {"salaires": Decimal("63000.00"), "etat_aap": Decimal("44100.00"), "collectivites": Decimal("18900.00")}
    assert "avec les postes et le budget de votre simulation" in texte(client.get(reponse.headers["Location"]))
    # Une seule fois : le dossier suivant part de zéro.
    client.post("/dossiers/nouveau", data={"campagne_id": campagne.id, "titre": "Second projet"})
    assert db.session.query(Dossier).filter_by(titre="Second projet").one().etp_facilitateur == 0
