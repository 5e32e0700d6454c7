"""Who may do what on dossiers, pieces, receipts and structures, by page, API and guessed URL.

Someone else's object answers 404 (never 403: its existence is not revealed); a role that never may do
an action answers 403; an anonymous visitor is sent to the login page (pages) or gets 401 (API).
"""

import io

import pytest
from sqlalchemy import func, select

from aap.extensions import db
from aap.models import EntreeJournal
from candidatures.models import Dossier

from . import contenus
from .conftest import ClientIsole, connecter

ACTEURS = ["anonyme", "porteur_a", "porteur_b", "copil", "agent", "agent_autre_service", "admin", "national"]


@pytest.fixture
def monde(fab, acteurs):
    """Structure A (its filed dossier, its draft, a standing document) and structure B, same service."""
    service = acteurs["agent"].service
    structure_a = fab.structure_complete(service=service)
    structure_b = fab.structure_complete(service=service)
    for nom, structure in (("porteur_a", structure_a), ("porteur_b", structure_b)):
        acteurs[nom].structure_id = structure.id
    db.session.flush()
    db.session.expire_all()
    depose = fab.dossier(statut="depose", structure=structure_a, porteur=acteurs["porteur_a"])
    brouillon = fab.dossier(statut="brouillon", structure=structure_a, porteur=acteurs["porteur_a"], titre="Brouillon de A")
    document = fab.document(structure_a, par=acteurs["porteur_a"])
    db.session.commit()
    return {
        "depose": depose.id,
        "brouillon": brouillon.id,
        "piece": depose.pieces_courantes[0].id,
        "piece_brouillon": brouillon.pieces_courantes[0].id,
        "structure": structure_a.id,
        "document": document.id,
        "version": brouillon.version,
    }


def clients(app, fab, acteurs):
    """A logged-in client and an API token per actor."""
    app.test_client_class = ClientIsole
    resultat = {}
    for nom in ACTEURS:
        client = app.test_client()
        jeton = None
        if acteurs[nom] is not None:
            connecter(client, acteurs[nom])
            jeton, _ = fab.jeton(acteurs[nom])
        resultat[nom] = (client, jeton)
    db.session.commit()
    return resultat


