"""Fixtures: a migrated database per worker (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
a fresh app per test, a real SMTP server, a served app and a real browser (Debian's Chromium).

No request sends an email: the outbox is drained by a separate worker (`flask courriels travailler`). Here, the
test client and the served app run one round of that worker (`envoyer_en_attente`, over the real SMTP server)
right after each request, so a test reads `serveur_smtp.messages` as soon as the request returns.
"""

import contextvars
import email
import email.policy
import hashlib
import html
import json
import os
import re
import shutil
import socket
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from filelock import FileLock
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from aap import create_app
from aap.courriels import envoyer_en_attente
from aap.extensions import db, limiter
from config import TestConfig

from .factories import MOT_DE_PASSE, Fabrique

# Properties are judged on their results, not their speed: on a loaded CI machine a time limit only makes them flaky.
settings.register_profile("aap", deadline=None)
settings.load_profile("aap")

URL_PG = os.environ.get("TEST_DATABASE_URL")
STRICT = os.environ.get("AAP_TEST_STRICT") == "1"
RACINE = Path(__file__).resolve().parent.parent


def pytest_report_header(config):
    return f"base de test : {'PostgreSQL ' + make_url(URL_PG).render_as_string() if URL_PG else 'SQLite'}"


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, only the tests that use a database run: the others (pure rules, formats, schemas) give the
    same result whatever the database and already ran in the SQLite pass (`scripts/tests.sh`)."""
    if not URL_PG:
        return
    sans_base = [item for item in items if "base_de_test" not in getattr(item, "fixturenames", ())]
    if sans_base:
        items[:] = [item for item in items if "base_de_test" in getattr(item, "fixturenames", ())]
        config.hook.pytest_deselected(items=sans_base)


def pytest_terminal_summary(terminalreporter):
    """What the benchmark-style tests measured (`record_property("mesure", …)`), after the results."""
    mesures = [
        f"{rapport.nodeid.split('::')[-1]} : {valeur}"
        for rapports in terminalreporter.stats.values()
        for rapport in rapports
        if getattr(rapport, "when", None) == "call"
        for cle, valeur in getattr(rapport, "user_properties", ())
        if cle == "mesure"
    ]
    if mesures:
        terminalreporter.section("Mesures")
        for ligne in mesures:
            terminalreporter.write_line(ligne)


def pytest_sessionfinish(session, exitstatus):
    """In CI (AAP_TEST_STRICT=1) a skipped test is a failure: it proves nothing."""
    rapport = session.config.pluginmanager.get_plugin("terminalreporter")
    if STRICT and rapport and rapport.stats.get("skipped"):
        rapport.write_line(f"ÉCHEC : {len(rapport.stats['skipped'])} test(s) sauté(s) en mode strict.", red=True)
        session.exitstatus = 1


# --- Base de données -------------------------------------------------------------------------


def _migrer(url):
    app = create_app({**_config_de_base(), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _config_de_base():
    return {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()} | {"WTF_CSRF_ENABLED": False}


def _creer_base_pg(nom, modele=None):
    admin = create_engine(URL_PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as connexion:
        connexion.execute(text(f'CREATE DATABASE "{nom}"' + (f' TEMPLATE "{modele}"' if modele else "")))
    admin.dispose()
    return make_url(URL_PG).set(database=nom).render_as_string(hide_password=False)


def _supprimer_base_pg(nom):
    admin = create_engine(URL_PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as connexion:
        connexion.execute(text(f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def base_de_test(tmp_path_factory, worker_id):
    """Built once per worker by running the migrations (never `create_all`)."""
    if URL_PG:
        nom = f"aap_test_{worker_id}_{uuid.uuid4().hex[:8]}"
        url = _creer_base_pg(nom)
        _migrer(url)
        yield {"url": url}
        _supprimer_base_pg(nom)
    else:
        modele = tmp_path_factory.mktemp("base") / "modele.sqlite"
        _migrer(f"sqlite:///{modele}")
        # Chaque test de ce processus travaille sur ce fichier, recopié du modèle avant lui.
        yield {"modele": modele, "travail": tmp_path_factory.mktemp("travail") / "aap.sqlite"}


def _construire_monde_demo(base_de_test, dossier, nom_pg, serveur_smtp):
    """Load the demo world (`flask demo`) into a new database under `dossier`: a SQLite file, or the PostgreSQL
    database `nom_pg` (a template that tests copy). Returns its description."""
    from aap.demo import charger_demo

    fichiers = dossier / "fichiers"
    dossier.mkdir(exist_ok=True)
    if URL_PG:
        url = _creer_base_pg(nom_pg)
        _migrer(url)
    else:
        base = dossier / "demo.sqlite"
        shutil.copy(base_de_test["modele"], base)
        url = f"sqlite:///{base}"
    config = _config_de_base() | {
        "SQLALCHEMY_DATABASE_URI": url,
        "FICHIERS_DIR": str(fichiers),
        "SMTP_HOTE": "127.0.0.1",
        "SMTP_PORT": serveur_smtp.port,
        "DEMO_PASSWORD": "mot de passe de la démonstration",
    }
    application = create_app(config)
    with application.app_context():
        charger_demo()
        db.session.commit()
        envoyer_en_attente(limite=1000)  # le travailleur de `make run` les enverrait : chaque test part d'une file vide
        db.session.remove()
        db.engine.dispose()
    return {"nom_pg": nom_pg if URL_PG else None, "base": None if URL_PG else str(base), "fichiers": str(fichiers)}


@pytest.fixture(scope="session")
def monde_demo(base_de_test, tmp_path_factory, worker_id, serveur_smtp):
    """The demo world, built once per run on a migrated database, then copied for each test that asks for it.
    Under xdist the first worker that needs it builds it, under a file lock, in the run's shared temporary
    directory; the others read its description (the controller drops its PostgreSQL database at the end)."""
    if worker_id == "master":
        nom_pg = f"aap_demo_{uuid.uuid4().hex[:8]}"
        yield _construire_monde_demo(base_de_test, tmp_path_factory.mktemp("demo"), nom_pg, serveur_smtp)
        if URL_PG:
            _supprimer_base_pg(nom_pg)
        return
    partage = tmp_path_factory.getbasetemp().parent
    description = partage / "monde_demo.json"
    with FileLock(partage / "monde_demo.lock"):
        if not description.exists():
            monde = _construire_monde_demo(base_de_test, partage / "demo", _nom_demo_partage(partage), serveur_smtp)
            description.write_text(json.dumps(monde))
    yield json.loads(description.read_text())


def _nom_demo_partage(partage):
    """The PostgreSQL name of the run's shared demo world, which the controller knows too."""
    return f"aap_demo_{hashlib.sha256(str(partage).encode()).hexdigest()[:12]}"


