"""The DEETS dashboard (figures, charts with their tables), its Excel export (native charts, text that never
becomes a formula) and the open-data export of the grants in the SCDL « subventions » schema."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from sqlalchemy import select

from aap.aap2022 import MAYOTTE
from aap.extensions import db
from conventions import avenants, delais, lecture
from conventions.donnees_ouvertes import COLONNES_SCDL
from conventions.models import Convention

from .conftest import texte
from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture : documents d'une page)

D = Decimal
FORMULE = '=HYPERLINK("http://exemple.invalid","cliquez")'
OBJECTIFS = {
    "facilitateur.heures_insertion_etp": "10000",
    "facilitateur.contacts_acheteurs": "30",
    "facilitateur.marches_accompagnes": "10",
    "ensemble.marches_nombre": "10",
    "ensemble.heures_insertion_realisees": "10000",
}


def a_mayotte(annee, mois, jour, heure=10):
    return datetime(annee, mois, jour, heure, 0, tzinfo=MAYOTTE)


@pytest.fixture
def parc(fab, documents_rapides):  # noqa: F811
    """Campaign 2030 (credits 200 000 €) of service 976: a convention in its second year after an approved annual
    report (hours declared 10 % above target), one signed with its advance paid, one awaiting its late signature, a
    small one (20 000 €) signed; and a convention of another service."""
    service = fab.service()
    campagne = fab.campagne(service=service, etat="cloturee", credits=D("200000.00"))
    agent = fab.utilisateur("agent", service=service)

    def decision(montant, raison_sociale=None):
        structure = fab.structure(service=service, raison_sociale=raison_sociale or f"Structure {montant}")
        dossier = fab.dossier_pour_copil(campagne=campagne, structure=structure, montant_demande=D(montant))
        return fab.decision(dossier=dossier, notifie_le=a_mayotte(2030, 1, 10))

    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        renouvelee = fab.convention(
            decision=decision("35000.00", FORMULE),
            date_effet=date(2030, 2, 1),
            par=agent,
            objectifs=OBJECTIFS,
            signee=True,
            avance_payee=True,
        )
        payee = fab.convention(
            decision=decision("40000.00"),
            date_effet=date(2030, 2, 1),
            par=agent,
            objectifs=OBJECTIFS,
            signee=True,
            avance_payee=True,
        )
        petite = fab.convention(
            decision=decision("20000.00"), date_effet=date(2030, 2, 1), par=agent, objectifs=OBJECTIFS, signee=True
        )
        en_retard = fab.convention(decision=decision("30000.00"), date_effet=date(2030, 2, 1), par=agent, objectifs=OBJECTIFS)
    with time_machine.travel(a_mayotte(2030, 11, 20), tick=False):
        fab.bilan_depose(renouvelee.premiere.bilan_annuel, facteur=Decimal("1.1"), approuve=True, agent=agent)
        convention = lecture.charger(renouvelee.id)
        avenants.renouveler(
            lecture.charger(renouvelee.id),
            montant="35000.00",
            objectifs={k: str(v) for k, v in convention.premiere.cibles().items()},
            par=agent,
        )
        db.session.commit()
    ailleurs = fab.service(code="974", nom="DEETS de La Réunion")
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        autre = fab.convention(
            decision=fab.decision(
                dossier=fab.dossier_pour_copil(
                    campagne=fab.campagne(service=ailleurs, etat="cloturee"), montant_demande=D("50000.00")
                ),
                notifie_le=a_mayotte(2030, 1, 10),
            ),
            date_effet=date(2030, 2, 1),
            signee=True,
            objectifs=OBJECTIFS,
        )
    return {
        "campagne": campagne,
        "agent": agent,
        "renouvelee": renouvelee,
        "payee": payee,
        "petite": petite,
        "en_retard": en_retard,
        "autre": autre,
        "national": fab.utilisateur("national"),
    }


def test_les_chiffres_du_tableau_de_bord(client_de, parc):
    with time_machine.travel(a_mayotte(2030, 12, 1), tick=False):
        page = texte(client_de(parc["agent"]).get(f"/conventions/tableau-de-bord?campagne={parc['campagne'].id}"))
    chiffres = {
        "credits": "600\u202f000,00\u00a0€",  # 200 000 € par année budgétaire
        "engage": "160\u202f000,00\u00a0€",  # 125 000 accordés par le COPIL + 35 000 d'avenant
        "verse": "37\u202f500,00\u00a0€",  # avances de 17 500 et 20 000 (les soldes attendent les comptes rendus)
        "restant": "440\u202f000,00\u00a0€",
    }
    for cle, valeur in chiffres.items():
        assert f'id="chiffre-{cle}">{valeur}' in page, cle
    # Par année budgétaire : crédits, accordé par le COPIL (année 1), renouvelé par avenant (année 2), restant.
    annee = parc["campagne"].annee
    lignes = {
        "1": (f"Année 1 ({annee})", "200\u202f000,00", "125\u202f000,00", "0,00", "75\u202f000,00"),
        "2": (f"Année 2 ({annee + 1})", "200\u202f000,00", "0,00", "35\u202f000,00", "165\u202f000,00"),
        "3": (f"Année 3 ({annee + 2})", "200\u202f000,00", "0,00", "0,00", "200\u202f000,00"),
        "total": ("Total", "600\u202f000,00", "125\u202f000,00", "35\u202f000,00", "440\u202f000,00"),
    }
    for rang, (libelle, *montants) in lignes.items():
        attendu = f'<tr id="annee-budgetaire-{rang}"><th scope="row">{libelle}</th>' + "".join(
            f'<td class="aap-nombre">{m}\u00a0€</td>' for m in montants
        )
        assert attendu in page, rang
    assert 'id="etp-facilitateurs">4,0</strong>' in page  # les années en cours de quatre conventions
    assert 'id="etat-signature_en_retard">1<' in page and 'id="etat-avenant_a_signer">1<' in page
    assert 'id="etat-en_cours">2<' in page
    # Chaque graphique a son tableau ; les heures déclarées (11 000) face à l'objectif (quatre fois 10 000).
    assert 'aria-describedby="graphique-heures-table"' in page and 'id="graphique-heures-table"' in page
    assert '<th scope="row">2030</th>' in page and "40\u202f000" in page and "11\u202f000" in page
    assert "Signature de la convention" in page  # en retard
    assert "DEETS de La Réunion" not in page and parc["autre"].numero not in page


def _lue_des_objets(convention):
    """The dashboard's convention built from the ORM objects the convention pages load."""
    annees = tuple(
        lecture.AnneeLue(
            a.id,
            a.montant,
            a.etp_facilitateur,
            a.etp_coordinateur,
            a.reversement.montant if a.reversement else None,
            versements=tuple((v.etat, v.montant, v.paye_le) for v in a.versements),
            objectifs=tuple((f"{o.poste}.{o.code}", o.cible) for o in a.objectifs),
        )
        for a in convention.annees
    )
    return lecture.ConventionLue(
        lecture.etat(convention), convention.structure.raison_sociale, convention.service_id, convention.service.fuseau, annees
    )


