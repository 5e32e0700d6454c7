"""The applicant's path: create a dossier, fill its steps (with and without JavaScript), see the checks,
file it once, get a real PDF receipt by email; standing documents reused; drafts never silently overwritten."""

import io
import json
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlalchemy import func, select

from aap.extensions import db
from aap.fichiers import Fichier
from aap.models import EntreeJournal
from aap.types import maintenant
from candidatures.models import ChangementStatut, Depot, Dossier, LigneBudget, Piece

from . import contenus
from .conftest import texte

AUTO = {"X-Enregistrement-Auto": "1", "Accept": "application/json"}


@pytest.fixture
def brouillon(fab):
    """A bare draft of a complete structure, with its member."""
    dossier = fab.dossier(statut="brouillon", complet=False, titre="Projet Koungou")
    return dossier, fab.porteur_de(dossier.structure)


def etape(session, dossier, rubrique, donnees, **kwargs):
    return session.post(f"/dossiers/{dossier.id}/etapes/{rubrique}", data={"version": dossier.version} | donnees, **kwargs)


def test_creer_un_dossier_depuis_la_page_de_la_campagne(client_de, fab):
    structure = fab.structure_complete()
    porteur = fab.porteur_de(structure)
    campagne = fab.campagne_ouverte(structure.service)
    fab.document(structure, "comptes_annuels")
    session = client_de(porteur)
    assert "Déposer un dossier" in texte(session.get(f"/campagnes/{campagne.id}"))
    reponse = session.post("/dossiers/nouveau", data={"campagne_id": campagne.id, "titre": "Clauses à Mamoudzou"})
    assert reponse.status_code == 302
    dossier = db.session.scalar(select(Dossier).where(Dossier.structure_id == structure.id))
    assert reponse.headers["Location"] == f"/dossiers/{dossier.id}/etapes/projet"
    assert (dossier.statut, dossier.titre) == ("brouillon", "Clauses à Mamoudzou")
    assert dossier.service_id == campagne.service_id
    # « Dites-le-nous une fois » : les comptes annuels du profil sont déjà dans le dossier.
    assert [p.code for p in dossier.pieces_courantes] == ["comptes_annuels"]
    assert db.session.scalar(select(EntreeJournal.action).where(EntreeJournal.objet_type == "dossiers")) == ("dossier.creation")


def test_une_campagne_close_n_accepte_pas_de_nouveau_dossier(client_de, fab):
    structure = fab.structure_complete()
    campagne = fab.campagne(service=structure.service, etat="cloturee")
    reponse = client_de(fab.porteur_de(structure)).post(
        "/dossiers/nouveau", data={"campagne_id": campagne.id, "titre": "Trop tard"}
    )
    assert reponse.status_code == 422
    assert db.session.scalar(select(func.count(Dossier.id))) == 0


def test_chaque_etape_s_enregistre_sans_javascript(client_de, brouillon):
    dossier, porteur = brouillon
    session = client_de(porteur)
    reponse = etape(
        session,
        dossier,
        "projet",
        {"titre": "Facilitation Grand Nord", "etp_facilitateur": "0,5", "etp_coordinateur": "", "action": "continuer"},
    )
    assert reponse.status_code == 302 and reponse.headers["Location"].endswith("/etapes/territoire")
    db.session.refresh(dossier)
    assert (dossier.titre, dossier.etp_facilitateur, dossier.version) == ("Facilitation Grand Nord", Decimal("0.5"), 2)
    missions = [m.id for m in dossier.campagne.missions if m.poste == "facilitateur"][:2]
    etape(
        session,
        dossier,
        "territoire",
        {"communes": ["97610", "97602"], "zone_blanche": "y", "zone_blanche_justification": "Bandraboua n'est pas couverte."},
    )
    db.session.refresh(dossier)
    etape(
        session,
        dossier,
        "strategie",
        {"diagnostic": "Diagnostic", "objectifs": "Objectifs", "strategie": "Stratégie", "missions": [str(m) for m in missions]},
    )
    db.session.refresh(dossier)
    etape(session, dossier, "activite", {"calendrier": "Janvier", "nombre_npnru": "3", "heures_npnru": "9000"})
    db.session.refresh(dossier)
    assert [c.code for c in dossier.communes] == ["97602", "97610"]
    assert dossier.zone_blanche and [m.id for m in dossier.missions] == missions
    assert [(v.categorie, v.nombre_marches, v.heures_insertion) for v in dossier.volumes] == [("npnru", 3, 9000)]