def pytest_unconfigure(config):
    """Under xdist, the controller drops the shared demo world's database once every worker is done."""
    if URL_PG and not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
        _supprimer_base_pg(_nom_demo_partage(config._tmp_path_factory.getbasetemp()))


@pytest.fixture
def donnees_initiales():
    """Overridden to "demo" by test modules that start from the demo world instead of an empty database."""
    return "vide"


def _vider_postgresql():
    """Empty every table and restart the sequences. DELETE with the triggers off (replica role: neither foreign keys
    nor the journal's append-only guard fire) takes 10–40 ms; TRUNCATE of the 46 tables took about a second."""
    tables = [t for t in inspect(db.engine).get_table_names() if t != "alembic_version"]
    with db.engine.begin() as connexion:
        connexion.exec_driver_sql(
            "SET LOCAL session_replication_role = replica; "
            + " ".join(f'DELETE FROM "{table}";' for table in tables)
            + " SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S';"
        )
        # Un test qui falsifie le journal en coupe la protection : le suivant la retrouve.
        connexion.execute(text("ALTER TABLE journal ENABLE TRIGGER ALL"))
        connexion.execute(text("INSERT INTO journal_tete (id, dernier_hash, nombre) VALUES (1, :h, 0)"), {"h": "0" * 64})


def tour_du_travailleur(application):
    """One round of the email worker, in its own app context (its own database session)."""
    with application.app_context():
        envoyer_en_attente()


class ClientIsole(FlaskClient):
    """Each request runs in its own app context (its own `g` and database session), as in production,
    even though the test itself runs inside one; the test's session is synced before and after. After the
    request, one round of the email worker (unless `distribuer` is False: a test of the worker itself)."""

    distribuer = True

    def open(self, *args, **kwargs):
        if not has_app_context():  # une redirection suivie : déjà dans le contexte isolé
            return super().open(*args, **kwargs)
        db.session.commit()
        reponse = contextvars.Context().run(super().open, *args, **kwargs)
        if self.distribuer:
            contextvars.Context().run(tour_du_travailleur, self.application)
        db.session.commit()
        return reponse


