"""Who may open what of a COPIL session, by page and by API: one table per channel, every actor.

Objects of others answer 404 (a member of another session, an agent of another service, a member recused
on the dossier); a porteur never sees any COPIL page (403 on the role); nobody sees another member's
scores before submitting his own.
"""

import pytest

from notation.models import Phase

from .conftest import connecter, texte

ACTEURS = [
    "anonyme",
    "porteur_a",
    "porteur_b",
    "membre",
    "membre_deporte",
    "copil_autre_seance",
    "agent",
    "agent_autre_service",
    "admin",
    "national",
]


@pytest.fixture
def monde(fab):
    """A session in deliberation: `membre` presides and has scored the dossier; `membre_deporte` is recused on it."""
    service = fab.service()
    autre_service = fab.service(code="974", nom="DEETS de La Réunion")
    campagne = fab.campagne(service=service, etat="cloturee")
    structure_a = fab.structure_complete(service=service)
    porteur_a = fab.porteur_de(structure_a)
    dossier = fab.dossier(statut="recevable", campagne=campagne, structure=structure_a)
    membre = fab.utilisateur("copil", service=service)
    deporte = fab.utilisateur("copil", service=service)
    seance = fab.seance(
        campagne=campagne, membres=[membre, deporte], president=membre, dossiers=[dossier], phase=Phase.DELIBERATION
    )
    fab.feuille(seance, dossier, membre, commentaires={"experience": "Commentaire confidentiel du membre"})
    fab.declaration(seance, dossier, deporte, conflit=True)
    autre = fab.utilisateur("copil", service=service)
    fab.seance(campagne=campagne, membres=[autre], dossiers=1)
    piece = dossier.pieces_courantes[0]
    fab.session.commit()
    acteurs = {
        "anonyme": None,
        "porteur_a": porteur_a,
        "porteur_b": fab.utilisateur("porteur", service=service),
        "membre": membre,
        "membre_deporte": deporte,
        "copil_autre_seance": autre,
        "agent": fab.utilisateur("agent", service=service),
        "agent_autre_service": fab.utilisateur("agent", service=autre_service),
        "admin": fab.utilisateur("admin", service=service),
        "national": fab.utilisateur("national"),
    }
    return {"seance": seance, "dossier": dossier, "piece": piece, "acteurs": acteurs}


def _ligne(anonyme, porteur, membre, deporte, autre, agent, agent_autre, admin, national):
    return dict(
        zip(ACTEURS, [anonyme, porteur, porteur, membre, deporte, autre, agent, agent_autre, admin, national], strict=True)
    )


# 302 : vers la connexion ; 403 : rôle sans accès au domaine ; 404 : objet d'un autre.
PAGES = {
    "/copil/": _ligne(302, 403, 200, 200, 200, 200, 200, 200, 200),
    "/copil/seances/nouvelle": _ligne(302, 403, 403, 403, 403, 200, 200, 200, 403),
    "/copil/seances/{s}": _ligne(302, 403, 200, 200, 404, 200, 404, 200, 200),
    "/copil/seances/{s}/modifier": _ligne(302, 403, 403, 403, 403, 409, 404, 409, 403),
    "/copil/seances/{s}/classement": _ligne(302, 403, 200, 200, 404, 200, 404, 200, 200),
    "/copil/seances/{s}/dossiers/{d}": _ligne(302, 403, 200, 404, 404, 200, 404, 200, 200),
    "/copil/seances/{s}/dossiers/{d}/notes": _ligne(302, 403, 200, 404, 404, 200, 404, 200, 200),
    "/copil/seances/{s}/dossiers/{d}/declaration": _ligne(302, 403, 200, 200, 404, 404, 404, 404, 404),
    "/copil/seances/{s}/dossiers/{d}/decision": _ligne(302, 403, 200, 404, 404, 403, 404, 403, 403),
    "/copil/seances/{s}/dossiers/{d}/pieces/{p}": _ligne(302, 403, 200, 404, 404, 200, 404, 200, 200),
    "/copil/seances/{s}/proces-verbal.pdf": _ligne(302, 403, 404, 404, 404, 404, 404, 404, 404),
    "/copil/seances/{s}/dossiers/{d}/lettre.pdf": _ligne(302, 403, 404, 404, 404, 404, 404, 404, 404),
}


@pytest.mark.parametrize("route", list(PAGES))
def test_pages_par_acteur(app, monde, route):
    url = route.format(s=monde["seance"].id, d=monde["dossier"].id, p=monde["piece"].id)
    for acteur, statut in PAGES[route].items():
        client = app.test_client()
        if monde["acteurs"][acteur] is not None:
            connecter(client, monde["acteurs"][acteur])
        reponse = client.get(url)
        assert reponse.status_code == statut, f"{acteur} sur {url} : {reponse.status_code}"
        if statut == 200 and acteur == "membre_deporte":
            assert "Commentaire confidentiel" not in texte(reponse)


