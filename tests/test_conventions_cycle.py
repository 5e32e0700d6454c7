"""A convention's three years, with time moved forward (Mayotte dates): creation from a retenu decision and its
documents, signature within 15 days (and late), the advance, the reports and their corrections loop, the
balance on the approved annual report (reduced, or turned into a reversement), the renewals — two, never three —
and the end of the convention."""

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import docx
import pypdf
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aap.aap2022 import MAYOTTE
from aap.erreurs import Refus
from aap.extensions import db
from aap.models import EntreeJournal
from conventions import avenants, bilans, lecture, operations, paiements
from conventions.models import Convention, StatutBilan, StatutConvention, TypeBilan, Versement

from .conftest import texte
from .contenus import pdf
from .fabrique_conventions import documents_rapides, valeurs_bilan  # noqa: F401  (fixture)

D = Decimal


def a_mayotte(annee, mois, jour, heure=10):
    return datetime(annee, mois, jour, heure, 0, tzinfo=MAYOTTE)


def champs_bilan(bilan, facteur=1, **surcharges):
    valeurs = {cle.replace(".", "__"): v for cle, v in valeurs_bilan(bilan, facteur).items()}
    return valeurs | {"version": str(bilan.version)} | surcharges


def objectifs_form(decision, dossier):
    return {
        f"objectif_{cle.replace('.', '__')}": str(v)
        for cle, v in operations.objectifs_proposes(dossier, decision.etp_facilitateur, decision.etp_coordinateur).items()
    }


@pytest.fixture
def decision_2030(fab):
    """A dossier retenu for 35 000,00 € (1 ETP of facilitator), notified on 10 January 2030 at 10:00 in Mayotte."""
    return fab.decision(montant_accorde=D("35000.00"), notifie_le=a_mayotte(2030, 1, 10))


