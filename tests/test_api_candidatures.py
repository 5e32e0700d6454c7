"""The JSON API of the candidatures domain: same operations, same rules, same messages as the pages."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from aap.extensions import db
from aap.types import maintenant

from . import contenus


@pytest.fixture
def api(client):
    def appeler(utilisateur, fab, methode, url, **kwargs):
        jeton, _ = fab.jeton(utilisateur)
        db.session.commit()
        return client.open(url, method=methode, headers={"Authorization": f"Bearer {jeton}"}, **kwargs)

    return appeler


def test_campagnes_avec_plafonds_pieces_et_grille(api, fab):
    campagne = fab.campagne()
    porteur = fab.utilisateur("porteur")
    [resume] = api(porteur, fab, "GET", "/api/v1/campagnes").json
    assert resume["taux_plafond"] == "0.7000" and resume["taux_plafond_collectivite"] == "0.8000"
    assert resume["etat"] == "ouverte" and resume["etp_minimum"] == "0.50"
    detail = api(porteur, fab, "GET", f"/api/v1/campagnes/{campagne.id}").json
    assert [p["code"] for p in detail["pieces"]][:3] == ["demande_subvention", "rapports_activite", "comptes_annuels"]
    assert detail["pieces"][3]["condition_libelle"] == "Associations tenues d'avoir un commissaire aux comptes"
    assert sum(c["maximum"] for c in detail["criteres"]) == 100
    assert {m["poste"] for m in detail["missions"]} == {"facilitateur", "coordinateur"}


def test_un_dossier_de_bout_en_bout(api, fab, serveur_smtp):
    structure = fab.structure_complete()
    porteur = fab.porteur_de(structure)
    campagne = fab.campagne_ouverte(structure.service)
    reponse = api(porteur, fab, "POST", "/api/v1/dossiers", json={"campagne_id": campagne.id, "titre": "Par l'API"})
    assert reponse.status_code == 201
    dossier = reponse.json
    assert dossier["statut"] == "brouillon" and dossier["version"] == 1
    url = f"/api/v1/dossiers/{dossier['id']}"

    controles = api(porteur, fab, "GET", f"{url}/controles").json
    assert not controles["peut_deposer"]
    assert {"poste_manquant", "budget_vide", "piece_manquante"} <= {c["code"] for c in controles["constats"]}

    missions = [m.id for m in campagne.missions if m.poste == "facilitateur"][:2]
    reponse = api(
        porteur,
        fab,
        "PATCH",
        url,
        json={
            "version": 1,
            "etp_facilitateur": "1.0",
            "communes": ["97611"],
            "diagnostic": "d",
            "objectifs": "o",
            "strategie": "s",
            "calendrier": "c",
            "missions": missions,
            "engagement_non_baisse": True,
            "declaration_honneur": True,
            "signataire_nom": "Ahmed Ali",
            "signataire_qualite": "Président",
            "volumes": {"npnru": {"nombre_marches": 2, "heures_insertion": 4000}},
        },
    )
    assert reponse.status_code == 200 and reponse.json["version"] == 2
    # Des ETP hors du pas de 0,05 sont refusés, en français : le document le dit.
    reponse = api(porteur, fab, "PATCH", url, json={"version": 2, "etp_facilitateur": "0.43"})
    assert reponse.status_code == 422
    assert reponse.json["errors"] == [
        {
            "field": "etp_facilitateur",
            "code": "invalide",
            "message": "Nombre attendu en texte, avec un point, par pas de 0.05, de 0 à 100 (par exemple « 0.50 »).",
        }
    ]
    reponse = api(porteur, fab, "PATCH", url, json={"version": 2, "pirate": "x"})
    assert reponse.status_code == 422 and reponse.json["errors"][0]["message"] == "Champ inconnu."
    assert api(porteur, fab, "PATCH", url, json={"version": 1, "titre": "Vieux"}).status_code == 409

    lignes = {
        "salaires": {"montants": ["42000", "42840", "43680"]},
        "etat_aap": {"montants": ["29400.00", "29988", "30576"]},
        "collectivites": {"precision": "Conseil départemental", "montants": ["12600", "12852", "13104"]},
    }
    reponse = api(porteur, fab, "PUT", f"{url}/budget", json={"version": 2, "lignes": lignes})
    assert reponse.status_code == 200
    budget = reponse.json
    assert budget["synthese"][0] == {
        "annee": 1,
        "charges": "42000.00",
        "produits": "42000.00",
        "part_etat": "29400.00",
        "taux_etat": "0.7000",
        "cofinancement": "12600.00",
        "taux_cofinancement": "0.3000",
        "plafond_etat": "29400.00",
        "equilibre": True,
    }
    version = budget["version"]

    codes = [p["code"] for p in api(porteur, fab, "GET", f"{url}/pieces").json["exigees"]]
    for code in codes:
        reponse = api(
            porteur,
            fab,
            "POST",
            f"{url}/pieces",
            data={"code": code, "fichier": (io.BytesIO(contenus.pdf(code)), f"{code}.pdf")},
            content_type="multipart/form-data",
        )
        assert reponse.status_code == 201, reponse.json
    piece = reponse.json
    fichier = api(porteur, fab, "GET", piece["url"])
    assert fichier.data == contenus.pdf(codes[-1]) and fichier.headers["Content-Disposition"].startswith("attachment")

    assert api(porteur, fab, "GET", f"{url}/controles").json == {
        "peut_deposer": True,
        "bloquants": 0,
        "avertissements": 0,
        "constats": [],
    }
    reponse = api(porteur, fab, "POST", f"{url}/depot", json={"version": version})
    assert reponse.status_code == 201
    depot = reponse.json
    assert depot["numero"].startswith(f"AAP-{campagne.annee}-976-") and depot["rang"] == 1
    assert api(porteur, fab, "GET", depot["accuse"]).headers["Content-Type"] == "application/pdf"
    deuxieme = api(porteur, fab, "POST", f"{url}/depot", json={"version": version + 1})
    assert deuxieme.status_code == 409 and deuxieme.json["errors"][0]["code"] == "deja_depose"
    assert serveur_smtp.pour(porteur.email)[-1]["Subject"].startswith("Accusé de réception")

    historique = api(porteur, fab, "GET", f"{url}/historique").json
    assert [h["statut"] for h in historique] == ["brouillon", "depose"]
    assert historique[-1]["explication"].startswith("Votre dossier a été déposé")


def test_depot_refuse_par_les_regles(api, fab):
    dossier = fab.dossier(statut="brouillon", etp_facilitateur=Decimal("0.4"))
    reponse = api(
        fab.porteur_de(dossier.structure), fab, "POST", f"/api/v1/dossiers/{dossier.id}/depot", json={"version": dossier.version}
    )
    assert reponse.status_code == 422
    [erreur] = reponse.json["errors"]
    assert erreur["code"] == "controles_bloquants" and "au moins 0,5 ETP" in erreur["message"]


def test_decisions_de_l_agent(api, fab):
    agent = fab.agent_de(fab.service())
    dossier = fab.dossier(statut="depose")
    url = f"/api/v1/dossiers/{dossier.id}/decisions"
    reponse = api(agent, fab, "POST", url, json={"decision": "complements", "rubriques": ["budget"]})
    assert reponse.status_code == 422 and reponse.json["errors"][0]["field"] == "date_limite"
    limite = (maintenant().date() + timedelta(days=7)).isoformat()
    reponse = api(
        agent,
        fab,
        "POST",
        url,
        json={
            "decision": "complements",
            "rubriques": ["budget"],
            "pieces": ["comptes_annuels"],
            "date_limite": limite,
            "message": "Budget à revoir.",
        },
    )
    assert reponse.status_code == 200
    assert reponse.json["statut"] == "complements_demandes" and reponse.json["rubriques_ouvertes"] == ["budget"]
    reponse = api(agent, fab, "POST", url, json={"decision": "recevable"})
    assert reponse.status_code == 422 and reponse.json["errors"][0]["code"] == "transition_invalide"
    reponse = api(agent, fab, "POST", url, json={"decision": "irrecevable", "motif": "Délai dépassé."})
    assert reponse.status_code == 200 and reponse.json["motif_irrecevabilite"] == "Délai dépassé."
    reponse = api(agent, fab, "POST", url, json={"decision": "n_importe"})
    assert reponse.status_code == 422 and "choisissez parmi" in reponse.json["errors"][0]["message"]


def test_recevable_et_avis_du_comite(api, fab):
    dossier = fab.dossier(statut="depose", structure=fab.structure_complete(emergente=True))
    agent = fab.agent_de(dossier.campagne.service)
    url = f"/api/v1/dossiers/{dossier.id}"
    assert api(agent, fab, "POST", f"{url}/decisions", json={"decision": "recevable"}).json["statut"] == "recevable"
    reponse = api(agent, fab, "PUT", f"{url}/avis-ctn", json={"avis": "favorable", "commentaire": "Pertinent."})
    assert reponse.status_code == 200 and reponse.json["avis_ctn"] == "favorable"


def test_liste_filtree_et_paginee(api, fab):
    campagne = fab.campagne_ouverte(fab.service())
    for _ in range(3):
        fab.dossier(statut="depose", campagne=campagne)
    coordination = fab.dossier(
        statut="recevable", campagne=campagne, etp_facilitateur=Decimal("0"), etp_coordinateur=Decimal("0.5")
    )
    agent = fab.agent_de(campagne.service)
    page = api(agent, fab, "GET", "/api/v1/dossiers?par_page=2&page=2").json
    assert (page["total"], page["pages"], len(page["elements"])) == (4, 2, 2)
    page = api(agent, fab, "GET", "/api/v1/dossiers?poste=coordinateur&statut=recevable").json
    assert [d["id"] for d in page["elements"]] == [coordination.id]
    # A status no dossier of the list can have (a draft, for an agent) gives an empty list, not the whole list.
    assert api(agent, fab, "GET", "/api/v1/dossiers?statut=brouillon").json["total"] == 0
    assert api(agent, fab, "GET", "/api/v1/dossiers?par_page=1000").status_code == 422


def test_structure_lue_et_modifiee(api, fab):
    structure = fab.structure_complete()
    porteur = fab.porteur_de(structure)
    url = f"/api/v1/structures/{structure.id}"
    reponse = api(porteur, fab, "PATCH", url, json={"representant_nom": "Nouveau Président", "emergente": False})
    assert reponse.status_code == 200 and reponse.json["representant_nom"] == "Nouveau Président"
    reponse = api(porteur, fab, "PATCH", url, json={"siret": "12345678901234"})
    assert reponse.status_code == 422  # le SIRET ne se change pas
    reponse = api(porteur, fab, "PATCH", url, json={"commune_code": "99999"})
    assert reponse.status_code == 422 and reponse.json["errors"][0]["message"] == "Commune inconnue."


def test_le_document_openapi_decrit_les_points_d_entree(client):
    chemins = client.get("/api/v1/openapi.json").json["paths"]
    for chemin in (
        "/api/v1/campagnes",
        "/api/v1/dossiers",
        "/api/v1/dossiers/{dossier_id}/budget",
        "/api/v1/dossiers/{dossier_id}/pieces",
        "/api/v1/dossiers/{dossier_id}/controles",
        "/api/v1/dossiers/{dossier_id}/depot",
        "/api/v1/dossiers/{dossier_id}/decisions",
        "/api/v1/structures/{structure_id}",
    ):
        assert chemin in chemins, chemin
