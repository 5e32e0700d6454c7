"""The Excel export of every dossier a national reader sees, timed with its peak memory, against a baseline:
the same rows and cells written with xlsxwriter directly, in constant-memory mode, in the same run.

Each measure runs in its own process (`python -m bench.export produit|brut URL FICHIERS MANIFESTE`): the peak
is the process's resident-memory high-water mark (VmHWM, reset just before the measure) minus its resident
memory then, so what the app had loaded before does not count.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent


def _memoire(champ):
    for ligne in Path("/proc/self/status").read_text().splitlines():
        if ligne.startswith(champ + ":"):
            return int(ligne.split()[1]) / 1024
    raise RuntimeError(champ)


def _remettre_le_pic_a_zero():
    # Linux : écrire 5 dans clear_refs remet VmHWM à la mémoire résidente courante.
    Path("/proc/self/clear_refs").write_text("5")


def _application(url_base, fichiers):
    from aap import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url_base,
            "SECRET_KEY": "banc-d-essai",
            "URL_PUBLIQUE": "http://127.0.0.1",
            "FICHIERS_DIR": fichiers,
            "WTF_CSRF_ENABLED": False,
            "APPAREIL_CONFIRMATION": False,
            "SESSION_COOKIE_SECURE": False,
            "NOMBRE_DE_PROXYS": 0,
        }
    )


def mesurer_produit(url_base, fichiers, manifeste):
    """The product's route, through the test client, its streamed body read to the end."""
    app = _application(url_base, fichiers)
    client = app.test_client()
    reponse = client.post("/connexion", data={"email": manifeste["national"], "mot_de_passe": manifeste["mot_de_passe"]})
    assert reponse.status_code == 302, "connexion refusée"
    client.get("/dossiers/?page=2")  # réchauffe l'application (gabarits, correspondances)
    avant = _memoire("VmRSS")
    _remettre_le_pic_a_zero()
    debut = time.perf_counter()
    reponse = client.get("/dossiers/export.xlsx", buffered=False)
    octets = sum(len(bloc) for bloc in reponse.response)
    reponse.close()
    duree = time.perf_counter() - debut
    assert reponse.status_code == 200
    return {"secondes": duree, "pic_mo": _memoire("VmHWM") - avant, "octets": octets}


def mesurer_brut(url_base, fichiers, manifeste):
    """One SQL query for the rows, then xlsxwriter in constant-memory mode: the same 22 cells a row,
    of the same types (text, numbers, dates) and formats as the product's export."""
    import xlsxwriter
    from sqlalchemy import select

    from aap.extensions import db
    from aap.models import Campagne
    from candidatures.models import Dossier, Statut, Structure

    app = _application(url_base, fichiers)
    with app.app_context():
        avant = _memoire("VmRSS")
        _remettre_le_pic_a_zero()
        debut = time.perf_counter()
        requete = (
            select(
                Dossier.numero,
                Dossier.statut,
                Campagne.annee,
                Structure.raison_sociale,
                Structure.siret,
                Structure.statut_juridique,
                Structure.emergente,
                Dossier.titre,
                Dossier.etp_facilitateur,
                Dossier.etp_coordinateur,
                Dossier.zone_blanche,
                Dossier.montant_demande,
                Dossier.depose_le,
                Dossier.recevable_le,
                Dossier.avis_ctn,
            )
            .join(Structure, Structure.id == Dossier.structure_id)
            .join(Campagne, Campagne.id == Dossier.campagne_id)
            .where(Dossier.statut != Statut.BROUILLON)
            .order_by(Dossier.depose_le.desc(), Dossier.id)
        )
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as sortie:
            classeur = xlsxwriter.Workbook(sortie.name, {"constant_memory": True, "strings_to_formulas": False})
            feuille = classeur.add_worksheet("Dossiers")
            euros = classeur.add_format({"num_format": '#,##0.00\\ "€"'})
            date = classeur.add_format({"num_format": "dd/mm/yyyy hh:mm"})
            for col in range(22):
                feuille.write_string(0, col, f"Colonne {col + 1}")
            lignes = 0
            for ligne in db.session.execute(requete.execution_options(yield_per=1000)):
                lignes += 1
                texte = [
                    ligne.numero,
                    ligne.statut,
                    ligne.raison_sociale,
                    ligne.siret,
                    ligne.statut_juridique,
                    ligne.titre,
                    "communes",
                    ligne.avis_ctn or "",
                ]
                for col, valeur in enumerate(texte):
                    feuille.write_string(lignes, col, valeur)
                # Une cellule Excel est un double : le produit convertit au même endroit (aap/exports.py).
                nombres = [ligne.annee, float(ligne.etp_facilitateur), float(ligne.etp_coordinateur)]
                nombres += [float(ligne.montant_demande)] * 5 + [1000, 0, 0]
                for col, valeur in enumerate(nombres, start=8):
                    feuille.write_number(lignes, col, valeur, euros)
                feuille.write_datetime(lignes, 19, ligne.depose_le.replace(tzinfo=None), date)
                feuille.write_string(lignes, 20, "oui" if ligne.emergente else "non")
                feuille.write_string(lignes, 21, "oui" if ligne.zone_blanche else "non")
            feuille.autofilter(0, 0, lignes, 21)
            classeur.close()
            octets = os.path.getsize(sortie.name)
        duree = time.perf_counter() - debut
    return {"secondes": duree, "pic_mo": _memoire("VmHWM") - avant, "octets": octets, "lignes": lignes}


def mesurer(url_base, fichiers, chemin_manifeste):
    """Both measures, each in a fresh process; returns the export scenario's figures."""
    mesures = {}
    for mode in ("brut", "produit"):
        sortie = subprocess.run(
            [sys.executable, "-m", "bench.export", mode, url_base, str(fichiers), str(chemin_manifeste)],
            cwd=RACINE,
            capture_output=True,
            text=True,
            check=False,
        )
        if sortie.returncode:
            raise RuntimeError(f"export ({mode}) : {sortie.stderr[-2000:]}")
        mesures[mode] = json.loads(sortie.stdout.strip().splitlines()[-1])
    produit, brut = mesures["produit"], mesures["brut"]
    return {
        "scenario": "export-xlsx",
        "rows": brut["lignes"],
        "seconds": round(produit["secondes"], 2),
        "baseline_seconds": round(brut["secondes"], 2),
        "ratio": round(produit["secondes"] / brut["secondes"], 2),
        "peak_mb": round(produit["pic_mo"], 1),
        "baseline_peak_mb": round(brut["pic_mo"], 1),
    }


if __name__ == "__main__":
    os.environ.setdefault("AAP_ENV", "production")
    mode, url, dossier_fichiers, manifeste = sys.argv[1:5]
    fonction = mesurer_produit if mode == "produit" else mesurer_brut
    print(json.dumps(fonction(url, dossier_fichiers, json.loads(Path(manifeste).read_text()))))