def test_trois_annees_de_convention_dans_les_pages(fab, client_de, decision_2030):
    dossier = decision_2030.dossier
    agent = fab.utilisateur("agent", service=dossier.service)
    porteur = next(m for m in dossier.structure.membres if m.role == "porteur")

    with time_machine.travel(a_mayotte(2030, 1, 12), tick=False) as voyage:
        # Chaque saut dans le temps dépasse la durée d'inactivité des sessions : on se reconnecte.
        pour_agent, pour_porteur = client_de(agent), client_de(porteur)
        # La décision retenue attend sa convention ; l'agent la prépare, objectifs proposés d'après le dossier.
        page = texte(pour_agent.get("/conventions/"))
        assert "Décisions retenues sans convention (1)" in page and dossier.numero in page
        page = texte(pour_agent.get(f"/conventions/nouvelle/{decision_2030.id}"))
        assert "Signature au plus tard le 25 janvier 2030" in page and "Il reste 13 jours" in page
        reponse = pour_agent.post(
            f"/conventions/nouvelle/{decision_2030.id}",
            data={"date_effet": "2030-02-01", "mois_bilan_intermediaire": "6"} | objectifs_form(decision_2030, dossier),
        )
        assert reponse.status_code == 302
        convention = db.session.scalar(select(Convention).where(Convention.decision_id == decision_2030.id))
        assert re.fullmatch(r"CONV-\d{4}-976-0001", convention.numero)
        page = texte(pour_porteur.get(f"/conventions/{convention.id}"))
        assert "13 jours restants" in page and "du 1er février 2030 au 31 janvier 2031" in page

        # Le PDF à signer et le DOCX modifiable disent la même chose : tout ce que l'appel exige.
        contenu_pdf = pour_porteur.get(f"/conventions/{convention.id}/annees/1/pdf").data
        lu = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(contenu_pdf)).pages)
        lu = re.sub(r"\s+", " ", lu)
        for attendu in (
            "Convention n° " + convention.numero,
            "35 000,00 €",
            "Avance (50 %)",
            "17 500,00 €",
            "trois exemplaires",
            "cerfa n° 15059",
            "ne pas baisser les financements préexistants",
            "Marché de l'inclusion",
            "Calendrier prévisionnel",
            "conditionne le renouvellement",
            "au plus tard le 25 janvier 2030",
            "30 novembre 2030",
            "L'État finance au plus 70 % des dépenses éligibles réellement engagées",
            "au plus tard le 31 juillet 2031",
        ):
            assert attendu in lu, attendu
        modifiable = pour_agent.get(f"/conventions/{convention.id}/annees/1/docx")
        paragraphes = " ".join(p.text for p in docx.Document(io.BytesIO(modifiable.data)).paragraphs)
        assert "trois exemplaires" in paragraphes and "Marché de l'inclusion" in paragraphes

        # Le 15e jour après la notification, la signature est à temps ; l'avance est à mettre en paiement.
        voyage.move_to(a_mayotte(2030, 1, 25, 16))
        pour_agent, pour_porteur = client_de(agent), client_de(porteur)
        reponse = pour_agent.post(
            f"/conventions/{convention.id}/annees/1/signature",
            data={"signee_le": "2030-01-25", "scan": (io.BytesIO(pdf("Convention signée")), "signee.pdf")},
            content_type="multipart/form-data",
        )
        assert reponse.status_code == 302
        page = texte(pour_agent.get(f"/conventions/{convention.id}"))
        assert "Signée en retard" not in page and "À mettre en paiement" in page
        convention = lecture.charger(convention.id)
        avance = convention.premiere.avance
        reponse = pour_agent.post(
            f"/conventions/{convention.id}/versements/{avance.id}/paiement",
            data={"paye_le": "2030-01-24", "reference": "", "version": str(avance.version)},
        )
        html = reponse.get_data(as_text=True)
        assert reponse.status_code == 422 and "Indiquez la référence comptable." in html and 'value="2030-01-24"' in html
        assert f'aria-describedby="reference-paiement-{avance.id}-erreur"' in html
        reponse = pour_agent.post(
            f"/conventions/{convention.id}/versements/{avance.id}/paiement",
            data={"paye_le": "2030-01-25", "reference": "DP-2030-0042", "version": str(avance.version)},
        )
        assert reponse.status_code == 302
        assert db.session.get(Versement, avance.id).etat == "paye"

        # Bilan intermédiaire : une heure négative est refusée en français, puis les corrections font un tour.
        voyage.move_to(a_mayotte(2030, 7, 20))
        pour_agent, pour_porteur = client_de(agent), client_de(porteur)
        intermediaire = convention.premiere.bilan(TypeBilan.INTERMEDIAIRE)
        adresse = f"/conventions/{convention.id}/bilans/{intermediaire.id}"
        reponse = pour_porteur.post(
            adresse, data=champs_bilan(intermediaire, facilitateur__heures_insertion_etp="-12", action="brouillon")
        )
        assert reponse.status_code == 422 and "Un nombre d'heures ne peut pas être négatif." in texte(reponse)
        assert pour_porteur.post(adresse, data=champs_bilan(intermediaire, action="deposer")).status_code == 302
        reponse = pour_agent.post(
            f"{adresse}/corrections",
            data={
                "message": "Précisez les secteurs des marchés accompagnés.",
                "date_limite": "2030-08-10",
                "version": str(db.session.get(type(intermediaire), intermediaire.id).version),
            },
        )
        assert reponse.status_code == 302
        assert "Corrections demandées par la DEETS" in texte(pour_porteur.get(adresse))
        bilan = lecture.bilan_complet(intermediaire.id)
        assert pour_porteur.post(adresse, data=champs_bilan(bilan, action="deposer")).status_code == 302
        bilan = lecture.bilan_complet(intermediaire.id)
        assert [v.decision for v in bilan.versions] == ["a_corriger", None]
        reponse = pour_agent.post(f"{adresse}/approbation", data={"version": str(bilan.version), "commentaire": ""})
        assert reponse.status_code == 302

        # Bilan annuel (dû le 30 novembre 2030), déposé le 1er décembre : en retard, signalé.
        voyage.move_to(a_mayotte(2030, 12, 1))
        pour_agent, pour_porteur = client_de(agent), client_de(porteur)
        convention = lecture.charger(convention.id)
        annuel = convention.premiere.bilan_annuel
        adresse = f"/conventions/{convention.id}/bilans/{annuel.id}"
        reponse = pour_porteur.post(adresse, data=champs_bilan(annuel, facteur=1.1, depenses_realisees="", action="deposer"))
        assert reponse.status_code == 422
        assert "Indiquez les dépenses de l'action sur l'année, engagées et prévues jusqu'au terme" in texte(reponse)
        assert (
            pour_porteur.post(
                adresse, data=champs_bilan(annuel, facteur=1.1, depenses_realisees="36 200,00", action="deposer")
            ).status_code
            == 302
        )
        assert "(en retard)" in texte(pour_agent.get(f"/conventions/{convention.id}"))
        annuel = lecture.bilan_complet(annuel.id)
        reponse = pour_agent.post(f"{adresse}/approbation", data={"version": str(annuel.version)})
        assert reponse.status_code == 302
        # Les dépenses du bilan annuel sont une estimation : le solde attend le compte rendu financier.
        convention = lecture.charger(convention.id)
        solde = convention.premiere.solde
        assert (solde.etat, solde.montant) == ("prevu", D("17500.00"))
        page = texte(pour_agent.get(adresse))
        assert "Au bilan annuel (estimation) : 36 200,00 € de dépenses prévues, soit 25 340,00 € dus" in page.replace(
            "\u202f", " "
        ).replace("\xa0", " ")
        compte_rendu = convention.premiere.compte_rendu_financier
        adresse_crf = f"/conventions/{convention.id}/bilans/{compte_rendu.id}"
        reponse = pour_porteur.post(adresse_crf, data={"depenses_realisees": "36 750,00", "action": "deposer", "version": "1"})
        assert reponse.status_code == 422
        assert "Le compte rendu financier se dépose une fois l'année terminée, à partir du 1er février 2031" in texte(reponse)

        # La vue du renouvellement : objectifs dépassés d'environ 10 %, bilan en retard ; l'agent renouvelle.
        page = texte(pour_agent.get(f"/conventions/{convention.id}/renouvellement"))
        assert "Renouvellement conseillé : objectifs atteints à 109\u202f% en moyenne." in page  # 14 marchés sur 13
        assert "transmis en retard" in page
        reponse = pour_agent.post(
            f"/conventions/{convention.id}/renouvellement",
            data={"action": "renouveler", "montant": "36 000"} | objectifs_form(decision_2030, dossier),
        )
        # Au plus 70 % du coût de l'année 2 du budget déposé (51 000 €) : 35 700 €.
        assert reponse.status_code == 422
        assert (
            "Le montant de l'avenant ne peut pas dépasser 35\u202f700,00\xa0€ : 70\u202f% du coût de ce qui est financé "
            "(51\u202f000,00\xa0€ en année 2 selon le budget déposé" in texte(reponse)
        )
        reponse = pour_agent.post(
            f"/conventions/{convention.id}/renouvellement",
            data={"action": "renouveler", "montant": "35 700"} | objectifs_form(decision_2030, dossier),
        )
        assert reponse.status_code == 302
        convention = lecture.charger(convention.id)
        assert [(a.rang, a.debut, a.montant) for a in convention.annees] == [
            (1, date(2030, 2, 1), D("35000.00")),
            (2, date(2031, 2, 1), D("35700.00")),
        ]
        assert convention.annee(2).document.nom.startswith("avenant-1-")
        assert [(v.nature, v.montant) for v in convention.annee(2).versements] == [
            ("avance", D("17850.00")),
            ("solde", D("17850.00")),
        ]
        page = texte(pour_porteur.get(f"/conventions/{convention.id}"))
        assert "Année 2 — Avenant n° 1 — du 1er février 2031 au 31 janvier 2032" in page

        # L'année terminée, le compte rendu financier : 36 750 € dépensés, l'État en doit 70 %, soit 25 725 € ;
        # l'avance de 17 500 € déduite, le solde est de 8 225 € (et non les 17 500 € prévus).
        voyage.move_to(a_mayotte(2031, 3, 2))
        pour_agent, pour_porteur = client_de(agent), client_de(porteur)
        reponse = pour_porteur.post(
            f"{adresse_crf}/pieces",
            data={
                "nature": "compte_rendu_financier",
                "fichier": (io.BytesIO(pdf("Compte rendu financier 2030")), "cerfa-15059.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert reponse.status_code == 302
        reponse = pour_porteur.post(
            adresse_crf,
            data={
                "depenses_realisees": "36 750,00",
                "action": "deposer",
                "version": str(lecture.bilan_complet(compte_rendu.id).version),
            },
        )
        assert reponse.status_code == 302
        compte_rendu = lecture.bilan_complet(compte_rendu.id)
        reponse = pour_agent.post(f"{adresse_crf}/approbation", data={"version": str(compte_rendu.version)})
        assert reponse.status_code == 302
        convention = lecture.charger(convention.id)
        annee = convention.premiere
        assert (annee.montant_du, annee.solde.etat, annee.solde.montant) == (D("25725.00"), "a_payer", D("8225.00"))
        page = re.sub(r"<[^>]+>", "", texte(pour_agent.get(adresse_crf))).replace("\u202f", " ").replace("\xa0", " ")
        assert "soit 25 725,00 € dus (70 % de 36 750,00 €) : solde de 8 225,00 € (plus que l'estimation, de 385,00 €)" in page

    journal = db.session.scalars(select(EntreeJournal.action).where(EntreeJournal.objet_type == "conventions")).all()
    for action in (
        "convention.creation",
        "convention.signature",
        "versement.paiement",
        "bilan.depot",
        "bilan.corrections",
        "bilan.approbation",
        "convention.renouvellement",
    ):
        assert action in journal


@pytest.mark.usefixtures("documents_rapides")
def test_la_convention_peut_convenir_d_un_taux_inferieur_jamais_superieur(fab, client_de, decision_2030):
    agent = fab.utilisateur("agent", service=decision_2030.dossier.service)
    adresse = f"/conventions/nouvelle/{decision_2030.id}"
    donnees = {"date_effet": "2030-02-01", "mois_bilan_intermediaire": "6"} | objectifs_form(decision_2030, decision_2030.dossier)
    with time_machine.travel(a_mayotte(2030, 1, 12), tick=False):
        client = client_de(agent)
        assert 'value="70"' in texte(client.get(adresse))  # le plafond du dossier déposé, proposé
        reponse = client.post(adresse, data=donnees | {"taux_plafond": "75"})
        assert reponse.status_code == 422
        assert "Le taux de la convention ne peut pas dépasser 70\u202f%, le plafond de l'État pour ce dossier" in texte(reponse)
        assert client.post(adresse, data=donnees | {"taux_plafond": "62,5"}).status_code == 302
    convention = db.session.scalar(select(Convention).where(Convention.decision_id == decision_2030.id))
    assert convention.taux_plafond == D("0.625")
    from conventions import documents

    (clause,) = documents.contenu(convention.premiere).articles[3].apres[:1]
    assert clause.startswith("L'État finance au plus 62,5\u202f% des dépenses éligibles réellement engagées")


@pytest.mark.usefixtures("documents_rapides")
def test_une_signature_au_seizieme_jour_est_enregistree_et_signalee(fab, client_de, decision_2030):
    convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1))
    agent = convention.agent
    with time_machine.travel(a_mayotte(2030, 1, 26, 8), tick=False):
        assert "délai dépassé de 1 jour" in texte(client_de(agent).get(f"/conventions/{convention.id}"))
        fab.signer(convention.premiere, date(2030, 1, 26), par=agent)
        page = texte(client_de(agent).get(f"/conventions/{convention.id}"))
    assert "Signée en retard" in page
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "convention.signature"))
    assert '"en_retard":true' in entree.details


