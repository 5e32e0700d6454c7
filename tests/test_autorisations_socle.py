"""Who may open the foundation's pages: one table, every actor. (The whole product's table is in the trust issue.)"""

import pytest

from .conftest import connecter

# route → {acteur: statut attendu} ; 302 = renvoyé vers la connexion.
ATTENDU = {
    "/": dict.fromkeys(["anonyme", "porteur_a", "copil", "agent", "admin", "national"], 200),
    "/profil": {"anonyme": 302, "porteur_a": 200, "copil": 200, "agent": 200, "admin": 200, "national": 200},
    "/journal": {"anonyme": 302, "porteur_a": 403, "copil": 403, "agent": 200, "admin": 200, "national": 200},
    "/admin/comptes": {"anonyme": 302, "porteur_a": 403, "copil": 403, "agent": 403, "admin": 200, "national": 403},
    "/dossiers/": {"anonyme": 302, "porteur_a": 200, "copil": 403, "agent": 200, "admin": 200, "national": 200},
    "/copil/": {"anonyme": 302, "porteur_a": 403, "copil": 200, "agent": 200, "admin": 200, "national": 200},
    "/conventions/": {"anonyme": 302, "porteur_a": 200, "copil": 403, "agent": 200, "admin": 200, "national": 200},
}


@pytest.mark.parametrize("route", list(ATTENDU))
def test_acces_par_role(app, acteurs, route):
    for acteur, statut in ATTENDU[route].items():
        client = app.test_client()
        if acteurs[acteur] is not None:
            connecter(client, acteurs[acteur])
        assert client.get(route).status_code == statut, f"{acteur} sur {route}"


def test_compte_d_un_autre_service_introuvable_pour_l_administrateur(app, acteurs):
    client = app.test_client()
    connecter(client, acteurs["admin"])
    assert client.get(f"/admin/comptes/{acteurs['agent_autre_service'].id}").status_code == 404
    assert client.get(f"/admin/comptes/{acteurs['agent'].id}").status_code == 200


@pytest.mark.parametrize(
    ("acteur", "menu"),
    [
        ("porteur_a", ["Mes dossiers", "Ma structure", "Mes conventions", "À faire"]),
        ("copil", ["Séances du COPIL"]),
        ("agent", ["Dossiers", "Séances du COPIL", "Conventions", "À faire", "Journal"]),
        ("admin", ["Dossiers", "Séances du COPIL", "Conventions", "À faire", "Journal", "Campagnes", "Administration"]),
        ("national", ["Dossiers", "Séances du COPIL", "Conventions", "À faire", "Journal"]),
    ],
)
def test_navigation_par_role(app, acteurs, acteur, menu):
    from aap.navigation import menu_pour

    assert [e.libelle for e in menu_pour(acteurs[acteur])] == menu
