"""Who sees and does what, page by page and in the API: a structure sees only its own conventions, payments and
reports; agents their service's; the national role reads everything and changes nothing; COPIL members see none.
Someone else's object answers 404."""

import pytest

from conventions import lecture

from .conftest import texte
from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture : documents d'une page)


@pytest.fixture
def monde(fab, acteurs, documents_rapides):  # noqa: F811
    structure_a = acteurs["porteur_a"].structure
    decision = fab.decision(
        dossier=fab.dossier_pour_copil(structure=structure_a, campagne=fab.campagne(service=structure_a.service, etat="cloturee"))
    )
    convention = fab.convention(decision=decision, par=acteurs["agent"], signee=True)
    return {"convention": convention, "bilan": convention.premiere.bilans[0], "versement": convention.premiere.avance}


LIRE = ["porteur_a", "agent", "admin", "national"]


def pages(m):
    c, b = m["convention"], m["bilan"]
    return {
        "convention": f"/conventions/{c.id}",
        "pdf": f"/conventions/{c.id}/annees/1/pdf",
        "scan": f"/conventions/{c.id}/annees/1/exemplaire-signe",
        "bilan": f"/conventions/{c.id}/bilans/{b.id}",
    }


ATTENDU = {
    "porteur_a": 200,
    "agent": 200,
    "admin": 200,
    "national": 200,
    "porteur_b": 404,
    "agent_autre_service": 404,
    "copil": 403,
}


# Une seule convention (documents compris) sert à toute la table : chaque acteur a son propre client.
def test_pages_d_une_convention(client_de, acteurs, monde):
    for acteur, statut in ATTENDU.items():
        client = client_de(acteurs[acteur])
        for nom, adresse in pages(monde).items():
            assert client.get(adresse).status_code == statut, (nom, acteur)
        liste = client.get("/conventions/")
        if acteur == "copil":
            assert liste.status_code == 403
        else:
            assert (monde["convention"].numero in texte(liste)) == (acteur in LIRE), acteur


TABLEAU = {
    "porteur_a": (403, 403),
    "copil": (403, 403),
    "agent": (200, 200),
    "national": (200, 200),
    "agent_autre_service": (200, 404),
}


def test_tableau_de_bord_et_renouvellement_reserves_a_la_deets(client_de, acteurs, monde):
    for acteur, (tableau, renouvellement) in TABLEAU.items():
        client = client_de(acteurs[acteur])
        page = client.get("/conventions/tableau-de-bord")
        assert page.status_code == tableau, acteur
        assert client.get(f"/conventions/{monde['convention'].id}/renouvellement").status_code == renouvellement, acteur
        if acteur == "agent_autre_service":
            assert monde["convention"].numero not in texte(page)


def test_sans_connexion_on_est_renvoye_a_la_connexion(client, monde):
    for adresse in pages(monde).values():
        reponse = client.get(adresse)
        assert reponse.status_code == 302 and "/connexion" in reponse.headers["Location"]


def test_seuls_les_agents_du_service_changent_les_versements_et_seule_la_structure_ses_bilans(client_de, acteurs, monde):
    c, v, b = monde["convention"], monde["versement"], monde["bilan"]
    for acteur, statut in {"porteur_a": 403, "national": 403, "copil": 403, "agent_autre_service": 404, "porteur_b": 403}.items():
        reponse = client_de(acteurs[acteur]).post(
            f"/conventions/{c.id}/versements/{v.id}/paiement",
            data={"paye_le": "2026-01-01", "reference": "X", "version": str(v.version)},
        )
        assert reponse.status_code == statut, acteur
    assert lecture.charger(c.id).premiere.avance.etat == "a_payer"
    for acteur, statut in {"agent": 403, "national": 403, "porteur_b": 404, "copil": 403}.items():
        reponse = client_de(acteurs[acteur]).post(f"/conventions/{c.id}/bilans/{b.id}", data={"action": "brouillon"})
        assert reponse.status_code == statut, acteur


API = {
    "porteur_a": (200, 200, 200, 403),
    "agent": (200, 200, 200, 200),
    "national": (200, 200, 200, 200),
    "porteur_b": (404, 404, 200, 403),
    "agent_autre_service": (404, 404, 200, 200),
    "copil": (403, 403, 403, 403),
}


def test_api_par_role(app, fab, acteurs, monde):
    for acteur, attendu in API.items():
        _api(app, fab, acteurs, monde, acteur, attendu)


def _api(app, fab, acteurs, monde, acteur, attendu):
    jeton, _ = fab.jeton(acteurs[acteur])
    entetes = {"Authorization": f"Bearer {jeton}"}
    client = app.test_client()
    c, b = monde["convention"], monde["bilan"]
    assert client.get(f"/api/v1/conventions/{c.id}", headers=entetes).status_code == attendu[0]
    assert client.get(f"/api/v1/bilans/{b.id}", headers=entetes).status_code == attendu[1]
    liste = client.get("/api/v1/conventions", headers=entetes)
    assert liste.status_code == attendu[2]
    if liste.status_code == 200:
        assert (c.id in [e["id"] for e in liste.json["elements"]]) == (attendu[0] == 200)
        versements = client.get("/api/v1/versements", headers=entetes).json
        assert (monde["versement"].id in [v["id"] for v in versements]) == (attendu[0] == 200)
    assert client.get("/api/v1/tableau-de-bord", headers=entetes).status_code == attendu[3]
    reponse = client.post(
        f"/api/v1/versements/{monde['versement'].id}/paiement", headers=entetes, json={"paye_le": "2026-01-01", "reference": "X"}
    )
    assert reponse.status_code in ({403, 404} if acteur != "agent" else {422})
    assert reponse.json["errors"][0]["message"]  # l'agent : la date est antérieure au déclenchement, en français
