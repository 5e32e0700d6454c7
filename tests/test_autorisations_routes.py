"""Every route of the application (pages and API, read from the URL map) called by each of the ten actors of
`tests/table_autorisations.py`, in one world (`tests/monde_autorisations.py`). A route missing from the table
fails, so a new route cannot be forgotten; refusals write nothing; nothing of someone else leaks in lists,
counts, exports, search results or the audit log; tokens never grant more than their user's role.
"""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from flask import url_for
from sqlalchemy import func, select

from aap.extensions import db
from aap.models import EntreeJournal, Utilisateur
from aap.types import maintenant

from . import contenus
from .conftest import connecter
from .monde_autorisations import ACTEURS, COMMENTAIRE_CONFIDENTIEL, TITRE_BROUILLON, construire
from .table_autorisations import PAR_DEFAUT, TABLE, routes_de_la_table

METHODES_IGNOREES = {"HEAD", "OPTIONS"}


def regles_de_l_application(app):
    return {
        (regle.endpoint, methode)
        for regle in app.url_map.iter_rules()
        for methode in regle.methods - METHODES_IGNOREES
    }


def test_chaque_route_de_l_application_est_dans_la_table(app):
    application = regles_de_l_application(app)
    table = routes_de_la_table()
    oubliees = sorted(application - table)
    assert not oubliees, (
        "Routes absentes de tests/table_autorisations.py (ajoutez une ligne par route, avec l'issue attendue "
        f"pour chaque acteur) : {oubliees}"
    )
    assert not sorted(table - application), f"Lignes de la table sans route : {sorted(table - application)}"


@pytest.fixture
def monde(fab):
    return construire(fab)


def _sessions(app, fab, acteurs):
    """Per actor: a logged-in client and an API token (None for the anonymous visitor)."""
    sessions = {}
    for nom in ACTEURS:
        client = app.test_client()
        personne = acteurs[nom]
        jeton = None
        if personne is not None:
            connecter(client, personne)
            jeton, _ = fab.jeton(personne)
        sessions[nom] = (client, jeton)
    db.session.commit()
    return sessions


def _url(app, route, ids):
    valeurs = {}
    for argument in route.arguments(app):
        cle = route.params.get(argument, PAR_DEFAUT[argument])
        valeurs[argument] = ids.get(cle, cle) if isinstance(cle, str) else cle
    with app.test_request_context():
        return url_for(route.endpoint, **valeurs)


def _donnees(route, ids):
    """The row's data, `$cle` replaced by the world's value and `$pdf` by a fresh PDF file."""
    if route.donnees is None:
        return None
    donnees = {}
    for cle, valeur in route.donnees.items():
        if valeur == "$pdf":
            valeur = (io.BytesIO(contenus.pdf()), "piece.pdf")
        elif isinstance(valeur, str) and valeur.startswith("$"):
            valeur = ids[valeur[1:]]
        donnees[cle] = valeur
    return donnees


def _avec_fichier(donnees):
    return any(isinstance(v, tuple) for v in (donnees or {}).values())


def issue(reponse):
    """What an actor got: 'ok' (let in: a page, a file, a redirect, or a refusal of the input itself),
    'connexion' (sent to the login page), or the refusal's status code."""
    statut = reponse.status_code
    if statut == 302 and "/connexion" in reponse.headers["Location"].split("?")[0]:
        return "connexion"
    if statut in (401, 403, 404, 405) or statut >= 500:
        return str(statut)
    return "ok"


def _appeler(app, sessions, route, acteur, ids):
    client, jeton = sessions[acteur]
    url = _url(app, route, ids)
    donnees = _donnees(route, ids)
    if route.api:
        entetes = {"Authorization": f"Bearer {jeton}"} if jeton else {}
        if _avec_fichier(donnees):
            reponse = client.open(url, method=route.methode, data=donnees, headers=entetes)
        else:
            reponse = client.open(url, method=route.methode, json=donnees if route.methode != "GET" else None,
                                  headers=entetes)
    else:
        reponse = client.open(url, method=route.methode, data=donnees)
    return url, reponse


def _verifier_refus(route, acteur, url, reponse):
    """A refusal says nothing of what it refuses: no title, no number, in the French error format for the API."""
    corps = reponse.get_data(as_text=True)
    assert TITRE_BROUILLON not in corps, f"{acteur} {route.methode} {url} : le titre du brouillon fuit"
    if route.api and reponse.status_code in (401, 403, 404):
        assert set(reponse.json) == {"errors"} and reponse.json["errors"][0]["message"], f"{acteur} {url}"


def _comptes_journal():
    return db.session.scalar(select(func.count(EntreeJournal.id)))


def test_chaque_route_pour_chaque_acteur(app, fab, monde):
    acteurs, ids = monde
    sessions = _sessions(app, fab, acteurs)
    ecarts, appels = [], 0

    def constater(route, acteur, attendu):
        nonlocal appels
        url, reponse = _appeler(app, sessions, route, acteur, ids)
        appels += 1
        obtenu = issue(reponse)
        if obtenu != attendu:
            ecarts.append(f"{route.methode} {url} ({route.endpoint}) — {acteur} : attendu {attendu}, obtenu {obtenu}")
        elif attendu != "ok":
            _verifier_refus(route, acteur, url, reponse)

    # 1. Les refus d'abord : ils n'écrivent rien (ni ligne, ni entrée au journal).
    journal_avant = _comptes_journal()
    for route in TABLE:
        for acteur, attendu in route.attendus.items():
            if attendu != "ok":
                constater(route, acteur, attendu)
    assert _comptes_journal() == journal_avant, "un accès refusé a écrit au journal"
    # 2. Les lectures permises ; 3. les écritures permises (données vides ou inoffensives), la déconnexion en dernier.
    for route in [r for r in TABLE if r.methode == "GET"] + sorted(
        (r for r in TABLE if r.methode != "GET"), key=lambda r: r.endpoint == "comptes.deconnexion"
    ):
        for acteur, attendu in route.attendus.items():
            if attendu == "ok":
                constater(route, acteur, attendu)
    assert appels == len(TABLE) * len(ACTEURS)
    assert not ecarts, f"{len(ecarts)} écart(s) sur {appels} appels :\n" + "\n".join(ecarts)