@pytest.fixture
def config_supplementaire():
    """Overridden by test modules that need other settings (browser tests turn CSRF back on)."""
    return {}


_APPLICATIONS = {}


def _application_pour(url, serveur_smtp):
    """One app per database URL and test process: building one costs a third of a second (URL map,
    OpenAPI document), so each test reuses it with a fresh database, fresh files and its own settings."""
    if url not in _APPLICATIONS:
        config = _config_de_base() | {
            "SQLALCHEMY_DATABASE_URI": url,
            "SMTP_HOTE": "127.0.0.1",
            "SMTP_PORT": serveur_smtp.port,
            "COURRIEL_TRANSPORT": "smtp",
        }
        application = create_app(config)
        application.test_client_class = ClientIsole
        _APPLICATIONS[url] = (application, dict(application.config))
    return _APPLICATIONS[url]


def _recopier_sqlite(modele, cible):
    for suffixe in ("-wal", "-shm"):
        Path(f"{cible}{suffixe}").unlink(missing_ok=True)
    shutil.copy(modele, cible)


@contextmanager
def application_de_test(url, fichiers, serveur_smtp, config_supplementaire=None, base_pg_a_supprimer=None):
    application, config_initiale = _application_pour(url, serveur_smtp)
    application.config.update({"FICHIERS_DIR": str(fichiers), **(config_supplementaire or {})})
    Path(fichiers).mkdir(parents=True, exist_ok=True)
    limiter.reset()
    serveur_smtp.vider()
    try:
        with application.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()
            if base_pg_a_supprimer:
                _supprimer_base_pg(base_pg_a_supprimer)
                del _APPLICATIONS[url]
            elif URL_PG:
                _vider_postgresql()
                db.engine.dispose()
    finally:
        application.config.clear()
        application.config.update(config_initiale)


def copie_du_monde_demo(demo, dossier, fichier_sqlite=None):
    """(database URL, PostgreSQL database to drop afterwards or None) of a fresh copy of the demo world."""
    shutil.copytree(demo["fichiers"], dossier / "fichiers")
    if URL_PG:
        nom = f"{demo['nom_pg']}_{uuid.uuid4().hex[:6]}"
        return _creer_base_pg(nom, modele=demo["nom_pg"]), nom
    fichier_sqlite = fichier_sqlite or dossier / "aap.sqlite"
    _recopier_sqlite(demo["base"], fichier_sqlite)
    return f"sqlite:///{fichier_sqlite}", None


@pytest.fixture
def app(request, base_de_test, tmp_path, serveur_smtp, config_supplementaire, donnees_initiales):
    travail = base_de_test.get("travail")
    if donnees_initiales == "demo":
        url, base_pg = copie_du_monde_demo(request.getfixturevalue("monde_demo"), tmp_path, travail)
    elif URL_PG:
        url, base_pg = base_de_test["url"], None
    else:
        _recopier_sqlite(base_de_test["modele"], travail)
        url, base_pg = f"sqlite:///{travail}", None
    with application_de_test(url, tmp_path / "fichiers", serveur_smtp, config_supplementaire, base_pg) as application:
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def fab(app):
    return Fabrique(db.session)


def texte(reponse):
    """The page's text as a person reads it (entities such as &#39; decoded)."""
    return html.unescape(reponse.get_data(as_text=True))


def connecter(client, utilisateur_ou_email, mot_de_passe=MOT_DE_PASSE):
    email_ = getattr(utilisateur_ou_email, "email", utilisateur_ou_email)
    reponse = client.post("/connexion", data={"email": email_, "mot_de_passe": mot_de_passe})
    assert reponse.status_code == 302, f"connexion de {email_} refusée"
    return reponse


@pytest.fixture
def client_de(app):
    """`client_de(utilisateur)`: a new client, logged in as that user."""

    def fabriquer(utilisateur):
        nouveau = app.test_client()
        connecter(nouveau, utilisateur)
        return nouveau

    return fabriquer


@pytest.fixture
def acteurs(fab):
    """One of each kind of person, for authorization tables."""
    service = fab.service()
    autre_service = fab.service(code="974", nom="DEETS de La Réunion")
    structure_a = fab.structure(service=service, raison_sociale="Structure A")
    structure_b = fab.structure(service=service, raison_sociale="Structure B")
    return {
        "anonyme": None,
        "porteur_a": fab.utilisateur("porteur", service=service, structure=structure_a),
        "porteur_b": fab.utilisateur("porteur", service=service, structure=structure_b),
        "copil": fab.utilisateur("copil", service=service),
        "agent": fab.utilisateur("agent", service=service),
        "agent_autre_service": fab.utilisateur("agent", service=autre_service),
        "admin": fab.utilisateur("admin", service=service),
        "national": fab.utilisateur("national"),
    }


