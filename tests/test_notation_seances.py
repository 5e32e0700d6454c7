"""COPIL sessions: creation by page and API, the agenda's rules, phases, emails when scoring opens and
reminders before the session (each once)."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pypdf
import pytest
import time_machine
from sqlalchemy import func, select

from aap import fichiers
from aap.courriels import envoyer_en_attente
from aap.erreurs import Conflit, Invalide, Refus
from aap.extensions import db
from aap.models import Courriel, EntreeJournal
from aap.types import maintenant
from notation import operations
from notation.models import Phase, Seance

from .conftest import texte


@pytest.fixture
def base(fab):
    campagne = fab.campagne(etat="cloturee")
    agent = fab.utilisateur("agent", service=campagne.service)
    membres = [fab.utilisateur("copil", service=campagne.service) for _ in range(2)]
    return campagne, agent, membres


def formulaire(campagne, president, membres, **champs):
    return {
        "campagne_id": str(campagne.id),
        "date": (maintenant() + timedelta(days=20)).strftime("%Y-%m-%d"),
        "heure": "09:30",
        "lieu": "DEETS, Mamoudzou",
        "lien_visio": "",
        "president_id": str(president.id),
        "membres": [str(m.id) for m in membres],
        "seuil_desaccord": "40",
    } | champs


def test_creer_une_seance_par_la_page(client_de, base):
    campagne, agent, membres = base
    client = client_de(agent)
    reponse = client.post("/copil/seances/nouvelle", data=formulaire(campagne, agent, membres))
    assert reponse.status_code == 302
    seance = db.session.scalar(select(Seance))
    assert seance.phase == Phase.PREPARATION and seance.president_id == agent.id
    assert {m.utilisateur_id for m in seance.membres} == {agent.id, *(m.id for m in membres)}
    assert seance.tenue_le.astimezone(UTC).hour == 6  # 9h30 à Mayotte = 6h30 UTC
    assert seance.seuil_desaccord == Decimal("0.40")
    assert db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "seance.creation"))


@pytest.mark.parametrize(
    ("champs", "champ", "message"),
    [
        ({"lieu": "", "lien_visio": ""}, "lieu", "Indiquez un lieu ou un lien de visioconférence."),
        ({"lieu": "", "lien_visio": "http://visio"}, "lien_visio", "commence par https://"),
        ({"date": "2020-01-01"}, "date", "La date de la séance est passée"),
        ({"date": "pas une date"}, "date", "date"),
        ({"date": "0001-01-01", "heure": "00:00"}, "date", "entre 2000 et 2199"),
        ({"seuil_desaccord": "0"}, "seuil_desaccord", "Entre 1 et 100 %."),
        ({"president_id": "999999"}, "president_id", ""),
    ],
)
def test_seance_invalide_message_a_cote_du_champ_et_rien_de_perdu(client_de, base, champs, champ, message):
    campagne, agent, membres = base
    reponse = client_de(agent).post("/copil/seances/nouvelle", data=formulaire(campagne, agent, membres, **champs))
    assert reponse.status_code == 422
    page = texte(reponse)
    assert f'id="{champ}-erreur"' in page or champ in ("president_id",)
    assert message in page
    assert 'value="DEETS, Mamoudzou"' in page or champs.get("lieu") == ""
    assert db.session.scalar(select(func.count(Seance.id))) == 0


def test_creer_une_seance_par_l_api(app, fab, base):
    campagne, agent, membres = base
    jeton = fab.jeton(agent)[0]
    entetes = {"Authorization": f"Bearer {jeton}"}
    corps = {
        "campagne_id": campagne.id,
        "tenue_le": (maintenant() + timedelta(days=10)).isoformat(),
        "lien_visio": "https://webconf.numerique.gouv.fr/copil",
        "president_id": agent.id,
        "membres": [m.id for m in membres],
    }
    reponse = app.test_client().post("/api/v1/seances", json=corps, headers=entetes)
    assert reponse.status_code == 201, reponse.json
    assert reponse.json["phase"] == "preparation" and len(reponse.json["membres"]) == 3
    # Une personne d'un autre service ne siège pas.
    etranger = fab.utilisateur("copil", service=fab.service(code="974"))
    reponse = app.test_client().post("/api/v1/seances", json=corps | {"membres": [etranger.id]}, headers=entetes)
    assert reponse.status_code == 422 and reponse.json["errors"][0]["field"] == "membres"
    # Un membre du COPIL ne crée pas de séance.
    reponse = app.test_client().post(
        "/api/v1/seances", json=corps, headers={"Authorization": f"Bearer {fab.jeton(membres[0])[0]}"}
    )
    assert reponse.status_code == 403


def test_ordre_du_jour_seulement_des_dossiers_recevables_de_la_campagne(fab, base):
    campagne, agent, membres = base
    seance = fab.seance(campagne=campagne, membres=membres, president=agent)
    depose = fab.dossier(statut="depose", campagne=campagne)
    emergente = fab.dossier(
        statut="recevable", campagne=campagne, structure=fab.structure_complete(service=campagne.service, emergente=True)
    )
    emergente.avis_ctn = None
    autre_campagne = fab.dossier(statut="recevable", campagne=fab.campagne(service=campagne.service))
    recevable = fab.dossier(statut="recevable", campagne=campagne)
    fab.session.commit()
    for dossier, code in [(depose, "non_recevable"), (emergente, "avis_ctn_manquant"), (autre_campagne, "autre_campagne")]:
        with pytest.raises(Refus) as refus:
            operations.inscrire(seance, dossier, par=agent)
        assert refus.value.code == code
        db.session.rollback()
    operations.inscrire(seance, recevable, par=agent)
    db.session.commit()
    with pytest.raises(Conflit):
        operations.inscrire(seance, recevable, par=agent)
    db.session.rollback()
    # Un dossier attend l'examen d'une seule séance…
    suivante = fab.seance(campagne=campagne, membres=membres, president=agent)
    with pytest.raises(Refus) as refus:
        operations.inscrire(suivante, recevable, par=agent)
    assert refus.value.code == "deja_inscrit"
    db.session.rollback()
    # … sauf s'il y a été ajourné : il peut aller à la suivante.
    fab.decision(nature="ajourne", dossier=recevable, seance=seance, notifie_le=None)
    operations.inscrire(suivante, recevable, par=agent)
    db.session.commit()
    assert [p.dossier_id for p in suivante.ordre_du_jour] == [recevable.id]


def test_retirer_un_dossier_tant_que_personne_ne_l_a_note(fab, base):
    campagne, agent, membres = base
    seance = fab.seance(campagne=campagne, membres=membres, president=agent, dossiers=2, phase=Phase.NOTATION)
    libre, note = (p.dossier for p in seance.ordre_du_jour)
    fab.declaration(seance, libre, membres[0], conflit=True)
    fab.feuille(seance, note, membres[0], soumise=False)
    operations.retirer(seance, libre, par=agent)
    db.session.commit()
    with pytest.raises(Refus) as refus:
        operations.retirer(seance, note, par=agent)
    assert refus.value.code == "dossier_deja_note"
    db.session.rollback()
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "seance.retrait"))
    assert '"conflit":true' in entree.details  # la déclaration retirée reste lisible au journal


def test_ouvrir_la_notation_previent_chaque_membre_une_fois(app, fab, base, client_de, serveur_smtp):
    campagne, agent, membres = base
    seance = fab.seance(campagne=campagne, membres=membres, president=agent)
    client = client_de(agent)
    assert "Inscrivez au moins un dossier" in texte(
        client.post(f"/copil/seances/{seance.id}/phase", data={"vers": "notation"}, follow_redirects=True)
    )
    seance.ordre_du_jour  # noqa: B018
    dossier = fab.dossier_pour_copil(campagne=campagne)
    operations.inscrire(seance, dossier, par=agent)
    db.session.commit()
    reponse = client.post(f"/copil/seances/{seance.id}/phase", data={"vers": "notation"})
    assert reponse.status_code == 302
    for personne in (agent, *membres):
        (message,) = serveur_smtp.pour(personne.email)
        assert "la notation est ouverte" in message["Subject"]
        assert f"/copil/seances/{seance.id}" in serveur_smtp.texte(message)
    # Un double clic ne change rien et ne renvoie rien.
    reponse = client.post(f"/copil/seances/{seance.id}/phase", data={"vers": "notation"}, follow_redirects=True)
    assert "déjà au stade « notation ouverte »" in texte(reponse)
    assert len(serveur_smtp.messages) == 3


def test_rappels_avant_la_seance_une_fois_par_echeance(app, fab, base, runner, serveur_smtp):
    campagne, agent, membres = base
    tenue = datetime(2030, 6, 20, 6, 0, tzinfo=UTC)  # 9h à Mayotte
    seance = fab.seance(campagne=campagne, membres=membres, president=agent, dossiers=2, phase=Phase.NOTATION, tenue_le=tenue)
    premier, second = (p.dossier for p in seance.ordre_du_jour)
    # membres[0] a tout noté ; membres[1] est déporté sur l'un et n'a pas noté l'autre ; l'agent n'a rien fait.
    fab.feuille(seance, premier, membres[0])
    fab.feuille(seance, second, membres[0])
    fab.declaration(seance, premier, membres[1], conflit=True)
    with time_machine.travel(datetime(2030, 6, 5, 8, 0, tzinfo=UTC), tick=False):
        assert runner.invoke(args=["notation", "rappels"]).output.startswith("0 rappel")
    with time_machine.travel(datetime(2030, 6, 13, 8, 0, tzinfo=UTC), tick=False):
        assert runner.invoke(args=["notation", "rappels"]).output.startswith("2 rappel")
        assert runner.invoke(args=["notation", "rappels"]).output.startswith("0 rappel")
    with time_machine.travel(datetime(2030, 6, 18, 8, 0, tzinfo=UTC), tick=False):
        assert runner.invoke(args=["notation", "rappels"]).output.startswith("2 rappel")
        assert envoyer_en_attente() == 5  # le travailleur envoie ce que la commande a mis en file : 4 rappels, 1 alerte
    assert [m["Subject"] for m in serveur_smtp.pour(membres[0].email)] == []
    sujets = [m["Subject"] for m in serveur_smtp.pour(membres[1].email)]
    assert sujets == [f"Rappel : {seance.intitule} — 1 dossier à noter"] * 2
    assert len(serveur_smtp.pour(agent.email)) == 2
    assert "2 dossiers" in serveur_smtp.pour(agent.email)[0]["Subject"]
    cles = db.session.scalars(select(Courriel.cle).where(Courriel.cle.like("rappel-notation:%"))).all()
    assert sorted(c.rsplit(":", 1)[1] for c in cles) == ["J-2", "J-2", "J-7", "J-7"]


def test_modifier_une_seance_depuis_une_page_perimee_est_refuse(client_de, fab, base):
    campagne, agent, membres = base
    seance = fab.seance(campagne=campagne, membres=membres, president=agent)
    client = client_de(agent)
    version = seance.version
    donnees = formulaire(campagne, agent, membres, lieu="Salle A") | {"version": str(version)}
    del donnees["campagne_id"]
    assert client.post(f"/copil/seances/{seance.id}/modifier", data=donnees).status_code == 302
    reponse = client.post(f"/copil/seances/{seance.id}/modifier", data=donnees | {"lieu": "Salle B"})
    assert reponse.status_code == 409
    assert "modifiée entre-temps" in texte(reponse)
    db.session.refresh(seance)
    assert seance.lieu == "Salle A"


def test_un_membre_ayant_note_reste_membre(fab, base):
    campagne, agent, membres = base
    seance = fab.seance(campagne=campagne, membres=membres, president=agent, dossiers=1, phase=Phase.NOTATION)
    fab.feuille(seance, seance.ordre_du_jour[0].dossier, membres[0])
    with pytest.raises(Invalide) as refus:
        operations.modifier_seance(
            seance,
            version=seance.version,
            tenue_le=seance.tenue_le,
            lieu=seance.lieu,
            lien_visio="",
            president=agent,
            membres=[membres[1]],
            par=agent,
        )
    assert "a déjà soumis des notes" in refus.value.message


def test_le_trimestre_vient_de_la_date_de_la_seance(app, fab, base):
    campagne, agent, membres = base
    corps = {
        "campagne_id": campagne.id,
        # 30 septembre 22h30 UTC : déjà le 1er octobre à Mayotte, donc le 4e trimestre.
        "tenue_le": "2031-09-30T22:30:00+00:00",
        "lieu": "DEETS, Mamoudzou",
        "president_id": agent.id,
    }
    with time_machine.travel(datetime(2031, 9, 1, tzinfo=UTC), tick=False):
        entetes = {"Authorization": f"Bearer {fab.jeton(agent)[0]}"}
        reponse = app.test_client().post("/api/v1/seances", json=corps | {"trimestre": 2, "annee": 2031}, headers=entetes)
        assert reponse.status_code == 422  # le trimestre ne se choisit plus
        reponse = app.test_client().post("/api/v1/seances", json=corps, headers=entetes)
    assert reponse.status_code == 201
    assert (reponse.json["annee"], reponse.json["trimestre"]) == (2031, 4)


def test_deliberer_ou_clore_avant_la_date_demande_un_motif_et_les_notes_manquantes_une_confirmation(client_de, fab, base):
    """A session dated 17 December 2030: on 5 December, deliberating is refused without a reason; closing with a
    member's sheet missing asks for a confirmation naming him; both go to the minutes."""
    campagne, agent, membres = base
    absent = fab.utilisateur("copil", service=campagne.service, prenom="Zaïnaba", nom="Absente")
    dossier = fab.dossier_pour_copil(campagne=campagne)
    seance = fab.seance(
        campagne=campagne,
        membres=[agent, absent],
        president=agent,
        dossiers=[dossier],
        phase=Phase.NOTATION,
        tenue_le=datetime(2030, 12, 17, 6, 0, tzinfo=UTC),
    )
    fab.feuille(seance, dossier, agent)
    db.session.commit()
    adresse = f"/copil/seances/{seance.id}/phase"
    with time_machine.travel(datetime(2030, 12, 5, 8, 0, tzinfo=UTC), tick=False):
        client = client_de(agent)
        reponse = client.post(adresse, data={"vers": "deliberation"})
        assert reponse.status_code == 422
        page = texte(reponse)
        assert "La séance est prévue le 17 décembre 2030 : elle ne peut pas délibérer avant sa date." in page
        assert 'name="motif"' in page
        assert db.session.get(Seance, seance.id).phase == Phase.NOTATION
        motif = "Séance avancée : le préfet a réuni le COPIL le 5 décembre, en visioconférence."
        assert client.post(adresse, data={"vers": "deliberation", "motif": motif}).status_code == 302
        entree = db.session.scalar(
            select(EntreeJournal).where(EntreeJournal.action == "seance.phase").order_by(EntreeJournal.id.desc())
        )
        assert "avant_la_date" in entree.details and "le préfet a réuni" in entree.details
        fab.decision(dossier=dossier, seance=db.session.get(Seance, seance.id), notifie_le=None)
        db.session.commit()

        reponse = client.post(adresse, data={"vers": "close"})
        assert reponse.status_code == 422
        page = texte(reponse)
        assert "Des notes manquent : Zaïnaba Absente (1 dossier) n'a pas soumis toutes ses notes." in page
        assert 'name="confirmer"' in page
        reponse = client.post(adresse, data={"vers": "close", "confirmer": "oui"})
        assert reponse.status_code == 422 and "elle ne peut pas être close avant sa date" in texte(reponse)
        assert "checked" in texte(reponse)  # la confirmation donnée n'est pas perdue
        reponse = client.post(adresse, data={"vers": "close", "confirmer": "oui", "motif": motif})
        assert reponse.status_code == 302
    seance = db.session.get(Seance, seance.id)
    assert seance.phase == Phase.CLOSE
    lu = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(fichiers.lire(seance.proces_verbal))).pages)
    lu = " ".join(lu.split())
    assert "Délibération le 5 décembre 2030, avant la date de la séance : Séance avancée" in lu
    assert "Clôture le 5 décembre 2030, avant la date de la séance" in lu
    assert "Zaïnaba Absente : 1 dossier non noté." in lu


