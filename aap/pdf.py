"""PDF documents (accusés de réception, conventions, minutes) rendered from a Jinja template by WeasyPrint.

Every document is tagged (a structure tree: headings, paragraphs, tables, lists, read in order by a screen
reader) and PDF/A-3u (fonts embedded, sRGB output intent, XMP metadata with its title, author, dates and
language). WeasyPrint 70 takes one variant at a time: `pdf/a-3a` and `pdf/ua-1` tag, `pdf/a-3u` alone does
not; `pdf/a-3u` with `pdf_tags=True` gives both the archival identification and the structure tree, without
claiming the accessibility conformance (PDF/UA, PDF/A level A) that no validator here checks.

The fonts (Marianne, from the DSFR package) and the stylesheet (`aap/static/css/pdf.css`) come from
the application: WeasyPrint may read files under those folders and nothing else, never the network.
The DSFR ships its fonts as WOFF2, which WeasyPrint would decompress at every document (about two
seconds a PDF): they are decompressed once into a cache folder and read from there.

    contenu = rendre_pdf("candidatures/accuse.html", service=dossier.service, depot=depot)   # bytes of a PDF
"""

import hashlib
import os
import tempfile
from datetime import UTC
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from .formats import afficher_dans, typographie_html
from .types import maintenant

POLICES = [
    ("Marianne", "normal", 400, "Marianne-Regular"),
    ("Marianne", "italic", 400, "Marianne-Regular_Italic"),
    ("Marianne", "normal", 700, "Marianne-Bold"),
    ("Marianne", "normal", 300, "Marianne-Light"),
]


def _dossiers_permis():
    return [
        Path(current_app.static_folder).resolve(),
        (Path(current_app.config["DSFR_DIST"]) / "fonts").resolve(),
        Path(tempfile.gettempdir()).resolve() / "aap-polices",
    ]


def _police_decompressee(woff2):
    """The TTF of a WOFF2 font, decompressed once (named by the WOFF2's SHA-256, written atomically)."""
    from fontTools.ttLib import TTFont

    contenu = woff2.read_bytes()
    cible = Path(tempfile.gettempdir()) / "aap-polices" / f"{hashlib.sha256(contenu).hexdigest()[:16]}.ttf"
    if not cible.exists():
        cible.parent.mkdir(parents=True, exist_ok=True)
        provisoire = cible.with_suffix(f".{os.getpid()}.partiel")
        police = TTFont(woff2)
        police.flavor = None
        police.save(provisoire)
        os.replace(provisoire, cible)
    return cible.resolve()


class LecteurLocal(URLFetcher):
    """Only our own files: a URL in a document (user text, an image) never makes WeasyPrint go out."""

    def __init__(self, dossiers):
        super().__init__(allowed_protocols={"file", "data"})
        self.dossiers = dossiers

    def fetch(self, url, headers=None):
        morceaux = urlsplit(url)
        if morceaux.scheme == "file":
            chemin = Path(unquote(morceaux.path)).resolve()
            if not any(chemin.is_relative_to(dossier) for dossier in self.dossiers):
                raise ValueError(f"Fichier hors des dossiers permis : {chemin}")
        elif morceaux.scheme != "data":
            raise ValueError(f"Ressource externe refusée dans un PDF : {url[:80]}")
        return super().fetch(url, headers)


@cache
def _css_polices(dossier_polices):
    regles = []
    for famille, style, graisse, fichier in POLICES:
        chemin = Path(dossier_polices) / f"{fichier}.woff2"
        if chemin.exists():
            regles.append(
                f"@font-face {{ font-family: {famille}; font-style: {style}; font-weight: {graisse}; "
                f"src: url({_police_decompressee(chemin).as_uri()}); }}"
            )
    return "\n".join(regles)


VARIANTE_PDF = "pdf/a-3u"


def rendre_pdf(gabarit, *, service, **contexte):
    """Renders `templates/<gabarit>` (HTML) to PDF bytes with the application's fonts and print CSS, in the
    service's time zone and in its name (author); the template's <title> is the document's title."""
    with afficher_dans(service):
        produit_le = contexte.setdefault("produit_le", maintenant())
        date_w3c = produit_le.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        html = typographie_html(render_template(gabarit, service=service, date_w3c=date_w3c, **contexte))
    polices = FontConfiguration()
    lecteur = LecteurLocal(_dossiers_permis())
    feuilles = [
        CSS(
            string=_css_polices(str(Path(current_app.config["DSFR_DIST"]) / "fonts")),
            font_config=polices,
            url_fetcher=lecteur,
        ),
        CSS(filename=str(Path(current_app.static_folder) / "css" / "pdf.css"), font_config=polices, url_fetcher=lecteur),
    ]
    document = HTML(string=html, base_url=Path(current_app.static_folder).as_uri() + "/", url_fetcher=lecteur)
    return document.write_pdf(stylesheets=feuilles, font_config=polices, pdf_variant=VARIANTE_PDF, pdf_tags=True)


def pdf_minimal(*lignes):
    """A small valid one-page PDF holding these lines of text, built by hand (demo data and tests):
    no template, no WeasyPrint. Text is limited to Windows-1252, the standard fonts' encoding."""

    def echapper(texte):
        return texte.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    flux = "BT /F1 11 Tf 56 780 Td 14 TL " + " ".join(f"({echapper(ligne)}) '" for ligne in lignes) + " ET"
    flux_octets = flux.encode("cp1252", "replace")
    objets = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(flux_octets)).encode() + b" >>\nstream\n" + flux_octets + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    sortie = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    positions = []
    for numero, objet in enumerate(objets, start=1):
        positions.append(len(sortie))
        sortie += f"{numero} 0 obj\n".encode() + objet + b"\nendobj\n"
    debut_xref = len(sortie)
    sortie += f"xref\n0 {len(objets) + 1}\n0000000000 65535 f \n".encode()
    for position in positions:
        sortie += f"{position:010d} 00000 n \n".encode()
    sortie += f"trailer\n<< /Size {len(objets) + 1} /Root 1 0 R >>\nstartxref\n{debut_xref}\n%%EOF\n".encode()
    return bytes(sortie)


def produire_lettre(gabarit, nom, *, service, par, notifie_le, **contexte):
    """Renders a decision letter (`templates/documents/lettre.html` extended) and stores it (its SHA-256 kept)."""
    from .fichiers import enregistrer_produit

    contenu = rendre_pdf(gabarit, service=service, notifie_le=notifie_le, **contexte)
    return enregistrer_produit(nom, contenu, "pdf", par=par, service_id=service.id)