def test_le_budget_en_francais_et_ses_chiffres_calcules(client_de, brouillon):
    dossier, porteur = brouillon
    reponse = etape(
        client_de(porteur),
        dossier,
        "budget",
        {
            "salaires_1": "42 000",
            "fonctionnement_1": "8 000,50",
            "etat_aap_1": "35000,35",
            "collectivites_1": "15 000,15",
            "collectivites_precision": "Conseil départemental",
        },
        follow_redirects=True,
    )
    page = texte(reponse)
    assert "35\u202f000,35\xa0€ (70\u202f%)" in page  # part de l'État et son taux
    assert "35\u202f000,35\xa0€" in page and "équilibré" in page
    ligne = db.session.scalar(select(LigneBudget).where(LigneBudget.categorie == "fonctionnement"))
    assert ligne.montant_annee1 == Decimal("8000.50")
    db.session.refresh(dossier)
    assert dossier.montant_demande == Decimal("35000.35")


@pytest.mark.parametrize(
    ("rubrique", "donnees", "champ", "message"),
    [
        ("projet", {"titre": "Mon titre", "etp_facilitateur": "0,43"}, "etp_facilitateur", "pas de 0,05"),
        ("projet", {"titre": "Mon titre", "etp_facilitateur": "un demi"}, "etp_facilitateur", "Nombre d'ETP invalide"),
        ("budget", {"salaires_precision": "Mon titre", "salaires_1": "12.345"}, "salaires_1", "Au plus 2 décimales"),
        ("budget", {"salaires_precision": "Mon titre", "salaires_1": "-5"}, "salaires_1", "positif"),
        ("activite", {"calendrier": "Mon titre", "heures_npnru": "beaucoup"}, "heures_npnru", "N'est pas un entier valide."),
    ],
)
def test_une_saisie_invalide_est_expliquee_a_cote_du_champ_et_rien_n_est_perdu(
    client_de, brouillon, rubrique, donnees, champ, message
):
    dossier, porteur = brouillon
    reponse = etape(client_de(porteur), dossier, rubrique, donnees)
    assert reponse.status_code == 422
    page = texte(reponse)
    assert f'href="#{champ}"' in page and f'id="{champ}-erreur"' in page
    assert message in page
    assert 'value="Mon titre"' in page or "Mon titre</textarea>" in page  # ce qui était tapé est resté
    db.session.refresh(dossier)
    assert dossier.version == 1


def test_enregistrement_automatique_renvoie_la_version_et_la_liste_a_jour(client_de, brouillon):
    dossier, porteur = brouillon
    session = client_de(porteur)
    reponse = etape(session, dossier, "projet", {"titre": "T", "etp_facilitateur": "0,4"}, headers=AUTO)
    assert reponse.status_code == 200
    corps = reponse.json
    assert corps["version"] == 2
    assert "il en compte 0,4" in corps["fragments"]["liste-controles"]
    assert "Étapes du dossier" in corps["fragments"]["menu-etapes"]
    # Une valeur invalide : 422 en JSON, avec le message en français ; rien n'est écrit.
    reponse = session.post(f"/dossiers/{dossier.id}/etapes/projet", data={"version": 2, "etp_facilitateur": "abc"}, headers=AUTO)
    assert reponse.status_code == 422
    assert reponse.json["errors"][0]["field"] == "etp_facilitateur"


def test_deux_onglets_ne_s_ecrasent_jamais(client_de, brouillon):
    dossier, porteur = brouillon
    onglet_a, onglet_b = client_de(porteur), client_de(porteur)
    assert etape(onglet_a, dossier, "projet", {"titre": "Version A"}, headers=AUTO).status_code == 200
    # L'onglet B a lu la version 1 : son enregistrement est refusé, rien n'est écrasé.
    reponse = etape(onglet_b, dossier, "projet", {"titre": "Version B", "version": 1}, headers=AUTO)
    assert reponse.status_code == 409
    assert "Rien n'a été écrasé" in reponse.json["errors"][0]["message"]
    db.session.refresh(dossier)
    assert dossier.titre == "Version A"
    # Sans JavaScript : la page explique, garde la saisie, et propose la version courante.
    reponse = etape(onglet_b, dossier, "projet", {"titre": "Version B", "version": 1})
    assert reponse.status_code == 409
    page = texte(reponse)
    assert "Modification concurrente" in page and 'value="Version B"' in page and 'value="2"' in page


def test_rien_n_est_ecrit_quand_rien_ne_change(client_de, brouillon):
    dossier, porteur = brouillon
    session = client_de(porteur)
    avant = db.session.scalar(select(func.count(EntreeJournal.id)))
    reponse = etape(session, dossier, "projet", {"titre": "Projet Koungou", "etp_facilitateur": ""}, headers=AUTO)
    assert reponse.status_code == 200 and reponse.json["version"] == 1
    assert db.session.scalar(select(func.count(EntreeJournal.id))) == avant