# --- Courriels : un vrai serveur SMTP local --------------------------------------------------


def port_libre():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BoiteSMTP:
    """What a real SMTP server received, parsed."""

    def __init__(self):
        self.messages = []
        self.port = port_libre()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def vider(self):
        self.messages.clear()

    def pour(self, adresse):
        return [m for m in self.messages if m["To"] == adresse]

    def texte(self, message):
        return message.get_body(preferencelist=("plain",)).get_content()

    def lien(self, message, motif=r"https?://\S+"):
        trouve = re.search(motif, self.texte(message))
        assert trouve, "aucun lien dans le courriel"
        return trouve.group(0)


@pytest.fixture(scope="session")
def serveur_smtp():
    boite = BoiteSMTP()
    controleur = Controller(boite, hostname="127.0.0.1", port=boite.port)
    controleur.start()
    yield boite
    controleur.stop()


# --- Application servie et navigateur --------------------------------------------------------


def avec_travailleur(app):
    """The served app, each response held until one round of the email worker has run (see ClientIsole)."""

    def wsgi(environ, start_response):
        corps = app(environ, start_response)
        try:
            morceaux = list(corps)
        finally:
            if hasattr(corps, "close"):
                corps.close()
        tour_du_travailleur(app)
        return morceaux

    return wsgi


class ServeurTest:
    def __init__(self, app):
        self.port = port_libre()
        self.url = f"http://127.0.0.1:{self.port}"
        app.config["URL_PUBLIQUE"] = self.url
        self.serveur = make_server("127.0.0.1", self.port, avec_travailleur(app), threaded=True)
        self.fil = threading.Thread(target=contextvars.Context().run, args=(self.serveur.serve_forever,), daemon=True)

    def __enter__(self):
        self.fil.start()
        return self

    def __exit__(self, *exc):
        self.serveur.shutdown()
        self.fil.join(5)


@pytest.fixture
def serveur(app):
    db.session.commit()
    with ServeurTest(app) as serveur:
        yield serveur


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright on Debian's Chromium: no browser download (CI has no internet)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Indian/Mayotte"}


AXE = RACINE / "node_modules" / "axe-core" / "axe.min.js"
NORMES_AXE = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Après chaque chargement de page, axe-core l'audite et publie le résultat dans la console.
# axe-core audite chaque page après son chargement (audits enchaînés : jamais deux à la fois)
# et publie le résultat dans la console, où le test le recueille.
AUDIT_AU_CHARGEMENT = """
window.__auditer = function () {
  window.__audit = (window.__audit || Promise.resolve()).catch(function () {}).then(function () {
    return axe.run(document, {runOnly: {type: "tag", values: %s}}).then(function (r) {
      return {url: location.pathname, violations: r.violations.map(function (v) {
        return {id: v.id, impact: v.impact, aide: v.help,
                cibles: v.nodes.map(function (n) { return n.target.join(" "); })};
      })};
    });
  });
  return window.__audit;
};
window.addEventListener("load", function () {
  window.__auditer().then(function (audit) { console.log("AXE " + JSON.stringify(audit)); });
});
"""


@pytest.fixture
def navigateur(page, serveur):
    """A page on the served app that fails the test on any Content-Security-Policy violation and on any
    WCAG A/AA violation found by axe-core on any page it loaded."""
    violations_csp, audits = [], []

    def console(message):
        if "Content Security Policy" in message.text:
            violations_csp.append(message.text)
        elif message.text.startswith("AXE "):
            audits.append(json.loads(message.text[4:]))

    page.on("console", console)
    page.add_init_script(path=str(AXE))
    page.add_init_script(AUDIT_AU_CHARGEMENT % json.dumps(NORMES_AXE))
    page.set_default_timeout(10_000)
    page.serveur = serveur
    page.audits_axe = audits
    yield page
    if not page.is_closed() and page.url.startswith(serveur.url):
        audits.append(page.evaluate("() => window.__auditer()"))
    assert not violations_csp, f"violations de la CSP : {violations_csp}"
    fautes = [(a["url"], v) for a in audits for v in a["violations"]]
    assert not fautes, "violations d'accessibilité (axe-core, WCAG A/AA) :\n" + "\n".join(map(str, fautes))
