"""Backup while the app serves, restore into an empty instance, compare every table and every file."""

import json
import threading
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from aap import create_app
from aap.extensions import db
from aap.journal import verifier_chaine

from .conftest import URL_PG


def _contenu_des_tables(moteur):
    contenu = {}
    with moteur.connect() as connexion:
        for table in sorted(inspect(moteur).get_table_names()):
            colonnes = [c["name"] for c in inspect(moteur).get_columns(table)]
            lignes = connexion.execute(text(f'SELECT * FROM "{table}" ORDER BY {", ".join(colonnes)}')).all()
            contenu[table] = [tuple(ligne) for ligne in lignes]
    return contenu


def _fichiers(dossier):
    from aap.sauvegarde import empreinte

    return {p.relative_to(dossier).as_posix(): empreinte(p) for p in Path(dossier).rglob("*") if p.is_file()}


@pytest.fixture
def donnees_initiales():
    return "demo"


@pytest.fixture
def base_vide(tmp_path):
    """The URL of an empty database of the same engine as the tests'."""
    if not URL_PG:
        yield f"sqlite:///{tmp_path / 'restauree.sqlite'}"
        return
    nom = f"aap_restauration_{uuid.uuid4().hex[:8]}"
    admin = create_engine(URL_PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as connexion:
        connexion.execute(text(f'CREATE DATABASE "{nom}"'))
    yield make_url(URL_PG).set(database=nom).render_as_string(hide_password=False)
    with admin.connect() as connexion:
        connexion.execute(text(f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)'))
    admin.dispose()


def test_sauvegarde_pendant_le_service_puis_restauration_a_l_identique(app, runner, serveur, tmp_path, base_vide):
    app.config["CONNEXION_LIMITE_ADRESSE"] = "100000 per minute"
    fichiers = Path(app.config["FICHIERS_DIR"])
    for i in range(5):
        (fichiers / "pieces" / f"{i:02d}").mkdir(parents=True, exist_ok=True)
        (fichiers / "pieces" / f"{i:02d}" / f"piece-{i}.pdf").write_bytes(b"%PDF-1.4 " + bytes([i]) * 1000)
    db.session.commit()

    # Pendant la sauvegarde, l'application servie écrit au journal (tentatives de connexion).
    arret = threading.Event()

    def ecrire():
        while not arret.is_set():
            requests.post(f"{serveur.url}/connexion", data={"email": "x@exemple.fr", "mot_de_passe": "y"}, timeout=10)

    ecrivain = threading.Thread(target=ecrire)
    ecrivain.start()
    avant = db.session.scalar(text("SELECT count(*) FROM journal"))
    try:
        resultat = runner.invoke(args=["sauvegarde", "creer", str(tmp_path / "sauvegardes")])
    finally:
        arret.set()
        ecrivain.join()
    assert resultat.exit_code == 0, resultat.output
    assert db.session.scalar(text("SELECT count(*) FROM journal")) > avant  # l'application a bien écrit pendant ce temps
    [dossier] = list((tmp_path / "sauvegardes").iterdir())

    cible = create_app(app.config | {"SQLALCHEMY_DATABASE_URI": base_vide, "FICHIERS_DIR": str(tmp_path / "neuf")})
    with cible.app_context():
        resultat = cible.test_cli_runner().invoke(args=["sauvegarde", "restaurer", str(dossier)])
        assert resultat.exit_code == 0, resultat.output
        # L'instantané est cohérent : le journal restauré se vérifie de bout en bout.
        nombre, rompue = verifier_chaine()
        assert rompue is None and nombre > 0
        restaure = _contenu_des_tables(db.engine)
        assert _fichiers(cible.config["FICHIERS_DIR"]) == _fichiers(dossier / "fichiers")
        db.engine.dispose()

    manifeste = json.loads((dossier / "manifeste.json").read_text())
    assert {table: len(lignes) for table, lignes in restaure.items()} == manifeste["lignes_par_table"]
    original = _contenu_des_tables(db.engine)
    for table, lignes in restaure.items():
        if table in {"journal", "journal_tete"}:
            continue  # l'original a continué d'écrire après l'instantané
        assert lignes == original[table], table
    assert set(restaure["journal"]) <= set(original["journal"])
    assert _fichiers(fichiers) == _fichiers(cible.config["FICHIERS_DIR"])


def test_restauration_refusee_sur_une_instance_non_vide(app, runner, tmp_path):
    runner.invoke(args=["sauvegarde", "creer", str(tmp_path / "s")])
    [dossier] = list((tmp_path / "s").iterdir())
    resultat = runner.invoke(args=["sauvegarde", "restaurer", str(dossier)])
    assert resultat.exit_code == 1 and "n'est pas vide" in resultat.output


def test_sauvegarde_alteree_refusee(app, runner, tmp_path, base_vide):
    (Path(app.config["FICHIERS_DIR"]) / "a.pdf").write_bytes(b"%PDF original")
    runner.invoke(args=["sauvegarde", "creer", str(tmp_path / "s")])
    [dossier] = list((tmp_path / "s").iterdir())
    (dossier / "fichiers" / "a.pdf").write_bytes(b"%PDF altere")
    cible = create_app(app.config | {"SQLALCHEMY_DATABASE_URI": base_vide, "FICHIERS_DIR": str(tmp_path / "neuf")})
    with cible.app_context():
        resultat = cible.test_cli_runner().invoke(args=["sauvegarde", "restaurer", str(dossier)])
        assert resultat.exit_code == 1 and "altéré" in resultat.output and "a.pdf" in resultat.output
        assert inspect(db.engine).get_table_names() == []  # rien d'écrit
        db.engine.dispose()
