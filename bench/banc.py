"""`make bench`: generate the datasets, load every scenario on SQLite and PostgreSQL, measure the export,
write bench/results.json and the table of docs/performance.md.

    python -m bench.banc                          # dixième puis national, SQLite et PostgreSQL
    python -m bench.banc --echelles mini --duree 3  # un essai rapide

A dataset already generated for the same scale, seed and schema is reused (its manifest says so);
--regenerer starts again from empty databases. PostgreSQL: BENCH_PG_URL (a server where we may create
databases, `aap_bench_<échelle>_<empreinte du chemin du dépôt>`: two checkouts never drop each other's data), by
default the local server.
"""

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import charge, export

RACINE = Path(__file__).resolve().parent.parent
TRAVAIL = RACINE / "instance" / "bench"
RESULTATS = RACINE / "bench" / "results.json"
DOC = RACINE / "docs" / "performance.md"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# La page 200 n'existe qu'au national (le dixième en a 76) : sa croissance ne se mesure pas.
CROISSANCE = ("dossier-list", "dossier-list-filtered", "ranking", "api-dossier-list")
# Une base PostgreSQL par copie du dépôt : deux copies sur le même serveur ne suppriment jamais les données de l'autre.
SUFFIXE_PG = hashlib.sha256(str(RACINE).encode()).hexdigest()[:8]
COMPLETER = (("candidatures", "resumes"), ("notation", "agregats"))
# Les cibles de l'issue 16 (le classement : un débit de 0,05 de la référence suffit).
CIBLES = {
    "p95_ms": 150,
    "throughput_ratio": 0.10,
    "throughput_ratio_ranking": 0.05,
    "queries": 15,
    "export_ratio": 2,
    "growth": 1.5,
}


def dire(message):
    print(message, flush=True)


def tete_des_migrations():
    fichiers = sorted((RACINE / "migrations" / "versions").glob("*.py"))
    return fichiers[-1].stem if fichiers else ""


def url_de(base, echelle):
    if base == "sqlite":
        return f"sqlite:///{TRAVAIL / f'{echelle}.sqlite'}"
    return make_url(PG_ADMIN).set(database=base_pg(echelle)).render_as_string(hide_password=False)


def base_pg(echelle):
    return f"aap_bench_{echelle}_{SUFFIXE_PG}"


def preparer(base, echelle, graine, regenerer):
    """(database URL, files directory, manifest path, manifest) of a generated dataset, built if needed."""
    url = url_de(base, echelle)
    fichiers = TRAVAIL / f"{echelle}-{base}-fichiers"
    chemin = TRAVAIL / f"{echelle}-{base}-manifeste.json"
    env = os.environ | {"AAP_ENV": "production", "SECRET_KEY": "banc-d-essai", "DATABASE_URL": url}
    env.setdefault("URL_PUBLIQUE", "http://127.0.0.1")
    migrer = [sys.executable, "-m", "flask", "--app", "aap", "db", "upgrade"]
    # Ce que les migrations laissent au calcul de l'application (résumés des dossiers, agrégats des séances).
    completer = [[sys.executable, "-m", "flask", "--app", "aap", *commande] for commande in COMPLETER]
    if chemin.exists() and not regenerer:
        manifeste = json.loads(chemin.read_text())
        if manifeste.get("graine") == graine and manifeste.get("schema"):
            if manifeste["schema"] != tete_des_migrations():
                # Une migration de plus (un index…) : appliquée comme en production, sans régénérer.
                subprocess.run(migrer, cwd=RACINE, env=env, check=True, capture_output=True)
                for commande in completer:
                    subprocess.run(commande, cwd=RACINE, env=env, check=True, capture_output=True)
                manifeste["schema"] = tete_des_migrations()
                chemin.write_text(json.dumps(manifeste, indent=2, ensure_ascii=False))
                if base == "postgresql":
                    _analyser(url)
            dire(f"{base}, {echelle} : jeu de données déjà généré (en {manifeste['generation_s']} s), réutilisé.")
            return url, fichiers, chemin, manifeste
    TRAVAIL.mkdir(parents=True, exist_ok=True)
    chemin.unlink(missing_ok=True)
    shutil.rmtree(fichiers, ignore_errors=True)
    if base == "sqlite":
        for suffixe in ("", "-wal", "-shm"):
            Path(f"{TRAVAIL / f'{echelle}.sqlite'}{suffixe}").unlink(missing_ok=True)
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connexion:
            connexion.execute(text(f'DROP DATABASE IF EXISTS "{base_pg(echelle)}" WITH (FORCE)'))
            connexion.execute(text(f'CREATE DATABASE "{base_pg(echelle)}"'))
        admin.dispose()
    python = sys.executable
    subprocess.run(migrer, cwd=RACINE, env=env, check=True, capture_output=True)
    dire(f"{base}, {echelle} : génération du jeu de données…")
    debut = time.perf_counter()
    subprocess.run(
        [
            python,
            "-m",
            "bench.generer",
            "--echelle",
            echelle,
            "--base",
            url,
            "--fichiers",
            str(fichiers),
            "--manifeste",
            str(chemin),
            "--graine",
            str(graine),
        ],
        cwd=RACINE,
        env=env,
        check=True,
    )
    # Le générateur insère en masse autour de la session : les lignes dérivées se recalculent toutes ensuite.
    for commande in completer:
        subprocess.run([*commande, "--tout"], cwd=RACINE, env=env, check=True, capture_output=True)
    manifeste = json.loads(chemin.read_text())
    manifeste["schema"] = tete_des_migrations()
    chemin.write_text(json.dumps(manifeste, indent=2, ensure_ascii=False))
    dire(f"{base}, {echelle} : généré en {time.perf_counter() - debut:.0f} s (migrations comprises).")
    if base == "postgresql":
        _analyser(url)
    return url, fichiers, chemin, manifeste


