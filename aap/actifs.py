"""Static files light on the wire: built once at install (`make assets` runs `python -m aap.actifs`), then
served precompressed, under fingerprinted names, cached for a year.

The build starts from what the pages load (`ENTREES`: the DSFR's stylesheet and scripts, the app's own css
and js) and follows each stylesheet's `url(…)` (fonts, icons). Every file is copied under a name that carries
its content's hash (`dsfr.main.min.3f2a1b9c0d.css`), stylesheets pointing at their dependencies' new names;
text files get their gzip and brotli versions beside them. The DSFR icon stylesheet keeps only the icons the
templates use (`fr-icon-…`); the Marianne fonts keep the Latin characters (the others fall back, glyph by
glyph, to the system font). `manifeste.json` maps each source path to its built name.

Serving (`servir`) picks the encoding the browser accepts (`Accept-Encoding`, answered with `Vary`). Without a
build (a fresh checkout before `make`), pages link the source files, served as they are.
"""

import gzip
import hashlib
import json
import mimetypes
import posixpath
import re
import shutil
import sys
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import brotli
from flask import current_app, request, send_file, send_from_directory, url_for

# Ce que chargent les pages : le reste vient des feuilles de style qui les référencent.
ENTREES = {
    "dsfr": [
        "dsfr.main.min.css",  # sans dsfr.legacy (Internet Explorer) : 150 Ko de moins
        "dsfr.print.min.css",
        "utility/icons/icons.min.css",
        "dsfr.module.min.js",
        "dsfr.nomodule.min.js",
        "favicon/favicon.svg",
        "favicon/apple-touch-icon.png",
    ],
    "static": ["css/aap.css", "css/notation.css", "js/aap.js", "js/dossier.js", "js/notation.js"],
}
PARAMETRE = {"dsfr": "fichier", "static": "filename"}  # le paramètre d'URL de chaque route
COMPRESSIBLES = {".css", ".js", ".svg", ".json", ".txt", ".map"}
ENCODAGES = (("br", ".br"), ("gzip", ".gz"))
UN_AN = 365 * 24 * 3600
TYPES = {".woff2": "font/woff2", ".woff": "font/woff", ".svg": "image/svg+xml", ".js": "text/javascript"}
URL_CSS = re.compile(r"url\((['\"]?)([^'\")]+)\1\)")
SURS = " /:=',;.-_()+*!~#@&?$"  # gardés tels quels dans une URL data: entre guillemets doubles (lisible, compressible)
ICONE = re.compile(r"fr-icon-[a-z0-9-]+")
# Les caractères gardés dans les polices : ceux du français (latin 1, œ, Œ, Ÿ), sa ponctuation et ses espaces
# typographiques (espace fine insécable, guillemets, tirets, points de suspension), l'euro, les flèches.
UNICODES_POLICES = "U+0000-00FF,U+0152-0153,U+0178,U+02C6,U+02DA,U+02DC,U+2000-206F,U+20AC,U+2122,U+2190-2193,U+2212"
# Une icône (SVG) d'une feuille de style y est écrite (data:) sous cette taille : une requête de moins par icône,
# chacune coûtant un aller-retour sur un réseau mobile lent.
INCLURE_SOUS = 4096


def sources(config):
    return {"dsfr": Path(config["DSFR_DIST"]), "static": Path(__file__).resolve().parent / "static"}


# --- Construction ---------------------------------------------------------------------------------------------


def icones_utilisees(dossiers):
    """The `fr-icon-…` classes written in the templates and scripts."""
    noms = set()
    for dossier in dossiers:
        for fichier in Path(dossier).rglob("*"):
            if fichier.suffix in {".html", ".js", ".py"} and fichier.is_file():
                noms |= set(ICONE.findall(fichier.read_text(encoding="utf-8", errors="ignore")))
    return noms


