"""A convention through the JSON API: creation, signature (multipart), advance, reports (errors field by field,
attachments, filing, approval), balance, renewal, dashboard figures and the "À faire" list; all in the OpenAPI
document."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from aap.aap2022 import MAYOTTE
from conventions import operations

from .contenus import pdf
from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture : documents d'une page)


def a_mayotte(annee, mois, jour, heure=10):
    return datetime(annee, mois, jour, heure, 0, tzinfo=MAYOTTE)


@pytest.fixture
def api(app, fab, documents_rapides):  # noqa: F811
    decision = fab.decision(montant_accorde=Decimal("35000.00"), notifie_le=a_mayotte(2030, 1, 10))
    agent = fab.utilisateur("agent", service=decision.dossier.service)
    porteur = next(m for m in decision.dossier.structure.membres if m.role == "porteur")
    client = app.test_client()

    def entetes(utilisateur):
        return {"Authorization": f"Bearer {fab.jeton(utilisateur)[0]}"}

    return decision, agent, porteur, client, entetes


def test_trois_annees_de_convention_par_l_api(api):
    decision, agent, porteur, client, entetes = api
    with time_machine.travel(a_mayotte(2030, 1, 15), tick=False) as voyage:
        pour_agent, pour_porteur = entetes(agent), entetes(porteur)
        objectifs = {
            cle: str(v)
            for cle, v in operations.objectifs_proposes(
                decision.dossier, decision.etp_facilitateur, decision.etp_coordinateur
            ).items()
        }
        incomplet = client.post(
            "/api/v1/conventions",
            headers=pour_agent,
            json={"decision_id": decision.id, "date_effet": "2030-02-01", "objectifs": {}},
        )
        assert incomplet.status_code == 422
        assert {
            "field": "objectif-facilitateur.heures_insertion_etp",
            "code": "objectif_manquant",
            "message": "Fixez l'objectif « Heures d'insertion dégagées par l'ETP subventionné » avec la structure.",
        } in incomplet.json["errors"]
        reponse = client.post(
            "/api/v1/conventions",
            headers=pour_agent,
            json={"decision_id": decision.id, "date_effet": "2030-02-01", "objectifs": objectifs},
        )
        assert reponse.status_code == 201, reponse.json
        convention = reponse.json
        assert convention["date_limite_signature"] == "2030-01-25"
        assert convention["etat"] == "a_signer" and convention["statut"] == "a_signer"
        (annee,) = convention["annees"]
        assert (annee["montant"], [v["montant"] for v in annee["versements"]]) == ("35000.00", ["17500.00", "17500.00"])
        assert [b["type"] for b in annee["bilans"]] == ["intermediaire", "annuel", "financier"]
        assert convention["echeances"][0] == {
            "code": "signature",
            "nature": "signature",
            "libelle": "Signature de la convention",
            "date": "2030-01-25",
            "jours": 10,
            "etat": "a_venir",
            "pour": "agent",
        }
        assert (
            client.post(
                "/api/v1/conventions",
                headers=pour_agent,
                json={"decision_id": decision.id, "date_effet": "2030-02-01", "objectifs": objectifs},
            ).status_code
            == 409
        )
        cid = convention["id"]
        assert client.get(f"/api/v1/conventions/{cid}/annees/1/document", headers=pour_porteur).data.startswith(b"%PDF")
        assert client.get(f"/api/v1/conventions/{cid}/annees/1/document?format=docx", headers=pour_agent).data.startswith(b"PK")

        # Signature (multipart), puis l'avance est payée.
        refus = client.post(
            f"/api/v1/conventions/{cid}/annees/1/signature",
            headers=pour_porteur,
            data={"signee_le": "2030-01-15", "scan": (io.BytesIO(pdf()), "signee.pdf")},
        )
        assert refus.status_code == 403
        signee = client.post(
            f"/api/v1/conventions/{cid}/annees/1/signature",
            headers=pour_agent,
            data={"signee_le": "2030-01-15", "scan": (io.BytesIO(pdf("Signée")), "signee.pdf")},
        )
        assert signee.status_code == 200 and signee.json["signee_le"] == "2030-01-15"
        assert signee.json["signature_en_retard"] is False
        avance = signee.json["annees"][0]["versements"][0]
        assert avance["etat"] == "a_payer"
        paye = client.post(
            f"/api/v1/versements/{avance['id']}/paiement",
            headers=pour_agent,
            json={"paye_le": "2030-01-15", "reference": "DP-77", "version": avance["version"]},
        )
        assert paye.status_code == 200 and paye.json["etat"] == "paye"
        perime = client.post(
            f"/api/v1/versements/{avance['id']}/annulation", headers=pour_agent, json={"motif": "x", "version": avance["version"]}
        )
        assert perime.status_code == 409

        # Bilan annuel : erreurs champ par champ, dépôt, approbation ; ses dépenses ne sont qu'une estimation.
        voyage.move_to(a_mayotte(2030, 11, 20))
        pour_agent, pour_porteur = entetes(agent), entetes(porteur)
        bilan_id = annee["bilans"][1]["id"]
        bilan = client.get(f"/api/v1/bilans/{bilan_id}", headers=pour_porteur).json
        cles = [i["cle"] for i in bilan["indicateurs"]]
        valeurs = {
            c: ("100" if i["type"] != "texte" else "Bâtiment, voirie.") for c, i in zip(cles, bilan["indicateurs"], strict=True)
        }
        mauvais = client.put(
            f"/api/v1/bilans/{bilan_id}",
            headers=pour_porteur,
            json={"valeurs": valeurs | {"facilitateur.heures_insertion_etp": "-3", "facilitateur.contacts_acheteurs": "2,5"}},
        )
        assert mauvais.status_code == 422
        entier = "Nombre entier attendu en texte, de 0 à 100000000 (par exemple « 12 »)."  # ce que dit le document
        assert {(e["field"], e["message"]) for e in mauvais.json["errors"]} == {
            ("valeurs.facilitateur.heures_insertion_etp", entier),
            ("valeurs.facilitateur.contacts_acheteurs", entier),
        }
        # Le financement des postes préexistants sous celui déclaré au dépôt (18 000 €) : la baisse est signalée.
        baisse = client.put(
            f"/api/v1/bilans/{bilan_id}", headers=pour_porteur, json={"valeurs": valeurs, "depenses_realisees": "35000.00"}
        )
        assert baisse.status_code == 200
        assert [a["code"] for a in baisse.json["avertissements"]] == ["baisse_financements_existants"]
        assert (
            "baisse de 17\u202f900,00\xa0€ : 100,00\xa0€ cette année contre 18\u202f000,00\xa0€"
            in (baisse.json["avertissements"][0]["message"])
        )
        valeurs["ensemble.financement_postes_existants"] = "18000.00"
        bon = client.put(
            f"/api/v1/bilans/{bilan_id}", headers=pour_porteur, json={"valeurs": valeurs, "depenses_realisees": "35000.00"}
        )
        assert bon.status_code == 200 and bon.json["avertissements"] == []
        depose = client.post(f"/api/v1/bilans/{bilan_id}/depot", headers=pour_porteur, json={})
        assert depose.status_code == 200 and depose.json["statut"] == "depose" and depose.json["a_l_heure"] is True
        assert client.post(f"/api/v1/bilans/{bilan_id}/approbation", headers=pour_porteur, json={}).status_code == 403
        approuve = client.post(f"/api/v1/bilans/{bilan_id}/approbation", headers=pour_agent, json={})
        assert approuve.status_code == 200 and approuve.json["statut"] == "approuve"
        detail = client.get(f"/api/v1/conventions/{cid}", headers=pour_agent).json
        solde = detail["annees"][0]["versements"][1]
        assert (solde["etat"], solde["montant"]) == ("prevu", "17500.00")  # rien n'est payable avant le compte rendu
        financier_id = annee["bilans"][2]["id"]
        assert annee["bilans"][2]["type"] == "financier" and annee["bilans"][2]["echeance"] == "2031-07-31"
        brouillon = client.put(f"/api/v1/bilans/{financier_id}", headers=pour_porteur, json={"depenses_realisees": "30000"})
        assert brouillon.status_code == 200  # le brouillon se prépare à l'avance
        trop_tot = client.post(f"/api/v1/bilans/{financier_id}/depot", headers=pour_porteur, json={})
        assert trop_tot.status_code == 422 and trop_tot.json["errors"][0]["code"] == "hors_fenetre"

        # Renouvellement : la vue, l'avenant (au plus 70 % du coût de l'année 2 du budget déposé), l'« À faire ».
        vue = client.get(f"/api/v1/conventions/{cid}/renouvellement", headers=pour_agent).json
        assert vue["decidable"] is True and vue["suggestion"]["issue"] in ("renouveler", "a_discuter", "ne_pas_renouveler")
        assert client.get(f"/api/v1/conventions/{cid}/renouvellement", headers=pour_porteur).status_code == 403
        avenant = client.post(
            f"/api/v1/conventions/{cid}/avenants", headers=pour_agent, json={"montant": "35700.00", "objectifs": objectifs}
        )
        assert avenant.status_code == 201, avenant.json
        assert (avenant.json["rang"], avenant.json["debut"], avenant.json["fin"]) == (2, "2031-02-01", "2032-01-31")
        tableau = client.get("/api/v1/tableau-de-bord", headers=pour_agent).json
        assert tableau["verse"] == "17500.00" and tableau["avenants"] == "35700.00"
        assert tableau["etats"] == {"avenant_a_signer": 1}
        a_faire = client.get("/api/v1/a-faire", headers=pour_agent).json
        # Pour l'agent : le bilan intermédiaire en retard chez la structure (le compte rendu financier, dû en juillet,
        # et l'avenant, qui prend effet dans plus de 60 jours, n'y sont pas encore).
        intermediaire = annee["bilans"][0]["id"]
        assert [e["code"] for e in a_faire] == [f"bilan-{intermediaire}"]
        assert a_faire[0]["etat"] == "en_retard" and a_faire[0]["pour"] == "porteur"
        pour_la_structure = client.get("/api/v1/a-faire", headers=pour_porteur).json
        assert [e["code"] for e in pour_la_structure] == [f"bilan-{intermediaire}"]
        detail = client.get(f"/api/v1/conventions/{cid}", headers=pour_agent).json
        assert "signature-avenant-2" in [e["code"] for e in detail["echeances"]]  # la convention, elle, la montre

        def compte_rendu(bilan_id, depenses, eligibles=None):
            """The final account of a year that has ended: spending, cerfa n° 15059, filing, approval."""
            depenses_ = client.put(f"/api/v1/bilans/{bilan_id}", headers=pour_porteur, json={"depenses_realisees": depenses})
            assert depenses_.status_code == 200
            sans_crf = client.post(f"/api/v1/bilans/{bilan_id}/depot", headers=pour_porteur, json={})
            assert sans_crf.status_code == 422 and sans_crf.json["errors"][0]["field"] == "compte_rendu_financier"
            piece = client.post(
                f"/api/v1/bilans/{bilan_id}/pieces",
                headers=pour_porteur,
                data={"nature": "compte_rendu_financier", "fichier": (io.BytesIO(pdf("CRF")), "crf.pdf")},
            )
            assert piece.status_code == 201 and piece.json["nature"] == "compte_rendu_financier"
            assert client.post(f"/api/v1/bilans/{bilan_id}/depot", headers=pour_porteur, json={}).status_code == 200
            corps = {} if eligibles is None else {"depenses_eligibles": eligibles}
            assert client.post(f"/api/v1/bilans/{bilan_id}/approbation", headers=pour_agent, json=corps).status_code == 200

        # Les années 2 et 3 : avenant signé, avance payée ; le compte rendu financier de l'année écoulée règle son
        # solde ; bilan annuel approuvé ; pas de quatrième année.
        precedente = (1, financier_id)
        for rang, annee_civile, montant in ((2, 2031, "35700.00"), (3, 2032, "36400.00")):
            voyage.move_to(a_mayotte(annee_civile, 1, 20))
            pour_agent, pour_porteur = entetes(agent), entetes(porteur)
            signee = client.post(
                f"/api/v1/conventions/{cid}/annees/{rang}/signature",
                headers=pour_agent,
                data={"signee_le": f"{annee_civile}-01-20", "scan": (io.BytesIO(pdf()), "avenant.pdf")},
            )
            assert signee.status_code == 200, signee.json
            annee = signee.json["annees"][rang - 1]
            assert annee["montant"] == montant
            avance = annee["versements"][0]
            assert (
                client.post(
                    f"/api/v1/versements/{avance['id']}/paiement",
                    headers=pour_agent,
                    json={"paye_le": f"{annee_civile}-01-20", "reference": f"DP-{rang}"},
                ).status_code
                == 200
            )
            voyage.move_to(a_mayotte(annee_civile, 2, 10))
            pour_agent, pour_porteur = entetes(agent), entetes(porteur)
            rang_precedent, bilan_precedent = precedente
            if rang_precedent == 1:
                # 30 000 € de dépenses éligibles : l'État en doit 21 000 €, soit 3 500 € de solde après l'avance.
                compte_rendu(bilan_precedent, "30000.00", "30000.00")
                solde = client.get(f"/api/v1/conventions/{cid}", headers=pour_agent).json["annees"][0]
                assert (solde["montant_du"], solde["versements"][1]["etat"]) == ("21000.00", "a_payer")
                solde = solde["versements"][1]
                assert solde["montant"] == "3500.00"
                ajuste = client.post(
                    f"/api/v1/versements/{solde['id']}/ajustement", headers=pour_agent, json={"montant": "3500.01", "motif": ""}
                )
                assert ajuste.status_code == 422 and "ne peut pas dépasser 3" in ajuste.json["errors"][0]["message"]
            else:
                compte_rendu(bilan_precedent, "60000.00")
                solde = client.get(f"/api/v1/conventions/{cid}", headers=pour_agent).json["annees"][rang_precedent - 1]
                solde = solde["versements"][1]
            assert (
                client.post(
                    f"/api/v1/versements/{solde['id']}/paiement",
                    headers=pour_agent,
                    json={"paye_le": f"{annee_civile}-02-10", "reference": f"DS-{rang_precedent}"},
                ).status_code
                == 200
            )
            voyage.move_to(a_mayotte(annee_civile, 11, 20))
            pour_agent, pour_porteur = entetes(agent), entetes(porteur)
            bilan_id = annee["bilans"][1]["id"]
            assert (
                client.put(
                    f"/api/v1/bilans/{bilan_id}", headers=pour_porteur, json={"valeurs": valeurs, "depenses_realisees": "40000"}
                ).status_code
                == 200
            )
            assert client.post(f"/api/v1/bilans/{bilan_id}/depot", headers=pour_porteur, json={}).status_code == 200
            assert client.post(f"/api/v1/bilans/{bilan_id}/approbation", headers=pour_agent, json={}).status_code == 200
            precedente = (rang, next(b["id"] for b in annee["bilans"] if b["type"] == "financier"))
            suite = client.post(
                f"/api/v1/conventions/{cid}/avenants", headers=pour_agent, json={"montant": "36400.00", "objectifs": objectifs}
            )
            if rang == 2:
                assert suite.status_code == 201 and suite.json["rang"] == 3
            else:
                assert suite.status_code == 422
                assert suite.json["errors"][0]["code"] == "renouvellements_epuises"
        # La troisième année finie, son compte rendu financier ; le dernier solde payé, la convention est close.
        voyage.move_to(a_mayotte(2033, 2, 10))
        pour_agent, pour_porteur = entetes(agent), entetes(porteur)
        compte_rendu(precedente[1], "60000.00")
        solde = client.get(f"/api/v1/conventions/{cid}", headers=pour_agent).json["annees"][2]["versements"][1]
        assert solde["montant"] == "18200.00"
        assert (
            client.post(
                f"/api/v1/versements/{solde['id']}/paiement",
                headers=pour_agent,
                json={"paye_le": "2033-02-10", "reference": "DS-3"},
            ).status_code
            == 200
        )
        fin = client.get(f"/api/v1/conventions/{cid}", headers=pour_agent).json
        assert fin["statut"] == "close" and fin["echeances"] == []
        assert [a["rang"] for a in fin["annees"]] == [1, 2, 3]
        assert [a["montant_du"] for a in fin["annees"]] == ["21000.00", "35700.00", "36400.00"]
        verse = sum(Decimal(v["montant"]) for a in fin["annees"] for v in a["versements"] if v["etat"] == "paye")
        assert verse == Decimal("17500.00") + Decimal("3500.00") + Decimal("35700.00") + Decimal("36400.00")


def test_le_document_openapi_decrit_les_conventions(client):
    spec = client.get("/api/v1/openapi.json").json
    for chemin in (
        "/api/v1/conventions",
        "/api/v1/conventions/{convention_id}",
        "/api/v1/conventions/{convention_id}/annees/{rang}/signature",
        "/api/v1/versements",
        "/api/v1/versements/{versement_id}/paiement",
        "/api/v1/bilans/{bilan_id}",
        "/api/v1/bilans/{bilan_id}/depot",
        "/api/v1/bilans/{bilan_id}/approbation",
        "/api/v1/conventions/{convention_id}/avenants",
        "/api/v1/tableau-de-bord",
        "/api/v1/a-faire",
    ):
        assert chemin in spec["paths"], chemin


def test_entrees_hostiles_de_l_api(api):
    decision, agent, _, client, entetes = api
    pour_agent = entetes(agent)
    for corps in (
        {"decision_id": "x"},
        {"decision_id": decision.id, "date_effet": "2030-13-45"},
        {"decision_id": decision.id, "date_effet": "2030-02-01", "objectifs": {"a": {"b": 1}}},
        {"decision_id": 2**40, "date_effet": "2030-02-01"},
        [1, 2],
    ):
        reponse = client.post("/api/v1/conventions", headers=pour_agent, json=corps)
        assert reponse.status_code in (400, 422), corps
        assert reponse.json["errors"][0]["message"]
    assert client.get("/api/v1/conventions/99999999999", headers=pour_agent).status_code == 404
    assert client.get("/api/v1/bilans/0", headers=pour_agent).status_code == 404
    assert client.get("/api/v1/conventions?statut=n_importe", headers=pour_agent).status_code == 422
    assert client.get("/api/v1/conventions", headers={}).status_code == 401