@pytest.mark.usefixtures("documents_rapides")
def test_la_signature_ne_precede_pas_la_notification_et_ne_se_fait_qu_une_fois(fab, decision_2030):
    convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1))
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        with pytest.raises(Refus, match="avant la notification"):
            fab.signer(convention.premiere, date(2030, 1, 9), par=convention.agent)
        db.session.rollback()
        with pytest.raises(Refus, match="dans le futur"):
            fab.signer(convention.premiere, date(2030, 1, 21), par=convention.agent)
        db.session.rollback()
        fab.signer(lecture.charger(convention.id).premiere, date(2030, 1, 20), par=convention.agent)
        with pytest.raises(Refus, match="déjà signée"):
            fab.signer(lecture.charger(convention.id).premiere, date(2030, 1, 20), par=convention.agent)


def _annee_approuvee(fab, convention, depenses, instant):
    """The last year's annual report filed and approved at `instant`, then, ten days after the year's end, its final
    account with these eligible spendings."""
    with time_machine.travel(instant, tick=False):
        convention = lecture.charger(convention.id)
        fab.bilan_depose(convention.derniere.bilan_annuel, depenses=depenses, approuve=True, agent=convention.agent)
    return _compte_rendu(fab, convention, convention.derniere.rang, depenses)


def _compte_rendu(fab, convention, rang, depenses):
    annee = lecture.charger(convention.id).annee(rang)
    with time_machine.travel(a_mayotte(annee.fin.year, annee.fin.month, annee.fin.day) + timedelta(days=10), tick=False):
        fab.bilan_depose(annee.compte_rendu_financier, depenses=depenses, approuve=True, agent=convention.agent)
    return lecture.charger(convention.id)


