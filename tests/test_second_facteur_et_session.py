"""New devices of agents confirmed by an emailed link or a TOTP code; sessions expiring after inactivity."""

from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from aap.extensions import db
from aap.models import EntreeJournal
from aap.types import maintenant

from .conftest import connecter, texte
from .factories import MOT_DE_PASSE


@pytest.fixture
def config_supplementaire():
    return {"APPAREIL_CONFIRMATION": True}


def poster_identifiants(client, utilisateur):
    return client.post("/connexion", data={"email": utilisateur.email, "mot_de_passe": MOT_DE_PASSE})


def test_nouvel_appareil_d_un_agent_confirme_par_lien_puis_reconnu(app, fab, serveur_smtp):
    agent = fab.utilisateur("agent")
    navigateur = app.test_client()
    reponse = poster_identifiants(navigateur, agent)
    assert reponse.status_code == 200 and "Confirmez ce nouvel appareil" in texte(reponse)
    assert navigateur.get("/profil").status_code == 302  # pas encore connecté
    lien = serveur_smtp.lien(serveur_smtp.pour(agent.email)[-1]).replace("http://localhost", "")

    # Le même lien ouvert ailleurs ne connecte personne.
    assert app.test_client().get(lien).status_code == 400
    assert navigateur.get(lien).status_code == 302
    assert navigateur.get("/profil").status_code == 200
    moyens = db.session.scalars(select(EntreeJournal.details).where(EntreeJournal.action == "connexion.reussie"))
    assert '{"moyen":"lien_appareil"}' in list(moyens)

    navigateur.post("/deconnexion")
    assert poster_identifiants(navigateur, agent).status_code == 302  # appareil reconnu


def test_un_porteur_n_a_pas_de_second_facteur(app, fab):
    connecter(app.test_client(), fab.utilisateur("porteur"))


def test_code_totp_remplace_le_lien(app, fab, serveur_smtp):
    agent = fab.utilisateur("admin")
    session = app.test_client()
    poster_identifiants(session, agent)
    session.get(serveur_smtp.lien(serveur_smtp.pour(agent.email)[-1]).replace("http://localhost", ""))
    page = texte(session.get("/profil/totp"))
    secret = page.split('id="cle-totp">')[1].split("<")[0]
    assert session.post("/profil/totp", data={"code": "000000"}).status_code == 422
    assert session.post("/profil/totp", data={"code": pyotp.TOTP(secret).now()}).status_code == 302

    ailleurs = app.test_client()
    assert poster_identifiants(ailleurs, agent).headers["Location"] == "/connexion/code"
    reponse = ailleurs.post("/connexion/code", data={"code": "123456"})
    assert reponse.status_code == 422 and "Code incorrect" in texte(reponse)
    assert ailleurs.post("/connexion/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert ailleurs.get("/profil").status_code == 200


def test_cinq_codes_faux_renvoient_a_la_connexion(app, fab):
    agent = fab.utilisateur("agent", totp_secret=pyotp.random_base32())
    session = app.test_client()
    poster_identifiants(session, agent)
    for _ in range(4):
        assert session.post("/connexion/code", data={"code": "000000"}).status_code == 422
    assert session.post("/connexion/code", data={"code": "000000"}).headers["Location"] == "/connexion"
    assert session.post("/connexion/code", data={"code": pyotp.TOTP(agent.totp_secret).now()}).status_code == 302
    assert session.get("/profil").status_code == 302


def test_la_session_expire_apres_30_minutes_d_inactivite(app, client, fab):
    porteur = fab.utilisateur("porteur")
    with time_machine.travel(maintenant(), tick=False) as voyage:
        connecter(client, porteur)
        voyage.shift(timedelta(minutes=29))
        assert client.get("/profil").status_code == 200  # l'activité repousse l'échéance
        voyage.shift(timedelta(minutes=29))
        assert client.get("/profil").status_code == 200
        voyage.shift(timedelta(minutes=31))
        reponse = client.get("/profil")
        assert reponse.status_code == 302 and reponse.headers["Location"].startswith("/connexion?suite=/profil")
        assert "expiré après 30 minutes" in texte(client.get("/connexion"))


def test_une_requete_de_script_apres_expiration_recoit_401_json(app, client, fab):
    with time_machine.travel(maintenant(), tick=False) as voyage:
        connecter(client, fab.utilisateur("porteur"))
        voyage.shift(timedelta(minutes=31))
        reponse = client.post("/session/prolonger", headers={"Accept": "application/json"})
        assert reponse.status_code == 401
        assert reponse.json["errors"][0]["code"] == "session_expiree"