def _regles(css):
    """Top-level rules of a minified stylesheet: (prelude, body), an at-rule's body holding its own rules."""
    regles, i = [], 0
    while i < len(css):
        ouverture = css.find("{", i)
        if ouverture < 0:
            break
        prelude, profondeur, j = css[i:ouverture], 1, ouverture + 1
        while profondeur:
            profondeur += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        regles.append((prelude, css[ouverture + 1 : j - 1]))
        i = j
    return regles


def garder_icones(css, icones):
    """The icon stylesheet with only the rules of `icones` (each rule's selectors filtered, empty rules dropped)."""
    sortie = []
    for prelude, corps in _regles(css):
        entete = prelude.strip()
        if entete.startswith("/*"):
            entete = entete[entete.index("*/") + 2 :].strip()
        if entete.startswith("@"):
            interieur = garder_icones(corps, icones)
            if interieur:
                sortie.append(f"{entete}{{{interieur}}}")
            continue
        gardes = [s for s in entete.split(",") if set(ICONE.findall(s)) <= icones and ICONE.search(s)]
        if gardes:
            sortie.append(f"{','.join(gardes)}{{{corps}}}")
    return "".join(sortie)


def sous_ensemble_police(donnees):
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    police = subset.load_font(BytesIO(donnees), options)
    sous = subset.Subsetter(options)
    sous.populate(unicodes=subset.parse_unicodes(UNICODES_POLICES))
    sous.subset(police)
    sortie = BytesIO()
    subset.save_font(police, sortie, options)
    return sortie.getvalue()


class Construction:
    def __init__(self, config, cible, icones):
        self.sources = sources(config)
        self.cible = Path(cible)
        self.icones = icones
        self.manifeste = {}

    def construire(self):
        for racine, chemins in ENTREES.items():
            for chemin in chemins:
                self.fichier(racine, chemin)
        return self.manifeste

    def fichier(self, racine, chemin):
        """Builds one file (and first what it references); returns its built path, relative to its root."""
        cle = f"{racine}/{chemin}"
        if cle in self.manifeste:
            return self.manifeste[cle].split("/", 1)[1]
        source = self.sources[racine] / chemin
        donnees = source.read_bytes()
        if chemin.endswith(".css"):
            texte = donnees.decode("utf-8")
            if chemin == "utility/icons/icons.min.css":
                texte = garder_icones(texte, self.icones)
            donnees = self._reecrire(racine, chemin, texte).encode("utf-8")
        elif chemin.endswith(".woff2") and "/Marianne-" in f"/{chemin}":
            donnees = sous_ensemble_police(donnees)
        empreinte = hashlib.sha256(donnees).hexdigest()[:10]
        base, extension = posixpath.splitext(chemin)
        construit = f"{base}.{empreinte}{extension}"
        destination = self.cible / racine / construit
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(donnees)
        if extension in COMPRESSIBLES:
            for _, suffixe in ENCODAGES:
                compresse = _compresser(donnees, suffixe)
                if len(compresse) < len(donnees):
                    destination.with_name(destination.name + suffixe).write_bytes(compresse)
        self.manifeste[cle] = f"{racine}/{construit}"
        return construit

    def _reecrire(self, racine, chemin, css):
        dossier = posixpath.dirname(chemin)

        def remplacer(trouve):
            url = trouve.group(2)
            if url.startswith(("data:", "http:", "https:", "#", "/")):
                return trouve.group(0)
            adresse, _, suite = url.partition("?")
            adresse, _, ancre = adresse.partition("#")
            cible = posixpath.normpath(posixpath.join(dossier, adresse))
            source = self.sources[racine] / cible
            if cible.startswith("..") or not source.is_file():
                return trouve.group(0)
            if cible.endswith(".svg") and source.stat().st_size < INCLURE_SOUS:
                svg = re.sub(r"\s+", " ", source.read_text(encoding="utf-8")).strip().replace('"', "'")
                return f'url("data:image/svg+xml,{quote(svg, safe=SURS)}")'
            construit = self.fichier(racine, cible)
            relative = posixpath.relpath(construit, dossier or ".")
            return f"url({relative}{'#' + ancre if ancre else ''})"

        return URL_CSS.sub(remplacer, css)