@pytest.mark.usefixtures("documents_rapides")
def test_solde_reduit_avec_motif_puis_reversement_quand_les_depenses_sont_sous_l_avance(fab, client_de, decision_2030):
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1), signee=True, avance_payee=True)
    # Dépenses éligibles de 40 000 € : l'État en doit 70 %, 28 000 € ; le solde se limite à 10 500 € (28 000 − 17 500).
    convention = _annee_approuvee(fab, convention, "40000.00", a_mayotte(2030, 11, 20))
    solde = convention.premiere.solde
    assert (solde.etat, solde.montant, solde.montant_prevu) == ("a_payer", D("10500.00"), D("17500.00"))
    assert convention.premiere.montant_du == D("28000.00")
    with pytest.raises(Refus, match="ne peut pas dépasser 10"):
        paiements.ajuster_solde(solde, montant="10500.01", motif="", par=convention.agent)
    db.session.rollback()
    with pytest.raises(Refus, match="Indiquez pourquoi le solde est réduit"):
        paiements.ajuster_solde(lecture.charger(convention.id).premiere.solde, montant="10000", motif="", par=convention.agent)
    db.session.rollback()
    solde = lecture.charger(convention.id).premiere.solde
    with time_machine.travel(a_mayotte(2031, 2, 12), tick=False):
        # Refusé, le petit formulaire revient ouvert, tel que saisi, l'erreur à côté du montant et en résumé.
        reponse = client_de(convention.agent).post(
            f"/conventions/{convention.id}/versements/{solde.id}/ajustement",
            data={"montant": "10 600,00", "motif": "Trois marchés sur cinq.", "version": str(solde.version)},
        )
        html = reponse.get_data(as_text=True)
        assert reponse.status_code == 422 and "Le formulaire contient 1 erreur" in html
        assert 'value="10 600,00"' in html and ">Trois marchés sur cinq.</textarea>" in html
        erreur = re.search(rf'<p class="fr-error-text" id="montant-ajustement-{solde.id}-erreur">([^<]*)</p>', html)
        assert erreur and "Le solde ne peut pas dépasser 10" in erreur.group(1)
        assert '<details class="fr-mb-1w" open><summary>Réduire le solde' in html
        assert db.session.get(Versement, solde.id).montant == D("10500.00")
        reponse = client_de(convention.agent).post(
            f"/conventions/{convention.id}/versements/{solde.id}/ajustement",
            data={"montant": "10 000,00", "motif": "Deux marchés accompagnés sur cinq.", "version": str(solde.version)},
            follow_redirects=True,
        )
    assert "Solde ajusté." in texte(reponse) and "sur 17\u202f500,00\u00a0€ prévus" in texte(reponse)
    assert db.session.get(Versement, solde.id).montant == D("10000.00")
    assert lecture.charger(convention.id).premiere.montant_du == D("27500.00")  # ce que l'État doit, réduit d'autant

    # Une autre convention : 10 000 € de dépenses, l'État en doit 7 000 € pour 17 500 € d'avance : 10 500 € à reverser.
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        autre = fab.convention(
            decision=fab.decision(montant_accorde=D("35000.00"), notifie_le=a_mayotte(2030, 1, 10)),
            date_effet=date(2030, 2, 1),
            signee=True,
            avance_payee=True,
        )
    autre = _annee_approuvee(fab, autre, "10000.00", a_mayotte(2030, 11, 20))
    annee = autre.premiere
    assert (annee.solde.etat, annee.solde.montant) == ("annule", D("0.00"))
    assert annee.reversement.montant == D("10500.00") == annee.avance.montant - D("7000.00")
    assert annee.montant_du == D("7000.00")
    with time_machine.travel(a_mayotte(2031, 2, 15), tick=False):
        reponse = client_de(autre.agent).post(
            f"/conventions/{autre.id}/reversements/{annee.reversement.id}/suivi",
            data={"etat": "emis", "le": "2031-02-15", "reference": "TP-2031-77"},
            follow_redirects=True,
        )
        assert "Titre émis le 15 février 2031 (TP-2031-77)." in texte(reponse)
        annee = lecture.charger(autre.id).premiere
        with pytest.raises(Refus, match="l'ordre"):
            paiements.suivre_reversement(annee.reversement, etat="emis", le=date(2031, 2, 15), reference="x", par=autre.agent)
        paiements.suivre_reversement(annee.reversement, etat="recouvre", le=date(2031, 2, 15), par=autre.agent)
        db.session.commit()
    assert lecture.charger(autre.id).premiere.reversement.etat == "recouvre"


