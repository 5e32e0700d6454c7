"""Spreadsheet exports: typed cells, euro format, frozen header, autofilter, user text never a formula."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from aap.exports import Classeur, Colonne, cellule_csv

DANGEREUX = [
    '=HYPERLINK("http://pirate.example","clic")',
    "+33 6 12",
    "-2+3",
    "@SUM(A1)",
    "\tdébut",
    "\rretour",
    "=1+1",
]


def lire(reponse):
    return openpyxl.load_workbook(io.BytesIO(b"".join(reponse.response)))


def test_cellules_typees_et_texte_jamais_formule(app):
    with app.test_request_context():
        classeur = Classeur(
            "Dossiers",
            [
                Colonne("Texte"),
                Colonne("Montant", "euros"),
                Colonne("ETP", "decimal"),
                Colonne("Taux", "pourcentage"),
                Colonne("Déposé le", "instant"),
                Colonne("Recevable le", "date"),
                Colonne("Nombre", "entier"),
                Colonne("Émergente", "booleen"),
            ],
        )
        for valeur in DANGEREUX:
            classeur.ligne(
                [
                    valeur,
                    Decimal("1234.50"),
                    Decimal("0.5"),
                    Decimal("0.7"),
                    datetime(2022, 10, 31, 20, 59, tzinfo=UTC),
                    date(2022, 11, 2),
                    3,
                    True,
                ]
            )
        classeur.ligne([None, None, None, None, None, None, None, None])
        reponse = classeur.reponse("dossiers.xlsx")
        assert reponse.headers["Content-Disposition"] == 'attachment; filename="dossiers.xlsx"'
        feuille = lire(reponse).active
    assert feuille.freeze_panes == "A2"
    assert feuille.auto_filter.ref == "A1:H9"
    for ligne, valeur in enumerate(DANGEREUX, start=2):
        cellule = feuille.cell(ligne, 1)
        # openpyxl ne décode pas l'échappement _x000D_ du format xlsx (Excel, lui, le décode).
        assert cellule.data_type == "s" and cellule.value.replace("_x000D_", "\r") == valeur
    montant = feuille.cell(2, 2)
    assert montant.value == 1234.5 and "€" in montant.number_format
    assert feuille.cell(2, 5).value == datetime(2022, 10, 31, 23, 59)  # heure de Mayotte
    assert feuille.cell(2, 6).value == datetime(2022, 11, 2)
    assert feuille.cell(2, 8).value == "oui"


@pytest.mark.parametrize("valeur", DANGEREUX)
def test_csv_prefixe_les_debuts_dangereux(valeur):
    assert cellule_csv(valeur) == "'" + valeur


def test_csv_laisse_le_reste():
    assert cellule_csv("Association AMIC") == "Association AMIC"
    assert cellule_csv(None) == ""
    assert cellule_csv(12) == "12"
