"""The documents a service issues, as a jurist and a validator read them: every PDF tagged and PDF/A (structure
tree, MarkInfo, language, XMP with the PDF/A identification, title and author), the receipt and each kind of
letter with the mentions the law requires — and only where due —, the DOCX convention's properties, and a second
service (La Réunion) whose documents carry nothing of Mayotte."""

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pypdf
import pytest
from flask import render_template
from sqlalchemy import select
from weasyprint import HTML

from aap.extensions import db
from aap.fichiers import Fichier, lire
from aap.formats import date_fr
from aap.mentions import date_rejet_implicite
from candidatures import instruction
from candidatures.depots import deposer
from conventions import avenants as conventions
from notation import operations as notation
from notation.models import Phase

from .test_conventions_tableau import OBJECTIFS

D = Decimal


def verifier_pdf(octets):
    """The PDF's tags, language and XMP; returns (title, its text with plain spaces)."""
    lecteur = pypdf.PdfReader(io.BytesIO(octets))
    catalogue = lecteur.trailer["/Root"]
    assert "/StructTreeRoot" in catalogue, "PDF non balisé (pas d'arbre de structure)"
    assert catalogue["/StructTreeRoot"].get_object()["/K"], "arbre de structure vide"
    assert bool(catalogue["/MarkInfo"]["/Marked"])
    assert catalogue["/Lang"] == "fr"
    xmp = catalogue["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="U"' in xmp, "identification PDF/A absente du XMP"
    titre = re.search(r"<dc:title>.*?<rdf:li[^>]*>(.*?)</rdf:li>", xmp, re.S).group(1)
    auteur = re.search(r"<dc:creator>.*?<rdf:li>(.*?)</rdf:li>", xmp, re.S).group(1)
    assert titre and titre == lecteur.metadata.title
    assert "<xmp:CreateDate>" in xmp and auteur == lecteur.metadata.author
    assert catalogue["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    texte = " ".join(page.extract_text() for page in lecteur.pages)
    return titre, auteur, " ".join(texte.replace("\u202f", " ").replace("\xa0", " ").split())


GABARITS = Path(__file__).resolve().parents[1] / "templates"


def gabarits_pdf():
    """Every template that renders a PDF: it includes the PDF metadata, or extends the letter that does."""
    return {
        str(chemin.relative_to(GABARITS))
        for chemin in GABARITS.rglob("*.html")
        if str(chemin.relative_to(GABARITS)) != "documents/lettre.html"
        and re.search(r'include "_meta_pdf.html"|extends "documents/lettre.html"', chemin.read_text(encoding="utf-8"))
    }


@pytest.fixture
def reunion(fab, monkeypatch):
    """A whole year of documents of the La Réunion service: receipts, an irrecevabilité, a COPIL session closed on
    a full grant, a partial one, an adjournment and a rejection (letters and minutes), the convention (PDF and
    DOCX) and its non-renewal."""
    # Chaque PDF rendu par l'application (aap.pdf.rendre_pdf), et le gabarit d'où il vient.
    gabarits, produits = [], []

    class Espion(HTML):
        def write_pdf(self, *args, **kwargs):
            produits.append(super().write_pdf(*args, **kwargs))
            return produits[-1]

    monkeypatch.setattr("aap.pdf.HTML", Espion)
    monkeypatch.setattr("aap.pdf.render_template", lambda gabarit, **c: gabarits.append(gabarit) or render_template(gabarit, **c))
    service = fab.service(code="974")
    agent = fab.utilisateur("agent", service=service, prenom="Zaïnaba", nom="Ahamada")
    campagne = fab.campagne(service=service, etat="ouverte", credits=D("200000.00"))
    depots = []
    for _ in range(6):
        dossier = fab.dossier(statut="brouillon", campagne=campagne)
        depots.append(deposer(dossier, par=fab.porteur_de(dossier.structure)))
        db.session.commit()
    dossiers = [depot.dossier for depot in depots]
    instruction.declarer_irrecevable(dossiers[5], par=agent, motif="Attestation de structure d'une autre association.")
    for dossier in dossiers[:4]:
        instruction.declarer_recevable(dossier, par=agent, le=dossier.depose_le.date())
    db.session.commit()
    seance = fab.seance(
        campagne=campagne, membres=[agent], president=agent, dossiers=dossiers[:4], phase=Phase.DELIBERATION, lieu="Saint-Denis"
    )
    decisions = {
        "retenu": fab.decision(dossier=dossiers[0], seance=seance, notifie_le=None, montant_accorde=dossiers[0].montant_demande),
        "partiel": fab.decision(dossier=dossiers[1], seance=seance, notifie_le=None, montant_accorde=D("30000.00"), motif=""),
        "ajourne": fab.decision("ajourne", dossier=dossiers[2], seance=seance, notifie_le=None, motif="Budget à consolider"),
        "rejete": fab.decision("rejete", dossier=dossiers[3], seance=seance, notifie_le=None, motif="Projet trop peu étayé"),
    }
    notation.changer_phase(seance, Phase.CLOSE, par=agent, confirmer=True)
    db.session.commit()
    convention = fab.convention(
        decision=decisions["retenu"], date_effet=date.today(), par=agent, objectifs=OBJECTIFS, signee=True
    )
    conventions.ne_pas_renouveler(convention, motif="Objectifs de l'année très loin d'être atteints.", par=agent)
    db.session.commit()
    return {
        "gabarits": gabarits,
        "produits": produits,
        "service": service,
        "agent": agent,
        "depots": depots,
        "dossiers": dossiers,
        "decisions": decisions,
        "convention": convention,
    }


DOCUMENTS = ("accuse-reception-", "irrecevabilite-", "notification-", "proces-verbal-", "non-renouvellement-")


def _pdf_du_service(service):
    """The PDFs the application made for the service (not the pieces and scans people uploaded)."""
    fichiers = db.session.scalars(select(Fichier).where(Fichier.service_id == service.id, Fichier.extension == "pdf"))
    return [f for f in fichiers if f.nom.startswith(DOCUMENTS)]


def test_chaque_pdf_est_balise_pdf_a_et_au_nom_de_la_reunion(reunion):
    # Chaque gabarit de document PDF de l'application a été rendu ici : aucun n'échappe aux contrôles.
    assert set(reunion["gabarits"]) == gabarits_pdf()
    titres = set()
    for octets in reunion["produits"]:
        titre, auteur, texte = verifier_pdf(octets)
        titres.add(titre.split(" — ")[0])
        assert auteur == "DEETS de La Réunion"
        assert "La Réunion" in texte, titre
        # Rien de Mayotte : ni son préfet, ni son tribunal, ni son lieu de signature, ni son heure.
        assert not re.search(r"Mayotte|Mamoudzou|Dzaoudzi", texte), (titre, re.findall(r".{60}Mayotte.{20}", texte))
    assert titres >= {
        "Accusé de réception",
        "Irrecevabilité",
        "Notification de la décision",
        "Procès-verbal",
        "Convention n° " + reunion["convention"].numero,
        "Non-renouvellement",
    }, titres


def _texte(fichier):
    return verifier_pdf(lire(fichier))[2]


MENTIONS_ACCUSE = (
    "DEETS de La Réunion",
    "112, rue de la République 97488 Saint-Denis Cedex",
    "Courriel : contact-974@deets.gouv.fr",
    "Téléphone : 02 62 94 07 07",
    "article L. 231-4, 3°",
    "Voies et délais de recours",
    "recours gracieux auprès du préfet de La Réunion",
    "devant le tribunal administratif de La Réunion",
    "Télérecours",
    "L232-4",
    "L. 114-5",
)
RECOURS = "Voies et délais de recours"
# Lettre : (mentions présentes, mentions absentes). Une décision favorable et entière n'a ni motifs ni recours.
LETTRES = {
    "retenu": (["est retenu", "Montant accordé"], [RECOURS, "Motifs"]),
    "partiel": (["pour un montant inférieur à votre demande", "Motifs de l'attribution partielle", RECOURS], []),
    "ajourne": (["est ajourné", "Motifs de l'ajournement : Budget à consolider", RECOURS], ["Montant accordé"]),
    "rejete": (["n'est pas retenu", "Motifs du rejet : Projet trop peu étayé", RECOURS], ["Montant accordé"]),
    "irrecevabilite-": (["Motifs de l'irrecevabilité : Attestation de structure", RECOURS], ["Montant accordé"]),
    "non-renouvellement-": (["n'est pas renouvelée", "Motifs du non-renouvellement : Objectifs", RECOURS], []),
}


def test_l_accuse_et_chaque_lettre_portent_les_mentions_dues_et_elles_seules(reunion):
    depot = reunion["depots"][0]
    texte = _texte(depot.accuse)
    local = depot.depose_le.astimezone(ZoneInfo("Indian/Reunion"))
    assert f"à {local.hour} h {local:%M} (heure de La Réunion)" in texte
    assert f"Réputée rejetée le {date_fr(date_rejet_implicite(depot.depose_le, 'Indian/Reunion'))}" in texte
    for mention in MENTIONS_ACCUSE:
        assert mention in texte, mention

    fichiers = _pdf_du_service(reunion["service"])
    qualite = "Directrice de l'économie, de l'emploi, du travail et des solidarités"
    for cle, (presentes, absentes) in LETTRES.items():
        nom = f"notification-{reunion['decisions'][cle].dossier.numero}" if cle in reunion["decisions"] else cle
        texte = _texte(next(f for f in fichiers if nom in f.nom))
        assert f"Pour le préfet de La Réunion et par délégation, {qualite} Marie Hoarau" in texte, cle
        assert "Saint-Denis, le " in texte and "97400 Saint-Denis" in texte, cle  # lieu ; adresse complète du destinataire
        for mention in presentes:
            assert mention in texte, (cle, mention)
        for mention in absentes:
            assert mention not in texte, (cle, mention)
        if RECOURS in presentes:
            assert "tribunal administratif de La Réunion" in texte and "Télérecours" in texte, cle


def test_la_convention_docx_a_titre_auteur_dates_et_langue_francaise(reunion):
    annee = reunion["convention"].premiere
    document = docx.Document(io.BytesIO(lire(annee.document_modifiable)))
    proprietes = document.core_properties
    assert proprietes.title == f"Convention n° {reunion['convention'].numero}"
    assert proprietes.author == "DEETS de La Réunion" and proprietes.language == "fr-FR"
    assert proprietes.created.year >= 2026 and "python-docx" not in (proprietes.comments + proprietes.author)
    assert 'w:val="fr-FR"' in document.styles.element.xml
    texte = "\n".join(p.text for p in document.paragraphs)
    assert "Fait à Saint-Denis" in texte and "Mamoudzou" not in texte
    # Le titre ne nomme que le poste financé (un facilitateur, pas de coordinateur).
    assert "relative au financement d'un poste de facilitateur de la clause sociale d'insertion" in texte
