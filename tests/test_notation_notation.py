"""Scoring a dossier: declaration first, the grid's rules with French messages, drafts and submission, no
anchoring, recusal, reopening by the president, and two tabs that never silently overwrite each other."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from aap.extensions import db
from aap.models import EntreeJournal
from aap.types import maintenant
from notation import operations, resultats
from notation.models import Declaration, FeuilleNotation, Phase

from .conftest import texte


@pytest.fixture
def seance(fab):
    campagne = fab.campagne(etat="cloturee")
    president = fab.utilisateur("agent", service=campagne.service)
    membres = [fab.utilisateur("copil", service=campagne.service) for _ in range(2)]
    dossier = fab.dossier(statut="recevable", campagne=campagne)
    # Tenue ce jour : la notation est ouverte et la séance peut délibérer.
    seance = fab.seance(
        campagne=campagne,
        membres=[president, *membres],
        president=president,
        dossiers=[dossier],
        phase=Phase.NOTATION,
        tenue_le=maintenant() - timedelta(minutes=1),
    )
    fab.session.commit()
    seance.test = {"president": president, "membres": membres, "dossier": dossier}
    return seance


def url(seance, suite=""):
    return f"/copil/seances/{seance.id}/dossiers/{seance.test['dossier'].id}{suite}"


def grille(seance, valeur=None, **points):
    """Form data: every criterion at `valeur` (or its maximum), some overridden."""
    donnees = {}
    for critere in seance.campagne.criteres:
        donnees[f"points_{critere.code}"] = str(points.get(critere.code, valeur if valeur is not None else critere.maximum))
    return donnees


def declarer(client, seance, conflit="non", nature=""):
    return client.post(url(seance, "/declaration"), data={"conflit": conflit, "nature": nature})


def test_declarer_avant_de_voir_ou_de_noter(client_de, seance):
    client = client_de(seance.test["membres"][0])
    reponse = client.get(url(seance))
    assert reponse.status_code == 302 and reponse.headers["Location"].endswith("/declaration")
    reponse = declarer(client, seance, "oui", "")
    assert reponse.status_code == 422 and "Précisez la nature du conflit d'intérêts" in texte(reponse)
    assert declarer(client, seance).status_code == 302
    reponse = client.get(url(seance))
    assert reponse.status_code == 200
    page = texte(reponse)
    assert "Ma notation" in page and seance.test["dossier"].structure.raison_sociale in page
    assert "Synthèse" in page and "Pièces du dossier" in page  # la synthèse à côté de la grille
    declaration = db.session.scalar(select(Declaration))
    assert declaration.conflit is False and declaration.declaree_le is not None


def test_notes_invalides_messages_en_francais_rien_de_perdu(client_de, seance):
    client = client_de(seance.test["membres"][0])
    declarer(client, seance)
    donnees = grille(seance, experience="15.5", appropriation="7,25", contexte="abc", originalite="4") | {
        "version": "0",
        "action": "soumettre",
        "commentaire_qualite_offre": "Très bonne offre",
    }
    reponse = client.post(url(seance), data=donnees)
    assert reponse.status_code == 422
    page = texte(reponse)
    assert "Les points vont de 0 à 15 pour ce critère." in page
    assert "Notez en points entiers ou en demi-points (par exemple 7 ou 7,5)." in page
    assert "Indiquez un nombre de points (par exemple 7 ou 7,5)." in page
    assert 'value="15.5"' in page and 'value="abc"' in page and "Très bonne offre" in page
    assert 'id="resume-erreurs"' in page
    assert db.session.scalar(select(FeuilleNotation)) is None


def test_commentaire_sous_la_moitie_avis_puis_soumission(client_de, seance):
    client = client_de(seance.test["membres"][0])
    declarer(client, seance)
    donnees = grille(seance, originalite="4.5") | {"version": "0", "action": "soumettre"}
    reponse = client.post(url(seance), data=donnees)
    page = texte(reponse)
    assert reponse.status_code == 422
    assert "Expliquez en commentaire une note inférieure à la moitié du maximum (5 sur 10)." in page
    assert "Donnez votre avis global : favorable, réservé ou défavorable." in page
    # Le brouillon, lui, s'enregistre incomplet.
    reponse = client.post(url(seance), data=grille(seance, originalite="4.5") | {"version": "0", "action": "brouillon"})
    assert reponse.status_code == 302
    feuille = db.session.scalar(select(FeuilleNotation))
    assert feuille.soumise_le is None and feuille.version == 1 and feuille.total == Decimal("94.5")
    reponse = client.post(
        url(seance),
        data=grille(seance, originalite="4.5")
        | {"version": "1", "action": "soumettre", "avis": "reserve", "commentaire_originalite": "Offre peu originale."},
    )
    assert reponse.status_code == 302 and reponse.headers["Location"].endswith("/notes")
    db.session.refresh(feuille)
    assert feuille.soumise and feuille.avis == "reserve"
    points = {n.critere.code: n.points for n in feuille.notes}
    assert points["originalite"] == Decimal("4.5") and sum(points.values()) == Decimal("94.5")
    # Soumise : elle ne change plus.
    reponse = client.post(url(seance), data=grille(seance) | {"version": str(feuille.version), "action": "brouillon"})
    assert reponse.status_code == 422 and "ne changent plus" in texte(reponse)
    # Le journal prouve le contenu soumis (empreinte) sans montrer les notes aux agents qui siègent.
    journal = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "feuille.soumission"))
    assert operations.empreinte_feuille(feuille, seance.campagne.criteres) in journal.details
    assert "4.5" not in journal.details and "Offre peu originale" not in journal.details


def test_pas_d_ancrage_avant_d_avoir_soumis(client_de, fab, seance):
    premier, second = seance.test["membres"]
    dossier = seance.test["dossier"]
    fab.feuille(seance, dossier, premier, commentaires={"experience": "Remarque très particulière du premier"})
    client = client_de(second)
    declarer(client, seance)
    assert "Remarque très particulière" not in texte(client.get(url(seance)))
    reponse = client.get(url(seance, "/notes"))
    assert reponse.status_code == 404 and "après avoir soumis les vôtres" in texte(reponse)
    assert client.get(f"/copil/seances/{seance.id}/classement").status_code == 404
    jeton = {"Authorization": f"Bearer {fab.jeton(second)[0]}"}
    assert client.get("/api/v1" + url(seance, "/notes").removeprefix("/copil"), headers=jeton).status_code == 404
    mienne = client.get("/api/v1" + url(seance, "/ma-feuille").removeprefix("/copil"), headers=jeton).json
    assert mienne["version"] == 0 and "Remarque" not in str(mienne)
    client.post(url(seance), data=grille(seance) | {"version": "0", "action": "soumettre", "avis": "favorable"})
    page = texte(client.get(url(seance, "/notes")))
    assert "Remarque très particulière du premier" in page and "2 sur 3 attendues" in page


def test_deport_404_partout_et_jamais_compte(app, client_de, fab, seance):
    premier, second = seance.test["membres"]
    dossier = seance.test["dossier"]
    client = client_de(premier)
    declarer(client, seance)
    client.post(
        url(seance),
        data=grille(seance, 5)
        | {
            "version": "0",
            "action": "soumettre",
            "avis": "favorable",
            **{f"commentaire_{c.code}": "bas" for c in seance.campagne.criteres},
        },
    )
    fab.feuille(seance, dossier, second, points={c.code: Decimal(c.maximum) for c in seance.campagne.criteres})
    assert resultats.tableau_seance(seance).ligne(dossier.id).agregat.recues == 2
    # Le premier découvre un conflit après avoir noté : il se déporte, ses notes ne comptent plus.
    assert declarer(client, seance, "oui", "Trésorier de l'association").status_code == 302
    agregat = resultats.tableau_seance(seance).ligne(dossier.id).agregat
    assert (agregat.recues, agregat.attendues, agregat.moyenne) == (1, 2, Decimal("100.00"))
    for suite in ("", "/notes", "/decision", f"/pieces/{dossier.pieces_courantes[0].id}"):
        assert client.get(url(seance, suite)).status_code == 404, suite
    jeton = {"Authorization": f"Bearer {fab.jeton(premier)[0]}"}
    for suite in ("/notes", "/ma-feuille"):
        reponse = app.test_client().get("/api/v1" + url(seance, suite).removeprefix("/copil"), headers=jeton)
        assert reponse.status_code == 404 and reponse.json["errors"][0]["code"] == "introuvable"
    # Le déport ne se retire pas : les notes du dossier sont visibles (le second a soumis).
    reponse = declarer(client, seance, "non")
    assert reponse.status_code == 422 and "ne peut plus être retiré" in texte(reponse)
    assert db.session.scalar(select(Declaration).where(Declaration.membre_id == premier.id)).conflit is True
    journal = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "declaration.modification"))
    assert '"conflit":true' in journal.details and '"notes_visibles":true' in journal.details


def test_un_deport_se_retire_tant_que_rien_n_est_visible(fab, seance):
    membre = seance.test["membres"][0]
    dossier = seance.test["dossier"]
    operations.declarer(seance, dossier, membre, conflit=True, nature="Ancien salarié")
    operations.declarer(seance, dossier, membre, conflit=False)
    db.session.commit()
    actions = db.session.scalars(select(EntreeJournal.action).where(EntreeJournal.action.like("declaration.%"))).all()
    assert actions == ["declaration.creation", "declaration.modification"]


def test_deux_onglets_aucune_ecrasement_silencieux(client_de, seance):
    membre = seance.test["membres"][0]
    onglet_a, onglet_b = client_de(membre), client_de(membre)
    declarer(onglet_a, seance)
    # Les deux onglets ouvrent la page à la version 0.
    assert 'name="version" type="hidden" value="0"' in texte(onglet_a.get(url(seance)))
    assert onglet_a.post(url(seance), data=grille(seance, 3) | {"version": "0", "action": "brouillon"}).status_code == 302
    reponse = onglet_b.post(
        url(seance),
        data=grille(seance, 4) | {"version": "0", "action": "brouillon", "commentaire": "Saisi dans le second onglet"},
    )
    assert reponse.status_code == 409
    page = texte(reponse)
    assert "ce que vous venez de saisir n'a pas été enregistré" in page
    assert "Saisi dans le second onglet" in page  # rien de perdu à l'écran
    feuille = db.session.scalar(select(FeuilleNotation))
    assert feuille.total == Decimal("27") and feuille.version == 1
    # L'enregistrement automatique (JSON) reçoit un 409 au format de l'API.
    reponse = onglet_b.post(
        url(seance), data=grille(seance, 4) | {"version": "0", "action": "brouillon"}, headers={"Accept": "application/json"}
    )
    assert reponse.status_code == 409 and reponse.json["errors"][0]["code"] == "version_perimee"
    reponse = onglet_a.post(
        url(seance), data=grille(seance, 5) | {"version": "1", "action": "brouillon"}, headers={"Accept": "application/json"}
    )
    assert reponse.status_code == 200 and reponse.json["version"] == 2 and reponse.json["total"] == "45.0"


def test_api_brouillon_soumission_et_conflit(app, fab, seance):
    membre = seance.test["membres"][0]
    base = "/api/v1" + url(seance).removeprefix("/copil")
    client = app.test_client()
    entetes = {"Authorization": f"Bearer {fab.jeton(membre)[0]}"}
    notes = [{"critere": c.code, "points": str(c.maximum), "commentaire": ""} for c in seance.campagne.criteres]
    reponse = client.put(base + "/ma-feuille", json={"version": 0, "notes": notes}, headers=entetes)
    assert reponse.status_code == 422 and reponse.json["errors"][0]["code"] == "declaration_requise"
    assert client.put(base + "/declaration", json={"conflit": False}, headers=entetes).status_code == 200
    notes[0]["points"] = "7.25"
    reponse = client.put(base + "/ma-feuille", json={"version": 0, "notes": notes}, headers=entetes)
    assert reponse.status_code == 422
    assert reponse.json["errors"] == [  # le document le dit : des demi-points
        {
            "field": "notes.0.points",
            "code": "invalide",
            "message": "Demi-points attendus, en texte : de 0 au maximum du critère (par exemple « 7.5 »).",
        }
    ]
    notes[0]["points"] = "7.5"
    notes[0]["commentaire"] = "Expérience courte"
    reponse = client.put(base + "/ma-feuille", json={"version": 0, "notes": notes, "avis": "favorable"}, headers=entetes)
    assert reponse.status_code == 200 and reponse.json["version"] == 1 and reponse.json["total"] == "92.5"
    reponse = client.put(base + "/ma-feuille", json={"version": 0, "notes": notes}, headers=entetes)
    assert reponse.status_code == 409 and reponse.json["errors"][0]["code"] == "version_perimee"
    reponse = client.post(base + "/ma-feuille/soumission", json={"version": 1}, headers=entetes)
    assert reponse.status_code == 200 and reponse.json["soumise"] is True
    assert client.get(base + "/notes", headers=entetes).json["agregat"]["moyenne"] == "92.50"


def test_le_president_rouvre_une_notation(client_de, fab, serveur_smtp, seance):
    president, (membre, _) = seance.test["president"], seance.test["membres"]
    dossier = seance.test["dossier"]
    feuille = fab.feuille(seance, dossier, membre)
    fab.feuille(seance, dossier, president)
    fab.session.commit()
    # Un membre ne rouvre pas ; le président, si, avec un motif.
    assert client_de(membre).post(url(seance, f"/feuilles/{membre.id}/rouvrir"), data={"motif": "x"}).status_code == 403
    client = client_de(president)
    reponse = client.post(url(seance, f"/feuilles/{membre.id}/rouvrir"), data={"motif": "Erreur de saisie signalée"})
    assert reponse.status_code == 302
    db.session.refresh(feuille)
    assert feuille.soumise_le is None and feuille.rouverte_par_id == president.id
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "feuille.reouverture"))
    assert "Erreur de saisie signalée" in entree.details and entree.acteur == president.email
    (message,) = serveur_smtp.pour(membre.email)
    assert "votre notation est rouverte" in message["Subject"] and "Erreur de saisie" in serveur_smtp.texte(message)
    # Rouverte en délibération, elle reste modifiable par son auteur.
    operations.changer_phase(seance, Phase.DELIBERATION, par=president)
    db.session.commit()
    reponse = client_de(membre).post(
        url(seance), data=grille(seance) | {"version": str(feuille.version), "action": "soumettre", "avis": "favorable"}
    )
    assert reponse.status_code == 302


def test_texte_des_membres_echappe(client_de, fab, seance):
    premier = seance.test["membres"][0]
    fab.declaration(seance, seance.test["dossier"], seance.test["president"])
    fab.feuille(
        seance,
        seance.test["dossier"],
        premier,
        commentaires={"experience": '<script>alert("x")</script><img src=x onerror=alert(1)>'},
    )
    operations.changer_phase(seance, Phase.DELIBERATION, par=seance.test["president"])
    db.session.commit()
    brut = client_de(seance.test["president"]).get(url(seance, "/notes")).get_data(as_text=True)
    assert "<script>alert" not in brut and "&lt;script&gt;alert" in brut and "<img src=x" not in brut
