"""A draft survives what `test_navigateur_candidatures.py` did not yet put it through, in a real browser (CSP
enforced, CSRF on, axe-core on every page): the session ends while the porteur types (the text is kept in the
browser, saved once logged in again), and the connection drops then comes back (the page says so and saves
by itself, without a reload)."""

import pytest
from playwright.sync_api import expect

from aap.extensions import db
from candidatures.models import Dossier

from .factories import MOT_DE_PASSE
from .test_navigateur_candidatures import attendre_enregistrement, connexion

pytestmark = pytest.mark.navigateur


@pytest.fixture
def config_supplementaire():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def brouillon(fab):
    dossier = fab.dossier(statut="brouillon", complet=False, titre="Titre de départ")
    porteur = fab.porteur_de(dossier.structure)
    db.session.commit()
    return dossier, porteur


def titre_enregistre(dossier):
    db.session.expire_all()
    return db.session.get(Dossier, dossier.id).titre


def test_la_saisie_survit_a_une_session_expiree(navigateur, brouillon):
    page, (dossier, porteur) = navigateur, brouillon
    connexion(page, porteur.email, MOT_DE_PASSE)
    adresse = f"{page.serveur.url}/dossiers/{dossier.id}/etapes/projet"
    page.goto(adresse)
    # Plus aucune requête en vol : chaque réponse renouvelle le cookie de session, et une réponse arrivée après
    # l'effacement le remettait (l'enregistrement passait alors, d'où un échec intermittent en CI).
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()  # la session a pris fin (inactivité, redémarrage du serveur…)
    assert page.context.cookies() == []
    page.fill("#titre", "Titre tapé pendant que la session expirait")
    page.locator("#titre").blur()  # « change » en plus de « input », comme quand on quitte le champ
    expect(page.locator("#alerte-autosave")).to_contain_text("Votre session a expiré", timeout=30_000)
    expect(page.locator("#etat-enregistrement")).to_contain_text("session expirée")
    assert titre_enregistre(dossier) == "Titre de départ"

    connexion(page, porteur.email, MOT_DE_PASSE)
    page.goto(adresse)
    expect(page.locator("#titre")).to_have_value("Titre tapé pendant que la session expirait")
    attendre_enregistrement(page)
    assert titre_enregistre(dossier) == "Titre tapé pendant que la session expirait"


def test_connexion_perdue_puis_revenue_l_enregistrement_reprend_seul(navigateur, brouillon):
    page, (dossier, porteur) = navigateur, brouillon
    connexion(page, porteur.email, MOT_DE_PASSE)
    page.goto(f"{page.serveur.url}/dossiers/{dossier.id}/etapes/projet")
    page.context.set_offline(True)
    page.fill("#titre", "Titre tapé dans le train")
    expect(page.locator("#etat-enregistrement")).to_contain_text("Connexion perdue", timeout=15_000)
    expect(page.locator("#etat-enregistrement")).to_contain_text("Nouvel essai dans")
    page.context.set_offline(False)
    attendre_enregistrement(page)  # sans recharger la page : le nouvel essai part seul
    assert titre_enregistre(dossier) == "Titre tapé dans le train"


def test_ce_qui_est_tape_avant_le_chargement_du_script_est_enregistre(navigateur, brouillon):
    """On a slow connection the porteur types before `dossier.js` has run: that typing is saved too."""
    page, (dossier, porteur) = navigateur, brouillon
    connexion(page, porteur.email, MOT_DE_PASSE)
    # Le script (son nom porte son empreinte : dossier.<empreinte>.js) n'est pas encore arrivé.
    page.route("**/static/js/dossier*.js", lambda route: route.abort())
    page.goto(f"{page.serveur.url}/dossiers/{dossier.id}/etapes/projet")
    page.fill("#titre", "Titre tapé avant le script")
    page.unroute("**/static/js/dossier*.js")
    page.add_script_tag(url=page.locator('script[src*="/js/dossier"]').get_attribute("src"))  # il arrive enfin
    attendre_enregistrement(page)
    assert titre_enregistre(dossier) == "Titre tapé avant le script"