def _compresser(donnees, suffixe):
    if suffixe == ".br":
        return brotli.compress(donnees, quality=11)
    return gzip.compress(donnees, compresslevel=9, mtime=0)


def construire(config, cible=None, gabarits=None):
    """Builds every file into `cible` (ACTIFS_DIR), replacing the previous build at once; returns the manifest."""
    from config import RACINE

    cible = Path(cible or config["ACTIFS_DIR"])
    gabarits = gabarits or [RACINE / "templates", Path(__file__).resolve().parent / "static"]
    provisoire = cible.with_name(cible.name + ".nouveau")
    shutil.rmtree(provisoire, ignore_errors=True)
    manifeste = Construction(config, provisoire, icones_utilisees(gabarits)).construire()
    (provisoire / "manifeste.json").write_text(json.dumps(manifeste, indent=1, sort_keys=True), encoding="utf-8")
    ancienne = cible.with_name(cible.name + ".ancien")
    shutil.rmtree(ancienne, ignore_errors=True)
    if cible.exists():
        cible.rename(ancienne)
    provisoire.rename(cible)
    shutil.rmtree(ancienne, ignore_errors=True)
    return manifeste


# --- Service --------------------------------------------------------------------------------------------------


def init_app(app):
    fichier = Path(app.config["ACTIFS_DIR"]) / "manifeste.json"
    manifeste = json.loads(fichier.read_text(encoding="utf-8")) if fichier.is_file() else {}
    app.extensions["actifs"] = {"manifeste": manifeste, "construits": set(manifeste.values())}
    app.add_template_global(url_actif)

    @app.route("/dsfr/<path:fichier>")
    def dsfr(fichier):
        """The State design system, served from the npm package installed by `make`, never a CDN."""
        return servir("dsfr", fichier)

    # La route /static/ de Flask, servie de même.
    app.view_functions["static"] = lambda filename: servir("static", filename)


def url_actif(racine, chemin):
    """The URL of a static file: its built, fingerprinted name when the build has it."""
    construit = current_app.extensions["actifs"]["manifeste"].get(f"{racine}/{chemin}")
    nom = construit.split("/", 1)[1] if construit else chemin
    return url_for(racine, **{PARAMETRE[racine]: nom})


def servir(racine, chemin):
    cle = f"{racine}/{chemin}"
    if cle not in current_app.extensions["actifs"]["construits"]:
        # Un nom source (page en cache d'avant la construction, outil externe) : le fichier tel quel, cache court.
        return send_from_directory(sources(current_app.config)[racine], chemin, max_age=3600)
    fichier = Path(current_app.config["ACTIFS_DIR"]) / cle
    extension = posixpath.splitext(chemin)[1]
    type_ = TYPES.get(extension) or mimetypes.guess_type(chemin)[0] or "application/octet-stream"
    encodage = None
    if extension in COMPRESSIBLES:
        for nom, suffixe in ENCODAGES:
            variante = fichier.with_name(fichier.name + suffixe)
            if request.accept_encodings.quality(nom) > 0 and variante.is_file():
                fichier, encodage = variante, nom
                break
    reponse = send_file(fichier, mimetype=type_, conditional=True, max_age=UN_AN)
    reponse.cache_control.public = True
    reponse.cache_control.immutable = True
    if extension in COMPRESSIBLES:
        reponse.vary.add("Accept-Encoding")
    if encodage:
        reponse.headers["Content-Encoding"] = encodage
    return reponse


if __name__ == "__main__":
    from config import Config

    manifeste = construire({cle: getattr(Config, cle) for cle in dir(Config) if cle.isupper()})
    print(f"Fichiers statiques construits : {len(manifeste)} fichiers dans {Config.ACTIFS_DIR}", file=sys.stderr)
