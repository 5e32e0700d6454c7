"""PDF rendering: the application's fonts and CSS, nothing fetched from the network or outside our folders."""

import io
from pathlib import Path

import pypdf
import pytest

from aap import pdf


def test_le_lecteur_refuse_le_reseau_et_les_fichiers_etrangers(app):
    lecteur = pdf.LecteurLocal(pdf._dossiers_permis())
    for url in (
        "http://pirate.example/image.png",
        "https://pirate.example/x.css",
        "ftp://pirate.example/x",
        "file:///etc/passwd",
        f"{Path(app.static_folder).as_uri()}/../../config.py",
    ):
        with pytest.raises(ValueError):
            lecteur.fetch(url)
    police = Path(app.config["DSFR_DIST"]) / "fonts" / "Marianne-Regular.woff2"
    assert lecteur.fetch(police.as_uri()) is not None


def test_un_pdf_rendu_contient_son_texte_et_la_police_marianne(app, fab):
    dossier = fab.dossier(statut="depose", accuse=True)
    contenu = Path(app.config["FICHIERS_DIR"], dossier.depots[0].accuse.chemin).read_bytes()
    lecteur = pypdf.PdfReader(io.BytesIO(contenu))
    assert dossier.numero in lecteur.pages[0].extract_text()
    polices = {
        str(f.get("/BaseFont"))
        for page in lecteur.pages
        for f in (page["/Resources"].get("/Font") or {}).values()
        for f in [f.get_object()]
    }
    assert any("Marianne" in p for p in polices), polices


def test_pdf_minimal_est_un_pdf_lisible():
    lecteur = pypdf.PdfReader(io.BytesIO(pdf.pdf_minimal("Comptes annuels", "Association — 2024")))
    assert lecteur.pages[0].extract_text().splitlines() == ["Comptes annuels", "Association — 2024"]
