"""Hostile files through every upload route of the product, found from the views' code so that a new one
cannot be forgotten: `tests/test_televersements.py` sends its corpus to the dossier's pieces (page, autosave,
API); here the standing documents of the structure, a piece sent in answer to a request for complements, and
the conventions' uploads (the signed copy, by page and API; a report's pieces, by page and API) get the whole
corpus, and every route gets what that corpus lacked (a zip bomb disguised as DOCX, a NUL in
the name). Each file is refused with a French message and leaves nothing behind (no row, no file, no audit
entry); a PDF carrying JavaScript is accepted but flagged, to the porteur and to the agent; the name on disk
never comes from the user.
"""

import inspect
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aap.extensions import db
from aap.fichiers import Fichier
from aap.models import EntreeJournal
from aap.types import maintenant
from candidatures import instruction
from candidatures.models import DocumentStructure, Piece
from conventions.models import AnneeConvention, PieceBilan

from . import contenus
from .conftest import texte
from .fabrique_conventions import documents_rapides  # noqa: F401  (fixture : documents d'une page)
from .test_televersements import HOSTILES

TAILLE_MAX = 40_000
NOUVEAUX = [
    ("bombe de décompression en .docx", "rapport.docx", contenus.bombe_docx(2 * 1024 * 1024), "anormalement compressé"),
    ("NUL dans le nom", "rapport\x00.pdf", contenus.pdf(), "caractères non permis"),
]
CORPUS = HOSTILES + NOUVEAUX
CHEMIN_STOCKE = re.compile(r"^\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|docx|odt|ods|xlsx|jpg|png)$")

# Les routes qui reçoivent un fichier : endpoint → comment l'éprouver ici (ou dans test_televersements).
ROUTES = {
    "candidatures.ajouter_piece": "pièce du dossier (page, enregistrement automatique, compléments)",
    "api_candidatures.envoyer_piece": "pièce du dossier (API)",
    "structures.ajouter_document": "document permanent de la structure (page)",
    "conventions.signature": "exemplaire signé de la convention (page)",
    "api_conventions.signer": "exemplaire signé de la convention (API)",
    "conventions.piece_bilan": "pièce d'un bilan (page)",
    "api_conventions.joindre": "pièce d'un bilan (API)",
}


def test_chaque_route_de_televersement_est_eprouvee(app):
    recoivent = set()
    for regle in app.url_map.iter_rules():
        source = inspect.getsource(inspect.unwrap(app.view_functions[regle.endpoint]))
        if "request.files" in source or 'location="multipart"' in source or "FileField" in source:
            recoivent.add(regle.endpoint)
    assert recoivent == set(ROUTES)


def _contenu(contenu):
    return contenus.pdf().ljust(TAILLE_MAX + 1, b" ") if contenu is None else contenu


def _etat(app):
    fichiers = sorted(p.name for p in Path(app.config["FICHIERS_DIR"]).rglob("*") if p.is_file())
    compter = lambda modele: db.session.scalar(select(func.count()).select_from(modele))  # noqa: E731
    signees = db.session.scalar(select(func.count()).where(AnneeConvention.signee_le.is_not(None)))
    return (
        fichiers,
        compter(Fichier),
        compter(Piece),
        compter(DocumentStructure),
        compter(PieceBilan),
        signees,
        compter(EntreeJournal),
    )


@pytest.fixture
def monde(request, app, fab, client_de):
    app.config["TAILLE_MAX_PIECE"] = TAILLE_MAX
    structure = fab.structure_complete()
    porteur = fab.porteur_de(structure)
    brouillon = fab.dossier(statut="brouillon", complet=False, structure=structure, porteur=porteur)
    complements = fab.dossier(statut="depose", structure=structure, porteur=porteur)
    agent = fab.agent_de(structure.service)
    instruction.demander_complements(
        complements,
        par=agent,
        rubriques=[],
        pieces=["comptes_annuels"],
        date_limite=maintenant().date() + timedelta(days=15),
        message="Merci de joindre les comptes.",
    )
    db.session.commit()
    jeton, _ = fab.jeton(porteur)
    conventions = {}
    if request.node.callspec.params.get("route", "").startswith(("signature", "bilan")):
        request.getfixturevalue("documents_rapides")
        # Deux conventions de la structure : l'une à signer, l'autre signée (ses bilans se remplissent).
        a_signer = fab.convention(decision=fab.decision(dossier=fab.dossier_pour_copil(structure=structure)), par=agent)
        signee = fab.convention(
            decision=fab.decision(dossier=fab.dossier_pour_copil(structure=structure)), par=agent, signee=True
        )
        jeton_agent, _ = fab.jeton(agent)
        conventions = {
            "a_signer": a_signer.id,
            "signee": signee.id,
            "bilan": signee.premiere.bilan_annuel.id,
            "jeton_agent": jeton_agent,
        }
    return conventions | {
        "brouillon": brouillon.id,
        "complements": complements.id,
        "session": client_de(porteur),
        "jeton": jeton,
        "agent": client_de(agent),
        "structure": structure.id,
    }