@pytest.mark.usefixtures("documents_rapides")
def test_deux_renouvellements_au_plus_puis_la_convention_se_clot(fab, decision_2030):
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1), signee=True, avance_payee=True)
    agent = convention.agent
    objectifs = {cle: str(v) for cle, v in convention.premiere.cibles().items()}
    for rang, annee_civile in ((1, 2030), (2, 2031), (3, 2032)):
        # Le bilan annuel approuvé fonde le renouvellement ; le compte rendu financier, l'année finie, règle le solde.
        with time_machine.travel(a_mayotte(annee_civile, 11, 20), tick=False):
            convention = lecture.charger(convention.id)
            fab.bilan_depose(convention.derniere.bilan_annuel, depenses="50000", approuve=True, agent=agent)
            convention = lecture.charger(convention.id)
            if rang < 3:
                avenants.renouveler(convention, montant="35000", objectifs=objectifs, par=agent)
                db.session.commit()
                convention = lecture.charger(convention.id)
                fab.signer(convention.derniere, date(annee_civile, 11, 20), par=agent)
                fab.payer(lecture.charger(convention.id).derniere.avance, paye_le=date(annee_civile, 11, 20), par=agent)
            else:
                with pytest.raises(Refus, match="trois ans au plus|3 ans au plus"):
                    avenants.renouveler(convention, montant="35000", objectifs=objectifs, par=agent)
                db.session.rollback()
        convention = _compte_rendu(fab, convention, rang, "50000")
        annee = convention.annee(rang)
        with time_machine.travel(a_mayotte(annee_civile + 1, 2, 20), tick=False):
            fab.payer(annee.solde, paye_le=date(annee_civile + 1, 2, 20), par=agent)
        convention = lecture.charger(convention.id)
    convention = lecture.charger(convention.id)
    assert [a.rang for a in convention.annees] == [1, 2, 3]
    assert convention.statut == StatutConvention.CLOSE
    assert sum(a.verse for a in convention.annees) == D("105000.00")
    assert lecture.echeances_de(convention) == []


