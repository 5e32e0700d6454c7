"""Open data of the grants (décret n° 2017-779): the SCDL « subventions » 2.1.1 file passes the official Table
Schema with frictionless (0 errors) and its custom checks, for two services, long titles and renamed
structures; each service publishes its file on a public page with its update date and its licence."""

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from frictionless import Resource, Schema, validate
from stdnum.fr import siret

from aap.extensions import db
from candidatures.models import Depot
from candidatures.synthese import instantane
from conventions import avenants
from conventions.donnees_ouvertes import COLONNES_SCDL, OBJET_MAX

from .conftest import texte
from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture)
from .factories import a_mayotte
from .test_conventions_tableau import OBJECTIFS

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "schemas"
D = Decimal


def rapport_frictionless(contenu):
    """frictionless's report on a CSV against the official schema, plus the schema's `custom_checks` (SIRET
    keys, one of idBeneficiaire / rnaBeneficiaire), which frictionless leaves to Validata."""
    descripteur = json.loads((SCHEMAS / "scdl-subventions-2.1.1.schema.json").read_text(encoding="utf-8"))
    rapport = validate(Resource(data=contenu, format="csv", encoding="utf-8", schema=Schema.from_descriptor(descripteur)))
    erreurs = [e.message for tache in rapport.tasks for e in tache.errors]
    for ligne in csv.DictReader(io.StringIO(contenu.decode("utf-8"))):
        for colonne in ("idAttribuant", "idBeneficiaire"):
            if ligne[colonne] and not siret.is_valid(ligne[colonne]):
                erreurs.append(f"french-siret-value : {colonne} {ligne[colonne]}")
        if not (ligne["idBeneficiaire"] or ligne["rnaBeneficiaire"]):
            erreurs.append("one-of-required : idBeneficiaire, rnaBeneficiaire")
    return rapport, erreurs


def test_l_exemple_officiel_passe_et_l_ancien_format_echoue():
    """The check has reach: the official valid example passes, the `_` separator and an empty idAttribuant fail."""
    exemple = (SCHEMAS / "scdl-subventions-2.1.1.exemple-valide.csv").read_bytes()
    assert rapport_frictionless(exemple)[1] == []
    fautif = exemple.replace(b"2017-03-30/2017-05-24", b"2017-03-30_2017-05-24").replace(b",21060004500392,", b",,", 1)
    erreurs = rapport_frictionless(fautif)[1]
    assert any("datesPeriodeVersement" in e for e in erreurs) and any("idAttribuant" in e for e in erreurs)


def _filer(dossier):
    """The filed snapshot (the name the convention is signed with)."""
    instant = dossier.depose_le
    contenu = instantane(dossier, 1, instant)
    db.session.add(
        Depot(dossier=dossier, rang=1, depose_le=instant, instantane=json.dumps(contenu, default=str), empreinte="0" * 64)
    )
    db.session.commit()


@pytest.fixture
def deux_services(fab, documents_rapides):  # noqa: F811
    """Signed conventions in Mayotte and La Réunion: a 250-character title, a structure renamed after filing,
    a renewal by avenant signed the next year, a grant under the 23 000 € threshold."""
    conventions = {}
    for code in ("976", "974"):
        service = fab.service(code=code)
        campagne = fab.campagne(service=service, etat="cloturee", credits=D("500000.00"))
        agent = fab.utilisateur("agent", service=service)
        for cle, montant, titre in (
            ("longue", "45000.00", ("Facilitation des clauses sociales d'insertion " * 10)[:250]),
            ("renommee", "30000.00", None),
            ("petite", "20000.00", None),
        ):
            structure = fab.structure(service=service, raison_sociale=f"Association {cle} {code}")
            dossier = fab.dossier_pour_copil(campagne=campagne, structure=structure, montant_demande=D(montant), titre=titre)
            _filer(dossier)
            with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
                decision = fab.decision(dossier=dossier, notifie_le=a_mayotte(2030, 1, 10))
                conventions[code, cle] = fab.convention(
                    decision=decision,
                    date_effet=date(2030, 2, 1),
                    par=agent,
                    objectifs=OBJECTIFS,
                    signee=True,
                    avance_payee=True,
                )
        conventions[code, "renommee"].structure.raison_sociale = "Nouveau nom choisi après la signature"
        db.session.commit()
    return conventions