def _lues_des_objets(filtre):
    requete = select(Convention).where(filtre)
    return [_lue_des_objets(c) for c in lecture.conventions_de(requete, lecture.options_annees())]


def _contenu(reponse):
    """The page between its title and its end of content (the head's CSRF token differs from one client to another)."""
    page = reponse.get_data(as_text=True)
    return page[page.index("<h1>") : page.index("</main>")]


def test_le_tableau_de_bord_lu_en_lignes_egal_a_celui_des_objets(client_de, parc, fab, monkeypatch):
    """The dashboard reads its conventions as rows (`lecture.conventions_lues`): the same states, deadlines and
    figures, and the same pages, as from the ORM objects, on a world with an avenant to sign, paid and due payments,
    a reversement, approved, filed and unfiled reports, a late signature, two services."""
    agent = parc["agent"]
    # La convention payée : 10 000 € de dépenses pour 20 000 € d'avance, un reversement ; l'autre service, un bilan
    # annuel déposé, à examiner.
    with time_machine.travel(a_mayotte(2030, 11, 20), tick=False):
        payee = lecture.charger(parc["payee"].id)
        fab.bilan_depose(payee.premiere.bilan_annuel, depenses="10000.00", approuve=True, agent=agent)
        fab.bilan_depose(lecture.charger(parc["autre"].id).premiere.bilan_annuel)
    with time_machine.travel(a_mayotte(2031, 1, 31) + timedelta(days=10), tick=False):
        annee = lecture.charger(payee.id).premiere
        fab.bilan_depose(annee.compte_rendu_financier, depenses="10000.00", approuve=True, agent=agent)
    filtre = Convention.id.is_not(None)
    adresses = {
        agent: f"/conventions/tableau-de-bord?campagne={parc['campagne'].id}",
        parc["national"]: "/conventions/tableau-de-bord",
    }
    with time_machine.travel(a_mayotte(2031, 3, 1), tick=False):
        lues = lecture.conventions_lues(filtre)
        assert lues == _lues_des_objets(filtre)
        en_lignes = [_contenu(client_de(qui).get(adresse)) for qui, adresse in adresses.items()]
        monkeypatch.setattr(lecture, "conventions_lues", _lues_des_objets)
        des_objets = [_contenu(client_de(qui).get(adresse)) for qui, adresse in adresses.items()]
    assert len(lues) == 5 and any(a.reversement for c in lues for a in c.annees)
    assert {e.nature for c in lues for e in delais.echeances(c.etat, date(2031, 3, 1))} >= {"signature", "versement", "examen"}
    assert "Signature de la convention" in en_lignes[0] and parc["autre"].numero in en_lignes[1]
    assert en_lignes == des_objets