@pytest.mark.usefixtures("documents_rapides")
def test_les_avenants_s_imputent_sur_les_credits_de_leur_annee(fab, client_de):
    """Year-2 credits of 50 000 €: a first avenant of 35 000 € fits; a second convention may then renew for 15 000 € at
    most, and the page says so; the year-1 credits are not touched by avenants."""
    campagne = fab.campagne(etat="cloturee", credits=D("200000.00"), credits_annee2=D("50000.00"))
    conventions = []
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        for _ in range(2):
            decision = fab.decision(
                dossier=fab.dossier_pour_copil(campagne=campagne, montant_demande=D("35000.00")),
                notifie_le=a_mayotte(2030, 1, 10),
            )
            conventions.append(fab.convention(decision=decision, date_effet=date(2030, 2, 1), signee=True, avance_payee=True))
    with time_machine.travel(a_mayotte(2030, 11, 20), tick=False):
        for convention in conventions:
            fab.bilan_depose(lecture.charger(convention.id).premiere.bilan_annuel, approuve=True, agent=convention.agent)
        premiere = lecture.charger(conventions[0].id)
        objectifs = {cle: str(v) for cle, v in premiere.premiere.cibles().items()}
        avenants.renouveler(premiere, montant="35000", objectifs=objectifs, par=premiere.agent)
        db.session.commit()
        seconde = lecture.charger(conventions[1].id)
        with pytest.raises(Refus) as refus:
            avenants.renouveler(seconde, montant="15000.01", objectifs=objectifs, par=seconde.agent)
        assert refus.value.code == "credits_insuffisants"
        db.session.rollback()
        page = texte(client_de(seconde.agent).get(f"/conventions/{seconde.id}/renouvellement"))
        assert f"Crédits de l'année 2 ({campagne.annee + 1})" in page and "15\u202f000,00\u00a0€ restant à la campagne" in page
        reponse = client_de(seconde.agent).post(
            f"/conventions/{seconde.id}/renouvellement",
            data={"action": "renouveler", "montant": "15 000,01"}
            | {f"objectif_{k.replace('.', '__')}": v for k, v in objectifs.items()},
        )
        assert reponse.status_code == 422
        assert "Crédits insuffisants : il reste 15\u202f000,00\u00a0€ sur les crédits de l'année 2" in texte(reponse)
        avenants.renouveler(lecture.charger(seconde.id), montant="15000", objectifs=objectifs, par=seconde.agent)
        db.session.commit()
    assert avenants.credits_restants(lecture.charger(seconde.id), 2) == D("0.00")
    assert avenants.credits_restants(lecture.charger(seconde.id), 1) == D("130000.00")


