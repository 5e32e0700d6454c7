"""Journeys a newcomer walks, in a real browser (Chromium, CSP enforced, axe-core on every page), on the demo world:
on a phone (375 px) every page a porteur reaches fits the screen (no sideways scrolling) and each one leads on
(login lands on "Mes dossiers", "Apporter les compléments" opens the step asked); the connection drops and comes
back during autosave and an upload, and the page says so; the agent's "À faire" leads to the convention to prepare
and, at 1280 px, the ranking table shows its decision column; the simulator works without JavaScript and its
figures start the dossier."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from aap.extensions import db
from aap.models import Campagne, Utilisateur
from candidatures.models import Dossier, Statut
from notation.models import Phase

from . import contenus

pytestmark = pytest.mark.navigateur

MOT_DE_PASSE_DEMO = "mot de passe de la démonstration"
TELEPHONE = {"width": 375, "height": 740}
# Ce qui se télécharge (PDF, tableurs, pièces) ou ferme la session n'est pas une page à parcourir.
NON_PAGES = re.compile(
    r"(\.pdf|\.xlsx|\.docx|\.csv|\.json$|/pdf$|/docx$|/pieces/\d+$|/documents/\d+$|/accuse|/lettre|exemplaire|/api/|/dsfr/|/static/|deconnexion)"
)


@pytest.fixture
def donnees_initiales():
    return "demo"


@pytest.fixture
def config_supplementaire():
    return {"WTF_CSRF_ENABLED": True}


def se_connecter(page, email):
    page.goto(page.serveur.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE_DEMO)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile("/connexion"))


def se_deconnecter(page):
    """Sur téléphone, « Se déconnecter » est dans le menu : le bouton du menu puis lui."""
    page.get_by_role("button", name="Menu").click()
    page.locator("#menu-mobile").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()


def modele(chemin):
    """Pages of one kind are seen once (one convention, one report…), except the dossiers: each is in its own state
    (draft, compléments asked, retenu…), and so is its page."""
    return chemin if re.fullmatch(r"/dossiers/\d+", chemin) else re.sub(r"\d+", "N", chemin)


def parcourir(page, depart, vues, maximum=60):
    """Every page reachable by a link from `depart` (this site, no download, one of each kind): adds to `vues` its
    scrollWidth beyond the viewport (0 when it fits). Each page is loaded, so axe-core audits it."""
    base = page.serveur.url
    a_voir, modeles = [depart], {modele(c) for c in vues}
    while a_voir and len(vues) < maximum:
        chemin = a_voir.pop(0)
        if modele(chemin) in modeles:
            continue
        modeles.add(modele(chemin))
        reponse = page.goto(base + chemin)
        assert reponse.status < 400, f"{chemin} : {reponse.status}"
        vues[chemin] = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        for lien in page.eval_on_selector_all("a[href]", "liens => liens.map(l => l.href)"):
            adresse = urlsplit(lien)
            if lien.startswith(base) and not NON_PAGES.search(adresse.path) and modele(adresse.path) not in modeles:
                a_voir.append(adresse.path + (f"?{adresse.query}" if adresse.query else ""))


def test_au_telephone_le_porteur_va_partout_sans_defiler_de_cote(navigateur, record_property):
    page = navigateur
    page.set_viewport_size(TELEPHONE)
    verifiees = {}
    for email in ("porteur2@exemple.fr", "porteur@exemple.fr"):
        se_connecter(page, email)
        assert urlsplit(page.url).path == "/dossiers/"  # sa prochaine étape : ses dossiers
        parcourir(page, "/dossiers/", verifiees)
        if email == "porteur2@exemple.fr":
            # Compléments demandés : le bouton mène à l'étape rouverte, modifiable, pas au dossier.
            dossier = db.session.scalar(db.select(Dossier).where(Dossier.statut == Statut.COMPLEMENTS_DEMANDES))
            page.goto(page.serveur.url + f"/dossiers/{dossier.id}")
            expect(page.locator("#decision-copil, .fr-callout").first).to_contain_text("À fournir avant le")
            page.get_by_role("link", name="Apporter les compléments").click()
            expect(page).to_have_url(re.compile(rf"/dossiers/{dossier.id}/etapes/\w+$"))
            expect(page.locator("#formulaire-etape")).to_be_visible()
        se_deconnecter(page)
    modeles = sorted({re.sub(r"\d+", "N", chemin) for chemin in verifiees})
    record_property("mesure", f"{len(verifiees)} pages à 375 px ({len(modeles)} modèles) : {', '.join(modeles)}")
    debordent = {chemin: ecart for chemin, ecart in verifiees.items() if ecart > 0}
    assert len(verifiees) >= 25 and not debordent, f"{len(verifiees)} pages ; défilement latéral : {debordent}"


def test_la_connexion_tombe_puis_revient_pendant_la_saisie_et_l_envoi(navigateur):
    page = navigateur
    dossier = db.session.scalar(db.select(Dossier).where(Dossier.statut == Statut.BROUILLON).order_by(Dossier.id))
    se_connecter(page, dossier.structure.membres[0].email)
    page.goto(page.serveur.url + f"/dossiers/{dossier.id}/etapes/projet")
    page.wait_for_load_state("load")
    alerte = page.locator("#alerte-connexion")

    page.context.set_offline(True)
    page.fill("#titre", "Titre saisi sans réseau")
    expect(alerte).to_contain_text("Connexion perdue", timeout=15_000)
    page.context.set_offline(False)
    expect(alerte).to_contain_text("La connexion est revenue", timeout=15_000)
    expect(page.locator("#etat-enregistrement")).to_contain_text("Enregistré à", timeout=15_000)
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).titre == "Titre saisi sans réseau"

    page.goto(page.serveur.url + f"/dossiers/{dossier.id}/etapes/pieces")
    page.wait_for_load_state("load")
    fichier = {"name": "lettre-de-soutien.pdf", "mimeType": "application/pdf", "buffer": contenus.pdf("Soutien")}
    page.set_input_files("#fichier-autre", files=[fichier])
    page.fill("#libelle-autre", "Lettre de soutien")
    page.context.set_offline(True)
    page.locator("#autre ~ form[data-televersement] button[type=submit]").click()
    expect(page.locator("#alerte-connexion")).to_contain_text("Connexion perdue pendant l'envoi de « lettre-de-soutien.pdf »")
    page.context.set_offline(False)
    # Renvoyé au retour de la connexion, puis la page rechargée dit qu'il est ajouté.
    expect(page.locator(".fr-alert--success[role=status]")).to_contain_text(
        "« lettre-de-soutien.pdf » est ajouté", timeout=15_000
    )


def test_l_agent_va_de_a_faire_a_la_convention_et_voit_la_decision_du_classement(navigateur, fab):
    page = navigateur
    agent = db.session.scalar(db.select(Utilisateur).where(Utilisateur.email == "agent@exemple.fr"))
    campagne = db.session.scalar(db.select(Campagne).where(Campagne.annee == 2022))
    structure = fab.structure_complete(service=agent.service, raison_sociale="Régie de quartier de Koungou")
    decision = fab.decision(dossier=fab.dossier(statut="recevable", campagne=campagne, structure=structure))
    seance = fab.seance(campagne=campagne, phase=Phase.DELIBERATION, membres=[agent], president=agent, dossiers=4)
    for point in seance.ordre_du_jour:
        fab.feuille(seance, point.dossier, agent)
    db.session.commit()

    page.set_viewport_size(TELEPHONE)
    se_connecter(page, "agent@exemple.fr")
    assert urlsplit(page.url).path == "/conventions/a-faire"  # sa prochaine étape
    a_preparer = page.locator("#conventions-a-preparer")
    expect(a_preparer).to_contain_text(decision.dossier.numero)
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    a_preparer.get_by_role("link", name=re.compile(decision.dossier.numero)).click()
    expect(page).to_have_url(re.compile(rf"/conventions/nouvelle/{decision.id}$"))

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(page.serveur.url + f"/copil/seances/{seance.id}/classement?normalise=1")
    tableau = page.locator("#classement")
    decision_colonne = tableau.get_by_role("columnheader", name="Décision")
    cadre, colonne = tableau.bounding_box(), decision_colonne.bounding_box()
    assert colonne["x"] + colonne["width"] <= cadre["x"] + cadre["width"] + 1, (cadre, colonne)
    expect(tableau.get_by_role("link", name=re.compile("^Décider")).first).to_be_in_viewport()


def test_le_simulateur_sans_javascript_amorce_le_dossier(browser, serveur):
    contexte = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport=TELEPHONE)
    page = contexte.new_page()
    campagne_id = db.session.scalar(db.select(Dossier.campagne_id).where(Dossier.statut == Statut.BROUILLON).limit(1))
    page.goto(serveur.url + f"/campagnes/{campagne_id}")
    simulateur = page.locator("#formulaire-simulation")
    simulateur.get_by_label("Statut juridique de la structure").select_option("association")
    simulateur.get_by_label("ETP de facilitateur").fill("1,5")
    simulateur.get_by_label("Coût annuel des postes (€)").fill("63 000")
    simulateur.get_by_label("Cofinancement des collectivités territoriales (€)").fill("18 900")
    simulateur.get_by_role("button", name="Simuler").click()
    resultat = page.locator("#resultat-simulation")
    expect(resultat).to_contain_text("Votre projet respecte les règles de financement")
    expect(page.locator("#part-simulee")).to_have_text("44\u202f100,00\xa0€ (70\u202f% du coût)")
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0

    resultat.get_by_role("link", name="J'ai déjà un compte").click()
    page.get_by_label("Adresse électronique").fill("porteur3@exemple.fr")
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE_DEMO)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Titre du projet").fill("Projet né du simulateur")
    page.get_by_role("button", name="Créer le dossier").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("avec les postes et le budget de votre simulation")
    expect(page.locator("#etp_facilitateur")).to_have_value("1,5")
    dossier = db.session.scalar(db.select(Dossier).where(Dossier.titre == "Projet né du simulateur"))
    assert {ligne.categorie: ligne.montant_annee1 for ligne in dossier.lignes_budget}["etat_aap"] == Decimal("44100.00")
    contexte.close()
