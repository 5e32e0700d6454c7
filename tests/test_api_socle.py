"""API foundation: tokens, error format in French, OpenAPI document, scoping of the audit log."""

from datetime import timedelta

from aap.journal import journaliser
from aap.types import maintenant


def entete(jeton):
    return {"Authorization": f"Bearer {jeton}"}


def test_moi_avec_un_jeton(client, fab):
    agent = fab.utilisateur("agent", email="agent.moi@exemple.fr")
    jeton, _ = fab.jeton(agent)
    reponse = client.get("/api/v1/moi", headers=entete(jeton))
    assert reponse.status_code == 200
    assert reponse.json["email"] == "agent.moi@exemple.fr" and reponse.json["role"] == "agent"


def test_sans_jeton_erreur_401_au_format_francais(client):
    reponse = client.get("/api/v1/moi")
    assert reponse.status_code == 401
    [erreur] = reponse.json["errors"]
    assert erreur["code"] == "non_authentifie" and erreur["field"] is None
    assert "jeton" in erreur["message"]


def test_jetons_revoque_expire_ou_compte_desactive_refuses(client, fab):
    agent = fab.utilisateur("agent")
    revoque, _ = fab.jeton(agent, revoque_le=maintenant())
    expire, _ = fab.jeton(agent, expire_le=maintenant() - timedelta(seconds=1))
    desactive = fab.utilisateur("agent", actif=False)
    du_desactive, _ = fab.jeton(desactive)
    for jeton in (revoque, expire, du_desactive, "aap_nimportequoi", ""):
        assert client.get("/api/v1/moi", headers=entete(jeton)).status_code == 401


def test_un_cookie_de_session_n_authentifie_pas_l_api(client_de, fab):
    session = client_de(fab.utilisateur("agent"))
    assert session.get("/profil").status_code == 200
    assert session.get("/api/v1/moi").status_code == 401


def test_erreur_de_validation_par_champ_en_francais(client, fab):
    jeton, _ = fab.jeton(fab.utilisateur("agent"))
    reponse = client.get("/api/v1/journal?page=abc", headers=entete(jeton))
    assert reponse.status_code == 422
    assert reponse.json["errors"] == [{"field": "page", "code": "invalide", "message": "Nombre entier attendu."}]


def test_route_inconnue_de_l_api_404_json(client, fab):
    jeton, _ = fab.jeton(fab.utilisateur("agent"))
    reponse = client.get("/api/v1/inexistant", headers=entete(jeton))
    assert reponse.status_code == 404
    assert reponse.json["errors"][0]["code"] == "introuvable"


def test_le_journal_de_l_api_ne_montre_que_le_service_de_l_agent(client, fab):
    agent = fab.utilisateur("agent")
    ailleurs = fab.utilisateur("agent", service=fab.service(code="974"))
    journaliser("test.ici", agent, par=agent)
    journaliser("test.ailleurs", ailleurs, par=ailleurs)
    jeton, _ = fab.jeton(agent)
    actions = {e["action"] for e in client.get("/api/v1/journal", headers=entete(jeton)).json}
    assert "test.ici" in actions and "test.ailleurs" not in actions
    national, _ = fab.jeton(fab.utilisateur("national"))
    actions = {e["action"] for e in client.get("/api/v1/journal", headers=entete(national)).json}
    assert {"test.ici", "test.ailleurs"} <= actions


def test_un_jeton_ne_donne_jamais_plus_que_le_role(client, fab):
    jeton, _ = fab.jeton(fab.utilisateur("porteur"))
    assert client.get("/api/v1/journal", headers=entete(jeton)).status_code == 403


def test_document_openapi(client):
    reponse = client.get("/api/v1/openapi.json")
    assert reponse.status_code == 200
    spec = reponse.json
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/moi", "/api/v1/journal"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["jeton"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"jeton": []}]


def test_page_lisible_de_la_documentation(client):
    reponse = client.get("/developpeurs/api")
    assert reponse.status_code == 200
    assert "/api/v1/moi" in reponse.text and "Authorization: Bearer" in reponse.text