@pytest.mark.usefixtures("documents_rapides")
def test_une_baisse_du_financement_des_postes_preexistants_est_signalee(fab, client_de, decision_2030):
    """Article 7 of the convention: the annual report asks the current financing of the pre-existing posts; below
    what the dossier declared when filed (18 000 €), the report's page flags it, for the structure and the agent."""
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1), signee=True, avance_payee=True)
    porteur = next(m for m in convention.structure.membres if m.role == "porteur")
    annuel = convention.premiere.bilan_annuel
    adresse = f"/conventions/{convention.id}/bilans/{annuel.id}"
    with time_machine.travel(a_mayotte(2030, 11, 20), tick=False):
        page = texte(client_de(porteur).get(adresse))
        assert "Financement actuel des postes préexistants (€)" in page
        donnees = champs_bilan(
            annuel, ensemble__financement_postes_existants="12 000", depenses_realisees="36 000", action="brouillon"
        )
        reponse = client_de(porteur).post(adresse, data=donnees, follow_redirects=True)
        message = (
            "Le financement des postes préexistants baisse de 6\u202f000,00\xa0€ : 12\u202f000,00\xa0€ cette année contre "
            "18\u202f000,00\xa0€ déclarés au dépôt du dossier."
        )
        assert message in texte(reponse)
        assert message in texte(client_de(convention.agent).get(adresse))