def test_un_trimestre_sans_copil_est_signale_dans_a_faire_et_au_service_une_fois(app, fab, base, client_de, runner, serveur_smtp):
    campagne, agent, _ = base
    dossier = fab.dossier_pour_copil(campagne=campagne)
    dossier.recevable_le = datetime(2030, 8, 1).date()
    service = campagne.service
    db.session.commit()
    with time_machine.travel(datetime(2030, 10, 2, 6, 0, tzinfo=UTC), tick=False):
        page = texte(client_de(agent).get("/conventions/a-faire"))
        assert (
            "Aucun COPIL ne s'est tenu au 3e trimestre 2030 alors que 1 dossier recevable attend (AAP §C.2 : a minima "
            "une fois par trimestre)" in page
        )
        entetes = {"Authorization": f"Bearer {fab.jeton(agent)[0]}"}
        (alerte,) = [
            e for e in app.test_client().get("/api/v1/a-faire", headers=entetes).json if e["nature"] == "copil_trimestriel"
        ]
        assert alerte["code"] == "copil-2030-T3" and alerte["date"] == "2030-09-30" and alerte["convention_id"] is None
        for _ in range(2):
            resultat = runner.invoke(args=["notation", "rappels"])
            assert resultat.exit_code == 0, resultat.output
        envoyer_en_attente()
    (message,) = serveur_smtp.pour(service.courriel)
    assert message["Subject"].strip().startswith("Aucun COPIL au 3e trimestre 2030 : 1 dossier recevable attend")
    assert "a minima une fois par trimestre" in serveur_smtp.texte(message)
    # Une séance tenue au 3e trimestre : plus d'alerte.
    fab.seance(campagne=campagne, phase=Phase.CLOSE, tenue_le=datetime(2030, 9, 20, 6, 0, tzinfo=UTC))
    db.session.commit()
    with time_machine.travel(datetime(2030, 10, 3, 6, 0, tzinfo=UTC), tick=False):
        assert "Aucun COPIL ne s'est tenu" not in texte(client_de(agent).get("/conventions/a-faire"))
