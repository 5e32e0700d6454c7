"""Spreadsheet exports: typed cells, euro format, frozen header, autofilter, and user text that is never a formula.

Every text cell goes through `write_string`, and the workbook is opened with the options that stop
xlsxwriter from turning strings into formulas, links or numbers: a raison sociale typed as
`=HYPERLINK("http://…")` or `@SUM(…)` stays that text. CSV cells get the usual apostrophe prefix.

    classeur = Classeur("Dossiers", [Colonne("Numéro"), Colonne("Montant", "euros"), Colonne("Déposé le", "instant")])
    for dossier in lot:
        classeur.ligne([dossier.numero, dossier.montant_demande, dossier.depose_le])
    return classeur.reponse("dossiers.xlsx")

The workbook is written row by row to a temporary file (`constant_memory`: memory does not grow with
the number of rows), then streamed to the client in blocks and erased.
"""

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import xlsxwriter
from flask import Response

from . import formats

TYPE_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEBUTS_DANGEREUX = ("=", "+", "-", "@", "\t", "\r", "\n")
FORMATS = {
    "texte": {},
    "entier": {"num_format": "0"},
    "decimal": {"num_format": "0.0#"},
    "euros": {"num_format": '#,##0.00\\ "€"'},
    "pourcentage": {"num_format": "0.00%"},
    "date": {"num_format": "dd/mm/yyyy"},
    "instant": {"num_format": "dd/mm/yyyy hh:mm"},
    "booleen": {},
}


@dataclass(frozen=True)
class Colonne:
    titre: str
    type: str = "texte"
    largeur: int = 18


def cellule_csv(valeur):
    """A CSV cell that a spreadsheet will not run: a leading =, +, -, @, tab or CR gets an apostrophe."""
    texte = "" if valeur is None else str(valeur)
    return "'" + texte if texte.startswith(DEBUTS_DANGEREUX) else texte


class Classeur:
    """One worksheet, written row by row. Columns are typed; text is always written as text."""

    def __init__(self, titre, colonnes, fuseau=None):
        self.colonnes = colonnes
        self.fuseau = formats.fuseau(fuseau)  # par défaut celui du service de la personne connectée
        descripteur, self.chemin = tempfile.mkstemp(suffix=".xlsx")
        os.close(descripteur)
        self.classeur = xlsxwriter.Workbook(
            self.chemin,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": "dd/mm/yyyy",
                "tmpdir": tempfile.gettempdir(),
            },
        )
        self.feuille = self.classeur.add_worksheet(titre[:31])
        self.formats = {nom: self.classeur.add_format(f) for nom, f in FORMATS.items()}
        entete = self.classeur.add_format({"bold": True, "bg_color": "#E3E3FD", "text_wrap": True, "valign": "top"})
        for i, colonne in enumerate(colonnes):
            self.feuille.set_column(i, i, colonne.largeur)
            self.feuille.write_string(0, i, colonne.titre, entete)
        self.feuille.freeze_panes(1, 0)
        self.lignes = 0

    def ligne(self, valeurs):
        self.lignes += 1
        for i, (colonne, valeur) in enumerate(zip(self.colonnes, valeurs, strict=True)):
            self.cellule(self.lignes, i, colonne.type, valeur)

    def cellule(self, ligne, col, type_, valeur):
        feuille, format_ = self.feuille, self.formats[type_]
        if valeur is None or valeur == "":
            feuille.write_blank(ligne, col, None, format_)
        elif type_ == "texte":
            feuille.write_string(ligne, col, str(valeur))
        elif type_ == "booleen":
            feuille.write_string(ligne, col, "oui" if valeur else "non")
        elif type_ in {"entier", "decimal", "euros", "pourcentage"}:
            # Un tableur ne connaît que les nombres binaires : la conversion se fait ici, à la sortie seulement.
            feuille.write_number(ligne, col, float(Decimal(valeur)), format_)
        elif type_ == "instant":
            local = valeur.astimezone(self.fuseau).replace(tzinfo=None)
            feuille.write_datetime(ligne, col, local, format_)
        elif type_ == "date":
            jour = valeur.date() if isinstance(valeur, datetime) else valeur
            feuille.write_datetime(ligne, col, datetime.combine(jour, datetime.min.time()), format_)
        else:
            raise ValueError(f"type de colonne inconnu : {type_}")

    def fermer(self):
        if self.lignes:
            self.feuille.autofilter(0, 0, self.lignes, len(self.colonnes) - 1)
        else:
            self.feuille.autofilter(0, 0, 0, len(self.colonnes) - 1)
        self.classeur.close()

    def reponse(self, nom_fichier):
        """Closes the workbook and streams it as a download; the temporary file is erased afterwards."""
        self.fermer()
        chemin = self.chemin

        def blocs():
            try:
                with open(chemin, "rb") as entree:
                    yield from iter(lambda: entree.read(64 * 1024), b"")
            finally:
                os.unlink(chemin)

        reponse = Response(blocs(), mimetype=TYPE_XLSX)
        reponse.headers["Content-Disposition"] = f'attachment; filename="{nom_fichier}"'
        reponse.headers["Content-Length"] = str(os.path.getsize(chemin))
        reponse.headers["X-Content-Type-Options"] = "nosniff"
        return reponse

    def abandonner(self):
        try:
            self.classeur.close()
        finally:
            os.unlink(self.chemin)


class ClasseurFeuilles(Classeur):
    """A `Classeur` with several worksheets and charts (the COPIL's workbook, the dashboard's export)."""

    def __init__(self, titre, colonnes):
        super().__init__(titre, colonnes)
        self.format_entete = self.classeur.add_format({"bold": True, "bg_color": "#E3E3FD", "text_wrap": True, "valign": "top"})
        self.format_titre = self.classeur.add_format({"bold": True})

    def _terminer_feuille(self):
        self.feuille.autofilter(0, 0, max(self.lignes, 0), len(self.colonnes) - 1)

    def nouvelle_feuille(self, titre, colonnes):
        self._terminer_feuille()
        self.colonnes = colonnes
        self.feuille = self.classeur.add_worksheet(titre[:31])
        for i, colonne in enumerate(colonnes):
            self.feuille.set_column(i, i, colonne.largeur)
            self.feuille.write_string(0, i, colonne.titre, self.format_entete)
        self.feuille.freeze_panes(1, 0)
        self.lignes = 0
        return self.feuille

    def titre(self, ligne, texte):
        self.feuille.write_string(ligne, 0, texte, self.format_titre)

    def octets(self):
        """Closes the workbook and returns its bytes; the temporary file is erased."""
        self.feuille.autofilter(0, 0, max(self.lignes, 0), len(self.colonnes) - 1)
        self.classeur.close()
        try:
            with open(self.chemin, "rb") as entree:
                return entree.read()
        finally:
            os.unlink(self.chemin)