def _analyser(url):
    """Fresh planner statistics, as autovacuum would have them on a live server, and the generation's pages
    written to disk before the load: measured right after a generation, every PostgreSQL page (the baseline
    too) came out 1.5 to 1.9 × slower than on a database generated earlier."""
    moteur = create_engine(url, isolation_level="AUTOCOMMIT")
    with moteur.connect() as connexion:
        connexion.execute(text("VACUUM ANALYZE"))
        connexion.execute(text("CHECKPOINT"))
    moteur.dispose()


def machine():
    modele = next(
        (
            ligne.split(":", 1)[1].strip()
            for ligne in Path("/proc/cpuinfo").read_text().splitlines()
            if ligne.startswith("model name")
        ),
        platform.processor(),
    )
    memoire = next(
        int(ligne.split()[1]) for ligne in Path("/proc/meminfo").read_text().splitlines() if ligne.startswith("MemTotal")
    )
    try:
        moteur = create_engine(PG_ADMIN)
        with moteur.connect() as connexion:
            version_pg = connexion.execute(text("SHOW server_version")).scalar()
        moteur.dispose()
    except Exception:  # noqa: BLE001 — la machine se décrit même sans PostgreSQL
        version_pg = None
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[0:1]
    gunicorn = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "--version"], capture_output=True, text=True)
    return {
        "cpu": modele,
        "cores": os.cpu_count(),
        "memory_gb": round(memoire / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": version_pg,
        "gunicorn": gunicorn.stdout.strip(),
        "workers": 2,
        "load_tool": (wrk[0] if wrk else "wrk").split(" [")[0],
        "connections": charge.CONNEXIONS,
        "note": "machine partagée : d'autres processus peuvent tourner pendant la mesure ; comparer les ratios",
    }


def tableau(resultats):
    """The Markdown table of docs/performance.md."""
    lignes = [
        "| Scénario | Base | Échelle | p50 (ms) | p95 (ms) | débit (req/s) | ratio débit | requêtes SQL | croissance |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in resultats["scenarios"]:
        if r["scenario"] == "export-xlsx":
            continue
        croissance = "" if r.get("growth") is None else f"{r['growth']:.2f}"
        lignes.append(
            f"| {r['scenario']} | {r['database']} | {r['scale']} | {r['p50_ms']} | {r['p95_ms']} | {r['throughput_rps']} | "
            f"{r['throughput_ratio']:.3f} | {r['queries']} | {croissance} |"
        )
    lignes += [
        "",
        "| Export Excel | Base | Échelle | lignes | durée (s) | xlsxwriter brut (s) | ratio | pic mémoire (Mo) | pic brut (Mo) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in resultats["scenarios"]:
        if r["scenario"] == "export-xlsx":
            lignes.append(
                f"| export-xlsx | {r['database']} | {r['scale']} | {r['rows']} | {r['seconds']} | {r['baseline_seconds']} | "
                f"{r['ratio']} | {r['peak_mb']} | {r['baseline_peak_mb']} |"
            )
    m = resultats["machine"]
    lignes += [
        "",
        f"Machine : {m['cpu']}, {m['cores']} cœurs, {m['memory_gb']} Go ; {m['os']} ; Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql']} ; {m['gunicorn']} ({m['workers']} workers sync) ; "
        f"{m['load_tool']}, {m['connections']} connexions, {resultats['duree_s']} s par scénario. Mesuré le "
        f"{resultats['mesure_le'][:16].replace('T', ' ')} UTC.",
    ]
    return "\n".join(lignes)


def ecrire_doc(table):
    if not DOC.exists():
        return
    contenu = DOC.read_text()
    debut, fin = "<!-- resultats -->", "<!-- /resultats -->"
    if debut in contenu and fin in contenu:
        avant, reste = contenu.split(debut, 1)
        apres = reste.split(fin, 1)[1]
        DOC.write_text(f"{avant}{debut}\n{table}\n{fin}{apres}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Banc d'essai national.")
    parser.add_argument("--echelles", default=os.environ.get("ECHELLES", "dixieme,national"))
    parser.add_argument("--bases", default=os.environ.get("BASES", "sqlite,postgresql"))
    parser.add_argument("--duree", type=int, default=int(os.environ.get("DUREE", "10")), help="secondes par scénario")
    parser.add_argument("--graine", type=int, default=2022)
    parser.add_argument("--regenerer", action="store_true")
    args = parser.parse_args(argv)
    echelles = [e for e in args.echelles.split(",") if e]
    bases = [b for b in args.bases.split(",") if b]
    resultats = {
        "machine": machine(),
        "mesure_le": datetime.now(UTC).isoformat(),
        "duree_s": args.duree,
        "generation": [],
        "scenarios": [],
    }
    for echelle in echelles:
        for base in bases:
            url, fichiers, chemin, manifeste = preparer(base, echelle, args.graine, args.regenerer)
            resultats["generation"].append(
                {"database": base, "scale": echelle, "seconds": manifeste["generation_s"], "rows": manifeste["totaux"]}
            )
            dire(f"{base}, {echelle} : charge ({args.duree} s par scénario, {charge.CONNEXIONS} connexions)")
            journal = TRAVAIL / f"gunicorn-{echelle}-{base}.log"
            for mesure in charge.charger(url, fichiers, manifeste, args.duree, journal, dire):
                resultats["scenarios"].append({"database": base, "scale": echelle, **mesure, "growth": None})
            dire(f"{base}, {echelle} : export Excel…")
            mesure = export.mesurer(url, fichiers, chemin)
            dire(
                f"  export-xlsx {mesure['rows']} lignes : {mesure['seconds']} s (brut {mesure['baseline_seconds']} s, "
                f"ratio {mesure['ratio']}), pic {mesure['peak_mb']} Mo (brut {mesure['baseline_peak_mb']} Mo)"
            )
            resultats["scenarios"].append({"database": base, "scale": echelle, **mesure})
    # Croissance : médiane à pleine échelle sur médiane au dixième, même base, même scénario.
    if "dixieme" in echelles and "national" in echelles:
        index = {(r["scenario"], r["database"], r["scale"]): r for r in resultats["scenarios"]}
        for r in resultats["scenarios"]:
            petit = index.get((r["scenario"], r["database"], "dixieme"))
            if r["scale"] == "national" and petit and r["scenario"] in CROISSANCE:
                r["growth"] = round(r["p50_ms"] / petit["p50_ms"], 2)
            if r["scenario"] == "export-xlsx" and r["scale"] == "national" and petit:
                r["growth"] = round(r["peak_mb"] / max(petit["peak_mb"], 0.1), 2)
    RESULTATS.write_text(json.dumps(resultats, indent=2, ensure_ascii=False) + "\n")
    table = tableau(resultats)
    ecrire_doc(table)
    dire("\n" + table)
    dire(f"\nRésultats : {RESULTATS.relative_to(RACINE)} ; tableau repris dans {DOC.relative_to(RACINE)}.")


if __name__ == "__main__":
    sys.exit(main())
