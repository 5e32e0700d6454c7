"""Retention periods (RGPD art. 5-1-e), applied day after day with frozen time: what expires is deleted or
anonymised, the rest is untouched, each run is in the audit log, and the chain still verifies afterwards.
A person downloads what the platform holds about them (art. 15 and 20)."""

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from aap.extensions import db
from aap.fichiers import Fichier, chemin_absolu, enregistrer_produit
from aap.journal import journaliser, verifier_chaine
from aap.models import Courriel, EntreeJournal, Utilisateur
from aap.pdf import pdf_minimal
from aap.retention import DUREES
from candidatures.models import Dossier, Piece
from notation.models import Note

from .conftest import connecter, texte
from .factories import a_mayotte

T0 = a_mayotte(2030, 3, 2, 10)
COMMENTAIRE = "Projet porté par une équipe que je connais mal."


@pytest.fixture
def monde(fab):
    """At T0: a draft, an irrecevable dossier (receipt and letter), a rejected one (scores, comments, letter),
    a retained one; every account created then; emails sent."""
    with time_machine.travel(T0, tick=False):
        brouillon = fab.dossier(statut="brouillon")
        irrecevable = fab.dossier(statut="irrecevable", accuse=True)
        rejete = fab.decision("rejete", motif="Projet trop peu étayé")
        retenu = fab.decision("retenu")
        membre = fab.utilisateur("copil", service=rejete.seance.service)
        fab.feuille(rejete.seance, rejete.dossier, membre, commentaires={rejete.seance.campagne.criteres[0].code: COMMENTAIRE})
        rejete.lettre = enregistrer_produit(
            "notification.pdf", pdf_minimal("Lettre"), "pdf", service_id=rejete.dossier.service_id
        )
        db.session.commit()
    return {"brouillon": brouillon, "irrecevable": irrecevable, "rejete": rejete, "retenu": retenu, "membre": membre}


def purger_le(runner, instant):
    with time_machine.travel(instant, tick=False):
        resultat = runner.invoke(args=["rgpd", "purger"])
    assert resultat.exit_code == 0, resultat.output
    db.session.expire_all()
    assert verifier_chaine()[1] is None, "chaîne du journal rompue par la purge"
    assert runner.invoke(args=["journal", "verifier"]).exit_code == 0
    assert runner.invoke(args=["fichiers", "verifier"]).exit_code == 0
    return resultat.output


def _dernier_bilan():
    entree = db.session.scalar(
        select(EntreeJournal).where(EntreeJournal.action == "rgpd.purge").order_by(EntreeJournal.id.desc())
    )
    return json.loads(entree.details)


