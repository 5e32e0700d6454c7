"""In a real browser (Debian's Chromium, CSP enforced, CSRF on): a porteur creates an account, fills a whole
dossier step by step (autosave, live figures, uploads with progress), watches the checklist turn green,
files it, downloads the receipt; an agent declares it recevable."""

import io
import re

import pypdf
import pytest
from playwright.sync_api import expect

from aap.demo import siret_valide

from . import contenus

pytestmark = pytest.mark.navigateur

MOT_DE_PASSE = "lagon-baobab-ylang-2026"


@pytest.fixture
def config_supplementaire():
    return {"WTF_CSRF_ENABLED": True}


def connexion(page, email, mot_de_passe):
    page.goto(page.serveur.url + "/connexion")
    page.fill("#email", email)
    page.fill("#mot_de_passe", mot_de_passe)
    page.click("main button[type=submit]")


def attendre_enregistrement(page):
    expect(page.locator("#etat-enregistrement")).to_contain_text("Enregistré à", timeout=15_000)


def test_du_compte_au_depot_puis_recevable(navigateur, fab, serveur_smtp):
    page = navigateur
    service = fab.service()
    fab.communes()
    campagne = fab.campagne(service=service)
    agent = fab.utilisateur("agent", service=service)
    from aap.extensions import db

    db.session.commit()

    # 1. Le porteur crée son compte et confirme son adresse.
    page.goto(page.serveur.url + "/inscription")
    page.fill("#prenom", "Nassur")
    page.fill("#nom", "Attoumani")
    page.fill("#email", "nassur@asso.yt")
    page.fill("#mot_de_passe", MOT_DE_PASSE)
    page.fill("#confirmation", MOT_DE_PASSE)
    page.fill("#siret", siret_valide("84512304"))
    page.fill("#raison_sociale", "Réseau emploi du Nord")
    page.select_option("#statut_juridique", "association")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Vérifiez vos courriels")
    [message] = serveur_smtp.pour("nassur@asso.yt")
    page.goto(serveur_smtp.lien(message))
    connexion(page, "nassur@asso.yt", MOT_DE_PASSE)

    # 2. Le profil de la structure, saisi une fois.
    page.click("text=Ma structure")
    page.fill("#adresse", "Place de la mairie")
    page.fill("#code_postal", "97600")
    page.select_option("#commune_code", "97611")
    page.fill("#representant_nom", "Ahmed Ali")
    page.fill("#representant_qualite", "Président")
    page.click("label[for=emergente]")
    page.fill("#annee_financements", str(campagne.annee))  # annexe 2 : un état de financement, même sans poste existant
    page.click("text=Enregistrer le profil")
    expect(page.locator(".fr-alert--success[role=status]")).to_contain_text("Le profil de la structure est enregistré.")

    # 3. Un dossier, étape par étape, enregistré automatiquement.
    page.goto(page.serveur.url + f"/campagnes/{campagne.id}")
    page.click("text=Déposer un dossier")
    page.fill("#titre", "Facilitation de la clause sociale à Mamoudzou")
    page.click("text=Créer le dossier")
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 1 sur 8")
    expect(page.locator("#liste-controles")).to_contain_text("points bloquants à corriger")
    page.fill("#etp_facilitateur", "1")
    attendre_enregistrement(page)
    expect(page.locator("#menu-etapes")).to_contain_text("complète")

    page.click("text=Enregistrer et continuer")
    page.click("label[for=commune-97611]")
    attendre_enregistrement(page)
    page.click("text=Enregistrer et continuer")
    page.fill("#diagnostic", "Les chantiers NPNRU de Kawéni et les marchés de l'État manquent de clauses.")
    page.fill("#objectifs", "Accompagner 12 marchés et 9 000 heures d'insertion par an.")
    page.fill("#strategie", "Rencontrer les acheteurs, calibrer les clauses, suivre les parcours.")
    page.locator("#facilitateur label").first.click()
    attendre_enregistrement(page)
    page.click("text=Enregistrer et continuer")
    page.fill("#nombre_npnru", "4")
    page.fill("#heures_npnru", "9000")
    page.fill("#calendrier", "Recrutement en janvier, premiers marchés en avril.")
    attendre_enregistrement(page)
    page.click("text=Enregistrer et continuer")

    # Le budget : les chiffres se calculent pendant la saisie.
    page.fill("#salaires_1", "42 000")
    page.fill("#etat_aap_1", "29 400")
    page.fill("#collectivites_1", "12 600")
    page.fill("#collectivites_precision", "Conseil départemental de Mayotte")
    attendre_enregistrement(page)
    synthese = page.locator("#synthese-budget")
    expect(synthese).to_contain_text("équilibré")
    expect(synthese).to_contain_text("29\u202f400,00\xa0€ (70\u202f%)")
    page.fill("#etat_aap_1", "29 400,01")
    attendre_enregistrement(page)
    expect(synthese).to_contain_text("dépassé de 0,01\xa0€")
    expect(page.locator("#liste-controles")).to_contain_text("dépasse de 0,01")
    page.fill("#etat_aap_1", "29 400")
    attendre_enregistrement(page)
    page.click("text=Enregistrer et continuer")

    # Les pièces : envoyées avec leur progression, vérifiées par leur contenu.
    for code in ("demande_subvention", "rapports_activite", "comptes_annuels", "budget_etp_existants"):
        page.set_input_files(
            f"#fichier-{code}", files=[{"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": contenus.pdf(code)}]
        )
        page.locator(f"#{code} form[data-televersement] button[type=submit]").click()
        expect(page.locator(f"#{code} h2 .fr-badge")).to_have_text("fournie")
    page.set_input_files(
        "#fichier-autre", files=[{"name": "programme.exe.pdf", "mimeType": "application/pdf", "buffer": contenus.executable()}]
    )
    page.fill("#libelle-autre", "Programme")
    page.locator("#autre ~ form[data-televersement] button[type=submit]").click()
    expect(page.locator("[data-etat-televersement]").last).to_contain_text("n'est pas d'un type accepté")
    page.click("text=Continuer : engagements")

    # Les engagements : la liste des vérifications passe au vert.
    expect(page.locator("#controles-bloquants")).to_be_visible()
    page.click("label[for=engagement_non_baisse]")
    page.click("label[for=declaration_honneur]")
    attendre_enregistrement(page)
    expect(page.locator("#controles-ok")).to_contain_text("Aucun point bloquant : le dossier peut être déposé.")

    # 4. Le dépôt et l'accusé de réception.
    page.click("#menu-etapes >> text=Récapitulatif et dépôt")
    page.click("#bouton-deposer")
    expect(page.locator("#statut-dossier")).to_have_text("Déposé")
    numero = re.search(r"AAP-\d{4}-976-0001", page.locator(".fr-alert--success[role=status]").inner_text()).group(0)
    with page.expect_download() as telechargement:
        page.click("#accuse-1")
    pdf = open(telechargement.value.path(), "rb").read()
    texte_pdf = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert numero in texte_pdf and "Accusé de réception" in texte_pdf
    assert serveur_smtp.pour("nassur@asso.yt")[-1]["Subject"] == f"Accusé de réception de votre dossier {numero}"
    page.click("text=Se déconnecter")

    # 5. L'agent vérifie la complétude et déclare le dossier recevable.
    connexion(page, agent.email, "une phrase de passe pour les tests")
    page.click("#navigation-principale >> text=Dossiers")
    page.click(f"text={numero}")
    page.click("#bouton-recevable")
    expect(page.locator("#statut-dossier")).to_have_text("Recevable")
    expect(page.locator(".fr-alert--success[role=status]")).to_contain_text("déclaré recevable")