def test_la_liste_des_controles_passe_au_vert(client_de, fab):
    dossier = fab.dossier(statut="brouillon")
    porteur = fab.porteur_de(dossier.structure)
    session = client_de(porteur)
    assert "Aucun point bloquant : le dossier peut être déposé." in texte(session.get(f"/dossiers/{dossier.id}"))
    etape(
        session,
        dossier,
        "engagements",
        {"engagement_non_baisse": "", "declaration_honneur": "y", "signataire_nom": "A", "signataire_qualite": "Président"},
    )
    page = texte(session.get(f"/dossiers/{dossier.id}/depot"))
    assert "1 point bloquant à corriger" in page
    assert "Prenez l'engagement de ne pas baisser" in page


def test_deposer_numero_instantane_accuse_pdf_et_courriel(client_de, fab, serveur_smtp):
    dossier = fab.dossier(statut="brouillon")
    porteur = fab.porteur_de(dossier.structure)
    session = client_de(porteur)
    reponse = session.post(f"/dossiers/{dossier.id}/depot", data={"version": dossier.version})
    assert reponse.status_code == 302
    db.session.refresh(dossier)
    annee = dossier.campagne.annee
    assert dossier.statut == "depose" and dossier.numero == f"AAP-{annee}-976-0001"
    [depot] = dossier.depots
    contenu = json.loads(depot.instantane)
    assert {p["sha256"] for p in contenu["pieces"]} == {p.fichier.sha256 for p in dossier.pieces_courantes}
    assert contenu["budget"]["etat_aap"]["montants"][0] == "35000.00"

    # L'accusé : un vrai PDF, à l'écran et par courriel, avec l'heure de Mayotte et les empreintes.
    page = texte(session.get(f"/dossiers/{dossier.id}"))
    assert "accusé de réception (PDF)" in page
    pdf = session.get(f"/dossiers/{dossier.id}/depots/1/accuse.pdf")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    lecteur = pypdf.PdfReader(io.BytesIO(pdf.data))
    texte_pdf = " ".join(p.extract_text() for p in lecteur.pages)
    assert dossier.numero in texte_pdf and "heure de Mayotte" in texte_pdf
    local = depot.depose_le.astimezone(ZoneInfo("Indian/Mayotte"))
    assert f"{local.hour}\u00a0h\u00a0{local:%M}" in texte_pdf
    for piece in dossier.pieces_courantes:
        assert piece.fichier.sha256[:32] in texte_pdf.replace("\n", "")
    assert dossier.campagne.courriel_contact in texte_pdf

    [message] = serveur_smtp.pour(porteur.email)
    assert message["Subject"] == f"Accusé de réception de votre dossier {dossier.numero}"
    [jointe] = list(message.iter_attachments())
    assert jointe.get_content_type() == "application/pdf" and jointe.get_content() == pdf.data
    assert depot.empreinte in serveur_smtp.texte(message)
    assert serveur_smtp.pour(dossier.campagne.courriel_contact)  # le service est prévenu


def test_deposer_deux_fois_ne_depose_qu_une_fois(client_de, fab):
    dossier = fab.dossier(statut="brouillon")
    session = client_de(fab.porteur_de(dossier.structure))
    version = dossier.version
    assert session.post(f"/dossiers/{dossier.id}/depot", data={"version": version}).status_code == 302
    reponse = session.post(f"/dossiers/{dossier.id}/depot", data={"version": version}, follow_redirects=True)
    assert "Ce dossier est déjà déposé" in texte(reponse)
    assert db.session.scalar(select(func.count(Depot.id))) == 1
    assert db.session.scalar(select(func.count(ChangementStatut.id)).where(ChangementStatut.statut == "depose")) == 1


def test_le_depot_est_refuse_avec_un_point_bloquant_ou_apres_la_cloture(client_de, fab):
    dossier = fab.dossier(statut="brouillon", etp_facilitateur=Decimal("0.4"))
    session = client_de(fab.porteur_de(dossier.structure))
    reponse = session.post(f"/dossiers/{dossier.id}/depot", data={"version": dossier.version})
    assert reponse.status_code == 422
    assert "1 point bloquant" in texte(reponse) and "au moins 0,5 ETP" in texte(reponse)
    dossier.campagne.cloture_le = maintenant() - timedelta(minutes=2)
    dossier.etp_facilitateur = Decimal("1")
    db.session.commit()
    reponse = session.post(f"/dossiers/{dossier.id}/depot", data={"version": dossier.version})
    assert reponse.status_code == 422 and "La date limite de dépôt est passée" in texte(reponse)
    db.session.refresh(dossier)
    assert dossier.statut == "brouillon" and dossier.numero is None


