"""Crash safety: the application served by gunicorn (a real process, on this test's database and file folder)
is killed with SIGKILL in the middle of an upload (body half sent, or being processed) and of a filing.
Afterwards: no row without its file (nor with a truncated one), a dossier either filed whole (number, filing,
receipt) or not at all, what the kill left on disk without a row (a file written but not yet committed, or
still being written) found and erased by `flask fichiers nettoyer`, and the same request, sent again to the
restarted worker, succeeds with the first number of the campaign (no gap).
"""

import http.client
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aap.extensions import db
from aap.fichiers import Fichier, orphelins, verifier_tous
from aap.pdf import pdf_minimal
from candidatures.models import Depot, Dossier, Piece

from .conftest import RACINE, port_libre

TAILLE_PIECE = 12 * 1024 * 1024  # assez pour que l'examen et l'écriture durent le temps de frapper


class Serveur:
    """gunicorn serving the app (loaded once by the master, `--preload`), in its own process group."""

    def __init__(self, app, journal, serveur_smtp):
        self.port = port_libre()
        self.journal = journal
        self.env = os.environ | {
            "AAP_ENV": "test",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "FICHIERS_DIR": app.config["FICHIERS_DIR"],
            "SMTP_HOTE": "127.0.0.1",
            "SMTP_PORT": str(serveur_smtp.port),
            "URL_PUBLIQUE": f"http://127.0.0.1:{self.port}",
        }
        self.processus = None

    def demarrer(self):
        with open(self.journal, "ab") as sortie:
            self.processus = subprocess.Popen(  # noqa: S603 — notre propre serveur, arguments fixes
                [
                    str(RACINE / ".venv" / "bin" / "gunicorn"),
                    "--workers",
                    "1",
                    "--timeout",
                    "120",
                    "--no-control-socket",
                    "--preload",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "aap:create_app()",
                ],
                cwd=RACINE,
                env=self.env,
                stdout=sortie,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.attendre()

    def attendre(self):
        limite = time.monotonic() + 30
        while time.monotonic() < limite:
            try:
                connexion = self.connexion()
                connexion.request("GET", "/mentions-legales")
                reponse = connexion.getresponse()
                assert reponse.status == 200, reponse.read()[:2000]
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn n'a pas démarré : {Path(self.journal).read_text()[-2000:]}")

    def ouvrier(self):
        enfants = Path(f"/proc/{self.processus.pid}/task/{self.processus.pid}/children").read_text().split()
        assert len(enfants) == 1, enfants
        return int(enfants[0])

    def tuer_l_ouvrier(self):
        """SIGKILL to the worker serving the request (what the OOM killer does); the master forks a new one."""
        ouvrier = self.ouvrier()
        os.kill(ouvrier, signal.SIGKILL)
        limite = time.monotonic() + 30
        while time.monotonic() < limite:
            try:
                if self.ouvrier() != ouvrier:
                    return self.attendre()
            except (AssertionError, FileNotFoundError):
                pass
            time.sleep(0.05)
        raise AssertionError("gunicorn n'a pas relancé d'ouvrier")

    def tuer(self):
        os.killpg(self.processus.pid, signal.SIGKILL)
        self.processus.wait(10)

    def connexion(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)


def _multipart(champs, fichier):
    limite = uuid.uuid4().hex
    morceaux = [
        f'--{limite}\r\nContent-Disposition: form-data; name="{nom}"\r\n\r\n{valeur}\r\n'.encode()
        for nom, valeur in champs.items()
    ]
    nom, contenu = fichier
    morceaux.append(
        f'--{limite}\r\nContent-Disposition: form-data; name="fichier"; filename="{nom}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + contenu
        + b"\r\n"
    )
    morceaux.append(f"--{limite}--\r\n".encode())
    return b"".join(morceaux), f"multipart/form-data; boundary={limite}"


def _envoyer_sans_attendre(serveur, chemin, corps, type_, jeton, jusqua=None, pause=0.0):
    """Sends headers and the body (up to `jusqua` bytes, in slow blocks if `pause`), without reading the answer."""
    connexion = serveur.connexion()
    connexion.putrequest("POST", chemin)
    for entete, valeur in (("Content-Type", type_), ("Content-Length", str(len(corps))), ("Authorization", f"Bearer {jeton}")):
        connexion.putheader(entete, valeur)
    connexion.endheaders()
    fin = len(corps) if jusqua is None else jusqua
    bloc = 256 * 1024
    for debut in range(0, fin, bloc):
        connexion.send(corps[debut : min(debut + bloc, fin)])
        if pause:
            time.sleep(pause)
    return connexion


def _constater_integrite(app):
    """Every row's file present and intact; what a kill left on disk without a row (written, not yet committed;
    or `.partiel`, being written) is found by the sweep of `flask fichiers nettoyer`, which erases it."""
    db.session.expire_all()
    assert list(verifier_tous()) == [], "une ligne désigne un fichier absent ou altéré"
    racine = Path(app.config["FICHIERS_DIR"])
    connus = set(db.session.scalars(select(Fichier.chemin)))
    restes = {str(p.relative_to(racine)) for p in racine.rglob("*") if p.is_file()} - connus
    orphelins_trouves = list(orphelins(age_min=0))
    assert {str(p.relative_to(racine)) for p in orphelins_trouves} == restes
    for chemin in orphelins_trouves:
        chemin.unlink()
    return len(restes)


def test_le_balayage_efface_les_orphelins_anciens_et_rien_d_autre(app, runner):
    from aap import fichiers

    garde = fichiers.enregistrer(("a.pdf", pdf_minimal("gardé")))
    db.session.commit()
    racine = Path(app.config["FICHIERS_DIR"])
    ancien, recent, partiel = (racine / "2026" / "01" / f"{uuid.uuid4().hex}{ext}" for ext in (".pdf", ".pdf", ".partiel"))
    autre = racine / "sauvegardes" / "manifeste.json"
    for chemin in (ancien, recent, partiel, autre):
        chemin.parent.mkdir(parents=True, exist_ok=True)
        chemin.write_bytes(b"%PDF-1.4 tronqu")
    il_y_a_une_heure = time.time() - 3600
    for chemin in (ancien, partiel, autre):
        os.utime(chemin, (il_y_a_une_heure, il_y_a_une_heure))
    assert "2 fichier(s) sans ligne" in runner.invoke(args=["fichiers", "verifier"]).output
    assert "2 fichier(s) sans ligne effacé(s)" in runner.invoke(args=["fichiers", "nettoyer"]).output
    assert not ancien.exists() and not partiel.exists()
    assert recent.exists() and autre.exists() and fichiers.chemin_absolu(garde).exists()


@pytest.fixture
def serveur(app, fab, tmp_path, serveur_smtp):
    dossier = fab.dossier(statut="brouillon")
    jeton, _ = fab.jeton(fab.porteur_de(dossier.structure))
    db.session.commit()
    serveur = Serveur(app, tmp_path / "gunicorn.log", serveur_smtp)
    serveur.dossier_id, serveur.jeton = dossier.id, jeton
    yield serveur
    if serveur.processus and serveur.processus.poll() is None:
        serveur.tuer()


def test_arret_brutal_pendant_un_televersement(app, serveur):
    corps, type_ = _multipart(
        {"code": "autre", "libelle": "Rapport d'activité"}, ("rapport.pdf", pdf_minimal("Rapport").ljust(TAILLE_PIECE, b" "))
    )
    chemin = f"/api/v1/dossiers/{serveur.dossier_id}/pieces"
    pieces_avant = db.session.scalar(select(func.count(Piece.id)))
    # Corps à moitié envoyé, lentement ; puis corps entier, l'ouvrier frappé pendant qu'il le traite.
    scenarios = [(len(corps) // 2, 0.01, 0.0)] + [(None, 0.0, delai) for delai in (0.0, 0.05, 0.15, 0.4)]
    serveur.demarrer()
    for jusqua, pause, apres in scenarios:
        connexion = _envoyer_sans_attendre(serveur, chemin, corps, type_, serveur.jeton, jusqua, pause)
        time.sleep(apres)
        serveur.tuer_l_ouvrier()
        connexion.close()
        _constater_integrite(app)
        pieces = db.session.scalar(select(func.count(Piece.id)))
        assert pieces in (pieces_avant, pieces_avant + 1)
        pieces_avant = pieces
    connexion = _envoyer_sans_attendre(serveur, chemin, corps, type_, serveur.jeton)
    assert connexion.getresponse().status == 201
    serveur.tuer()
    _constater_integrite(app)


def test_arret_brutal_pendant_un_depot(app, serveur):
    dossier = db.session.get(Dossier, serveur.dossier_id)
    corps = json.dumps({"version": dossier.version}).encode()
    chemin = f"/api/v1/dossiers/{serveur.dossier_id}/depot"
    serveur.demarrer()
    for delai in (0.05, 0.2, 0.5, 1.0):
        connexion = _envoyer_sans_attendre(serveur, chemin, corps, "application/json", serveur.jeton)
        time.sleep(delai)
        serveur.tuer_l_ouvrier()
        connexion.close()
        _constater_integrite(app)
        dossier = db.session.get(Dossier, serveur.dossier_id)
        depots = db.session.scalars(select(Depot).where(Depot.dossier_id == dossier.id)).all()
        if dossier.statut != "brouillon":  # déposé en entier avant le coup : numéro, dépôt, accusé
            assert dossier.numero.endswith("-0001") and [d.rang for d in depots] == [1] and depots[0].accuse_id
            break
        assert dossier.numero is None and depots == []
    else:
        connexion = _envoyer_sans_attendre(serveur, chemin, corps, "application/json", serveur.jeton)
        assert connexion.getresponse().status in (200, 201)
    serveur.tuer()
    _constater_integrite(app)
    dossier = db.session.get(Dossier, serveur.dossier_id)
    assert dossier.statut == "depose" and dossier.numero.endswith("-0001")
