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
FICHIERS_PUBLICS = {"static", "dsfr"}  # feuilles de style, scripts et polices de l'application, servis tels quels


def regles_de_l_application(app):
    return {(regle.endpoint, methode) for regle in app.url_map.iter_rules() for methode in regle.methods - METHODES_IGNOREES}


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
            reponse = client.open(url, method=route.methode, json=donnees if route.methode != "GET" else None, headers=entetes)
    else:
        reponse = client.open(url, method=route.methode, data=donnees)
    return url, reponse


def _verifier_refus(route, acteur, url, reponse):
    """A refusal says nothing of what it refuses: no title, no number, in the French error format for the API."""
    corps = reponse.get_data(as_text=True)
    assert TITRE_BROUILLON not in corps, f"{acteur} {route.methode} {url} : le titre du brouillon fuit"
    if route.api and reponse.status_code in (401, 403, 404):
        assert set(reponse.json) == {"errors"} and reponse.json["errors"][0]["message"], f"{acteur} {url}"


def _verifier_telechargement(route, acteur, url, reponse):
    """A file (anything but a page or JSON) is a download that the browser never renders in our origin."""
    if reponse.mimetype in ("text/html", "application/json"):
        return False
    assert reponse.headers.get("Content-Disposition", "").startswith("attachment"), f"{acteur} {url} : pas en pièce jointe"
    assert reponse.headers.get("X-Content-Type-Options") == "nosniff", f"{acteur} {url} : sans nosniff"
    return True


def _comptes_journal():
    return db.session.scalar(select(func.count(EntreeJournal.id)))


def _constater_chaque(app, sessions, ids, garder, routes=TABLE):
    """Each (route, actor) pair whose expected outcome `garder` keeps, called in `routes`' order; no difference
    with the table. Returns the number of calls and the endpoints whose download was checked."""
    ecarts, appels, telecharges = [], 0, set()
    for route in routes:
        for acteur, attendu in route.attendus.items():
            if not garder(attendu):
                continue
            url, reponse = _appeler(app, sessions, route, acteur, ids)
            appels += 1
            obtenu = issue(reponse)
            if obtenu != attendu:
                ecarts.append(f"{route.methode} {url} ({route.endpoint}) — {acteur} : attendu {attendu}, obtenu {obtenu}")
            elif attendu != "ok":
                _verifier_refus(route, acteur, url, reponse)
            elif route.endpoint not in FICHIERS_PUBLICS and reponse.status_code == 200:
                if _verifier_telechargement(route, acteur, url, reponse):
                    telecharges.add(route.endpoint)
    assert not ecarts, f"{len(ecarts)} écart(s) sur {appels} appels :\n" + "\n".join(ecarts)
    return appels, telecharges


def test_chaque_route_dit_l_issue_de_chaque_acteur():
    assert all(set(route.attendus) == set(ACTEURS) for route in TABLE)


# Refusals and allowed calls are two tests, each in its own world, so that xdist runs them side by side.
def test_chaque_refus_de_chaque_route(app, fab, monde):
    """Each actor refused where the table says so, and a refusal writes nothing (no row, no audit entry)."""
    acteurs, ids = monde
    sessions = _sessions(app, fab, acteurs)
    journal_avant = _comptes_journal()
    appels, _ = _constater_chaque(app, sessions, ids, lambda attendu: attendu != "ok")
    assert appels > len(TABLE)
    assert _comptes_journal() == journal_avant, "un accès refusé a écrit au journal"


def test_chaque_acces_permis_de_chaque_route(app, fab, monde):
    """Each actor let in where the table says so: reads first, then writes (harmless or empty data), logout last;
    every file served is a download."""
    ordre = [r for r in TABLE if r.methode == "GET"] + sorted(
        (r for r in TABLE if r.methode != "GET"), key=lambda r: r.endpoint == "comptes.deconnexion"
    )
    acteurs, ids = monde
    appels, telecharges = _constater_chaque(app, _sessions(app, fab, acteurs), ids, lambda attendu: attendu == "ok", ordre)
    assert appels > len(TABLE)
    assert len(telecharges) >= 10, f"téléchargements vérifiés : {sorted(telecharges)}"