def _envoyer(monde, route, nom, contenu):
    """(status, message of the refusal or page text) for one file sent through `route`."""
    session = monde["session"]
    fichier = (io.BytesIO(contenu), nom)
    if route == "document":
        reponse = session.post(
            "/structure/documents",
            content_type="multipart/form-data",
            data={"type": "statuts", "annee": "2019", "libelle": "Statuts modifiés", "fichier": fichier},
        )
        return reponse.status_code, texte(reponse)
    if route == "complements":
        reponse = session.post(
            f"/dossiers/{monde['complements']}/pieces",
            content_type="multipart/form-data",
            data={"code": "comptes_annuels", "fichier": fichier},
        )
        return reponse.status_code, texte(reponse)
    if route == "piece":
        reponse = session.post(
            f"/dossiers/{monde['brouillon']}/pieces",
            content_type="multipart/form-data",
            data={"code": "autre", "libelle": "Lettre de soutien", "fichier": fichier},
        )
        return reponse.status_code, texte(reponse)
    if route in ("signature", "signature_api"):
        api = route == "signature_api"
        reponse = monde["agent"].post(
            f"{'/api/v1' if api else ''}/conventions/{monde['a_signer']}/annees/1/signature",
            content_type="multipart/form-data",
            headers={"Authorization": f"Bearer {monde['jeton_agent']}"} if api else {},
            data={"signee_le": maintenant().date().isoformat(), "scan": fichier},
        )
    elif route in ("bilan", "bilan_api"):
        api = route == "bilan_api"
        adresse = (
            f"/api/v1/bilans/{monde['bilan']}/pieces" if api else f"/conventions/{monde['signee']}/bilans/{monde['bilan']}/pieces"
        )
        reponse = session.post(
            adresse,
            content_type="multipart/form-data",
            headers={"Authorization": f"Bearer {monde['jeton']}"} if api else {},
            data={"nature": "compte_rendu_financier", "libelle": "Cerfa 15059", "fichier": fichier},
        )
    else:
        reponse = None
    if reponse is not None and reponse.mimetype == "text/html":
        return reponse.status_code, texte(reponse)
    if reponse is not None:
        return reponse.status_code, " ".join(e["message"] for e in reponse.json.get("errors", []))
    reponse = session.post(
        f"/api/v1/dossiers/{monde['brouillon']}/pieces",
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {monde['jeton']}"},
        data={"code": "autre", "libelle": "Lettre de soutien", "fichier": fichier},
    )
    return reponse.status_code, " ".join(e["message"] for e in reponse.json.get("errors", []))


@pytest.mark.parametrize(
    ("route", "corpus"),
    [
        ("document", CORPUS),
        ("complements", CORPUS),
        ("piece", NOUVEAUX),
        ("api", NOUVEAUX),
        ("signature", CORPUS),
        ("signature_api", CORPUS),
        ("bilan", CORPUS),
        ("bilan_api", CORPUS),
    ],
    ids=[
        "documents du profil",
        "pièce en réponse aux compléments",
        "pièce (page)",
        "pièce (API)",
        "exemplaire signé (page)",
        "exemplaire signé (API)",
        "pièce de bilan (page)",
        "pièce de bilan (API)",
    ],
)
def test_chaque_fichier_hostile_est_refuse_en_francais_sans_rien_laisser(app, monde, route, corpus):
    avant = _etat(app)
    for cas, nom, contenu, message in corpus:
        statut, reponse = _envoyer(monde, route, nom, _contenu(contenu))
        assert statut == 422, f"{cas} : {statut}"
        assert message in reponse, f"{cas} : « {message} » absent"
        assert _etat(app) == avant, f"{cas} : quelque chose est resté"
    # Le même envoi, avec un fichier sain, passe : ce sont bien les fichiers qui étaient refusés.
    statut, _ = _envoyer(monde, route, "Comptes 2024 été.pdf", contenus.pdf("sain"))
    assert statut in (200, 201, 302)


@pytest.mark.parametrize("route", ["document", "complements", "piece", "api", "signature", "bilan"])
def test_un_pdf_avec_javascript_est_accepte_signale_et_range_sous_un_nom_a_nous(app, monde, route):
    statut, _ = _envoyer(monde, route, "Formulaire rempli.pdf", contenus.pdf_avec_javascript())
    assert statut in (200, 201, 302)
    fichier = db.session.scalars(select(Fichier).order_by(Fichier.id.desc())).first()
    assert "JavaScript" in fichier.alerte
    assert CHEMIN_STOCKE.match(fichier.chemin), fichier.chemin
    assert "Formulaire" not in fichier.chemin and fichier.nom == "Formulaire rempli.pdf"
    if route == "document":
        pages = [monde["session"].get("/structure"), monde["agent"].get(f"/structures/{monde['structure']}")]
    elif route == "signature":
        pages = [acteur.get(f"/conventions/{monde['a_signer']}") for acteur in (monde["session"], monde["agent"])]
    elif route == "bilan":
        adresse = f"/conventions/{monde['signee']}/bilans/{monde['bilan']}"
        pages = [acteur.get(adresse) for acteur in (monde["session"], monde["agent"])]
    else:
        dossier = monde["complements"] if route == "complements" else monde["brouillon"]
        pages = [monde["session"].get(f"/dossiers/{dossier}/etapes/pieces" if route != "complements" else f"/dossiers/{dossier}")]
        if route == "complements":
            pages.append(monde["agent"].get(f"/dossiers/{dossier}"))
    for page in pages:
        assert page.status_code == 200 and fichier.alerte in texte(page), page.request.path
