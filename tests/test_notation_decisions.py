"""Decisions within the envelope, and the closing of a session: minutes, workbook and letters read back,
emails with their attachment, the dossiers' new statuses, the notification date."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from sqlalchemy import select

from aap.extensions import db
from aap.formats import euros
from aap.models import EntreeJournal
from aap.types import maintenant
from candidatures.models import ChangementStatut, Statut
from notation import lecture, operations, resultats
from notation.models import Decision, Phase

from .conftest import texte

FORMULE = '=HYPERLINK("http://x")'


@pytest.fixture
def deliberation(fab):
    """Three dossiers scored by three members (one recused on the second, a disagreement on the third), in
    deliberation; the campaign's envelope is exactly what the three ask (30 000 + 20 000 + 10 000)."""
    campagne = fab.campagne(etat="cloturee", credits=Decimal("60000.00"))
    service = campagne.service
    president = fab.utilisateur("agent", service=service)
    membre, deporte = fab.utilisateur("copil", service=service), fab.utilisateur("copil", service=service)
    dossiers = []
    for montant in ("30000.00", "20000.00", "10000.00"):
        dossier = fab.dossier(statut="recevable", campagne=campagne)
        dossier.montant_demande = Decimal(montant)
        dossiers.append(dossier)
    seance = fab.seance(
        campagne=campagne,
        membres=[president, membre, deporte],
        president=president,
        dossiers=dossiers,
        phase=Phase.NOTATION,
        tenue_le=maintenant() - timedelta(minutes=1),
    )
    haut = {c.code: Decimal(c.maximum) for c in campagne.criteres}
    moyen = {c.code: Decimal(c.maximum) * Decimal("0.7") // Decimal("0.5") * Decimal("0.5") for c in campagne.criteres}
    for dossier, points in zip(dossiers, (haut, moyen, moyen), strict=True):
        fab.feuille(seance, dossier, president, points=points)
    fab.feuille(seance, dossiers[0], membre, points=haut, commentaires={"experience": FORMULE})
    fab.feuille(seance, dossiers[1], membre, points=moyen)
    bas = moyen | {"originalite": Decimal("1")}
    fab.feuille(seance, dossiers[2], membre, points=bas, avis="defavorable", commentaires={"originalite": "Aucune originalité"})
    fab.feuille(seance, dossiers[0], deporte, points=moyen)
    fab.declaration(seance, dossiers[1], deporte, conflit=True, nature="Élu de la commune")
    fab.feuille(seance, dossiers[2], deporte, points=moyen)
    operations.changer_phase(seance, Phase.DELIBERATION, par=president)
    db.session.commit()
    seance.test = {"president": president, "membre": membre, "deporte": deporte, "dossiers": dossiers}
    return seance


def decision_form(nature="retenu", montant="", motif="", **champs):
    return {
        "version": "0",
        "nature": nature,
        "montant_accorde": montant,
        "etp_facilitateur": "1",
        "etp_coordinateur": "0",
        "conditions": "",
        "motif": motif,
    } | champs


def test_classement_desaccord_et_ligne_de_l_enveloppe(client_de, deliberation):
    page = texte(client_de(deliberation.test["president"]).get(f"/copil/seances/{deliberation.id}/classement"))
    assert "Désaccord (1)" in page and "Originalité de l'offre" in page
    assert page.count("Dans l'enveloppe") == 3 and euros(Decimal("60000")) in page
    tableau = resultats.tableau_seance(deliberation)
    premier, *_ = tableau.lignes
    assert premier.dossier.id == deliberation.test["dossiers"][0].id and premier.agregat.recues == 3
    deuxieme = tableau.ligne(deliberation.test["dossiers"][1].id)
    assert (deuxieme.agregat.recues, deuxieme.agregat.attendues) == (2, 2)
    assert [u.id for u, _ in deuxieme.deportes] == [deliberation.test["deporte"].id]


def test_decisions_dans_l_enveloppe_au_centime(client_de, fab, deliberation):
    president = deliberation.test["president"]
    a, b, c = deliberation.test["dossiers"]
    client = client_de(president)
    base = f"/copil/seances/{deliberation.id}/dossiers"
    # Crédits déjà accordés par une autre séance de la campagne : ils comptent.
    fab.decision(
        dossier=fab.dossier_pour_copil(campagne=deliberation.campagne, montant_demande=Decimal("0.01")),
        montant_accorde=Decimal("0.01"),
    )
    assert client.post(f"{base}/{a.id}/decision", data=decision_form(montant="30000")).status_code == 302
    assert client.post(f"{base}/{b.id}/decision", data=decision_form(montant="20 000,00")).status_code == 302
    reponse = client.post(f"{base}/{c.id}/decision", data=decision_form(montant="10000,00", conditions="Recruter vite"))
    assert reponse.status_code == 422
    page = texte(reponse)
    assert "Crédits insuffisants : il reste 9\u202f999,99\xa0€" in page and "les dépasserait de 0,01\xa0€" in page
    assert 'id="montant_accorde-erreur"' in page and "Recruter vite" in page
    assert db.session.scalar(select(Decision).where(Decision.dossier_id == c.id)) is None
    # Au centime près, il tient.
    assert client.post(f"{base}/{c.id}/decision", data=decision_form(montant="9999,99")).status_code == 302
    tableau = resultats.tableau_seance(deliberation)
    assert tableau.restant == Decimal("0.00") and tableau.accordes_seance == Decimal("59999.99")
    assert f'id="credits-restants">{euros(0)}' in texte(client.get(f"/copil/seances/{deliberation.id}/classement"))
    # Plus que demandé : refusé, même avec des crédits.
    reponse = client.post(f"{base}/{c.id}/decision", data=decision_form(montant="10000.01") | {"version": "1"})
    assert "ne peut pas dépasser le montant demandé" in texte(reponse)


def test_accorder_moins_d_etp_ramene_le_plafond_avec_un_message_qui_nomme_le_maximum(client_de, deliberation):
    """The dossiers cost 50 000 € in year 1 for 1,0 ETP (70 % : 35 000 €). Granting 0,5 ETP with 30 000 € is
    refused, naming the 17 500 € maximum; a revised budget of 40 000 € brings the cap to 28 000 €."""
    dossier = deliberation.test["dossiers"][0]
    client = client_de(deliberation.test["president"])
    adresse = f"/copil/seances/{deliberation.id}/dossiers/{dossier.id}/decision"
    assert "70\u202f% du coût de ce qui est financé : 50\u202f000,00\xa0€ en année 1 pour 1,0 ETP" in texte(client.get(adresse))
    reponse = client.post(adresse, data=decision_form(montant="30 000,00", etp_facilitateur="0,5"))
    assert reponse.status_code == 422
    page = texte(reponse)
    assert (
        "Le montant accordé ne peut pas dépasser 17\u202f500,00\xa0€ : 70\u202f% du coût de ce qui est financé "
        "(25\u202f000,00\xa0€ : 50\u202f000,00\xa0€ de coût en année 1 pour 1 ETP demandé, ramenés à 0,5 ETP accordé"
    ) in page
    assert 'id="montant_accorde-erreur"' in page and 'value="30 000,00"' in page
    reponse = client.post(adresse, data=decision_form(montant="28000", etp_facilitateur="0,5", cout_retenu="40 000"))
    assert reponse.status_code == 302
    decision = db.session.scalar(select(Decision).where(Decision.dossier_id == dossier.id))
    assert (decision.montant_accorde, decision.cout_retenu) == (Decimal("28000.00"), Decimal("40000.00"))


def test_un_poste_a_0_75_etp_se_finance_par_pas_de_0_05(client_de, deliberation):
    dossier = deliberation.test["dossiers"][1]
    client = client_de(deliberation.test["president"])
    adresse = f"/copil/seances/{deliberation.id}/dossiers/{dossier.id}/decision"
    reponse = client.post(adresse, data=decision_form(montant="20 000", etp_facilitateur="0,77"))
    assert reponse.status_code == 422 and "Les ETP s'expriment par pas de 0,05" in texte(reponse)
    # 70 % de 0,75 × 50 000 € = 26 250 € au plus ; 20 000 € demandés.
    assert client.post(adresse, data=decision_form(montant="20 000", etp_facilitateur="0,75")).status_code == 302
    decision = db.session.scalar(select(Decision).where(Decision.dossier_id == dossier.id))
    assert decision.etp_facilitateur == Decimal("0.75")
    assert 'value="0,75"' in texte(client.get(adresse))  # la décision enregistrée, relue sur sa page


def test_decision_api_version_et_droits(app, fab, deliberation):
    president, membre = deliberation.test["president"], deliberation.test["membre"]
    a = deliberation.test["dossiers"][0]
    chemin = f"/api/v1/seances/{deliberation.id}/dossiers/{a.id}/decision"
    client = app.test_client()
    entetes = {"Authorization": f"Bearer {fab.jeton(president)[0]}"}
    reponse = client.put(chemin, json={"nature": "rejete", "motif": ""}, headers=entetes)
    assert reponse.status_code == 422 and reponse.json["errors"][0]["field"] == "motif"
    reponse = client.put(
        chemin, json={"nature": "retenu", "montant_accorde": "25000.00", "etp_facilitateur": "1.0"}, headers=entetes
    )
    assert reponse.status_code == 200 and reponse.json["version"] == 1 and reponse.json["montant_accorde"] == "25000.00"
    reponse = client.put(chemin, json={"nature": "ajourne", "motif": "À revoir", "version": 0}, headers=entetes)
    assert reponse.status_code == 409
    reponse = client.put(chemin, json={"nature": "ajourne", "motif": "À revoir", "version": 1}, headers=entetes)
    assert reponse.status_code == 200 and reponse.json["montant_accorde"] is None
    assert (
        client.put(
            chemin, json={"nature": "ajourne", "motif": "x"}, headers={"Authorization": f"Bearer {fab.jeton(membre)[0]}"}
        ).status_code
        == 403
    )
    journal = db.session.scalars(select(EntreeJournal.action).where(EntreeJournal.action.like("decision.%"))).all()
    assert journal == ["decision.enregistrement", "decision.modification"]


def test_president_deporte_un_agent_du_service_decide(client_de, fab, deliberation):
    president = deliberation.test["president"]
    a = deliberation.test["dossiers"][0]
    operations.declarer(deliberation, a, president, conflit=True, nature="Ancien administrateur")  # sa note ne compte plus
    db.session.commit()
    agent = fab.utilisateur("agent", service=deliberation.campagne.service)
    assert client_de(president).get(f"/copil/seances/{deliberation.id}/dossiers/{a.id}/decision").status_code == 404
    assert client_de(agent).get(f"/copil/seances/{deliberation.id}/dossiers/{a.id}/decision").status_code == 200


def test_cloture_documents_lettres_et_statuts(client_de, deliberation, serveur_smtp):
    president, deporte = deliberation.test["president"], deliberation.test["deporte"]
    a, b, c = deliberation.test["dossiers"]
    client = client_de(president)
    base = f"/copil/seances/{deliberation.id}"
    reponse = client.post(f"{base}/phase", data={"vers": "close"}, follow_redirects=True)
    assert "doit avoir sa décision avant la clôture" in texte(reponse)
    client.post(f"{base}/dossiers/{a.id}/decision", data=decision_form(montant="28000", conditions="Recruter en janvier"))
    client.post(f"{base}/dossiers/{b.id}/decision", data=decision_form("ajourne", motif="Budget à consolider"))
    client.post(f"{base}/dossiers/{c.id}/decision", data=decision_form("rejete", motif="Projet trop peu étayé"))
    presents = [str(m.utilisateur_id) for m in deliberation.membres if m.utilisateur_id != deporte.id]
    client.post(f"{base}/presences", data={"presents": presents})
    serveur_smtp.vider()
    assert client.post(f"{base}/phase", data={"vers": "close"}).status_code == 302
    db.session.expire_all()
    assert deliberation.phase == Phase.CLOSE and deliberation.close_le is not None

    # Le procès-verbal.
    reponse = client.get(f"{base}/proces-verbal.pdf")
    assert reponse.status_code == 200 and reponse.headers["Content-Disposition"].startswith("attachment")
    pv = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(reponse.data)).pages)
    pv = " ".join(pv.replace("\u202f", " ").replace("\xa0", " ").split())
    for attendu in (
        "Procès-verbal du comité de pilotage départemental",
        president.nom_complet,
        "Absent ou excusé",
        deporte.nom_complet,
        "Élu de la commune",
        a.numero,
        b.numero,
        c.numero,
        "Retenu",
        "Ajourné",
        "Rejeté",
        "Budget à consolider",
        "Projet trop peu étayé",
        "Recruter en janvier",
        "28 000,00 €",
    ):
        assert attendu in pv, attendu

    # Le classeur : classement, une feuille par dossier, un graphique, et le texte des membres jamais en formule.
    reponse = client.get(f"{base}/classeur.xlsx")
    classeur = openpyxl.load_workbook(io.BytesIO(reponse.data))
    assert classeur.sheetnames == ["Classement", a.numero, b.numero, c.numero]
    classement = classeur["Classement"]
    assert [cellule.value for cellule in classement[2]][2] == a.numero
    feuille_a = classeur[a.numero]
    cellules = [cellule for ligne in feuille_a.iter_rows() for cellule in ligne if cellule.value == FORMULE]
    assert len(cellules) == 1 and cellules[0].data_type == "s"
    assert "Déporté" in [cellule.value for ligne in classeur[b.numero].iter_rows() for cellule in ligne]
    with zipfile.ZipFile(io.BytesIO(reponse.data)) as archive:
        graphiques = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(graphiques) == 3
        assert "Moyenne par critère" in archive.read(graphiques[0]).decode()

    # Les lettres, envoyées aux membres de chaque structure avec la lettre jointe.
    for dossier, mots in [
        (a, ["retenu", "28 000,00 €", "15 jours"]),
        (b, ["ajourné", "Budget à consolider"]),
        (c, ["pas retenu", "Projet trop peu étayé", "Originalité de l'offre", "recours"]),
    ]:
        porteur = next(m for m in dossier.structure.membres if m.role == "porteur")
        (message,) = [m for m in serveur_smtp.pour(porteur.email) if "Décision du COPIL" in m["Subject"]]
        assert dossier.numero in message["Subject"]
        (piece,) = list(message.iter_attachments())
        assert piece.get_content_type() == "application/pdf"
        lettre = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(piece.get_content())).pages)
        lettre = " ".join(lettre.replace("\u202f", " ").replace("\xa0", " ").split())
        for mot in mots:
            assert mot in lettre, (dossier.numero, mot)

    # Les statuts, en clair pour le porteur ; la date de notification pour les conventions.
    assert (a.statut, b.statut, c.statut) == (Statut.RETENU, Statut.RECEVABLE, Statut.REJETE)
    historique = db.session.scalar(
        select(ChangementStatut).where(ChangementStatut.dossier_id == b.id).order_by(ChangementStatut.id.desc()).limit(1)
    )
    assert "Examen ajourné par le COPIL" in historique.commentaire and "Budget à consolider" in historique.commentaire
    decisions = db.session.scalars(select(Decision).where(Decision.seance_id == deliberation.id)).all()
    assert all(d.notifie_le == deliberation.close_le for d in decisions)
    # Figée : plus de décision, et l'ajourné retourne au vivier d'une prochaine séance.
    reponse = client.post(f"{base}/dossiers/{c.id}/decision", data=decision_form("retenu", montant="1"))
    assert reponse.status_code == 422
    suivante = operations.creer_seance(
        deliberation.campagne,
        tenue_le=deliberation.tenue_le,
        lieu="DEETS",
        lien_visio="",
        president=president,
        membres=[],
        par=president,
        instant=deliberation.tenue_le.replace(year=2000),
    )
    assert [d.id for d in lecture.dossiers_inscriptibles(suivante)] == [b.id]
    assert db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "seance.cloture"))