API = {
    "/api/v1/seances": _ligne(401, 403, 200, 200, 200, 200, 200, 200, 200),
    "/api/v1/seances/{s}": _ligne(401, 403, 200, 200, 404, 200, 404, 200, 200),
    "/api/v1/seances/{s}/ordre-du-jour": _ligne(401, 403, 200, 200, 404, 200, 404, 200, 200),
    "/api/v1/seances/{s}/classement": _ligne(401, 403, 200, 200, 404, 200, 404, 200, 200),
    "/api/v1/seances/{s}/decisions": _ligne(401, 403, 200, 200, 404, 200, 404, 200, 200),
    "/api/v1/seances/{s}/documents": _ligne(401, 403, 200, 200, 404, 200, 404, 200, 200),
    "/api/v1/seances/{s}/dossiers/{d}/notes": _ligne(401, 403, 200, 404, 404, 200, 404, 200, 200),
    "/api/v1/seances/{s}/dossiers/{d}/ma-feuille": _ligne(401, 403, 200, 404, 404, 404, 404, 404, 404),
    "/api/v1/seances/{s}/dossiers/{d}/declaration": _ligne(401, 403, 200, 200, 404, 404, 404, 404, 404),
    "/api/v1/seances/{s}/proces-verbal": _ligne(401, 403, 404, 404, 404, 404, 404, 404, 404),
}


@pytest.mark.parametrize("route", list(API))
def test_api_par_acteur(app, fab, monde, route):
    url = route.format(s=monde["seance"].id, d=monde["dossier"].id)
    for acteur, statut in API[route].items():
        personne = monde["acteurs"][acteur]
        entetes = {"Authorization": f"Bearer {fab.jeton(personne)[0]}"} if personne else {}
        reponse = app.test_client().get(url, headers=entetes)
        assert reponse.status_code == statut, f"{acteur} sur {url} : {reponse.status_code} {reponse.get_data(True)[:300]}"
        if statut >= 400:
            assert set(reponse.json) == {"errors"}
        if statut == 200 and acteur == "membre_deporte":
            assert "Commentaire confidentiel" not in reponse.get_data(as_text=True)


def test_le_deporte_voit_le_classement_sans_les_notes_du_dossier(app, fab, monde):
    deporte, dossier = monde["acteurs"]["membre_deporte"], monde["dossier"]
    jeton = fab.jeton(deporte)[0]
    corps = (
        app.test_client()
        .get(f"/api/v1/seances/{monde['seance'].id}/classement", headers={"Authorization": f"Bearer {jeton}"})
        .json
    )
    (ligne,) = corps["lignes"]
    assert ligne["dossier_id"] == dossier.id and ligne["masque"] is True
    assert ligne["moyenne"] is None and ligne["rang"] is None and ligne["cumul"] is None
    client = app.test_client()
    connecter(client, deporte)
    page = texte(client.get(f"/copil/seances/{monde['seance'].id}/classement"))
    assert "Vous êtes déporté : notes masquées" in page


def test_les_listes_ne_montrent_que_ses_seances(app, fab, monde):
    autre = monde["acteurs"]["copil_autre_seance"]
    client = app.test_client()
    connecter(client, autre)
    assert f'/copil/seances/{monde["seance"].id}"' not in texte(client.get("/copil/"))
    jeton = fab.jeton(autre)[0]
    ids = [
        s["id"] for s in app.test_client().get("/api/v1/seances", headers={"Authorization": f"Bearer {jeton}"}).json["elements"]
    ]
    assert monde["seance"].id not in ids and len(ids) == 1
    jeton = fab.jeton(monde["acteurs"]["agent_autre_service"])[0]
    assert app.test_client().get("/api/v1/seances", headers={"Authorization": f"Bearer {jeton}"}).json["total"] == 0
    jeton = fab.jeton(monde["acteurs"]["national"])[0]
    assert app.test_client().get("/api/v1/seances", headers={"Authorization": f"Bearer {jeton}"}).json["total"] == 2


def test_un_membre_qui_n_a_pas_declare_ne_voit_pas_les_notes_du_dossier(app, fab, monde):
    from notation.models import MembreSeance

    seance = monde["seance"]
    nouveau = fab.utilisateur("copil", service=seance.service)
    seance.membres.append(MembreSeance(utilisateur_id=nouveau.id))
    fab.session.commit()
    client = app.test_client()
    connecter(client, nouveau)
    page = texte(client.get(f"/copil/seances/{seance.id}/classement"))
    assert "Déclarez vos intérêts pour voir les notes" in page
    reponse = client.get(f"/copil/seances/{seance.id}/dossiers/{monde['dossier'].id}/notes")
    assert reponse.status_code == 302 and reponse.headers["Location"].endswith("/declaration")
