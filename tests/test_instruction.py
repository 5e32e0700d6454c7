"""DEETS instruction: the list (filters, sort, search, pagination, checks' summary), the Excel export, the
completeness decisions (recevable, irrecevable, compléments that reopen only what is named), the comité
technique national's opinion."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
from sqlalchemy import select

from aap.extensions import db
from aap.models import EntreeJournal
from aap.types import maintenant
from candidatures.models import Depot

from . import contenus
from .conftest import texte

AUTO = {"X-Enregistrement-Auto": "1", "Accept": "application/json"}


def numeros(page):
    """The numbers listed in the table (not those typed in the search box)."""
    tableau = page.split("<tbody>")[1] if "<tbody>" in page else ""
    return re.findall(r"AAP-\d{4}-976-\d{4}", tableau)


def test_la_liste_ne_montre_que_les_dossiers_deposes_du_service(client_de, fab):
    depose = fab.dossier(statut="depose")
    brouillon = fab.dossier(statut="brouillon", titre="Brouillon secret")
    ailleurs = fab.dossier(statut="depose", structure=fab.structure_complete(service=fab.service(code="974")))
    agent = fab.agent_de(depose.campagne.service)
    page = texte(client_de(agent).get("/dossiers/"))
    assert depose.numero in page and "Brouillon secret" not in page and ailleurs.numero not in page
    assert brouillon.id and "1 dossier" in page
    national = texte(client_de(fab.utilisateur("national")).get("/dossiers/"))
    assert depose.numero in national and ailleurs.numero in national


def test_filtres_tri_recherche_et_pagination(app, client_de, fab):
    app.config["PAR_PAGE"] = 2
    campagne = fab.campagne_ouverte(fab.service())
    association = fab.dossier(statut="depose", campagne=campagne, titre="Association Mamoudzou")
    collectivite = fab.dossier(
        statut="recevable",
        campagne=campagne,
        titre="Commune de Koungou",
        structure=fab.structure_complete(statut_juridique="collectivite"),
        communes=("97610",),
        budget=None,
    )
    emergente = fab.dossier(
        statut="depose",
        campagne=campagne,
        titre="Réseau du Sud",
        zone_blanche=True,
        etp_facilitateur=Decimal("0"),
        etp_coordinateur=Decimal("1"),
        structure=fab.structure_complete(emergente=True, statut_juridique="reseau_emploi"),
    )
    session = client_de(fab.agent_de(campagne.service))
    cas = {
        "statut=recevable": [collectivite],
        "poste=coordinateur": [emergente],
        "poste=facilitateur": [association, collectivite],
        "commune=97610": [collectivite],
        "statut_juridique=collectivite": [collectivite],
        "emergente=oui": [emergente],
        "zone_blanche=oui": [emergente],
        "q=koungou": [collectivite],
        f"q={emergente.numero}": [emergente],
        "q=100%25_": [],
    }
    for filtre, attendus in cas.items():
        page = texte(session.get(f"/dossiers/?{filtre}&tri=numero&ordre=asc"))
        assert numeros(page) == [d.numero for d in attendus], filtre
    page1 = texte(session.get("/dossiers/?tri=numero&ordre=asc"))
    page2 = texte(session.get("/dossiers/?tri=numero&ordre=asc&page=2"))
    assert numeros(page1) == [association.numero, collectivite.numero] and numeros(page2) == [emergente.numero]
    assert numeros(texte(session.get("/dossiers/?tri=numero&ordre=desc")))[0] == emergente.numero
    assert "3 dossiers" in page1 and "page 1 sur 2" in page1
    # Des filtres absurdes ne cassent rien.
    assert session.get("/dossiers/?statut=nimporte&tri=DROP&page=-3&campagne=x").status_code == 200


def test_la_page_et_l_api_listent_les_memes_dossiers(client_de, fab):
    """One query for both: same filters, a search that reads the SIRET too, the same sort."""
    campagne = fab.campagne_ouverte(fab.service())
    dossiers = [fab.dossier(statut="depose", campagne=campagne, titre=f"Projet {n}") for n in range(3)]
    agent = fab.agent_de(campagne.service)
    session = client_de(agent)
    entetes = {"Authorization": f"Bearer {fab.jeton(agent)[0]}"}
    siret = dossiers[1].structure.siret
    for filtre in ("", f"q={siret[:9]}%20{siret[9:]}", "q=projet&tri=titre&ordre=desc", "tri=numero&ordre=asc"):
        page = numeros(texte(session.get(f"/dossiers/?{filtre}")))
        api = [d["numero"] for d in session.get(f"/api/v1/dossiers?{filtre}", headers=entetes).json["elements"]]
        assert page == api, filtre
    assert api == [d.numero for d in dossiers]
    assert numeros(texte(session.get(f"/dossiers/?q={siret}"))) == [dossiers[1].numero]


def test_le_resume_des_controles_par_ligne(client_de, fab):
    complet = fab.dossier(statut="depose")
    complet_structure = complet.structure
    # Une pièce remplacée après dépôt n'est pas possible ; on simule un dossier reçu incomplet (import, règle
    # durcie) en retirant la pièce en base : la liste doit le signaler.
    piece = complet.pieces_courantes[0]
    piece.retiree_le = maintenant()
    db.session.commit()
    page = texte(client_de(fab.agent_de(complet_structure.service)).get("/dossiers/"))
    assert "1 bloquant" in page


def test_export_excel_type_et_sans_formule(client_de, fab):
    structure = fab.structure_complete(raison_sociale='=HYPERLINK("http://pirate.example","clic")')
    dossier = fab.dossier(statut="depose", structure=structure, titre="@SUM(A1:A9)")
    reponse = client_de(fab.agent_de(structure.service)).get("/dossiers/export.xlsx")
    assert reponse.status_code == 200
    assert reponse.headers["Content-Disposition"].startswith('attachment; filename="dossiers-')
    feuille = openpyxl.load_workbook(io.BytesIO(reponse.data)).active
    entetes = [c.value for c in feuille[1]]
    ligne = {entete: cellule for entete, cellule in zip(entetes, feuille[2], strict=True)}
    assert ligne["Numéro"].value == dossier.numero
    assert ligne["Structure"].data_type == "s" and ligne["Structure"].value.startswith("=HYPERLINK")
    assert ligne["Titre du projet"].data_type == "s" and ligne["Titre du projet"].value == "@SUM(A1:A9)"
    assert (
        ligne["Part de l'État demandée (année 1)"].value == 35000
        and "€" in ligne["Part de l'État demandée (année 1)"].number_format
    )
    assert ligne["Taux État (année 1)"].value == 0.7
    assert ligne["Points bloquants"].value == 0
    assert feuille.freeze_panes == "A2" and feuille.auto_filter.ref.startswith("A1:")


def test_declarer_recevable_avec_la_date_du_dossier_complet(client_de, fab, serveur_smtp):
    dossier = fab.dossier(statut="depose")
    agent = fab.agent_de(dossier.campagne.service)
    session = client_de(agent)
    aujourdhui = maintenant().astimezone(__import__("zoneinfo").ZoneInfo("Indian/Mayotte")).date()
    trop_tot = dossier.depose_le.date() - timedelta(days=3)
    reponse = session.post(f"/dossiers/{dossier.id}/recevable", data={"recevable_le": trop_tot.isoformat()})
    assert reponse.status_code == 422 and "entre le dernier dépôt" in texte(reponse)
    reponse = session.post(f"/dossiers/{dossier.id}/recevable", data={"recevable_le": aujourdhui.isoformat()})
    assert reponse.status_code == 302
    db.session.refresh(dossier)
    assert dossier.statut == "recevable" and dossier.recevable_le == aujourdhui and dossier.pret_pour_copil
    porteur = fab.porteur_de(dossier.structure)
    assert serveur_smtp.pour(porteur.email)[-1]["Subject"] == f"Votre dossier {dossier.numero} est recevable"
    entree = db.session.scalar(select(EntreeJournal).where(EntreeJournal.action == "dossier.recevable"))
    assert entree.acteur == agent.email
    # Une seconde décision « recevable » est refusée en français.
    reponse = session.post(f"/dossiers/{dossier.id}/recevable", data={"recevable_le": aujourdhui.isoformat()})
    assert reponse.status_code == 422


def test_irrecevable_avec_motif_obligatoire(client_de, fab, serveur_smtp):
    dossier = fab.dossier(statut="depose")
    session = client_de(fab.agent_de(dossier.campagne.service))
    reponse = session.post(f"/dossiers/{dossier.id}/irrecevable", data={"motif": "  "})
    assert reponse.status_code == 422 and "Indiquez le motif" in texte(reponse)
    session.post(f"/dossiers/{dossier.id}/irrecevable", data={"motif": "Statuts absents."})
    db.session.refresh(dossier)
    assert dossier.statut == "irrecevable" and dossier.motif_irrecevabilite == "Statuts absents."
    message = serveur_smtp.pour(fab.porteur_de(dossier.structure).email)[-1]
    assert "Statuts absents." in serveur_smtp.texte(message)


def test_les_complements_ne_rouvrent_que_ce_qui_est_nomme(client_de, fab, serveur_smtp):
    dossier = fab.dossier(statut="depose")
    porteur = fab.porteur_de(dossier.structure)
    agent = fab.agent_de(dossier.campagne.service)
    limite = maintenant().date() + timedelta(days=10)
    session_agent = client_de(agent)
    reponse = session_agent.post(
        f"/dossiers/{dossier.id}/complements",
        data={
            "rubriques": ["budget"],
            "pieces": ["comptes_annuels"],
            "date_limite": limite.isoformat(),
            "message": "Joignez les comptes 2024.",
        },
    )
    assert reponse.status_code == 302
    db.session.refresh(dossier)
    assert dossier.statut == "complements_demandes"
    page_agent = texte(session_agent.get(f"/dossiers/{dossier.id}"))
    assert "Compléments demandés le" in page_agent and "la pièce « Comptes annuels »" in page_agent
    courriel = serveur_smtp.pour(porteur.email)[-1]
    assert courriel["Subject"] == f"Compléments demandés pour votre dossier {dossier.numero}"
    assert "Le budget" in serveur_smtp.texte(courriel) and "Comptes annuels" in serveur_smtp.texte(courriel)

    session = client_de(porteur)
    # Le projet n'est pas rouvert : refusé ; le budget l'est.
    reponse = session.post(f"/dossiers/{dossier.id}/etapes/projet", data={"version": dossier.version, "titre": "X"}, headers=AUTO)
    assert reponse.status_code == 422
    lignes = {
        f"{c}_1": m
        for c, m in (
            ("salaires", "42000"),
            ("fonctionnement", "6000"),
            ("deplacements", "2000"),
            ("etat_aap", "34000"),
            ("collectivites", "11000"),
            ("fonds_propres", "5000"),
        )
    }
    reponse = session.post(
        f"/dossiers/{dossier.id}/etapes/budget",
        headers=AUTO,
        data={"version": dossier.version, "collectivites_precision": "Conseil départemental"} | lignes,
    )
    assert reponse.status_code == 200
    autre = next(p for p in dossier.pieces_courantes if p.code == "demande_subvention")
    reponse = session.post(
        f"/dossiers/{dossier.id}/pieces",
        data={"code": "demande_subvention", "fichier": (io.BytesIO(contenus.pdf()), "cerfa.pdf")},
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 422 and "n'est pas demandée en complément" in texte(reponse)
    db.session.refresh(autre)
    assert autre.en_vigueur
    reponse = session.post(
        f"/dossiers/{dossier.id}/pieces",
        data={"code": "comptes_annuels", "fichier": (io.BytesIO(contenus.pdf("Comptes 2024")), "comptes-2024.pdf")},
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 302

    # Nouveau dépôt : un second instantané, l'ancien gardé, un nouvel accusé.
    db.session.refresh(dossier)
    reponse = session.post(f"/dossiers/{dossier.id}/depot", data={"version": dossier.version})
    assert reponse.status_code == 302
    db.session.refresh(dossier)
    premier, second = db.session.scalars(select(Depot).order_by(Depot.rang)).all()
    assert (premier.rang, second.rang) == (1, 2) and premier.empreinte != second.empreinte
    assert '"34000.00"' in second.instantane and '"35000.00"' in premier.instantane
    assert dossier.statut == "depose" and dossier.demandes_complements[0].close_le is not None
    assert serveur_smtp.pour(porteur.email)[-1]["Subject"] == f"Accusé de réception de votre dossier {dossier.numero}"


def test_une_demande_de_complements_doit_nommer_quelque_chose_et_une_date_future(client_de, fab):
    dossier = fab.dossier(statut="depose")
    session = client_de(fab.agent_de(dossier.campagne.service))
    reponse = session.post(
        f"/dossiers/{dossier.id}/complements", data={"date_limite": (maintenant().date() + timedelta(days=5)).isoformat()}
    )
    assert reponse.status_code == 422 and "Nommez au moins une étape ou une pièce" in texte(reponse)
    reponse = session.post(
        f"/dossiers/{dossier.id}/complements",
        data={"rubriques": ["budget"], "date_limite": (maintenant().date() - timedelta(days=1)).isoformat()},
    )
    assert reponse.status_code == 422 and "postérieure à aujourd'hui" in texte(reponse)
    db.session.refresh(dossier)
    assert dossier.statut == "depose"


def test_avis_du_comite_technique_pour_les_structures_emergentes(client_de, fab):
    emergente = fab.dossier(statut="recevable", structure=fab.structure_complete(emergente=True), etp_facilitateur=Decimal("1"))
    emergente.avis_ctn = None
    db.session.commit()
    assert not emergente.pret_pour_copil
    session = client_de(fab.agent_de(emergente.campagne.service))
    assert "Avis du comité technique national" in texte(session.get(f"/dossiers/{emergente.id}"))
    reponse = session.post(
        f"/dossiers/{emergente.id}/avis-ctn",
        data={"avis": "reserve", "le": maintenant().date().isoformat(), "commentaire": "Montée en charge à suivre."},
    )
    assert reponse.status_code == 302
    db.session.refresh(emergente)
    assert emergente.avis_ctn == "reserve" and emergente.pret_pour_copil
    existante = fab.dossier(statut="depose")
    reponse = session.post(
        f"/dossiers/{existante.id}/avis-ctn", data={"avis": "favorable", "le": maintenant().date().isoformat()}
    )
    assert reponse.status_code == 422 and "structures émergentes" in texte(reponse)


def test_la_page_agent_montre_tout_le_depot(client_de, fab):
    dossier = fab.dossier(statut="depose")
    page = texte(client_de(fab.agent_de(dossier.campagne.service)).get(f"/dossiers/{dossier.id}"))
    for attendu in (
        "Déclarer le dossier complet et recevable",
        "Demander des compléments",
        "Déclarer irrecevable",
        "Diagnostic territorial",
        "Salaires et charges sociales des ETP",
        "Empreinte",
        "Mamoudzou",
        "35\u202f000,00\xa0€",
        "Journal d'audit du dossier",
    ):
        assert attendu in page, attendu
    for piece in dossier.pieces_courantes:
        assert f"/dossiers/{dossier.id}/pieces/{piece.id}" in page