@pytest.mark.usefixtures("documents_rapides")
def test_non_renouvellement_puis_cloture_au_dernier_versement(fab, decision_2030):
    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False):
        convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1), signee=True, avance_payee=True)
    with pytest.raises(Refus, match="approuvez-le d'abord"):
        avenants.renouveler(convention, montant="35000", objectifs={}, par=convention.agent)
    db.session.rollback()
    convention = lecture.charger(convention.id)
    avenants.ne_pas_renouveler(convention, motif="Objectifs très en deçà.", par=convention.agent)
    db.session.commit()
    assert lecture.charger(convention.id).statut == StatutConvention.EN_COURS  # le solde reste à régler
    convention = _annee_approuvee(fab, convention, "40000", a_mayotte(2030, 11, 20))
    assert lecture.charger(convention.id).statut == StatutConvention.EN_COURS  # le solde reste à payer
    with time_machine.travel(a_mayotte(2031, 2, 20), tick=False):
        fab.payer(convention.premiere.solde, par=convention.agent)
    assert lecture.charger(convention.id).statut == StatutConvention.CLOSE


@pytest.mark.usefixtures("documents_rapides")
def test_un_coordinateur_remet_ses_bilans_trimestriels(fab):
    decision = fab.decision(
        dossier=fab.dossier_pour_copil(etp_facilitateur=D("0.5"), etp_coordinateur=D("0.5")), notifie_le=a_mayotte(2030, 1, 10)
    )
    convention = fab.convention(decision=decision, date_effet=date(2030, 2, 1))
    trimestriels = [b for b in convention.premiere.bilans if b.type == TypeBilan.TRIMESTRIEL]
    assert [(b.echeance, b.arrete_au) for b in trimestriels] == [
        (date(2030, 7, 1), date(2030, 4, 1)),
        (date(2030, 10, 1), date(2030, 7, 1)),
        (date(2031, 1, 1), date(2030, 10, 1)),
        (date(2031, 4, 1), date(2031, 1, 1)),
    ]
    assert {i.poste for i in bilans.indicateurs_de(trimestriels[0])} == {"coordinateur"}


@pytest.mark.usefixtures("documents_rapides")
def test_les_montants_ne_depassent_jamais_le_prevu_en_base(fab, decision_2030):
    convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1))
    avance = convention.premiere.avance
    avance.montant = avance.montant_prevu + D("0.01")
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    avance = db.session.get(Versement, avance.id)
    avance.etat = "paye"  # sans date ni référence
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.usefixtures("documents_rapides")
def test_une_decision_ne_donne_qu_une_convention(fab, decision_2030):
    convention = fab.convention(decision=decision_2030, date_effet=date(2030, 2, 1))
    with pytest.raises(Refus, match="existe déjà"):
        operations.creer_convention(decision_2030, par=convention.agent, date_effet=date(2030, 2, 1), objectifs={})
    db.session.rollback()
    rejet = fab.decision(nature="rejete")
    with pytest.raises(Refus, match="Seul un dossier retenu"):
        operations.creer_convention(rejet, par=convention.agent, date_effet=date(2030, 2, 1), objectifs={})
    db.session.rollback()
    assert db.session.scalar(select(Convention).where(Convention.decision_id == rejet.id)) is None
    assert lecture.charger(convention.id).premiere.bilans[0].statut == StatutBilan.A_DEPOSER
