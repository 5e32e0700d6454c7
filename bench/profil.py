"""Where a page's time goes: each scenario of the load run served in-process (test client, no gunicorn), its mean
time over a few requests (wall clock and this process's CPU time: on a shared machine the CPU time is the steadier
of the two; on PostgreSQL it leaves out the server's share), then cProfile's table (sorted by own time) of the
slowest pages.

    python -m bench.profil instance/bench/mini-sqlite-manifeste.json sqlite:///instance/bench/mini.sqlite \
        instance/bench/mini-sqlite-fichiers [--requetes 20] [--pages 3] [--scenarios ranking,dossier-page]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import time
from pathlib import Path

from . import charge
from .export import RACINE, _application


def clients(app, manifeste):
    """A logged-in test client per role of the scenarios (headers for the API token)."""
    resultat = {}
    for scenario in charge.SCENARIOS:
        role = scenario.role
        if role in resultat:
            continue
        client = app.test_client()
        entetes = {}
        if role.startswith("jeton"):
            entetes = {"Authorization": f"Bearer {manifeste[role]}"}
        elif role:
            reponse = client.post("/connexion", data={"email": manifeste[role], "mot_de_passe": manifeste["mot_de_passe"]})
            assert reponse.status_code == 302, f"connexion de {manifeste[role]} refusée"
        resultat[role] = (client, entetes)
    return resultat


def profiler(manifeste, url, fichiers, requetes=20, pages=3, lignes=18, noms=None):
    app = _application(url, fichiers)
    par_role = clients(app, manifeste)
    temps, cpu, profils, requetes_sql = {}, {}, {}, {}
    for scenario in charge.SCENARIOS[1:]:
        if noms and scenario.nom not in noms:
            continue
        client, entetes = par_role[scenario.role]
        chemin = scenario.chemin(manifeste)
        for _ in range(3):  # gabarits compilés, caches chauds
            reponse = client.get(chemin, headers=entetes)
            assert reponse.status_code == 200, chemin
        requetes_sql[scenario.nom] = reponse.headers.get("X-Requetes", "")
        debut, debut_cpu = time.perf_counter(), time.process_time()
        for _ in range(requetes):
            client.get(chemin, headers=entetes)
        temps[scenario.nom] = (time.perf_counter() - debut) / requetes * 1000
        cpu[scenario.nom] = (time.process_time() - debut_cpu) / requetes * 1000
        profil = cProfile.Profile(time.process_time)
        profil.enable()
        for _ in range(requetes):
            client.get(chemin, headers=entetes)
        profil.disable()
        profils[scenario.nom] = profil
    sortie = ["| page | ms par requête (en processus) | ms de CPU | requêtes SQL |", "|---|---:|---:|---:|"]
    sortie += [f"| {nom} | {ms:.1f} | {cpu[nom]:.1f} | {requetes_sql[nom]} |" for nom, ms in temps.items()]
    for nom in sorted(temps, key=temps.get, reverse=True)[:pages]:
        texte = io.StringIO()
        stats = pstats.Stats(profils[nom], stream=texte)
        stats.sort_stats("tottime").print_stats(lignes)
        # Chemins courts : ceux du dépôt relatifs, ceux des paquets depuis site-packages.
        tableau = re.sub(r"\S*/site-packages/", "", texte.getvalue().replace(f"{RACINE}/", ""))
        debut = tableau.index("ncalls")
        sortie += ["", f"`{nom}` ({temps[nom]:.1f} ms, {requetes} requêtes) :", "", "```", tableau[debut:].rstrip(), "```"]
    return "\n".join(sortie)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Profil des pages du banc.")
    parser.add_argument("manifeste")
    parser.add_argument("url")
    parser.add_argument("fichiers")
    parser.add_argument("--requetes", type=int, default=20)
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--scenarios", default="", help="noms séparés par des virgules (tous par défaut)")
    args = parser.parse_args(argv)
    os.environ.setdefault("AAP_ENV", "production")
    os.environ["COMPTE_REQUETES"] = "1"
    noms = {nom for nom in args.scenarios.split(",") if nom}
    manifeste = json.loads(Path(args.manifeste).read_text())
    print(profiler(manifeste, args.url, args.fichiers, args.requetes, args.pages, noms=noms))


if __name__ == "__main__":
    main()
