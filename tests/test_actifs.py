"""Static files as they travel (aap/actifs.py, built by `make assets`): fingerprinted names cached for a year,
precompressed gzip and brotli chosen by Accept-Encoding (with Vary), the DSFR icon stylesheet cut to the icons the
templates use, fonts cut to French, every stylesheet reference resolved."""

import gzip
import json
import re
from io import BytesIO
from pathlib import Path

import brotli
import pytest
from fontTools.ttLib import TTFont

from aap import actifs


@pytest.fixture
def construits(app):
    dossier = Path(app.config["ACTIFS_DIR"])
    assert (dossier / "manifeste.json").is_file(), "fichiers statiques non construits : lancez « make assets »"
    return dossier, json.loads((dossier / "manifeste.json").read_text())


def test_les_pages_chargent_les_noms_a_empreinte(client, construits):
    _, manifeste = construits
    page = client.get("/connexion").get_data(as_text=True)
    liens = re.findall(r'(?:href|src)="(/(?:dsfr|static)/[^"]+)"', page)
    assert liens and all(re.search(r"\.[0-9a-f]{10}\.\w+$", lien) for lien in liens), liens
    assert f"/{manifeste['dsfr/dsfr.main.min.css']}" in liens
    assert "dsfr.min.css" not in page and "legacy" not in page  # sans la feuille pour Internet Explorer


@pytest.mark.parametrize(
    ("accepte", "encodage", "decompresser"),
    [("gzip, deflate, br, zstd", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress), ("", None, lambda d: d)],
)
def test_compression_negociee_et_cache_d_un_an(client, construits, accepte, encodage, decompresser):
    dossier, manifeste = construits
    construit = manifeste["dsfr/dsfr.main.min.css"]
    reponse = client.get(f"/{construit}", headers={"Accept-Encoding": accepte})
    assert reponse.status_code == 200 and reponse.mimetype == "text/css"
    assert reponse.headers.get("Content-Encoding") == encodage
    assert "Accept-Encoding" in reponse.headers["Vary"]
    assert {"public", "immutable", "max-age=31536000"} <= {p.strip() for p in reponse.headers["Cache-Control"].split(",")}
    assert decompresser(reponse.get_data()) == (dossier / construit).read_bytes()
    if encodage == "br":
        assert len(reponse.get_data()) < (dossier / construit).stat().st_size / 8


def test_un_nom_source_reste_servi_sans_cache_long(client):
    reponse = client.get("/dsfr/dsfr.min.css")
    assert reponse.status_code == 200 and "immutable" not in reponse.headers.get("Cache-Control", "")


def test_seules_les_icones_des_gabarits_restent(construits):
    dossier, manifeste = construits
    css = (dossier / manifeste["dsfr/utility/icons/icons.min.css"]).read_text()
    utilisees = actifs.icones_utilisees(
        [Path(actifs.__file__).parent.parent / "templates", Path(actifs.__file__).parent / "static"]
    )
    gardees = set(actifs.ICONE.findall(css))
    assert gardees == utilisees and "fr-icon-download-line" in gardees
    assert len(css) < 20_000  # au lieu de 350 Ko pour les 1 300 icônes du DSFR (les leurs y sont incluses)


def test_garder_icones_filtre_selecteurs_et_media():
    css = (
        "/*! DSFR */.fr-icon-a:before,.fr-icon-b:before{mask:url(a.svg)}.fr-icon-c:before{mask:url(c.svg)}"
        "@media (min-width:36em){.fr-icon-a:after{x:1}.fr-icon-c:after{x:2}}"
    )
    assert actifs.garder_icones(css, {"fr-icon-a"}) == (
        ".fr-icon-a:before{mask:url(a.svg)}@media (min-width:36em){.fr-icon-a:after{x:1}}"
    )


def test_chaque_reference_des_feuilles_de_style_est_construite(construits):
    dossier, manifeste = construits
    for source, construit in manifeste.items():
        if not construit.endswith(".css"):
            continue
        for _, url in actifs.URL_CSS.findall((dossier / construit).read_text()):
            if not url.startswith("data:"):
                cible = (dossier / construit).parent / url.split("#")[0].split("?")[0]
                assert cible.resolve().is_file(), f"{source} : {url}"


def test_les_polices_gardent_le_francais(construits):
    dossier, manifeste = construits
    police = TTFont(BytesIO((dossier / manifeste["dsfr/fonts/Marianne-Regular.woff2"]).read_bytes()))
    caracteres = {chr(c) for c in police.getBestCmap()}
    assert set("àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔŒÙÛÜŸ«»€…–—’\u202f\u00a0") <= caracteres
    assert len(caracteres) < 300  # au lieu de 600 : ni vietnamien, ni grec, ni latin étendu B