def _texte(reponse):
    if reponse.mimetype.endswith("spreadsheetml.sheet"):
        classeur = openpyxl.load_workbook(io.BytesIO(reponse.data), read_only=True)
        return "\n".join(str(c) for feuille in classeur for ligne in feuille.iter_rows(values_only=True) for c in ligne)
    if reponse.mimetype == "text/csv":
        return "\n".join(",".join(ligne) for ligne in csv.reader(io.StringIO(reponse.get_data(as_text=True))))
    return reponse.get_data(as_text=True)


def test_rien_d_autrui_dans_les_listes_recherches_exports_et_journal(app, fab, monde):
    """Lists, counts, search, exports and the audit log show nothing of someone else's."""
    acteurs, ids = monde
    sessions = _sessions(app, fab, acteurs)
    secrets_de_a = [ids["numero"], ids["numero_clos"], TITRE_BROUILLON, "Structure A des tests"]
    consultations = {
        "porteur_b": [
            "/dossiers/",
            f"/dossiers/?q={ids['numero']}",
            "/api/v1/dossiers",
            "/conventions/",
            "/profil",
            "/structure",
            "/api/v1/moi",
            "/conventions/a-faire",
            "/api/v1/conventions",
            "/api/v1/versements",
            "/api/v1/a-faire",
        ],
        "agent_autre": [
            "/dossiers/",
            f"/dossiers/?q={ids['numero']}",
            "/dossiers/?q=Structure+A",
            "/dossiers/export.xlsx",
            f"/dossiers/export.xlsx?q={ids['numero']}",
            "/api/v1/dossiers",
            f"/api/v1/dossiers?q={ids['numero']}",
            "/journal",
            "/api/v1/journal",
            "/copil/",
            "/api/v1/seances",
            "/admin/comptes",
            "/conventions/",
            "/conventions/a-faire",
            f"/conventions/tableau-de-bord?campagne={ids['campagne']}&service={ids['service']}",
            f"/conventions/tableau-de-bord.xlsx?campagne={ids['campagne']}&service={ids['service']}",
            f"/conventions/donnees-ouvertes.csv?service={ids['service']}",
            "/api/v1/conventions",
            "/api/v1/versements",
            "/api/v1/a-faire",
            f"/api/v1/tableau-de-bord?campagne_id={ids['campagne']}&service_id={ids['service']}",
        ],
        "copil_autre": ["/copil/", "/api/v1/seances", "/profil"],
        "membre": ["/copil/", "/api/v1/seances", "/profil"],
    }
    for acteur, adresses in consultations.items():
        client, jeton = sessions[acteur]
        for adresse in adresses:
            entetes = {"Authorization": f"Bearer {jeton}"} if adresse.startswith("/api/") else {}
            reponse = client.get(adresse, headers=entetes)
            assert reponse.status_code in (200, 403), f"{acteur} {adresse} : {reponse.status_code}"
            # La recherche saisie est réaffichée dans son champ : ce n'est pas une fuite.
            texte = _texte(reponse).replace(f'value="{ids["numero"]}"', "").replace(f"q={ids['numero']}", "")
            fuites = [s for s in secrets_de_a if s in texte]
            if acteur == "membre":  # membre de la séance : le dossier inscrit se voit, le brouillon jamais
                fuites = [s for s in fuites if s == TITRE_BROUILLON]
            assert not fuites, f"{acteur} voit {fuites} sur {adresse}"
    client, jeton = sessions["porteur_b"]
    assert client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {jeton}"}).json["total"] == 1
    client, jeton = sessions["agent_autre"]
    assert client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {jeton}"}).json["total"] == 0
    assert client.get("/api/v1/seances", headers={"Authorization": f"Bearer {jeton}"}).json["total"] == 0
    campagnes = client.get("/api/v1/campagnes", headers={"Authorization": f"Bearer {jeton}"}).json
    assert campagnes and ids["campagne_libre"] not in [c["id"] for c in campagnes]
    assert f'/campagnes/{ids["campagne_libre"]}"' not in client.get("/").get_data(as_text=True)
    client, jeton = sessions["copil_autre"]
    seances = client.get("/api/v1/seances", headers={"Authorization": f"Bearer {jeton}"}).json
    assert seances["total"] == 1 and ids["seance"] not in [s["id"] for s in seances["elements"]]


