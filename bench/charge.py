"""The load run: the app under gunicorn (2 workers) on loopback, each scenario loaded by wrk with 8 connections.

A scenario is one line of SCENARIOS: its name, the role it logs in as and how to build its URL from the
generator's manifest. A URL the app does not serve (a domain not merged yet answers 404) is skipped with a
message. The baseline, /sante, runs one trivial SQL query and answers a tiny JSON: every scenario is also
reported as a ratio to it, measured in the same run on the same server.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

RACINE = Path(__file__).resolve().parent.parent
SCRIPT_WRK = Path(__file__).resolve().parent / "wrk.lua"
CONNEXIONS = 8


@dataclass(frozen=True)
class Scenario:
    nom: str
    role: str  # clé du manifeste : "agent", "national", "membre", "jeton_agent" (API), ou "" (anonyme)
    chemin: object  # manifeste -> chemin
    description: str


SCENARIOS = [
    Scenario("baseline", "", lambda m: "/sante", "route minimale : une requête SQL triviale, réponse JSON de 15 octets"),
    Scenario("dossier-list", "agent", lambda m: "/dossiers/", "liste d'instruction de l'agent, page 1"),
    Scenario(
        "dossier-list-filtered",
        "agent",
        lambda m: (
            "/dossiers/?" + urlencode({"statut": "recevable", "poste": "facilitateur", "q": "association", "tri": "structure"})
        ),
        "liste de l'agent filtrée (statut, poste, recherche) et triée par structure",
    ),
    Scenario("dossier-list-page-200", "national", lambda m: "/dossiers/?page=200", "liste nationale, page 200"),
    Scenario("dossier-page", "agent", lambda m: f"/dossiers/{m['dossier']}", "page d'un dossier (agent)"),
    Scenario(
        "scoring-page",
        "membre",
        lambda m: f"/copil/seances/{m['seance_notation']}/dossiers/{m['dossier_notation']}",
        "page de notation d'un dossier par un membre du COPIL",
    ),
    Scenario(
        "ranking",
        "agent",
        lambda m: f"/copil/seances/{m['seance_classement']}/classement",
        "classement d'une séance de 200 dossiers × 8 membres",
    ),
    Scenario("api-dossier-list", "jeton_agent", lambda m: "/api/v1/dossiers", "API : liste des dossiers (jeton de l'agent)"),
    Scenario("deets-dashboard", "agent", lambda m: "/conventions/tableau-de-bord", "tableau de bord de la DEETS (conventions)"),
    Scenario(
        "convention-page",
        "agent",
        lambda m: f"/conventions/{m['convention']}",
        "page d'une convention (agent) : la plus chargée du service, années, versements et bilans",
    ),
]


def port_libre():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serveur:
    """gunicorn, 2 sync workers, on a free loopback port, with the production configuration."""

    def __init__(self, url_base, fichiers, journal, travailleurs=2):
        self.port = port_libre()
        self.url = f"http://127.0.0.1:{self.port}"
        self.journal = journal
        self.env = os.environ | {
            "AAP_ENV": "production",
            "SECRET_KEY": "banc-d-essai",
            "DATABASE_URL": url_base,
            "URL_PUBLIQUE": self.url,
            "FICHIERS_DIR": str(fichiers),
            "COURRIEL_TRANSPORT": "console",
            "COMPTE_REQUETES": "1",
            # Le banc parle HTTP en clair sur la boucle locale, sans reverse proxy ni confirmation d'appareil.
            "SESSION_COOKIE_SECURE": "0",
            "NOMBRE_DE_PROXYS": "0",
            "APPAREIL_CONFIRMATION": "0",
            "SESSION_INACTIVITE_MINUTES": "600",
        }
        self.commande = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(travailleurs),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "64",
            "--timeout",
            "300",
            "aap:create_app()",
        ]

    def __enter__(self):
        self.sortie = open(self.journal, "ab")
        self.processus = subprocess.Popen(self.commande, cwd=RACINE, env=self.env, stdout=self.sortie, stderr=self.sortie)
        limite = time.monotonic() + 60
        while time.monotonic() < limite:
            try:
                if requete(self.url, "/sante")[0] == 200:
                    return self
            except OSError:
                pass
            if self.processus.poll() is not None:
                raise RuntimeError(f"gunicorn s'est arrêté : voir {self.journal}")
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn ne répond pas : voir {self.journal}")

    def __exit__(self, *exc):
        self.processus.send_signal(signal.SIGTERM)
        try:
            self.processus.wait(20)
        except subprocess.TimeoutExpired:
            self.processus.kill()
            self.processus.wait()
        self.sortie.close()


def requete(url, chemin, methode="GET", entetes=None, corps=None):
    """(status, headers, body) of one request on a fresh connection."""
    hote, port = url.removeprefix("http://").split(":")
    connexion = http.client.HTTPConnection(hote, int(port), timeout=300)
    try:
        connexion.request(methode, chemin, body=corps, headers=entetes or {})
        reponse = connexion.getresponse()
        return reponse.status, reponse.getheaders(), reponse.read()
    finally:
        connexion.close()


def _cookie_session(entetes):
    for nom, valeur in entetes:
        if nom.lower() == "set-cookie" and valeur.startswith("session="):
            return valeur.split(";", 1)[0]
    return None


def connecter(url, email, mot_de_passe):
    """Logs in through the real form (CSRF token included) and returns the `session=…` cookie."""
    statut, entetes, corps = requete(url, "/connexion")
    cookie = _cookie_session(entetes)
    jeton = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', corps) or re.search(
        rb'name="csrf_token" value="([^"]+)"', corps
    )
    if statut != 200 or not cookie or not jeton:
        raise RuntimeError("page de connexion inattendue")
    corps = urlencode({"csrf_token": jeton.group(1).decode(), "email": email, "mot_de_passe": mot_de_passe})
    statut, entetes, _ = requete(
        url,
        "/connexion",
        "POST",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        corps,
    )
    cookie = _cookie_session(entetes)
    if statut != 302 or not cookie:
        raise RuntimeError(f"connexion de {email} refusée ({statut})")
    return cookie


def entetes_pour(url, scenario, manifeste):
    if not scenario.role:
        return {}
    if scenario.role.startswith("jeton"):
        return {"Authorization": f"Bearer {manifeste[scenario.role]}"}
    return {"Cookie": connecter(url, manifeste[scenario.role], manifeste["mot_de_passe"])}


def wrk(url, entetes, duree):
    commande = [shutil.which("wrk") or "wrk", "-t2", f"-c{CONNEXIONS}", f"-d{duree}s", "--timeout", "10s", "-s", str(SCRIPT_WRK)]
    for nom, valeur in entetes.items():
        commande += ["-H", f"{nom}: {valeur}"]
    sortie = subprocess.run(commande + [url], capture_output=True, text=True, check=True).stdout
    ligne = next(ligne for ligne in sortie.splitlines() if ligne.startswith("{"))
    return json.loads(ligne)


def mesurer(url, scenario, manifeste, duree, dire=print):
    """One scenario: a checked request (status, SQL queries), a short warm-up, then wrk for `duree` seconds."""
    chemin = scenario.chemin(manifeste)
    entetes = entetes_pour(url, scenario, manifeste)
    statut, reponse_entetes, corps = requete(url, chemin, entetes=entetes)
    if statut == 404 and scenario.nom != "baseline":
        dire(f"  {scenario.nom} : {chemin} n'existe pas (404) dans cette version : scénario sauté.")
        return None
    if statut != 200:
        raise RuntimeError(f"{scenario.nom} : {chemin} répond {statut} au lieu de 200")
    requetes_sql = int(dict((k.lower(), v) for k, v in reponse_entetes).get("x-requetes", -1))
    for _ in range(5):
        requete(url, chemin, entetes=entetes)
    mesure = wrk(url + chemin, entetes, duree)
    statut_apres = requete(url, chemin, entetes=entetes)[0]
    if mesure["erreurs_statut"] or mesure["erreurs_socket"] or statut_apres != 200:
        raise RuntimeError(f"{scenario.nom} : réponses en erreur pendant la charge ({mesure}, puis {statut_apres})")
    resultat = {
        "scenario": scenario.nom,
        "chemin": chemin,
        "p50_ms": round(mesure["p50_us"] / 1000, 1),
        "p95_ms": round(mesure["p95_us"] / 1000, 1),
        "throughput_rps": round(mesure["requetes"] / (mesure["duree_us"] / 1e6), 1),
        "queries": requetes_sql,
        "octets": len(corps),
    }
    dire(
        f"  {scenario.nom:24} p50 {resultat['p50_ms']:7.1f} ms  p95 {resultat['p95_ms']:7.1f} ms  "
        f"{resultat['throughput_rps']:7.1f} req/s  {requetes_sql:3d} requêtes SQL"
    )
    return resultat


def charger(url_base, fichiers, manifeste, duree, journal, dire=print):
    """Every scenario against one database; returns their measures (throughput ratio to the baseline)."""
    resultats = []
    with Serveur(url_base, fichiers, journal) as serveur:
        for scenario in SCENARIOS:
            resultat = mesurer(serveur.url, scenario, manifeste, duree, dire)
            if resultat:
                resultats.append(resultat)
    reference = resultats[0]["throughput_rps"]
    for resultat in resultats:
        resultat["throughput_ratio"] = round(resultat["throughput_rps"] / reference, 3)
    return resultats
