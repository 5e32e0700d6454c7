"""Outbox: every email is queued in the transaction that causes it and sent by a separate worker over a real SMTP
conversation; no request talks to the SMTP server. Retries come later and later, per message; after the last
one the message is in failure, shown to the administrators of its service, who can send it again."""

import contextvars
import os
import signal
import socket
import subprocess
import threading
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import func, select

from aap.courriels import DELAI_MAX, TENTATIVES_MAX, delai_avant_essai, envoyer_en_attente, mettre_en_file, travailler
from aap.extensions import db
from aap.models import Courriel, EntreeJournal
from aap.types import maintenant

from .conftest import RACINE, texte


def _courriel(fab, cle=None):
    utilisateur = fab.utilisateur("porteur", email="dest@exemple.fr")
    return mettre_en_file(
        utilisateur.email, "Sujet de test", "compte_existant", service_id=utilisateur.service_id, cle=cle, utilisateur=utilisateur
    )


def test_un_courriel_en_file_part_par_smtp_date_et_est_marque_envoye(fab, serveur_smtp):
    courriel = _courriel(fab)
    db.session.commit()
    assert envoyer_en_attente() == 1
    [recu] = serveur_smtp.pour("dest@exemple.fr")
    assert recu["Subject"] == "Sujet de test" and "qui en a déjà un" in serveur_smtp.texte(recu)
    # RFC 5322 : un en-tête Date, l'instant où le message a été écrit.
    assert parsedate_to_datetime(recu["Date"]) == courriel.cree_le.replace(microsecond=0)
    db.session.refresh(courriel)
    assert courriel.envoye_le is not None
    assert envoyer_en_attente() == 0  # jamais deux fois


def test_une_cle_ne_met_en_file_qu_une_fois(fab):
    assert _courriel(fab, cle="rappel:convention:1:signature") is not None
    db.session.commit()
    utilisateur = fab.utilisateur("porteur")
    cle = "rappel:convention:1:signature"
    deuxieme = mettre_en_file(utilisateur.email, "x", "compte_existant", service_id=None, cle=cle, utilisateur=utilisateur)
    assert deuxieme is None
    db.session.commit()
    assert db.session.scalar(select(func.count(Courriel.id))) == 1


def test_une_transaction_annulee_n_envoie_rien(fab, serveur_smtp):
    _courriel(fab)
    db.session.rollback()
    assert envoyer_en_attente() == 0 and serveur_smtp.messages == []


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


@pytest.mark.parametrize(
    ("tentatives", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 64), (8, 128), (9, 240), (10, 240), (30, 240)],
)
def test_le_delai_avant_le_prochain_essai_double_jusqu_a_quatre_heures(tentatives, minutes):
    assert delai_avant_essai(tentatives) == timedelta(minutes=minutes)


def test_du_premier_au_dernier_essai_un_message_attend_environ_huit_heures():
    total = sum((delai_avant_essai(n) for n in range(1, TENTATIVES_MAX)), timedelta())
    assert timedelta(hours=8) <= total <= timedelta(hours=9) and DELAI_MAX == timedelta(hours=4)


def test_serveur_injoignable_le_courriel_garde_l_erreur_et_attend_son_prochain_essai(app, fab, serveur_smtp):
    courriel = _courriel(fab)
    db.session.commit()
    app.config["SMTP_PORT"] = 1  # rien n'écoute
    avant = maintenant()
    assert envoyer_en_attente() == 0
    db.session.refresh(courriel)
    assert courriel.envoye_le is None and courriel.tentatives == 1 and "refused" in courriel.erreur
    assert courriel.prochain_essai_le >= avant + timedelta(minutes=1)
    app.config["SMTP_PORT"] = serveur_smtp.port
    assert envoyer_en_attente() == 0  # pas avant son heure
    courriel.prochain_essai_le = maintenant() - timedelta(seconds=1)  # une minute a passé
    db.session.commit()
    assert envoyer_en_attente() == 1
    assert len(serveur_smtp.pour("dest@exemple.fr")) == 1


def test_un_serveur_injoignable_arrete_le_tour_au_premier_message(app, fab):
    service = fab.service()
    for i in range(5):
        fab.courriel(service=service, destinataire=f"d{i}@exemple.fr")
    app.config["SMTP_PORT"] = 1
    assert envoyer_en_attente() == 0
    essais = db.session.scalars(select(Courriel.tentatives).order_by(Courriel.id)).all()
    assert essais == [1, 0, 0, 0, 0]  # les autres attendent le tour suivant, au lieu d'un délai d'attente chacun


def test_apres_le_dernier_essai_le_courriel_est_en_echec_montre_et_renvoyable(app, client_de, fab, serveur_smtp):
    admin = fab.utilisateur("admin")
    courriel = fab.courriel(service=admin.service, destinataire="perdu@exemple.fr", tentatives=TENTATIVES_MAX - 1)
    app.config["SMTP_PORT"] = 1
    assert envoyer_en_attente() == 0
    db.session.refresh(courriel)
    assert courriel.tentatives == TENTATIVES_MAX and "refused" in courriel.erreur
    app.config["SMTP_PORT"] = serveur_smtp.port
    courriel.prochain_essai_le = maintenant() - timedelta(seconds=1)
    db.session.commit()
    assert envoyer_en_attente() == 0  # en échec : plus aucun essai sans un administrateur

    session = client_de(admin)
    assert "1 courriel du service n'a pas pu partir" in texte(session.get("/admin/comptes"))
    page = texte(session.get("/admin/courriels"))
    assert "échec" in page and "perdu@exemple.fr" in page and "Connection refused" in page

    ailleurs = client_de(fab.utilisateur("admin", service=fab.service(code="974")))
    assert "perdu@exemple.fr" not in texte(ailleurs.get("/admin/courriels"))
    assert ailleurs.post(f"/admin/courriels/{courriel.id}/relancer").status_code == 404

    assert session.post(f"/admin/courriels/{courriel.id}/relancer").status_code == 302
    assert len(serveur_smtp.pour("perdu@exemple.fr")) == 1  # reparti au tour suivant du travailleur
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "courriel.relance"))
    assert entree.acteur == admin.email and entree.service_id == admin.service_id


