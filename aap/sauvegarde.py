"""Backup and restore: the database (SQLite online backup or pg_dump), the stored files, a manifest of hashes.

The database is copied first, from one consistent snapshot, then the files: stored files are never
modified or deleted once written, so every file the snapshot refers to is in the copy (files added
meanwhile are extra and harmless). Restoring goes into an empty instance only, after checking every hash.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from .extensions import db
from .types import maintenant


class ErreurSauvegarde(Exception):
    pass


def empreinte(chemin):
    h = hashlib.sha256()
    with open(chemin, "rb") as fichier:
        for bloc in iter(lambda: fichier.read(1 << 20), b""):
            h.update(bloc)
    return h.hexdigest()


def _libpq(url):
    """(libpq URL without password, environment with PGPASSWORD): the password never shows in `ps`."""
    url = make_url(url)
    environnement = dict(os.environ)
    if url.password:
        environnement["PGPASSWORD"] = url.password
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), environnement


def _executer(commande, environnement=None):
    resultat = subprocess.run(commande, capture_output=True, text=True, env=environnement, check=False)  # noqa: S603
    if resultat.returncode != 0:
        raise ErreurSauvegarde(f"{commande[0]} a échoué : {resultat.stderr.strip()[:2000]}")


def _compter(connexion, tables):
    return {table: connexion.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() for table in tables}


def _copier_base(url, destination):
    """Copies the database from one snapshot; returns (copy, rows per table in that same snapshot)."""
    tables = sorted(inspect(db.engine).get_table_names())
    if url.get_backend_name() == "sqlite":
        cible = destination / "base.sqlite"
        source = sqlite3.connect(url.database)
        copie = sqlite3.connect(cible)
        with copie:
            source.backup(copie)  # API de sauvegarde en ligne : cohérente pendant que l'application écrit
        source.close()
        copie.close()
        moteur = create_engine(f"sqlite:///{cible}")
        with moteur.connect() as connexion:
            comptes = _compter(connexion, tables)
        moteur.dispose()
        return cible, comptes
    cible = destination / "base.dump"
    adresse, environnement = _libpq(url)
    # pg_dump lit l'instantané exporté par notre transaction : lignes comptées et copiées sont les mêmes.
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connexion, connexion.begin():
        instantane = connexion.execute(text("SELECT pg_export_snapshot()")).scalar()
        comptes = _compter(connexion, tables)
        options = ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={instantane}"]
        _executer(["pg_dump", *options, "-f", str(cible), adresse], environnement)
    return cible, comptes


def _comptes_par_table():
    with db.engine.connect() as connexion:
        return _compter(connexion, sorted(inspect(db.engine).get_table_names()))


def creer_sauvegarde(dossier_parent):
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    horodatage = maintenant().strftime("%Y%m%dT%H%M%SZ")
    destination = Path(dossier_parent) / f"aap-sauvegarde-{horodatage}"
    destination.mkdir(parents=True)
    base, comptes = _copier_base(url, destination)
    fichiers_source = Path(current_app.config["FICHIERS_DIR"])
    fichiers = {}
    for chemin in sorted(p for p in fichiers_source.rglob("*") if p.is_file()):
        relatif = chemin.relative_to(fichiers_source).as_posix()
        copie = destination / "fichiers" / relatif
        copie.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(chemin, copie)
        fichiers[relatif] = empreinte(copie)
    manifeste = {
        "cree_le": maintenant().isoformat(),
        "moteur": url.get_backend_name(),
        "base": {"fichier": base.name, "sha256": empreinte(base)},
        "lignes_par_table": comptes,
        "fichiers": fichiers,
    }
    (destination / "manifeste.json").write_text(json.dumps(manifeste, indent=2, ensure_ascii=False))
    return destination, manifeste


def _lire_manifeste(source):
    source = Path(source)
    try:
        manifeste = json.loads((source / "manifeste.json").read_text())
    except (OSError, ValueError) as erreur:
        raise ErreurSauvegarde(f"Manifeste illisible dans {source} : {erreur}") from None
    base = source / manifeste["base"]["fichier"]
    if not base.exists() or empreinte(base) != manifeste["base"]["sha256"]:
        raise ErreurSauvegarde("La copie de la base ne correspond pas au manifeste (empreinte SHA-256).")
    for relatif, attendu in manifeste["fichiers"].items():
        chemin = source / "fichiers" / relatif
        if not chemin.is_file() or empreinte(chemin) != attendu:
            raise ErreurSauvegarde(f"Fichier absent ou altéré dans la sauvegarde : {relatif}")
    return manifeste, base


def restaurer_sauvegarde(source):
    """Restores into an empty instance (no table, no stored file): never over live data."""
    manifeste, base = _lire_manifeste(source)
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != manifeste["moteur"]:
        raise ErreurSauvegarde(
            f"Sauvegarde {manifeste['moteur']}, instance {url.get_backend_name()} : restaurez dans le même moteur."
        )
    if inspect(db.engine).get_table_names():
        raise ErreurSauvegarde("La base cible n'est pas vide : la restauration se fait dans une instance neuve.")
    fichiers_cible = Path(current_app.config["FICHIERS_DIR"])
    if fichiers_cible.exists() and any(fichiers_cible.iterdir()):
        raise ErreurSauvegarde(f"Le dossier des fichiers {fichiers_cible} n'est pas vide.")
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        Path(url.database).unlink(missing_ok=True)
        shutil.copy2(base, url.database)
    else:
        adresse, environnement = _libpq(url)
        _executer(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", adresse, str(base)], environnement)
    for relatif in manifeste["fichiers"]:
        cible = fichiers_cible / relatif
        cible.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(source) / "fichiers" / relatif, cible)
    if _comptes_par_table() != manifeste["lignes_par_table"]:
        raise ErreurSauvegarde("Après restauration, le nombre de lignes diffère du manifeste.")
    return manifeste
