"""In a real browser (Chromium, CSP enforced, axe-core on every page), with time moved forward: from a retenu
dossier, the agent creates the convention, downloads its PDF, records the signature and pays the advance; the
structure files its annual report with its compte rendu financier; the agent approves it and renews once; the
dashboard moves."""

import io
import re
from datetime import datetime
from decimal import Decimal

import pypdf
import pytest
import time_machine
from playwright.sync_api import expect

from aap.aap2022 import MAYOTTE
from conventions import lecture

from .contenus import pdf
from .fabrique_conventions import valeurs_bilan
from .factories import MOT_DE_PASSE

pytestmark = pytest.mark.navigateur


@pytest.fixture
def config_supplementaire():
    return {"WTF_CSRF_ENABLED": True}


def a_mayotte(annee, mois, jour, heure=10):
    return datetime(annee, mois, jour, heure, 0, tzinfo=MAYOTTE)


def se_connecter(page, email):
    page.goto(page.serveur.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def se_deconnecter(page):
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()


def chiffre(page, cle):
    page.goto(page.serveur.url + "/conventions/tableau-de-bord")
    return page.locator(f"#chiffre-{cle}").inner_text().replace("\u202f", " ").replace("\xa0", " ")


def test_une_convention_de_la_decision_au_renouvellement(navigateur, fab):
    page = navigateur
    decision = fab.decision(montant_accorde=Decimal("35000.00"), notifie_le=a_mayotte(2030, 1, 10))
    dossier = decision.dossier
    agent = fab.utilisateur("agent", service=dossier.service, prenom="Zaïnaba", nom="Ahamada")
    porteur = next(m for m in dossier.structure.membres if m.role == "porteur")

    with time_machine.travel(a_mayotte(2030, 1, 20), tick=False) as voyage:
        se_connecter(page, agent.email)
        assert chiffre(page, "verse") == "0,00 €"
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Conventions", exact=True).click()
        page.get_by_role("link", name=f"Préparer la convention du dossier {dossier.numero}").click()
        expect(page.get_by_role("heading", name="Signature au plus tard le 25 janvier 2030")).to_be_visible()
        expect(page.get_by_label("Date d'effet")).to_have_value("2030-02-01")
        page.get_by_role("button", name="Créer la convention").click()
        expect(page.get_by_text("créée : téléchargez-la pour la faire signer avant le 25 janvier 2030")).to_be_visible()
        expect(page.locator("#jours-signature")).to_have_text("5 jours restants")
        convention_id = int(re.search(r"/conventions/(\d+)", page.url).group(1))

        with page.expect_download() as telechargement:
            page.get_by_role("link", name="Convention (PDF, à signer)").click()
        contenu = open(telechargement.value.path(), "rb").read()  # noqa: SIM115
        lu = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(contenu)).pages)
        assert "trois exemplaires" in lu and "15059" in lu

        page.get_by_label("Exemplaire signé, numérisé").set_input_files(
            {"name": "convention-signee.pdf", "mimeType": "application/pdf", "buffer": pdf("Convention signée")}
        )
        page.get_by_role("button", name="Enregistrer la signature").click()
        expect(page.get_by_text("Signature de convention enregistrée")).to_be_visible()
        page.locator("summary", has_text="Marquer payé").first.click()
        page.get_by_label("Référence comptable").first.fill("DP-2030-0042")
        page.get_by_role("button", name="Enregistrer le paiement").click()
        expect(page.get_by_text("Versement marqué payé le 20 janvier 2030 (référence DP-2030-0042).")).to_be_visible()
        se_deconnecter(page)

        # La structure remplit son bilan annuel, joint le compte rendu financier et le dépose.
        voyage.move_to(a_mayotte(2030, 11, 20))
        se_connecter(page, porteur.email)
        page.get_by_role("link", name="Mes conventions").click()
        page.get_by_role("link", name=re.compile(r"CONV-")).click()
        page.get_by_role("link", name="Remplir : bilan annuel, année 1").click()
        bilan = lecture.charger(convention_id).premiere.bilan_annuel
        for cle, valeur in valeurs_bilan(bilan, Decimal("1.1")).items():
            page.locator(f"#{cle.replace('.', '__')}").fill(valeur)
        page.get_by_label("Dépenses de l'action sur l'année, engagées et prévues jusqu'au terme (€)").fill("35 400,00")
        page.get_by_role("button", name="Enregistrer le brouillon").click()
        expect(page.get_by_text("Brouillon du bilan enregistré")).to_be_visible()
        page.get_by_role("radio", name="Compte rendu financier (cerfa n° 15059)").check(force=True)
        page.locator("#fichier").set_input_files(
            {"name": "cerfa-15059.pdf", "mimeType": "application/pdf", "buffer": pdf("Compte rendu financier")}
        )
        page.get_by_role("button", name="Joindre le document").click()
        expect(page.get_by_text("« cerfa-15059.pdf » est joint au bilan.")).to_be_visible()
        page.get_by_role("button", name="Déposer le bilan").click()
        expect(page.get_by_text("Bilan annuel déposé : la DEETS l'examine.")).to_be_visible()
        se_deconnecter(page)

        # L'agent l'approuve (le solde attend le compte rendu financier de l'année finie), puis renouvelle la convention
        # pour une année, au plus 70 % du coût de l'année 2 du budget déposé.
        se_connecter(page, agent.email)
        page.goto(f"{page.serveur.url}/conventions/a-faire")
        page.get_by_role("link", name="Examiner : Bilan annuel — année 1").click()
        page.get_by_role("button", name="Approuver le bilan").click()
        expect(page.get_by_text("Bilan annuel approuvé.")).to_be_visible()
        expect(page.locator(f"#versement-{bilan.annee.solde.id}").get_by_text("Prévu")).to_be_visible()
        page.get_by_role("link", name="Vue du renouvellement : objectifs et réalisations").click()
        expect(page.locator("#suggestion")).to_contain_text("Renouvellement conseillé")
        page.get_by_label("Montant accordé pour la nouvelle année (€)").fill("35 700")
        page.get_by_role("button", name="Renouveler par avenant").click()
        expect(page.get_by_text("Convention renouvelée pour l'année 2 : l'avenant n° 1 est à faire signer.")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("Année 2 — Avenant n° 1"))).to_be_visible()
        # Le tableau de bord a bougé : l'avance versée, l'avenant engagé.
        assert chiffre(page, "verse") == "17 500,00 €"
        assert chiffre(page, "engage") == "70 700,00 €"
        expect(page.locator("#etat-avenant_a_signer")).to_have_text("1")
