"""In a real browser (Chromium): each role logs in, sees its own navigation, logs out; errors in French."""

import re

import pytest
from playwright.sync_api import expect

from aap.courriels import TENTATIVES_MAX

from .factories import MOT_DE_PASSE

pytestmark = pytest.mark.navigateur


@pytest.fixture
def config_supplementaire():
    return {"WTF_CSRF_ENABLED": True}


MENUS = {
    "porteur": ["Accueil", "Mes dossiers", "Ma structure", "Mes conventions", "À faire"],
    "copil": ["Accueil", "Séances du COPIL"],
    "agent": ["Accueil", "Dossiers", "Séances du COPIL", "Conventions", "À faire", "Journal"],
    "admin": ["Accueil", "Dossiers", "Séances du COPIL", "Conventions", "À faire", "Journal", "Campagnes", "Administration"],
    "national": ["Accueil", "Dossiers", "Séances du COPIL", "Conventions", "À faire", "Journal"],
}


def se_connecter(page, email, mot_de_passe=MOT_DE_PASSE):
    page.goto(page.serveur.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(mot_de_passe)
    page.get_by_role("button", name="Se connecter").click()


def test_chaque_role_voit_sa_navigation_puis_se_deconnecte(navigateur, fab):
    comptes = {role: fab.utilisateur(role) for role in MENUS}
    for role, menu in MENUS.items():
        se_connecter(navigateur, comptes[role].email)
        navigation = navigateur.get_by_role("navigation", name="Menu principal", exact=True)
        expect(navigation.get_by_role("link")).to_have_text(menu)
        expect(navigateur.get_by_role("link", name=re.compile(comptes[role].nom))).to_be_visible()
        navigateur.get_by_role("button", name="Se déconnecter").click()
        expect(navigateur.get_by_text("Vous êtes déconnecté.")).to_be_visible()
        expect(navigateur.get_by_role("link", name="Se connecter")).to_be_visible()


def test_mauvais_mot_de_passe_message_en_francais(navigateur, fab):
    agent = fab.utilisateur("agent")
    se_connecter(navigateur, agent.email, "ce n'est pas le bon")
    expect(navigateur.get_by_role("alert")).to_contain_text("Adresse électronique ou mot de passe incorrect.")
    expect(navigateur.get_by_label("Adresse électronique")).to_have_value(agent.email)


def test_formulaire_vide_resume_des_erreurs_relie_aux_champs(navigateur):
    navigateur.goto(navigateur.serveur.url + "/connexion")
    navigateur.get_by_role("button", name="Se connecter").click()
    resume = navigateur.locator("#resume-erreurs")
    expect(resume).to_be_focused()
    resume.get_by_role("link", name="Adresse électronique").click()
    expect(navigateur.get_by_label("Adresse électronique")).to_be_focused()
    expect(navigateur.locator("#email-erreur")).to_have_text("Indiquez votre adresse électronique.")


def test_inscription_confirmation_par_courriel_et_connexion(navigateur, fab, serveur_smtp):
    fab.service()
    page = navigateur
    page.goto(page.serveur.url + "/inscription")
    page.get_by_label("Prénom").fill("Mariame")
    page.get_by_label("Nom", exact=True).fill("Boina")
    page.get_by_label("Adresse électronique professionnelle").fill("mariame@koungou.yt")
    page.get_by_label(re.compile(r"^Mot de passe")).fill("ylang-ylang-et-vanille-976")
    page.get_by_label("Confirmation du mot de passe").fill("ylang-ylang-et-vanille-976")
    page.get_by_label("SIRET de votre structure").fill("219 760 105 00011")
    page.get_by_label("Raison sociale").fill("Commune de Koungou")
    page.get_by_label("Statut juridique").select_option(label="Collectivité territoriale")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Vérifiez vos courriels")).to_be_visible()
    lien = serveur_smtp.lien(serveur_smtp.pour("mariame@koungou.yt")[-1])
    page.goto(lien)
    expect(page.get_by_text("Votre adresse est confirmée")).to_be_visible()
    se_connecter(page, "mariame@koungou.yt", "ylang-ylang-et-vanille-976")
    expect(page.get_by_role("link", name=re.compile("Mariame Boina"))).to_be_visible()


def test_sur_petit_ecran_le_menu_s_ouvre_au_clavier(navigateur, fab):
    navigateur.set_viewport_size({"width": 375, "height": 740})
    se_connecter(navigateur, fab.utilisateur("agent").email)
    bouton = navigateur.get_by_role("button", name="Menu")
    bouton.focus()
    navigateur.keyboard.press("Enter")
    menu = navigateur.locator("#menu-mobile")
    expect(menu.get_by_role("link", name="Journal")).to_be_visible()


def test_avertissement_avant_expiration_et_rester_connecte(navigateur, fab):
    navigateur.clock.install()
    se_connecter(navigateur, fab.utilisateur("porteur").email)
    # Le minuteur part au chargement de la page connectée : l'attendre avant d'avancer l'horloge.
    expect(navigateur.get_by_role("button", name="Se déconnecter")).to_be_visible()
    navigateur.wait_for_load_state("load")
    navigateur.clock.fast_forward("27:59")
    expect(navigateur.get_by_role("alert")).to_have_count(0)
    navigateur.clock.fast_forward("00:02")
    alerte = navigateur.get_by_role("alert")
    expect(alerte).to_contain_text("votre session se ferme dans 2 minute(s)")
    expect(alerte.get_by_role("button", name="Rester connecté")).to_be_focused()
    navigateur.keyboard.press("Enter")
    expect(navigateur.get_by_role("alert")).to_have_count(0)


def test_pages_d_information_accessibles_depuis_le_pied_de_page(navigateur):
    navigateur.goto(navigateur.serveur.url + "/")
    for lien, titre in [
        ("Accessibilité : partiellement conforme", "Déclaration d'accessibilité"),
        ("Mentions légales", "Mentions légales"),
        ("Données personnelles", "Données personnelles"),
    ]:
        navigateur.get_by_role("contentinfo").get_by_role("link", name=lien).click()
        expect(navigateur.get_by_role("heading", level=1)).to_have_text(titre)


def test_l_administrateur_voit_un_courriel_en_echec_et_le_renvoie(navigateur, fab, serveur_smtp):
    admin = fab.utilisateur("admin")
    fab.courriel(service=admin.service, destinataire="perdu@exemple.fr", tentatives=TENTATIVES_MAX, erreur="Connection refused")
    se_connecter(navigateur, admin.email)
    navigateur.get_by_role("link", name="Administration").click()
    navigateur.get_by_role("link", name="voir et renvoyer").click()
    ligne = navigateur.get_by_role("row", name=re.compile("perdu@exemple.fr"))
    expect(ligne).to_contain_text("échec")
    expect(ligne).to_contain_text("Connection refused")
    ligne.get_by_role("button", name="Renvoyer").click()
    expect(navigateur.get_by_text("Le courriel à perdu@exemple.fr repart")).to_be_visible()
    expect(navigateur.get_by_text("Aucun : tous les courriels du service sont partis")).to_be_visible()
    assert len(serveur_smtp.pour("perdu@exemple.fr")) == 1