def test_le_membre_deporte_ne_voit_aucune_note_du_dossier(app, fab, monde):
    acteurs, ids = monde
    sessions = _sessions(app, fab, acteurs)
    client, jeton = sessions["deporte"]
    entetes = {"Authorization": f"Bearer {jeton}"}
    s, d = ids["seance"], ids["dossier"]
    for adresse in [
        f"/copil/seances/{s}",
        f"/copil/seances/{s}/classement",
        f"/copil/seances/{s}/classement?normalise=1",
        f"/api/v1/seances/{s}",
        f"/api/v1/seances/{s}/ordre-du-jour",
        f"/api/v1/seances/{s}/classement",
        f"/api/v1/seances/{s}/decisions",
        f"/api/v1/seances/{s}/documents",
        f"/copil/seances/{ids['seance_close']}",
        f"/api/v1/seances/{ids['seance_close']}/classement",
    ]:
        reponse = client.get(adresse, headers=entetes if adresse.startswith("/api/") else {})
        assert reponse.status_code == 200, adresse
        assert COMMENTAIRE_CONFIDENTIEL not in reponse.get_data(as_text=True), adresse
    for adresse in [
        f"/copil/seances/{s}/dossiers/{d}",
        f"/copil/seances/{s}/dossiers/{d}/notes",
        f"/api/v1/seances/{s}/dossiers/{d}/notes",
        f"/copil/seances/{ids['seance_close']}/classeur.xlsx",
        f"/api/v1/seances/{ids['seance_close']}/classeur",
    ]:
        reponse = client.get(adresse, headers=entetes if adresse.startswith("/api/") else {})
        assert reponse.status_code == 404, adresse
    for seance in (s, ids["seance_close"]):
        (ligne,) = client.get(f"/api/v1/seances/{seance}/classement", headers=entetes).json["lignes"]
        assert ligne["masque"] is True
        assert ligne["moyenne"] is None and ligne["rang"] is None and ligne["cumul"] is None


def test_un_jeton_ne_donne_jamais_plus_que_le_role_de_son_titulaire(app, client, fab, monde):
    acteurs, ids = monde
    agent = acteurs["agent"]
    valide, _ = fab.jeton(agent)
    revoque, _ = fab.jeton(agent, revoque_le=maintenant())
    expire, _ = fab.jeton(agent, expire_le=maintenant() - timedelta(seconds=1))
    lectures = ["/api/v1/moi", f"/api/v1/dossiers/{ids['dossier']}", "/api/v1/journal", f"/api/v1/seances/{ids['seance']}"]
    journal_avant = _comptes_journal()
    for jeton in (revoque, expire, valide[:-1], valide + "x", f"{valide} {valide}", "aap_"):
        entetes = {"Authorization": f"Bearer {jeton}"}
        for adresse in lectures:
            assert client.get(adresse, headers=entetes).status_code == 401, (jeton, adresse)
        reponse = client.post(
            f"/api/v1/dossiers/{ids['dossier']}/decisions",
            headers=entetes,
            json={"decision": "irrecevable", "motif": "Jeton refusé."},
        )
        assert reponse.status_code == 401 and reponse.json["errors"][0]["code"] == "non_authentifie"
    assert _comptes_journal() == journal_avant
    entetes = {"Authorization": f"Bearer {valide}"}
    assert all(client.get(a, headers=entetes).status_code == 200 for a in lectures)
    # Le rôle change après la création du jeton : le jeton suit le rôle, jamais celui d'hier.
    db.session.get(Utilisateur, agent.id).role = "copil"
    db.session.commit()
    assert client.get("/api/v1/journal", headers=entetes).status_code == 403
    assert client.get(f"/api/v1/dossiers/{ids['dossier']}", headers=entetes).status_code == 404
    assert client.get("/api/v1/moi", headers=entetes).json["role"] == "copil"
    # Un jeton n'ouvre aucune page : les pages ne connaissent que la session (et son jeton anti-CSRF).
    reponse = client.get("/journal", headers=entetes)
    assert reponse.status_code == 302 and "/connexion" in reponse.headers["Location"]
