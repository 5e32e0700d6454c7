"""Campaign administration (rules frozen once dossiers are filed, every change audited) and the public page."""

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from aap.extensions import db
from aap.models import Campagne, EntreeJournal

from .conftest import texte

FORMULAIRE = {
    "titre": "Facilitateurs 2027",
    "annee": "2027",
    "presentation": "Texte de l'appel.",
    "ouverture_jour": "2027-07-01",
    "ouverture_heure": "00:00",
    "cloture_jour": "2027-10-31",
    "cloture_heure": "23:59",
    "taux_plafond": "70",
    "taux_plafond_collectivite": "80",
    "etp_minimum": "0,5",
    "credits": "150 000",
    "courriel_contact": "976.insertion@deets.gouv.fr",
    "publiee": "y",
}


def test_creer_une_campagne_garnie_de_l_appel_2022(client_de, fab):
    admin = fab.utilisateur("admin")
    reponse = client_de(admin).post("/admin/campagnes/nouvelle", data=FORMULAIRE)
    assert reponse.status_code == 302
    campagne = db.session.scalar(select(Campagne).where(Campagne.annee == 2027))
    assert campagne.taux_plafond == Decimal("0.7") and campagne.credits == Decimal("150000")
    assert campagne.cloture_le.isoformat() == "2027-10-31T20:59:00+00:00"  # 23:59 à Mayotte
    assert len(campagne.pieces) == 8 and len(campagne.criteres) == 9 and len(campagne.missions) == 12
    assert db.session.scalar(select(EntreeJournal.acteur).where(EntreeJournal.action == "campagne.creation")) == (admin.email)


def test_la_cloture_avant_l_ouverture_est_refusee(client_de, fab):
    reponse = client_de(fab.utilisateur("admin")).post(
        "/admin/campagnes/nouvelle", data=FORMULAIRE | {"cloture_jour": "2027-06-01"}
    )
    assert reponse.status_code == 422 and "La clôture doit suivre l'ouverture." in texte(reponse)


def test_les_regles_se_figent_au_premier_depot_et_tout_est_journalise(client_de, fab):
    campagne = fab.campagne()
    admin = fab.utilisateur("admin", service=campagne.service)
    session = client_de(admin)
    donnees = FORMULAIRE | {"annee": str(campagne.annee), "ouverture_jour": "2020-01-01", "cloture_jour": "2099-10-31"}
    # Avant tout dépôt : les règles changent, et le journal dit qui a changé quoi.
    assert session.post(f"/admin/campagnes/{campagne.id}", data=donnees | {"taux_plafond": "75"}).status_code == 302
    db.session.refresh(campagne)
    assert campagne.taux_plafond == Decimal("0.75")
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "campagne.modification"))
    assert entree.acteur == admin.email and json.loads(entree.details)["taux_plafond"] == ["0.7000", "0.75"]
    piece = campagne.pieces[0]
    assert (
        session.post(
            f"/admin/campagnes/{campagne.id}/pieces",
            data={"code": "lettre_soutien", "libelle": "Lettre de soutien", "condition": "toujours"},
        ).status_code
        == 302
    )

    fab.dossier(statut="depose", campagne=campagne)
    db.session.commit()
    reponse = session.post(f"/admin/campagnes/{campagne.id}", data=donnees | {"taux_plafond": "90"})
    assert reponse.status_code == 422 and "1 dossier a déjà été déposé sous" in texte(reponse)
    reponse = session.post(f"/admin/campagnes/{campagne.id}/pieces/{piece.id}/supprimer", follow_redirects=True)
    assert "ne peuvent plus changer" in texte(reponse)
    reponse = session.post(
        f"/admin/campagnes/{campagne.id}/criteres",
        data={"code": "nouveau", "groupe": "Budget", "libelle": "Nouveau", "maximum": "5"},
    )
    assert reponse.status_code == 422
    db.session.refresh(campagne)
    assert campagne.taux_plafond == Decimal("0.75") and piece in campagne.pieces
    # Le calendrier et les crédits restent modifiables, journalisés.
    assert (
        session.post(f"/admin/campagnes/{campagne.id}", data=donnees | {"taux_plafond": "75", "credits": "200000"}).status_code
        == 302
    )
    db.session.refresh(campagne)
    assert campagne.credits == Decimal("200000")
    page = texte(session.get(f"/admin/campagnes/{campagne.id}"))
    assert "Règles figées" in page


def test_seul_l_administrateur_du_service_administre(client_de, fab):
    campagne = fab.campagne()
    assert client_de(fab.utilisateur("agent", service=campagne.service)).get("/admin/campagnes/").status_code == 403
    ailleurs = fab.utilisateur("admin", service=fab.service(code="974"))
    assert client_de(ailleurs).get(f"/admin/campagnes/{campagne.id}").status_code == 404


def test_la_page_publique_de_la_campagne(client, fab):
    campagne = fab.campagne()
    page = texte(client.get(f"/campagnes/{campagne.id}"))
    for attendu in (
        "Qui peut candidater",
        "structures émergentes",
        "au plus 70\u202f% du coût de l'ETP",
        "80\u202f% pour les collectivités",
        "Associations tenues d'avoir un commissaire aux comptes",
        "Structures émergentes candidates à la coordination régionale",
        "total 100",
        "Créer un compte pour ma structure",
        campagne.courriel_contact,
    ):
        assert attendu in page, attendu
    campagne.publiee = False
    db.session.commit()
    assert client.get(f"/campagnes/{campagne.id}").status_code == 404


def test_les_credits_d_une_annee_ne_descendent_pas_sous_ce_qui_est_accorde(fab):
    from aap.campagnes import operations as campagnes
    from aap.erreurs import Refus

    campagne = fab.campagne(etat="cloturee", credits=Decimal("100000.00"))
    fab.decision(dossier=fab.dossier_pour_copil(campagne=campagne, montant_demande=Decimal("35000.00")))
    admin = fab.utilisateur("admin", service=campagne.service)
    with pytest.raises(Refus) as refus:
        campagnes.modifier_campagne(campagne, {"credits": Decimal("34999.99")}, par=admin)
    assert refus.value.code == "credits_insuffisants" and "35\u202f000,00\xa0€" in refus.value.message
    assert campagnes.modifier_campagne(campagne, {"credits": Decimal("35000.00"), "credits_annee2": Decimal("0")}, par=admin)


def test_une_grille_qui_ne_fait_pas_cent_points_ne_se_publie_pas_et_n_ouvre_pas_la_notation(fab, client_de):
    from aap.campagnes import operations as campagnes
    from aap.erreurs import Refus
    from notation import operations as notation
    from notation.models import Phase

    campagne = fab.campagne(etat="cloturee", publiee=False)
    admin = fab.utilisateur("admin", service=campagne.service)
    campagnes.supprimer_critere(next(c for c in campagne.criteres if c.code == "projection"), par=admin)
    db.session.commit()
    assert "La grille totalise 95 points" in texte(client_de(admin).get(f"/admin/campagnes/{campagne.id}"))
    with pytest.raises(Refus) as refus:
        campagnes.modifier_campagne(campagne, {"publiee": True}, par=admin)
    assert refus.value.code == "grille_invalide" and "totalise 95 points" in refus.value.message
    db.session.rollback()
    seance = fab.seance(campagne=campagne, dossiers=1)
    with pytest.raises(Refus) as refus:
        notation.changer_phase(seance, Phase.NOTATION, par=admin)
    assert refus.value.code == "grille_invalide"
