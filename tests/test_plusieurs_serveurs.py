"""Two servers (two gunicorn processes, as on two hosts) on one database: nothing a request needs lives in
one process. A login made on one is honoured by the other, a filing goes through either, the rate limit
on logins counts across both (shared Redis, RATELIMIT_STORAGE_URI), and the daily reminders, run on both
hosts at once and sent by an email worker on each host, reach each member once.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from aap.extensions import db
from aap.models import Courriel
from aap.types import maintenant
from candidatures.models import Dossier
from notation import regles as regles_notation
from notation.models import Phase

from .conftest import port_libre
from .factories import MOT_DE_PASSE

RACINE = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _requete(url, chemin, methode="GET", cookie=None, donnees=None):
    import http.client

    hote, port = url.removeprefix("http://").split(":")
    connexion = http.client.HTTPConnection(hote, int(port), timeout=60)
    entetes = {"Cookie": cookie} if cookie else {}
    corps = None
    if donnees is not None:
        corps = urlencode(donnees)
        entetes["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connexion.request(methode, chemin, body=corps, headers=entetes)
        reponse = connexion.getresponse()
        return reponse.status, reponse.getheaders(), reponse.read().decode()
    finally:
        connexion.close()


def _cookie(entetes, avant=None):
    for nom, valeur in entetes:
        if nom.lower() == "set-cookie" and valeur.startswith("session="):
            return valeur.split(";", 1)[0]
    return avant


def _jeton_csrf(page):
    trouve = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert trouve, "jeton CSRF absent de la page"
    return trouve.group(1)


class Serveur:
    def __init__(self, env, journal):
        self.port = port_libre()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env | {"URL_PUBLIQUE": self.url}
        self.journal = journal

    def __enter__(self):
        commande = [
            str(GUNICORN),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "aap:create_app()",
        ]
        self.sortie = open(self.journal, "ab")
        self.processus = subprocess.Popen(commande, cwd=RACINE, env=self.env, stdout=self.sortie, stderr=self.sortie)  # noqa: S603
        limite = time.monotonic() + 60
        while time.monotonic() < limite:
            try:
                if _requete(self.url, "/sante")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"le serveur ne répond pas : {Path(self.journal).read_text()[-2000:]}")

    def __exit__(self, *exc):
        self.processus.send_signal(signal.SIGTERM)
        self.processus.wait(20)
        self.sortie.close()


@pytest.fixture
def redis_partage(tmp_path):
    """A Redis server of our own, on a free loopback port, for the rate-limit counters."""
    binaire = shutil.which("redis-server")
    if binaire is None:
        pytest.fail("redis-server absent : installez le paquet redis-server (un test sauté ne prouve rien)")
    port = port_libre()
    processus = subprocess.Popen(  # noqa: S603
        [binaire, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    limite = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < limite, "redis-server ne démarre pas"
            time.sleep(0.1)
    yield url
    processus.terminate()
    processus.wait(10)


@pytest.fixture
def deux_serveurs(app, redis_partage, serveur_smtp, tmp_path):
    db.session.commit()
    env = os.environ | {
        "AAP_ENV": "test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FICHIERS_DIR": app.config["FICHIERS_DIR"],
        "SMTP_HOTE": "127.0.0.1",
        "SMTP_PORT": str(serveur_smtp.port),
        "COURRIEL_TRANSPORT": "smtp",
        "RATELIMIT_STORAGE_URI": redis_partage,
        "CONNEXION_LIMITE_ADRESSE": "4 per 10 minutes",
    }
    with Serveur(env, tmp_path / "a.log") as a, Serveur(env, tmp_path / "b.log") as b:
        yield a, b, env


def _connecter(serveur, email, mot_de_passe=MOT_DE_PASSE):
    statut, entetes, page = _requete(serveur.url, "/connexion")
    cookie = _cookie(entetes)
    statut, entetes, _ = _requete(
        serveur.url, "/connexion", "POST", cookie, {"csrf_token": _jeton_csrf(page), "email": email, "mot_de_passe": mot_de_passe}
    )
    return statut, _cookie(entetes, cookie)


def test_une_connexion_et_un_depot_passent_d_un_serveur_a_l_autre(deux_serveurs, fab):
    a, b, _ = deux_serveurs
    dossier = fab.dossier(statut="brouillon")
    porteur = fab.porteur_de(dossier.structure)
    db.session.commit()

    statut, cookie = _connecter(a, porteur.email)
    assert statut == 302
    statut, _, page = _requete(b.url, "/dossiers/", cookie=cookie)
    assert statut == 200 and dossier.titre in page, "la session ouverte sur A n'est pas reconnue par B"

    statut, entetes, page = _requete(b.url, f"/dossiers/{dossier.id}/depot", cookie=cookie)
    assert statut == 200
    cookie = _cookie(entetes, cookie)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    statut, _, _ = _requete(
        a.url, f"/dossiers/{dossier.id}/depot", "POST", cookie, {"csrf_token": _jeton_csrf(page), "version": version}
    )
    assert statut == 302, "le dépôt préparé sur B n'est pas accepté par A"
    db.session.expire_all()
    depose = db.session.get(Dossier, dossier.id)
    assert depose.statut == "depose" and depose.numero


def test_la_limite_des_connexions_compte_sur_les_deux_serveurs(deux_serveurs, fab):
    a, b, _ = deux_serveurs
    agent = fab.utilisateur("agent")
    db.session.commit()
    # 4 essais par adresse en 10 minutes : deux sur A, deux sur B, le cinquième est refusé où qu'il arrive.
    for serveur in (a, b, a, b):
        assert _connecter(serveur, agent.email, "mauvais mot de passe")[0] != 429
    assert _connecter(a, agent.email, "mauvais mot de passe")[0] == 429
    assert _connecter(b, agent.email)[0] == 429


def test_les_rappels_lances_sur_les_deux_hotes_partent_une_fois(deux_serveurs, fab, serveur_smtp):
    _, _, env = deux_serveurs
    campagne = fab.campagne(etat="cloturee")
    # À midi, deux jours plus tard dans le fuseau du service : à toute heure de lancement, le rappel dû est celui de J-2.
    zone = ZoneInfo(campagne.service.fuseau)
    jour = maintenant().astimezone(zone).date() + timedelta(days=2)
    tenue = datetime.combine(jour, dt_time(12), zone).astimezone(UTC)
    seance = fab.seance(campagne=campagne, membres=3, dossiers=2, phase=Phase.NOTATION, tenue_le=tenue)
    db.session.commit()
    assert regles_notation.rappel_du(tenue, maintenant(), seance.service.fuseau, (7, 2)) == 2

    commande = [sys.executable, "-m", "flask", "--app", "aap", "notation", "rappels"]
    lances = [subprocess.Popen(commande, cwd=RACINE, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]  # noqa: S603
    sorties = [p.communicate(timeout=120)[0] for p in lances]
    assert all(p.returncode == 0 for p in lances), sorties
    envoyes = sorted(int(s.split()[0]) for s in sorties)
    assert sum(envoyes) == 3, f"chaque membre (3) relancé une fois en tout : {sorties}"
    # Un travailleur des courriels par hôte, en même temps : chaque message réservé par l'un n'est pas pris par l'autre.
    commande = [sys.executable, "-m", "flask", "--app", "aap", "courriels", "envoyer"]
    lances = [subprocess.Popen(commande, cwd=RACINE, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]  # noqa: S603
    sorties = [p.communicate(timeout=120)[0] for p in lances]
    assert sum(int(s.split()[0]) for s in sorties) == 4, sorties  # 3 rappels et l'alerte du trimestre sans COPIL

    db.session.expire_all()
    cles = db.session.scalars(select(Courriel.cle).where(Courriel.cle.like("rappel-notation:%"))).all()
    assert len(cles) == len(set(cles)) == 3
    restants = db.session.scalar(select(func.count()).select_from(Courriel).where(Courriel.envoye_le.is_(None)))
    assert restants == 0
    destinataires = sorted(m["To"] for m in serveur_smtp.messages if m["Subject"].startswith("Rappel"))
    assert destinataires == sorted({m["To"] for m in serveur_smtp.messages if m["Subject"].startswith("Rappel")})
    assert len(destinataires) == 3
