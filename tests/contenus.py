"""Real file contents for tests: valid documents of each accepted type, and hostile ones."""

import io
import struct
import zipfile
import zlib

import docx
import xlsxwriter

from aap.pdf import pdf_minimal


def pdf(*lignes):
    return pdf_minimal(*(lignes or ("Document de test",)))


def pdf_avec_javascript():
    contenu = pdf("Formulaire")
    return contenu.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")


def docx_valide(texte="Rapport d'activité"):
    document = docx.Document()
    document.add_paragraph(texte)
    sortie = io.BytesIO()
    document.save(sortie)
    return sortie.getvalue()


def xlsx_valide():
    sortie = io.BytesIO()
    classeur = xlsxwriter.Workbook(sortie)
    classeur.add_worksheet().write_string(0, 0, "Budget")
    classeur.close()
    return sortie.getvalue()


def _odf(mimetype):
    sortie = io.BytesIO()
    with zipfile.ZipFile(sortie, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # premier, non compressé, comme le veut ODF
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>", compress_type=zipfile.ZIP_DEFLATED)
    return sortie.getvalue()


def odt_valide():
    return _odf("application/vnd.oasis.opendocument.text")


def ods_valide():
    return _odf("application/vnd.oasis.opendocument.spreadsheet")


def png_valide():
    def morceau(type_, donnees):
        return struct.pack(">I", len(donnees)) + type_ + donnees + struct.pack(">I", zlib.crc32(type_ + donnees))

    entete = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + morceau(b"IHDR", entete) + morceau(b"IDAT", zlib.compress(b"\x00\x00")) + morceau(b"IEND", b"")


def jpeg_valide():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def executable():
    """The start of a Windows executable (MZ header), whatever it is named."""
    entete = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    return entete + b"\x00" * 200 + b"This program cannot be run in DOS mode"


def html_deguise():
    return b"<!doctype html><script>alert(document.cookie)</script>"


def bombe_docx(taille=300 * 1024 * 1024):
    """A DOCX-looking zip whose one member inflates to `taille` bytes of zeros."""
    sortie = io.BytesIO()
    with zipfile.ZipFile(sortie, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        bloc = b"\x00" * (1024 * 1024)
        with archive.open("word/media/vide.bin", "w", force_zip64=True) as membre:
            for _ in range(taille // len(bloc)):
                membre.write(bloc)
    return sortie.getvalue()


def docx_avec_macros():
    sortie = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_valide())) as source, zipfile.ZipFile(sortie, "w") as cible:
        for membre in source.infolist():
            cible.writestr(membre, source.read(membre.filename))
        cible.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macros")
    return sortie.getvalue()