def _csv(client, code):
    reponse = client.get(f"/donnees-ouvertes/{code}/subventions.csv")
    assert reponse.status_code == 200 and reponse.mimetype == "text/csv"
    return reponse.data


@pytest.mark.parametrize("code", ["976", "974"])
def test_le_fichier_publie_est_valide_selon_le_schema_officiel(client, deux_services, code):
    contenu = _csv(client, code)
    rapport, erreurs = rapport_frictionless(contenu)
    assert rapport.valid and erreurs == [], erreurs
    lignes = list(csv.DictReader(io.StringIO(contenu.decode("utf-8"))))
    assert list(lignes[0]) == COLONNES_SCDL
    service = deux_services[code, "longue"].service
    # Au-dessus de 23 000 € seulement ; l'attribuant est le service, par son SIRET.
    assert {ligne["referenceDecision"] for ligne in lignes} == {deux_services[code, c].numero for c in ("longue", "renommee")}
    assert {(ligne["nomAttribuant"], ligne["idAttribuant"]) for ligne in lignes} == {(service.nom, service.siret)}
    par_reference = {ligne["referenceDecision"]: ligne for ligne in lignes}
    longue = par_reference[deux_services[code, "longue"].numero]
    assert len(longue["objet"]) <= OBJET_MAX and longue["objet"].endswith("— convention, année 1")
    assert longue["datesPeriodeVersement"] == "2030-02-01/2031-01-31" and longue["pourcentageSubvention"] == "1.00"
    # Le nom du bénéficiaire est celui du dossier déposé, sur lequel la convention est signée.
    assert par_reference[deux_services[code, "renommee"].numero]["nomBeneficiaire"] == f"Association renommee {code}"
    autre = "976" if code == "974" else "974"
    assert not any(autre in ligne["referenceDecision"] for ligne in lignes)


def test_un_avenant_signe_ajoute_sa_ligne_valide(client, fab, deux_services):
    convention = deux_services["974", "longue"]
    agent = fab.utilisateur("agent", service=convention.service)
    with time_machine.travel(a_mayotte(2030, 11, 20), tick=False):
        fab.bilan_depose(convention.premiere.bilan_annuel, facteur=D("1.1"), approuve=True, agent=agent)
        annee = avenants.renouveler(
            convention, montant="45000.00", objectifs={k: str(v) for k, v in convention.premiere.cibles().items()}, par=agent
        )
        db.session.commit()
    with time_machine.travel(a_mayotte(2031, 1, 26), tick=False):
        fab.signer(annee, date(2031, 1, 25), par=agent)
    contenu = _csv(client, "974")
    assert rapport_frictionless(contenu)[1] == []
    assert f"{convention.numero}-A1" in contenu.decode("utf-8")


def test_la_page_publique_donne_le_fichier_sa_date_et_sa_licence(client, deux_services):
    page = texte(client.get("/donnees-ouvertes/974/"))
    assert "DEETS de La Réunion" in page and "Mayotte" not in page
    assert "/donnees-ouvertes/974/subventions.csv" in page
    assert "Mis à jour le" in page and "13 janvier 2030" in page
    assert "Licence Ouverte / Open Licence version 2.0" in page
    assert "/donnees-ouvertes/974/" in texte(client.get("/donnees-ouvertes/"))


def test_sans_siret_le_fichier_attend_et_la_page_le_dit(client, deux_services):
    service = deux_services["976", "longue"].service
    service.siret = ""
    db.session.commit()
    assert client.get("/donnees-ouvertes/976/subventions.csv").status_code == 404
    assert "publication en attente" in texte(client.get("/donnees-ouvertes/976/"))
    assert client.get("/donnees-ouvertes/999/").status_code == 404
