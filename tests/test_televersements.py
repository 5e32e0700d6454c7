"""Hostile uploads through the dossier's page and the API: each refused with a French message next to the
file field, nothing stored (no row, no file), what else was typed kept."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aap.extensions import db
from aap.fichiers import Fichier
from candidatures.models import Piece

from . import contenus
from .conftest import texte

HOSTILES = [
    ("executable renommé en .pdf", "facture.pdf", contenus.executable(), "n'est pas d'un type accepté"),
    ("HTML renommé en .pdf", "lettre.pdf", contenus.html_deguise(), "n'est pas d'un type accepté"),
    ("fichier vide", "vide.pdf", b"", "Le fichier est vide"),
    ("trop gros", "gros.pdf", None, "dépasse la taille maximale de 39 ko"),
    ("chemin ../", "../../../etc/passwd.pdf", contenus.pdf(), "caractères non permis"),
    ("nom de 300 caractères", "n" * 296 + ".pdf", contenus.pdf(), "compte 300 caractères : 150 au plus"),
    ("inversion RTL", "rapport\u202efdp.exe", contenus.pdf(), "inversion du sens d'écriture"),
    ("macros", "budget.docx", contenus.docx_avec_macros(), "macros ne sont pas acceptés"),
]


@pytest.fixture
def dossier_et_session(app, fab, client_de):
    app.config["TAILLE_MAX_PIECE"] = 40_000
    dossier = fab.dossier(statut="brouillon", complet=False)
    db.session.commit()
    return dossier, client_de(fab.porteur_de(dossier.structure))


def stockes(app):
    return [p for p in Path(app.config["FICHIERS_DIR"]).rglob("*") if p.is_file()]


@pytest.mark.parametrize(("cas", "nom", "contenu", "message"), HOSTILES, ids=[h[0] for h in HOSTILES])
def test_page_refuse_garde_la_saisie_et_ne_stocke_rien(app, dossier_et_session, cas, nom, contenu, message):
    dossier, session = dossier_et_session
    contenu = contenus.pdf().ljust(40_001, b" ") if contenu is None else contenu
    fichiers_avant, lignes_avant = len(stockes(app)), db.session.scalar(select(func.count(Fichier.id)))
    reponse = session.post(
        f"/dossiers/{dossier.id}/pieces",
        data={
            "code": "autre",
            "libelle": "Lettre de soutien de la CCI",
            "fichier": (io.BytesIO(contenu), nom),
        },
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 422
    page = texte(reponse)
    assert message in page
    assert 'id="fichier-autre-erreur"' in page  # à côté du champ fichier, annoncé (role="alert")
    assert 'value="Lettre de soutien de la CCI"' in page  # le reste du formulaire est gardé
    assert len(stockes(app)) == fichiers_avant
    assert db.session.scalar(select(func.count(Fichier.id))) == lignes_avant
    assert db.session.scalar(select(func.count(Piece.id))) == 0


@pytest.mark.parametrize(("cas", "nom", "contenu", "message"), HOSTILES, ids=[h[0] for h in HOSTILES])
def test_enregistrement_automatique_et_api_refusent_de_meme(app, fab, dossier_et_session, cas, nom, contenu, message):
    dossier, session = dossier_et_session
    contenu = contenus.pdf().ljust(40_001, b" ") if contenu is None else contenu
    reponse = session.post(
        f"/dossiers/{dossier.id}/pieces",
        data={"code": "autre", "libelle": "Lettre", "fichier": (io.BytesIO(contenu), nom)},
        content_type="multipart/form-data",
        headers={"X-Enregistrement-Auto": "1", "Accept": "application/json"},
    )
    assert reponse.status_code == 422 and message in reponse.json["errors"][0]["message"]
    assert reponse.json["errors"][0]["field"] == "fichier"
    jeton, _ = fab.jeton(fab.porteur_de(dossier.structure))
    reponse = session.post(
        f"/api/v1/dossiers/{dossier.id}/pieces",
        headers={"Authorization": f"Bearer {jeton}"},
        data={"code": "autre", "libelle": "Lettre", "fichier": (io.BytesIO(contenu), nom)},
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 422 and message in reponse.json["errors"][0]["message"]
    assert stockes(app) == [] and db.session.scalar(select(func.count(Piece.id))) == 0


def test_un_document_du_profil_hostile_est_refuse_et_la_saisie_gardee(app, client_de, fab):
    structure = fab.structure_complete()
    session = client_de(fab.porteur_de(structure))
    reponse = session.post(
        "/structure/documents",
        data={
            "type": "statuts",
            "annee": "2019",
            "libelle": "Statuts modifiés",
            "fichier": (io.BytesIO(contenus.executable()), "statuts.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 422
    page = texte(reponse)
    assert "n'est pas d'un type accepté" in page and 'value="Statuts modifiés"' in page and 'value="2019"' in page
    assert stockes(app) == []


def test_sans_fichier_choisi(dossier_et_session):
    dossier, session = dossier_et_session
    reponse = session.post(f"/dossiers/{dossier.id}/pieces", data={"code": "comptes_annuels"}, content_type="multipart/form-data")
    assert reponse.status_code == 422 and "Choisissez un fichier à envoyer." in texte(reponse)


def test_une_piece_d_un_code_inconnu_est_refusee(dossier_et_session):
    dossier, session = dossier_et_session
    reponse = session.post(
        f"/dossiers/{dossier.id}/pieces",
        data={"code": "../../etc", "fichier": (io.BytesIO(contenus.pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert reponse.status_code == 422
    assert db.session.scalar(select(func.count(Piece.id))) == 0


def test_le_telechargement_est_en_piece_jointe_et_verifie(app, dossier_et_session, fab):
    dossier, session = dossier_et_session
    piece = fab.piece(dossier, "comptes_annuels", contenu=contenus.pdf("comptes"), nom="Comptes 2024 été.pdf")
    db.session.commit()
    reponse = session.get(f"/dossiers/{dossier.id}/pieces/{piece.id}")
    assert reponse.headers["Content-Disposition"].startswith("attachment")
    assert reponse.headers["X-Content-Type-Options"] == "nosniff"
    assert reponse.data == contenus.pdf("comptes")
    Path(app.config["FICHIERS_DIR"], piece.fichier.chemin).write_bytes(contenus.pdf("altéré"))
    reponse = session.get(f"/dossiers/{dossier.id}/pieces/{piece.id}")
    assert reponse.status_code == 500 and "ne correspond plus à l'empreinte" in texte(reponse)
