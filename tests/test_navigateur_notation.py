"""In a real browser (Chromium, CSP enforced, axe-core on every page): three members score the same dossier —
one declares a conflict and is recused —, the president sees the disagreement and the ranking, records
decisions within the envelope, closes the session and downloads the minutes."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pypdf
import pytest
from playwright.sync_api import expect

from aap.extensions import db
from aap.types import maintenant
from notation.models import Phase

from .factories import MOT_DE_PASSE

pytestmark = pytest.mark.navigateur


@pytest.fixture
def config_supplementaire():
    return {"WTF_CSRF_ENABLED": True}


def se_connecter(page, email):
    page.goto(page.serveur.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def se_deconnecter(page):
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()


def noter(page, seance, dossier, points, commentaires=None, avis="Favorable"):
    page.goto(f"{page.serveur.url}/copil/seances/{seance.id}")
    page.get_by_role("link", name=f"Déclarer mes intérêts — {dossier.numero}").click()
    page.get_by_label("Non, je n'ai aucun lien").check(force=True)
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    expect(page.get_by_role("heading", name="Ma notation")).to_be_visible()
    for code, valeur in points.items():
        page.locator(f"#points_{code}").fill(str(valeur))
    for code, texte in (commentaires or {}).items():
        page.locator(f"#commentaire_{code}").fill(texte)
    page.get_by_label(avis, exact=True).check(force=True)
    expect(page.locator("#total-valeur")).to_have_text(
        re.sub(r"\.0$", "", str(sum(Decimal(str(v)) for v in points.values()))).replace(".", ",")
    )
    page.get_by_role("button", name="Soumettre ma notation").click()
    expect(page.get_by_role("heading", name=f"Notes du comité — {dossier.numero}")).to_be_visible()


def test_une_seance_du_copil_de_la_notation_au_proces_verbal(navigateur, fab):
    page = navigateur
    campagne = fab.campagne(etat="cloturee", credits=Decimal("60000.00"))
    service = campagne.service
    president = fab.utilisateur("agent", service=service, prenom="Zaïnaba", nom="Ahamada")
    membre = fab.utilisateur("copil", service=service, prenom="Julien", nom="Payet")
    deporte = fab.utilisateur("copil", service=service, prenom="Faïza", nom="Soilihi")
    dossier = fab.dossier(statut="recevable", campagne=campagne)
    autre = fab.dossier(statut="recevable", campagne=campagne)
    seance = fab.seance(
        campagne=campagne,
        membres=[president, membre, deporte],
        president=president,
        dossiers=[dossier, autre],
        phase=Phase.NOTATION,
        tenue_le=maintenant() - timedelta(minutes=5),  # la séance se tient ce jour : elle peut délibérer
    )
    fab.feuille(seance, autre, membre)
    fab.feuille(seance, autre, president)
    fab.declaration(seance, autre, deporte, conflit=True)
    db.session.commit()
    grille = {c.code: c.maximum for c in campagne.criteres}

    # Un membre note le dossier ; la note d'originalité est basse, il la commente.
    se_connecter(page, membre.email)
    noter(page, seance, dossier, grille | {"originalite": 2}, {"originalite": "Offre déjà proposée ailleurs."})
    expect(page.get_by_text("1 sur 3 attendues")).to_be_visible()
    se_deconnecter(page)

    # Un autre membre déclare un conflit : il est déporté, le dossier lui répond 404.
    se_connecter(page, deporte.email)
    page.goto(f"{page.serveur.url}/copil/seances/{seance.id}")
    page.get_by_role("link", name=f"Déclarer mes intérêts — {dossier.numero}").click()
    page.get_by_label("Oui : je me déporte").check(force=True)
    page.get_by_label("Nature du conflit").fill("Trésorière de l'association porteuse.")
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    expect(page.get_by_text("Votre déport est enregistré")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(dossier.numero)).get_by_text("Déporté")).to_be_visible()
    page.goto(f"{page.serveur.url}/copil/seances/{seance.id}/dossiers/{dossier.id}/notes")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    se_deconnecter(page)

    # Le président note à son tour (écart de 8 points sur l'originalité : désaccord), puis ouvre la délibération.
    se_connecter(page, president.email)
    noter(page, seance, dossier, grille | {"originalite": 10})
    page.get_by_role("link", name=seance.intitule).click()
    page.get_by_role("button", name="Passer en délibération").click()
    expect(page.get_by_text("La séance délibère")).to_be_visible()
    page.get_by_role("link", name="Classement et décisions").click()
    ligne = page.locator(f"#ligne-{dossier.id}")
    expect(ligne.get_by_text("Désaccord (1)")).to_be_visible()
    expect(ligne.get_by_text("Dans l'enveloppe")).to_be_visible()
    expect(page.locator(f"#ligne-{autre.id}").get_by_text("Hors enveloppe")).to_be_visible()

    # Décisions dans l'enveloppe : un montant de trop est refusé en clair, puis le dossier est retenu.
    ligne.get_by_role("link", name=re.compile("Décider")).click()
    page.get_by_role("radio", name="Retenu").check(force=True)
    page.get_by_label("Montant accordé (€)").fill("70000,01")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator("#montant_accorde-erreur")).to_contain_text("ne peut pas dépasser le montant demandé")
    page.get_by_label("Montant accordé (€)").fill("30000")
    page.get_by_label("Conditions").fill("Recrutement du facilitateur avant le 1er mars.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text(f"Décision enregistrée pour le dossier {dossier.numero}")).to_be_visible()
    page.locator(f"#ligne-{autre.id}").get_by_role("link", name=re.compile("Décider")).click()
    page.get_by_role("radio", name="Rejeté").check(force=True)
    page.get_by_label("Motif", exact=False).first.fill("Crédits épuisés et projet moins abouti.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator("#credits-restants")).to_have_text(re.compile(r"30\s000,00\s€"))

    # Clôture : documents produits, procès-verbal téléchargé.
    page.get_by_role("link", name="Retour à la séance pour la clore").click()
    page.get_by_role("button", name="Clore la séance et notifier les décisions").click()
    expect(page.get_by_text("La séance est close")).to_be_visible()
    with page.expect_download() as telechargement:
        page.locator("#lien-pv").click()
    contenu = open(telechargement.value.path(), "rb").read()  # noqa: SIM115
    texte = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(contenu)).pages)
    texte = " ".join(texte.replace("\u202f", " ").replace("\xa0", " ").split())
    for attendu in (
        "Procès-verbal",
        "Faïza Soilihi",
        "Trésorière de l'association porteuse.",
        dossier.numero,
        "30 000,00 €",
        "Recrutement du facilitateur",
        "Crédits épuisés",
    ):
        assert attendu in texte, attendu


def test_brouillon_enregistre_seul_connexion_coupee_et_deux_onglets(navigateur, fab):
    page = navigateur
    campagne = fab.campagne(etat="cloturee")
    membre = fab.utilisateur("copil", service=campagne.service)
    dossier = fab.dossier(statut="recevable", campagne=campagne)
    seance = fab.seance(campagne=campagne, membres=[membre], dossiers=[dossier], phase=Phase.NOTATION)
    fab.declaration(seance, dossier, membre)
    db.session.commit()
    adresse = f"{page.serveur.url}/copil/seances/{seance.id}/dossiers/{dossier.id}"
    se_connecter(page, membre.email)
    page.goto(adresse)
    second = page.context.new_page()
    second.goto(adresse)  # un second onglet, ouvert sur la même version

    # Le total suit la saisie, le brouillon s'enregistre seul.
    page.locator("#points_experience").fill("12.5")
    page.locator("#points_contexte").fill("8")
    expect(page.locator("#total-valeur")).to_have_text("20,5")
    expect(page.locator("#etat-enregistrement")).to_contain_text("Brouillon enregistré à")

    # Connexion coupée : la saisie reste, un nouvel essai suit ; rétablie, tout est enregistré.
    page.context.set_offline(True)
    page.locator("#commentaire_originalite").fill("Saisi hors ligne")
    expect(page.locator("#etat-enregistrement")).to_contain_text("Connexion perdue")
    page.context.set_offline(False)
    expect(page.locator("#etat-enregistrement")).to_contain_text("Brouillon enregistré à", timeout=15_000)

    # Le second onglet, resté sur l'ancienne version, n'écrase rien : il le dit.
    second.locator("#points_experience").fill("1")
    expect(second.locator("#alerte-notation")).to_contain_text("ce que vous venez de saisir n'a pas été enregistré")
    expect(second.get_by_role("link", name="Recharger la version enregistrée")).to_be_visible()

    page.reload()
    expect(page.locator("#points_experience")).to_have_value("12,5")
    expect(page.locator("#commentaire_originalite")).to_have_value("Saisi hors ligne")
    expect(page.locator("#total-valeur")).to_have_text("20,5")
    second.close()