def test_un_membre_lit_le_pv_mais_pas_le_detail_des_notes(client_de, fab, deliberation):
    president = deliberation.test["president"]
    for dossier in deliberation.test["dossiers"]:
        operations.decider(deliberation, dossier, nature="rejete", motif="Insuffisant", par=president)
    operations.changer_phase(deliberation, Phase.CLOSE, par=president)
    db.session.commit()
    client = client_de(deliberation.test["deporte"])
    assert client.get(f"/copil/seances/{deliberation.id}/proces-verbal.pdf").status_code == 200
    assert client.get(f"/copil/seances/{deliberation.id}/classeur.xlsx").status_code == 404
    dossier = deliberation.test["dossiers"][0]
    assert client.get(f"/copil/seances/{deliberation.id}/dossiers/{dossier.id}/lettre.pdf").status_code == 404
    jeton = {"Authorization": f"Bearer {fab.jeton(deliberation.test['deporte'])[0]}"}
    documents = client.get(f"/api/v1/seances/{deliberation.id}/documents", headers=jeton).json
    assert documents["proces_verbal"]["sha256"] and documents["classeur"] is None and documents["lettres"] == []


def test_le_porteur_lit_la_decision_notifiee_sur_son_dossier(client_de, fab, deliberation):
    president = deliberation.test["president"]
    a, b, _ = deliberation.test["dossiers"]
    operations.decider(
        deliberation, a, nature="retenu", montant_accorde=Decimal("28000"), etp_facilitateur=Decimal("1"), par=president
    )
    porteur = next(m for m in a.structure.membres if m.role == "porteur")
    client = client_de(porteur)
    # Avant la clôture, rien n'est notifié : ni bloc, ni lettre.
    assert 'id="decision-copil"' not in texte(client.get(f"/dossiers/{a.id}"))
    for dossier in (b, deliberation.test["dossiers"][2]):
        operations.decider(deliberation, dossier, nature="rejete", motif="Insuffisant", par=president)
    operations.changer_phase(deliberation, Phase.CLOSE, par=president)
    db.session.commit()
    page = texte(client.get(f"/dossiers/{a.id}"))
    assert "Décision du comité de pilotage : Retenu" in page and euros(Decimal("28000")) in page
    decision = db.session.scalar(select(Decision).where(Decision.dossier_id == a.id))
    reponse = client.get(f"/copil/decisions/{decision.id}/lettre.pdf")
    assert reponse.status_code == 200 and reponse.headers["Content-Disposition"].startswith("attachment")
    assert a.numero in " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(reponse.data)).pages)
    # La lettre d'une autre structure n'existe pas pour lui.
    autre = db.session.scalar(select(Decision).where(Decision.dossier_id == b.id))
    assert client.get(f"/copil/decisions/{autre.id}/lettre.pdf").status_code == 404
    assert client_de(fab.porteur_de(fab.structure())).get(f"/copil/decisions/{decision.id}/lettre.pdf").status_code == 404