def test_le_national_voit_tous_les_services_et_en_choisit_un(client_de, parc, app, fab):
    with time_machine.travel(a_mayotte(2030, 12, 1), tick=False):
        national = client_de(parc["national"])
        tout = texte(national.get("/conventions/tableau-de-bord"))
        assert 'id="chiffre-verse">37\u202f500,00\u00a0€' in tout  # l'autre service n'a rien versé
        assert 'id="etp-facilitateurs">5,0</strong>' in tout
        seul = texte(national.get(f"/conventions/tableau-de-bord?service={parc['autre'].service_id}"))
        assert 'id="etp-facilitateurs">1,0</strong>' in seul
        jeton, _ = fab.jeton(parc["national"])
        chiffres = app.test_client().get("/api/v1/tableau-de-bord", headers={"Authorization": f"Bearer {jeton}"}).json
    assert chiffres["conventions"] == 5 and chiffres["verse"] == "37500.00" and chiffres["avenants"] == "35000.00"
    # Chaque montant avec ses centimes, les reversements compris (ils arrivaient en "0").
    montants = ("credits", "accorde_copil", "avenants", "engage", "verse", "a_verser", "restant", "reversements")
    assert all(re.fullmatch(r"-?\d+\.\d{2}", chiffres[cle]) for cle in montants), chiffres
    assert chiffres["par_annee"][0]["exercice"] == 2030


def test_l_export_excel_consolide_avec_graphiques_natifs_et_sans_formule(client_de, parc):
    with time_machine.travel(a_mayotte(2030, 12, 1), tick=False):
        reponse = client_de(parc["agent"]).get(f"/conventions/tableau-de-bord.xlsx?campagne={parc['campagne'].id}")
    assert reponse.status_code == 200
    classeur = openpyxl.load_workbook(io.BytesIO(reponse.data))
    assert classeur.sheetnames == ["Synthèse", "Par exercice", "Indicateurs", "Conventions", "Retards"]
    synthese = {ligne[0]: ligne[1] for ligne in classeur["Synthèse"].iter_rows(min_row=2, values_only=True) if ligne[0]}
    assert synthese["Versé"] == 37500 and synthese["Crédits (années 1 à 3)"] == 600000
    conventions = list(classeur["Conventions"].iter_rows(min_row=2, values_only=True))
    assert FORMULE in [ligne[1] for ligne in conventions]
    cellule = next(c for ligne in classeur["Conventions"].iter_rows(min_row=2) for c in ligne if c.value == FORMULE)
    assert cellule.data_type == "s"  # du texte, jamais une formule
    indicateurs = {ligne[1]: ligne[2:] for ligne in classeur["Indicateurs"].iter_rows(min_row=2, values_only=True)}
    assert indicateurs["Heures d'insertion dégagées par l'ETP subventionné"][:2] == (11000, 40000)
    assert len(classeur["Synthèse"]._charts) == 1 and len(classeur["Par exercice"]._charts) == 2
    retards = list(classeur["Retards"].iter_rows(min_row=2, values_only=True))
    assert any(ligne[2] == "Signature de la convention" for ligne in retards)


def test_les_donnees_ouvertes_au_format_scdl_subventions(client_de, parc):
    service = parc["campagne"].service
    service.siret = "13000000000010"
    db.session.commit()
    with time_machine.travel(a_mayotte(2030, 12, 1), tick=False):
        reponse = client_de(parc["agent"]).get("/conventions/donnees-ouvertes.csv")
    assert reponse.mimetype == "text/csv"
    lignes = list(csv.DictReader(io.StringIO(reponse.data.decode("utf-8"))))
    assert list(lignes[0]) == COLONNES_SCDL
    # Décret 2017-779 : au-dessus de 23 000 € seulement ; une ligne par année signée (l'avenant n'est pas signé).
    par_reference = {ligne["referenceDecision"]: ligne for ligne in lignes}
    assert set(par_reference) == {parc["renouvelee"].numero, parc["payee"].numero}
    ligne = par_reference[parc["payee"].numero]
    assert ligne["montant"] == "40000.00" and ligne["idAttribuant"] == "13000000000010"
    assert ligne["idBeneficiaire"] == parc["payee"].structure.siret
    assert ligne["dateConvention"] == "2030-01-13" and ligne["datesPeriodeVersement"] == "2030-02-01/2031-01-31"
    assert ligne["nature"] == "aide en numéraire" and ligne["conditionsVersement"] == "échelonné"
    assert ligne["notificationUE"] == "non" and ligne["pourcentageSubvention"] == "1.00"
    assert par_reference[parc["renouvelee"].numero]["nomBeneficiaire"] == "'" + FORMULE
