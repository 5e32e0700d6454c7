"""Outbox: every email is queued in the transaction that causes it and delivered over a real SMTP conversation."""

from sqlalchemy import func, select

from aap.courriels import envoyer_en_attente, mettre_en_file
from aap.extensions import db
from aap.models import Courriel


def _courriel(fab, cle=None):
    utilisateur = fab.utilisateur("porteur", email="dest@exemple.fr")
    return mettre_en_file(utilisateur.email, "Sujet de test", "compte_existant", cle=cle, utilisateur=utilisateur)


def test_un_courriel_en_file_part_par_smtp_et_est_marque_envoye(fab, serveur_smtp):
    courriel = _courriel(fab)
    db.session.commit()
    assert envoyer_en_attente() == 1
    [recu] = serveur_smtp.pour("dest@exemple.fr")
    assert recu["Subject"] == "Sujet de test" and "qui en a déjà un" in serveur_smtp.texte(recu)
    db.session.refresh(courriel)
    assert courriel.envoye_le is not None
    assert envoyer_en_attente() == 0  # jamais deux fois


def test_une_cle_ne_met_en_file_qu_une_fois(fab):
    assert _courriel(fab, cle="rappel:convention:1:signature") is not None
    db.session.commit()
    utilisateur = fab.utilisateur("porteur")
    cle = "rappel:convention:1:signature"
    deuxieme = mettre_en_file(utilisateur.email, "x", "compte_existant", cle=cle, utilisateur=utilisateur)
    assert deuxieme is None
    db.session.commit()
    assert db.session.scalar(select(func.count(Courriel.id))) == 1


def test_une_transaction_annulee_n_envoie_rien(fab, serveur_smtp):
    _courriel(fab)
    db.session.rollback()
    assert envoyer_en_attente() == 0 and serveur_smtp.messages == []


def test_serveur_smtp_injoignable_le_courriel_attend_et_garde_l_erreur(app, fab, serveur_smtp):
    courriel = _courriel(fab)
    db.session.commit()
    app.config["SMTP_PORT"] = 1  # rien n'écoute
    assert envoyer_en_attente() == 0
    db.session.refresh(courriel)
    assert courriel.envoye_le is None and courriel.tentatives == 1 and courriel.erreur
    app.config["SMTP_PORT"] = serveur_smtp.port
    assert envoyer_en_attente() == 1


def test_la_commande_envoie_la_file(fab, runner, serveur_smtp):
    _courriel(fab)
    db.session.commit()
    resultat = runner.invoke(args=["courriels", "envoyer"])
    assert "1 courriel(s) envoyé(s)" in resultat.output
    assert len(serveur_smtp.pour("dest@exemple.fr")) == 1


def test_les_liens_des_courriels_suivent_url_publique_pas_l_en_tete_host(app, client, fab, serveur_smtp):
    fab.utilisateur("porteur", email="hote@exemple.fr")
    app.config["URL_PUBLIQUE"] = "https://aap.deets.gouv.fr"
    client.post("/mot-de-passe-oublie", data={"email": "hote@exemple.fr"}, headers={"Host": "pirate.example"})
    lien = serveur_smtp.lien(serveur_smtp.pour("hote@exemple.fr")[-1])
    assert lien.startswith("https://aap.deets.gouv.fr/mot-de-passe/")