def test_un_dossier_depose_n_est_plus_modifiable(client_de, fab):
    dossier = fab.dossier(statut="depose")
    session = client_de(fab.porteur_de(dossier.structure))
    reponse = etape(session, dossier, "projet", {"titre": "Changé après coup"})
    assert reponse.status_code == 302
    reponse = etape(session, dossier, "projet", {"titre": "Changé après coup"}, headers=AUTO)
    assert reponse.status_code == 422
    db.session.refresh(dossier)
    assert dossier.titre != "Changé après coup"
    piece = dossier.pieces_courantes[0]
    assert session.post(f"/dossiers/{dossier.id}/pieces/{piece.id}/retirer").status_code == 422
    db.session.refresh(piece)
    assert piece.en_vigueur


def test_pieces_remplacees_gardent_leur_historique_et_le_depot_garde_la_bonne(client_de, fab):
    dossier = fab.dossier(statut="brouillon")
    session = client_de(fab.porteur_de(dossier.structure))
    ancienne = next(p for p in dossier.pieces_courantes if p.code == "demande_subvention")
    reponse = session.post(
        f"/dossiers/{dossier.id}/pieces",
        data={
            "code": "demande_subvention",
            "fichier": (io.BytesIO(contenus.docx_valide("cerfa")), "cerfa 12156.docx"),
        },
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 302
    db.session.refresh(ancienne)
    assert ancienne.remplacee_le is not None
    page = texte(session.get(f"/dossiers/{dossier.id}/etapes/pieces"))
    assert "Historique des fichiers remplacés" in page and "cerfa 12156.docx" in page
    session.post(f"/dossiers/{dossier.id}/depot", data={"version": dossier.version})
    depot = db.session.scalar(select(Depot))
    noms = [p["nom"] for p in json.loads(depot.instantane)["pieces"]]
    assert "cerfa 12156.docx" in noms and ancienne.fichier.nom not in noms


def test_le_profil_de_la_structure_et_ses_documents_sont_repris(client_de, fab):
    structure = fab.structure_complete(soumise_cac=True)
    porteur = fab.porteur_de(structure)
    session = client_de(porteur)
    reponse = session.post(
        "/structure",
        data={
            "raison_sociale": "AMIC",
            "statut_juridique": "association",
            "adresse": "Kawéni",
            "code_postal": "97600",
            "commune_code": "97611",
            "representant_nom": "Ahmed",
            "representant_qualite": "Président",
            "etp_facilitateurs_existants": "1,5",
            "soumise_cac": "y",
            "annee_financements": "2025",
        },
    )
    assert reponse.status_code == 302
    db.session.refresh(structure)
    assert structure.etp_facilitateurs_existants == Decimal("1.5") and structure.raison_sociale == "AMIC"
    reponse = session.post(
        "/structure/documents",
        data={
            "type": "rapport_cac",
            "annee": "2024",
            "fichier": (io.BytesIO(contenus.pdf("CAC")), "rapport cac.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 302
    dossier = fab.dossier(statut="brouillon", complet=False, structure=structure)
    assert [p.code for p in dossier.pieces_courantes] == ["rapport_cac"]
    assert dossier.pieces_courantes[0].fichier_id == structure.documents[0].fichier_id  # le même fichier, pas une copie
    actions = db.session.scalars(select(EntreeJournal.action).where(EntreeJournal.objet_type == "structures")).all()
    assert {"structure.modification", "structure.document_ajout"} <= set(actions)


def test_financements_existants_du_profil(client_de, fab):
    structure = fab.structure_complete(sans_financement=True)
    session = client_de(fab.porteur_de(structure))
    reponse = session.post(
        "/structure/financements",
        data={
            "poste": "facilitateur",
            "financeur": "fse",
            "nom_financeur": "FSE",
            "montant_annee_precedente": "20 000",
            "montant_annee_courante": "18 500,50",
        },
    )
    assert reponse.status_code == 302
    db.session.refresh(structure)
    [financement] = structure.financements
    assert financement.montant_annee_courante == Decimal("18500.50")
    reponse = session.post(
        "/structure/financements",
        data={"poste": "facilitateur", "financeur": "fse", "nom_financeur": "", "montant_annee_courante": "x"},
    )
    assert reponse.status_code == 422 and "Nommez le financeur." in texte(reponse)


def test_historique_en_mots_simples_pour_le_porteur(client_de, fab):
    dossier = fab.dossier(statut="complements_demandes")
    page = texte(client_de(fab.porteur_de(dossier.structure)).get(f"/dossiers/{dossier.id}"))
    assert "La DEETS vous demande des compléments" in page
    assert "Merci de joindre les comptes 2023." in page
    assert "Par la DEETS" in page
    assert db.session.scalar(select(func.count(Fichier.id))) > 0
    assert db.session.scalar(select(func.count(Piece.id))) > 0