def test_rien_n_est_perdu_connexion_coupee_rechargement_et_deux_onglets(navigateur, fab):
    page = navigateur
    dossier = fab.dossier(statut="brouillon", complet=False, titre="Titre de départ")
    porteur = fab.porteur_de(dossier.structure)
    from aap.extensions import db

    db.session.commit()
    page.on("dialog", lambda dialogue: dialogue.accept())
    connexion(page, porteur.email, "une phrase de passe pour les tests")
    adresse = page.serveur.url + f"/dossiers/{dossier.id}/etapes/projet"
    page.goto(adresse)

    # La connexion tombe : la page le dit, la saisie reste dans le navigateur.
    def couper(route):
        route.abort() if route.request.method == "POST" else route.continue_()

    page.route("**/etapes/projet", couper)
    page.fill("#titre", "Titre tapé hors connexion")
    expect(page.locator("#etat-enregistrement")).to_contain_text("Connexion perdue", timeout=15_000)
    page.unroute("**/etapes/projet")

    # Rechargée, la page retrouve la saisie et l'enregistre.
    page.reload()
    expect(page.locator("#titre")).to_have_value("Titre tapé hors connexion")
    attendre_enregistrement(page)
    db.session.expire_all()
    assert db.session.get(type(dossier), dossier.id).titre == "Titre tapé hors connexion"

    # Deux onglets : le second ne peut pas écraser le premier sans le savoir.
    autre = page.context.new_page()
    autre.goto(adresse)
    page.fill("#titre", "Version du premier onglet")
    attendre_enregistrement(page)
    autre.fill("#titre", "Version du second onglet")
    expect(autre.locator("#alerte-autosave")).to_contain_text("Rien n'a été écrasé", timeout=15_000)
    db.session.expire_all()
    assert db.session.get(type(dossier), dossier.id).titre == "Version du premier onglet"
    autre.close()
