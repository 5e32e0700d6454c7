"""Formula injection through every spreadsheet export of the product: text typed by porteurs, members and
administrators that starts with =, +, -, @, a tab or a carriage return is read back from each downloaded file
(openpyxl) as that very text, and no cell of any sheet is a formula. A CSV has no cell types: there, such a text
is read back behind an apostrophe, and no field starts with a character a spreadsheet would run.

The exports are found from the URL map (`.xlsx`/`.csv` addresses) and the views' code (one that builds or
answers a spreadsheet or CSV): a new export that is not listed in `EXPORTS` below fails the first test.
"""

import csv
import inspect
import io
from decimal import Decimal

import openpyxl
from flask import url_for

from aap.exports import DEBUTS_DANGEREUX
from aap.extensions import db
from notation import operations as operations_notation
from notation.models import Phase

from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture : documents d'une page)
from .test_exports import DANGEREUX

TYPES_TABLEUR = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv")

# endpoint → paramètres d'URL (clés du monde ci-dessous)
EXPORTS = {
    "candidatures.export": {},
    "notation.classeur": {"seance_id": "seance"},
    "api_notation.classeur": {"seance_id": "seance"},
    "conventions.tableau_de_bord_xlsx": {},
    "conventions.donnees_ouvertes": {},
    "donnees_ouvertes.fichier_publie": {"code": "code"},
}
# Les textes dangereux que chaque export reprend (par défaut : tous).
REPRIS = {
    "candidatures.export": set(DANGEREUX[:2] + DANGEREUX[4:6]),
    "conventions.tableau_de_bord_xlsx": {DANGEREUX[0]},  # la structure de la convention
    "conventions.donnees_ouvertes": {DANGEREUX[0], DANGEREUX[1]},  # bénéficiaire, objet
    "donnees_ouvertes.fichier_publie": {DANGEREUX[0], DANGEREUX[1]},
}


def exports_de_l_application(app):
    """Pages whose address ends in .xlsx or .csv, and views whose code (decorators included) answers a
    spreadsheet or CSV (the OpenAPI document does not describe file downloads)."""
    trouves = set()
    for regle in app.url_map.iter_rules():
        vue = inspect.unwrap(app.view_functions[regle.endpoint])
        try:
            source = inspect.getsource(vue).lower()
        except (OSError, TypeError):
            source = ""
        if regle.rule.endswith((".xlsx", ".csv")) or any(
            m in source for m in ('["xlsx"]', "classeur(", "text/csv", "csv.writer")
        ):
            trouves.add(regle.endpoint)
    return trouves


def test_tous_les_exports_sont_eprouves(app):
    assert exports_de_l_application(app) == set(EXPORTS), "un export nouveau doit être ajouté à EXPORTS"


def _monde(fab):
    """A closed session whose every user-typed text starts dangerously: structures, titles, members' names,
    comments, conditions, motif, and the campaign's criterion names (typed by an administrator)."""
    campagne = fab.campagne(etat="cloturee")
    campagne.criteres[0].libelle = DANGEREUX[6]
    agent = fab.utilisateur("agent", service=campagne.service, prenom="", nom=DANGEREUX[3])
    membre = fab.utilisateur("copil", service=campagne.service, prenom="", nom=DANGEREUX[2])
    dossiers = []
    for raison_sociale, titre in ((DANGEREUX[0], DANGEREUX[1]), (DANGEREUX[4], DANGEREUX[5])):
        structure = fab.structure(service=campagne.service, raison_sociale=raison_sociale)
        dossiers.append(fab.dossier_pour_copil(campagne=campagne, structure=structure, titre=titre))
    seance = fab.seance(campagne=campagne, membres=[agent, membre], president=agent, dossiers=dossiers, phase=Phase.DELIBERATION)
    code = campagne.criteres[0].code
    for dossier in dossiers:
        for personne in (agent, membre):
            feuille = fab.feuille(seance, dossier, personne, commentaires={code: DANGEREUX[4]})
            feuille.commentaire = DANGEREUX[5]
    fab.decision(
        dossier=dossiers[0], seance=seance, notifie_le=None, conditions=DANGEREUX[0], montant_accorde=Decimal("30000.00")
    )
    fab.decision("ajourne", dossier=dossiers[1], seance=seance, notifie_le=None, motif=DANGEREUX[1])
    operations_notation.changer_phase(seance, Phase.CLOSE, par=agent)
    db.session.commit()
    # Une convention signée de la première structure (au-delà de 23 000 € : elle est dans les données ouvertes).
    dossier = fab.dossier_pour_copil(campagne=campagne, structure=dossiers[0].structure, titre=DANGEREUX[1])
    decision = fab.decision(dossier=dossier, decide_par=agent, montant_accorde=Decimal("35000.00"))
    fab.convention(decision=decision, par=agent, signee=True)
    db.session.commit()
    return agent, {"seance": seance.id, "code": campagne.service.code}


def _cellules(reponse):
    """(type, text) of every non-empty cell of every sheet (xlsx) or every field (csv)."""
    if reponse.mimetype == "text/csv":
        return [("s", v) for ligne in csv.reader(io.StringIO(reponse.get_data(as_text=True))) for v in ligne if v]
    classeur = openpyxl.load_workbook(io.BytesIO(reponse.data))
    cellules = []
    for feuille in classeur.worksheets:
        for ligne in feuille.iter_rows():
            for cellule in ligne:
                if cellule.value is not None:
                    # openpyxl ne décode pas l'échappement _x000D_ du format xlsx (Excel, lui, le décode).
                    valeur = cellule.value.replace("_x000D_", "\r") if isinstance(cellule.value, str) else cellule.value
                    cellules.append((cellule.data_type, valeur))
    return cellules


def test_aucune_cellule_d_aucun_export_n_est_une_formule(app, client_de, fab, documents_rapides):  # noqa: F811
    agent, ids = _monde(fab)
    session = client_de(agent)
    jeton, _ = fab.jeton(agent)
    for endpoint, params in EXPORTS.items():
        with app.test_request_context():
            url = url_for(endpoint, **{nom: ids[cle] for nom, cle in params.items()})
        entetes = {"Authorization": f"Bearer {jeton}"} if endpoint.startswith("api_") else {}
        reponse = session.get(url, headers=entetes)
        assert reponse.status_code == 200, url
        assert reponse.mimetype in TYPES_TABLEUR
        assert reponse.headers["Content-Disposition"].startswith("attachment")
        assert reponse.headers["X-Content-Type-Options"] == "nosniff"
        cellules = _cellules(reponse)
        formules = [valeur for type_, valeur in cellules if type_ == "f"]
        assert not formules, f"{url} : formules {formules}"
        textes = {valeur for type_, valeur in cellules if type_ == "s"}
        attendus = REPRIS.get(endpoint, set(DANGEREUX))
        if reponse.mimetype == "text/csv":
            executables = [v for v in textes if v.startswith(DEBUTS_DANGEREUX)]
            assert not executables, f"{url} : champs exécutables par un tableur {executables}"
            attendus = {"'" + t for t in attendus}
            textes |= {v.split(" — ")[0] for v in textes}  # l'objet : « titre — convention, année 1 »
        assert attendus <= textes, f"{url} : textes perdus ou altérés {attendus - textes}"
