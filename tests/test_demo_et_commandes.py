"""Reference data and the account commands of `flask --app aap`."""

from sqlalchemy import func, select

from aap.courriels import envoyer_en_attente
from aap.extensions import db
from aap.models import Commune, Epci, Utilisateur

COMPTES_DEMO = [
    "admin@exemple.fr",
    "agent@exemple.fr",
    "copil@exemple.fr",
    "copil2@exemple.fr",
    "porteur@exemple.fr",
    "porteur2@exemple.fr",
    "national@exemple.fr",
]


def test_referentiel_de_mayotte_17_communes_5_epci(runner):
    resultat = runner.invoke(args=["referentiel", "charger", "--departement", "976"])
    assert "17 communes et 5 EPCI" in resultat.output
    assert db.session.scalar(select(func.count(Commune.code)).where(Commune.departement == "976")) == 17
    assert db.session.scalar(select(func.count(Epci.code))) == 5
    assert db.session.get(Commune, "97611").nom == "Mamoudzou"
    assert all(c.epci_code for c in db.session.scalars(select(Commune)))


def test_api_token_cree_un_jeton_utilisable(client, fab, runner):
    agent = fab.utilisateur("agent", email="cli@exemple.fr")
    db.session.commit()
    resultat = runner.invoke(args=["api-token", "cli@exemple.fr", "--nom", "script"])
    jeton = resultat.output.strip()
    assert resultat.exit_code == 0 and jeton.startswith("aap_")
    reponse = client.get("/api/v1/moi", headers={"Authorization": f"Bearer {jeton}"})
    assert reponse.json["id"] == agent.id
    assert runner.invoke(args=["api-token", "inconnu@exemple.fr"]).exit_code == 1


def test_inviter_en_ligne_de_commande(fab, runner, serveur_smtp):
    fab.service()
    db.session.commit()
    resultat = runner.invoke(args=["inviter", "copil.cli@exemple.fr", "--role", "copil", "--prenom", "Ida"])
    assert resultat.exit_code == 0, resultat.output
    assert db.session.scalar(select(Utilisateur).where(Utilisateur.email == "copil.cli@exemple.fr")).role == "copil"
    assert envoyer_en_attente() == 1  # la commande met en file ; le travailleur des courriels envoie
    assert len(serveur_smtp.pour("copil.cli@exemple.fr")) == 1
    assert runner.invoke(args=["inviter", "copil.cli@exemple.fr", "--role", "copil"]).exit_code == 1