def test_deux_travailleurs_en_meme_temps_n_envoient_chaque_courriel_qu_une_fois(app, fab, serveur_smtp):
    service = fab.service()
    for i in range(30):
        fab.courriel(service=service, destinataire=f"d{i}@exemple.fr")
    depart, envoyes = threading.Barrier(2), []

    def travailleur():
        with app.app_context():
            depart.wait()
            envoyes.append(envoyer_en_attente())

    fils = [threading.Thread(target=contextvars.Context().run, args=(travailleur,)) for _ in range(2)]
    for fil in fils:
        fil.start()
    for fil in fils:
        fil.join(60)
    recus = sorted(m["To"] for m in serveur_smtp.messages)
    assert sum(envoyes) == 30 and recus == sorted(f"d{i}@exemple.fr" for i in range(30)), envoyes
    print(f"\nDeux travailleurs en parallèle : {envoyes} courriels envoyés chacun, 30 reçus une fois chacun.")


@pytest.fixture
def smtp_muet():
    """A raw socket server that accepts SMTP connections and never says a word; yields (port, connections)."""
    ecoute = socket.create_server(("127.0.0.1", 0))
    ecoute.settimeout(0.1)
    connexions, arret = [], threading.Event()

    def accepter():
        while not arret.is_set():
            try:
                connexions.append(ecoute.accept()[0])
            except TimeoutError:
                continue

    fil = threading.Thread(target=accepter, daemon=True)
    fil.start()
    yield ecoute.getsockname()[1], connexions
    arret.set()
    fil.join(5)
    for connexion in [*connexions, ecoute]:
        connexion.close()


def _attendre(condition, secondes=20):
    limite = time.monotonic() + secondes
    while not condition():
        assert time.monotonic() < limite, "délai dépassé"
        time.sleep(0.05)


def test_une_page_n_attend_jamais_un_serveur_smtp_muet(app, client, fab, smtp_muet):
    port, connexions = smtp_muet
    app.config.update(SMTP_PORT=port, SMTP_DELAI=2, CONNEXION_LIMITE_COURRIEL="100 per hour")
    porteur = fab.utilisateur("porteur")
    client.distribuer = False  # ici, seul le vrai travailleur parle au serveur SMTP

    def demander():
        debut = time.perf_counter()
        reponse = client.post("/mot-de-passe-oublie", data={"email": porteur.email})
        assert reponse.status_code == 200
        return time.perf_counter() - debut

    # Sans travailleur : cinq demandes, aucune connexion SMTP ouverte par une requête (avant : 2, 4, 6, 8, 10 s).
    durees = [demander() for _ in range(5)]
    assert connexions == []

    # Le travailleur se connecte, attend 2 s une réponse qui ne vient pas, reporte le message ; une page répond
    # pendant ce temps sans l'attendre.
    arret = threading.Event()

    def travailleur():
        with app.app_context():
            travailler(arret, intervalle=0.05)

    fil = threading.Thread(target=contextvars.Context().run, args=(travailleur,))
    fil.start()
    try:
        _attendre(lambda: connexions)
        pendant = demander()
        premier = db.session.scalar(select(Courriel).order_by(Courriel.id))

        def reporte():
            db.session.expire_all()
            return premier.tentatives == 1

        _attendre(reporte)
    finally:
        arret.set()
        fil.join(10)
    print(
        f"\nServeur SMTP muet : 5 demandes sans travailleur en {', '.join(f'{d * 1000:.0f}' for d in durees)} ms ; "
        f"pendant que le travailleur attend le serveur : {pendant * 1000:.0f} ms."
    )
    assert pendant < app.config["SMTP_DELAI"]  # elle n'a pas attendu le délai SMTP
    assert premier.envoye_le is None and "timed out" in premier.erreur
    assert premier.prochain_essai_le >= maintenant() + timedelta(seconds=50)
    assert db.session.scalar(select(func.count(Courriel.id)).where(Courriel.envoye_le.is_not(None))) == 0


def test_la_commande_du_travailleur_envoie_et_s_arrete_proprement(app, fab, serveur_smtp):
    """`flask courriels travailler`, as `make run` and the systemd unit of docs/production.md start it."""
    _courriel(fab)
    db.session.commit()
    env = os.environ | {
        "AAP_ENV": "test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SMTP_HOTE": "127.0.0.1",
        "SMTP_PORT": str(serveur_smtp.port),
    }
    commande = [str(RACINE / ".venv" / "bin" / "flask"), "--app", "aap", "courriels", "travailler", "--intervalle", "0.2"]
    processus = subprocess.Popen(commande, cwd=RACINE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603
    try:
        _attendre(lambda: serveur_smtp.pour("dest@exemple.fr"), secondes=60)
    finally:
        processus.send_signal(signal.SIGTERM)
        sortie = processus.communicate(timeout=30)[0]
    assert processus.returncode == 0, sortie
    assert "file relue toutes les 0.2 s" in sortie