# (méthode, adresse, données, attendu par acteur dans l'ordre d'ACTEURS)
PAGES = [
    ("GET", "/dossiers/{depose}", None, [302, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/dossiers/{brouillon}", None, [302, 200, 404, 404, 404, 404, 404, 404]),
    ("GET", "/dossiers/{brouillon}/etapes/budget", None, [302, 200, 404, 403, 403, 403, 403, 403]),
    ("GET", "/dossiers/{brouillon}/etapes/pieces", None, [302, 200, 404, 403, 403, 403, 403, 403]),
    ("GET", "/dossiers/{brouillon}/depot", None, [302, 200, 404, 403, 403, 403, 403, 403]),
    ("GET", "/dossiers/{brouillon}/controles", None, [302, 200, 404, 403, 403, 403, 403, 403]),
    ("GET", "/dossiers/{depose}/pieces/{piece}", None, [302, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/dossiers/{brouillon}/pieces/{piece_brouillon}", None, [302, 200, 404, 404, 404, 404, 404, 404]),
    ("GET", "/dossiers/{depose}/pieces/{piece_brouillon}", None, [302, 404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/dossiers/{depose}/depots/1/accuse.pdf", None, [302, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/dossiers/{depose}/depots/1", None, [302, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/dossiers/{depose}/depots/2", None, [302, 404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/structures/{structure}/documents/{document}", None, [302, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/structures/{structure}", None, [302, 403, 403, 403, 200, 404, 200, 200]),
    ("GET", "/dossiers/", None, [302, 200, 200, 403, 200, 200, 200, 200]),
    ("GET", "/dossiers/export.xlsx", None, [302, 403, 403, 403, 200, 200, 200, 200]),
    ("GET", "/structure", None, [302, 200, 200, 403, 403, 403, 403, 403]),
    ("GET", "/dossiers/999999", None, [302, 404, 404, 404, 404, 404, 404, 404]),
    (
        "POST",
        "/dossiers/{brouillon}/etapes/projet",
        {"titre": "Piraté", "version": "{version}"},
        [302, None, 404, 403, 403, 403, 403, 403],
    ),
    ("POST", "/dossiers/{brouillon}/depot", {"version": "{version}"}, [302, None, 404, 403, 403, 403, 403, 403]),
    ("POST", "/dossiers/{brouillon}/pieces/{piece_brouillon}/retirer", {}, [302, None, 404, 403, 403, 403, 403, 403]),
    ("POST", "/dossiers/{depose}/recevable", {"recevable_le": "2000-01-01"}, [302, 403, 403, 403, None, 404, None, 403]),
    ("POST", "/dossiers/{depose}/irrecevable", {"motif": "Piraté"}, [302, 403, 403, 403, None, 404, None, 403]),
    ("POST", "/dossiers/{brouillon}/recevable", {"recevable_le": "2000-01-01"}, [302, 403, 403, 403, 404, 404, 404, 403]),
    ("POST", "/structures/{structure}/documents/{document}", {}, [405] * 8),
]

API = [
    ("GET", "/api/v1/dossiers/{depose}", None, [401, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/api/v1/dossiers/{brouillon}", None, [401, 200, 404, 404, 404, 404, 404, 404]),
    ("GET", "/api/v1/dossiers/{brouillon}/budget", None, [401, 200, 404, 404, 404, 404, 404, 404]),
    ("GET", "/api/v1/dossiers/{depose}/controles", None, [401, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/api/v1/dossiers/{depose}/pieces", None, [401, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/api/v1/dossiers/{depose}/pieces/{piece}/fichier", None, [401, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/api/v1/dossiers/{depose}/pieces/{piece_brouillon}/fichier", None, [401, 404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/api/v1/dossiers/{depose}/depots/1/accuse", None, [401, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/api/v1/dossiers/{depose}/historique", None, [401, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/api/v1/structures/{structure}", None, [401, 200, 404, 404, 200, 404, 200, 200]),
    ("GET", "/api/v1/dossiers", None, [401, 200, 200, 403, 200, 200, 200, 200]),
    (
        "PATCH",
        "/api/v1/dossiers/{brouillon}",
        {"version": "{version}", "titre": "Piraté"},
        [401, None, 404, 403, 403, 403, 403, 403],
    ),
    ("PATCH", "/api/v1/dossiers/{depose}", {"version": 1, "titre": "Piraté"}, [401, 422, 404, 403, 403, 403, 403, 403]),
    (
        "PUT",
        "/api/v1/dossiers/{brouillon}/budget",
        {"version": "{version}", "lignes": {}},
        [401, None, 404, 403, 403, 403, 403, 403],
    ),
    ("POST", "/api/v1/dossiers/{brouillon}/depot", {"version": "{version}"}, [401, None, 404, 403, 403, 403, 403, 403]),
    ("DELETE", "/api/v1/dossiers/{brouillon}/pieces/{piece_brouillon}", None, [401, None, 404, 403, 403, 403, 403, 403]),
    ("PATCH", "/api/v1/structures/{structure}", {"raison_sociale": "Piratée"}, [401, None, 404, 403, 403, 403, 403, 403]),
    (
        "POST",
        "/api/v1/dossiers/{depose}/decisions",
        {"decision": "irrecevable", "motif": "Piraté"},
        [401, 403, 403, 403, None, 404, None, 403],
    ),
    ("PUT", "/api/v1/dossiers/{depose}/avis-ctn", {"avis": "favorable"}, [401, 403, 403, 403, None, 404, None, 403]),
]


def _remplir(valeur, ids):
    if isinstance(valeur, str):
        return valeur.format(**ids) if "{" in valeur else valeur
    if isinstance(valeur, dict):
        return {k: _remplir(v, ids) for k, v in valeur.items()}
    return valeur


def _etat(dossier_id):
    dossier = db.session.get(Dossier, dossier_id)
    db.session.refresh(dossier)
    return (dossier.titre, dossier.statut, dossier.version, len(dossier.pieces_courantes))


def _verifier(sessions, monde, methode, adresse, donnees, attendus, api):
    url = adresse.format(**monde)
    for nom, attendu in zip(ACTEURS, attendus, strict=True):
        if attendu is None:
            continue  # l'acteur autorisé : ses actions sont éprouvées par les tests du parcours
        client, jeton = sessions[nom]
        corps = _remplir(donnees, monde)
        if api:
            if isinstance(corps, dict) and "version" in corps:
                corps["version"] = int(corps["version"])
            entetes = {"Authorization": f"Bearer {jeton}"} if jeton else {}
            reponse = client.open(url, method=methode, json=corps, headers=entetes)
        else:
            reponse = client.open(url, method=methode, data=corps)
        assert reponse.status_code == attendu, f"{nom} {methode} {url} : {reponse.get_data(as_text=True)[:200]}"
        if reponse.status_code == 302:
            assert "/connexion" in reponse.headers["Location"]
        if api and attendu >= 400:
            assert reponse.json["errors"][0]["message"]
            assert "Brouillon de A" not in reponse.get_data(as_text=True)


def _lectures(routes):
    return [r for r in routes if r[0] == "GET"]


def _ecritures(routes):
    return [r for r in routes if r[0] != "GET"]


def test_pages_en_lecture(app, fab, acteurs, monde):
    sessions = clients(app, fab, acteurs)
    for route in _lectures(PAGES):
        _verifier(sessions, monde, *route, api=False)


def test_api_en_lecture(app, fab, acteurs, monde):
    sessions = clients(app, fab, acteurs)
    for route in _lectures(API):
        _verifier(sessions, monde, *route, api=True)


@pytest.mark.parametrize("route", _ecritures(PAGES), ids=[f"{m} {a}" for m, a, *_ in _ecritures(PAGES)])
def test_pages_en_ecriture_sans_effet_pour_qui_n_a_pas_le_droit(app, fab, acteurs, monde, route):
    sessions = clients(app, fab, acteurs)
    avant = {d: _etat(monde[d]) for d in ("depose", "brouillon")}
    _verifier(sessions, monde, *route, api=False)
    assert {d: _etat(monde[d]) for d in ("depose", "brouillon")} == avant


@pytest.mark.parametrize("route", _ecritures(API), ids=[f"{m} {a}" for m, a, *_ in _ecritures(API)])
def test_api_en_ecriture_sans_effet_pour_qui_n_a_pas_le_droit(app, fab, acteurs, monde, route):
    sessions = clients(app, fab, acteurs)
    avant = {d: _etat(monde[d]) for d in ("depose", "brouillon")}
    _verifier(sessions, monde, *route, api=True)
    assert {d: _etat(monde[d]) for d in ("depose", "brouillon")} == avant


def test_les_listes_ne_devoilent_rien(app, fab, acteurs, monde):
    sessions = clients(app, fab, acteurs)
    client_b, jeton_b = sessions["porteur_b"]
    assert "Brouillon de A" not in client_b.get("/dossiers/").get_data(as_text=True)
    liste = client_b.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {jeton_b}"}).json
    assert liste["total"] == 0
    client_autre, jeton_autre = sessions["agent_autre_service"]
    assert client_autre.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {jeton_autre}"}).json["total"] == 0
    classeur = client_autre.get("/dossiers/export.xlsx").data
    import openpyxl

    assert openpyxl.load_workbook(io.BytesIO(classeur)).active.max_row == 1  # l'en-tête seul
    client_agent, _ = sessions["agent"]
    assert "Brouillon de A" not in client_agent.get("/dossiers/?q=Brouillon").get_data(as_text=True)


def test_un_porteur_ne_depose_pas_de_piece_dans_le_dossier_d_un_autre(app, fab, acteurs, monde):
    sessions = clients(app, fab, acteurs)
    client_b, jeton_b = sessions["porteur_b"]
    avant = db.session.scalar(select(func.count(EntreeJournal.id)))
    reponse = client_b.post(
        f"/dossiers/{monde['brouillon']}/pieces",
        data={"code": "autre", "libelle": "Intrus", "fichier": (io.BytesIO(contenus.pdf()), "intrus.pdf")},
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 404
    reponse = client_b.post(
        f"/api/v1/dossiers/{monde['brouillon']}/pieces",
        headers={"Authorization": f"Bearer {jeton_b}"},
        data={"code": "autre", "libelle": "Intrus", "fichier": (io.BytesIO(contenus.pdf()), "intrus.pdf")},
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 404
    assert db.session.scalar(select(func.count(EntreeJournal.id))) == avant


def test_un_porteur_en_attente_de_rattachement_ne_voit_rien(app, fab, monde, client_de):
    structure_a = db.session.get(Dossier, monde["depose"]).structure
    en_attente = fab.utilisateur("porteur", structure=structure_a, rattachement_valide=False)
    session = client_de(en_attente)
    assert session.get(f"/dossiers/{monde['depose']}").status_code == 404
    assert "Rattachement en attente" in session.get("/dossiers/").get_data(as_text=True)
    assert session.get(f"/dossiers/{monde['depose']}/pieces/{monde['piece']}").status_code == 404