def test_chaque_duree_s_applique_a_son_terme_et_pas_avant(runner, monde):
    irrecevable, rejete = monde["irrecevable"], monde["rejete"]
    fichiers_irrecevable = [p.fichier for p in irrecevable.pieces] + [irrecevable.depots[0].accuse]
    chemins = [chemin_absolu(f) for f in fichiers_irrecevable + [rejete.lettre]]
    # Les commandes ouvrent leur propre contexte : les objets sont relus par leur numéro.
    brouillon_id, membre_id, porteur_id = monde["brouillon"].id, monde["membre"].id, irrecevable.cree_par_id
    non_retenus, retenu_id = (irrecevable.id, rejete.dossier_id), monde["retenu"].dossier_id
    assert all(chemin.exists() for chemin in chemins)

    # Un jour avant chaque terme : rien ne bouge.
    purger_le(runner, T0 + timedelta(days=364))
    assert db.session.get(Dossier, brouillon_id) is not None
    assert _dernier_bilan() == {c: 0 for c in _dernier_bilan()}

    # Un an : le brouillon jamais déposé (campagne close) et les courriels envoyés.
    assert db.session.scalar(select(Courriel.id).limit(1)) is not None
    sortie = purger_le(runner, T0 + timedelta(days=366))
    assert db.session.get(Dossier, brouillon_id) is None and db.session.scalar(select(Courriel.id).limit(1)) is None
    assert _dernier_bilan()["brouillons"] == 1 and "Dossiers en brouillon jamais déposés" in sortie
    assert db.session.scalars(select(EntreeJournal).where(EntreeJournal.objet_id == str(brouillon_id))).all()

    # Deux ans sans connexion : les comptes sont anonymisés, le journal ne les nomme plus.
    actif = db.session.get(Utilisateur, membre_id)
    actif.derniere_connexion_le = T0 + timedelta(days=700)
    db.session.commit()
    purger_le(runner, T0 + timedelta(days=2 * 365 + 1))
    porteur = db.session.get(Utilisateur, porteur_id)
    assert porteur.anonymise_le and porteur.email.startswith("anonyme-") and porteur.nom == "" and not porteur.actif
    assert db.session.get(Utilisateur, membre_id).anonymise_le is None
    entrees = db.session.scalars(select(EntreeJournal).where(EntreeJournal.acteur_id == porteur_id)).all()
    assert entrees and all(e.acteur == f"compte n° {porteur_id} (anonymisé)" and e.anonymise_le for e in entrees)

    # Cinq ans après la décision : dossiers non retenus anonymisés, commentaires du COPIL effacés.
    purger_le(runner, T0 + timedelta(days=5 * 365 + 2))
    bilan = _dernier_bilan()
    assert bilan["dossiers_non_retenus"] == 2 and bilan["lettres_non_retenus"] == 1 and bilan["notes_copil"] >= 1
    for dossier_id in non_retenus:
        dossier = db.session.get(Dossier, dossier_id)
        assert dossier.anonymise_le and dossier.signataire_nom == "" and dossier.numero and dossier.montant_demande
        assert db.session.scalar(select(Piece.id).where(Piece.dossier_id == dossier.id)) is None
        for depot in dossier.depots:
            contenu = json.loads(depot.instantane)
            assert depot.accuse is None and contenu["structure"]["representant"] == ["", ""]
            assert contenu["engagements"]["signataire"] == ["", ""]
    assert not any(chemin.exists() for chemin in chemins)
    assert db.session.scalar(select(Fichier.id).where(Fichier.nom.startswith("irrecevabilite-"))) is None
    assert db.session.scalar(select(Note.id).where(Note.commentaire == COMMENTAIRE)) is None
    # Le dossier retenu (archives publiques) n'a pas bougé.
    assert db.session.get(Dossier, retenu_id).anonymise_le is None

    # Le même jour, une seconde fois : rien de plus.
    purger_le(runner, T0 + timedelta(days=5 * 365 + 2))
    assert _dernier_bilan()["dossiers_non_retenus"] == 0


def test_la_base_n_accepte_au_journal_que_l_anonymisation(fab):
    agent = fab.utilisateur("agent")
    entree = journaliser("test.rgpd", agent, par=agent, details={"motif": "M. Untel"})
    db.session.commit()
    for requete in (
        "UPDATE journal SET details = '{}' WHERE id = :id",  # sans date d'anonymisation
        "UPDATE journal SET action = 'autre', anonymise_le = CURRENT_TIMESTAMP WHERE id = :id",  # une colonne scellée
        "DELETE FROM journal WHERE id = :id",
    ):
        with pytest.raises(DatabaseError, match="ajout seul"):
            db.session.execute(text(requete), {"id": entree.id})
        db.session.rollback()
    db.session.execute(
        text("UPDATE journal SET details = '{}', acteur = 'anonyme', anonymise_le = CURRENT_TIMESTAMP WHERE id = :id"),
        {"id": entree.id},
    )
    db.session.commit()
    assert verifier_chaine()[1] is None


def test_une_personne_telecharge_ses_donnees(client, monde):
    porteur = db.session.get(Utilisateur, monde["irrecevable"].cree_par_id)
    connecter(client, porteur)
    assert "télécharger mes données" in texte(client.get("/profil"))
    reponse = client.get("/profil/mes-donnees.json")
    assert reponse.status_code == 200 and reponse.headers["Content-Disposition"].startswith("attachment")
    donnees = json.loads(reponse.data)
    assert donnees["compte"]["adresse"] == porteur.email
    assert monde["irrecevable"].numero in {d["numero"] for d in donnees["candidatures"]["dossiers"]}
    assert any(e["action"] == "dossier.depot" for e in donnees["journal"])
    assert any("Accusé de réception" in c["sujet"] for c in donnees["courriels"])
    membre = monde["membre"]
    client.post("/deconnexion")
    connecter(client, membre)
    assert COMMENTAIRE in json.dumps(json.loads(client.get("/profil/mes-donnees.json").data)["notation"], ensure_ascii=False)


def test_la_page_des_donnees_personnelles_donne_chaque_duree(client):
    page = texte(client.get("/donnees-personnelles"))
    for duree in DUREES:
        assert duree.categorie in page and duree.duree in page
    assert "selon les règles d'archivage" not in page
