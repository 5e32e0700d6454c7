"""One world for the whole-product authorization table (`tests/table_autorisations.py`): two structures of
one service, their dossiers, COPIL sessions (one deliberating, one closed with its documents, one of
another member), a campaign an administrator may edit freely, and the ten actors of the table.

Conventions: A's convention, created by the agent from a retenu, notified decision more than a year ago, signed
(its signed copy), its advance paid, its annual report approved (the renewal decidable) and its first year's final
account approved with spendings under the advance (so a reversement to follow, the balance cancelled), its
intermediate report still to file with an annex attached; and a second notified decision of A awaiting its
convention.

`construire(fab)` returns `(acteurs, ids)`: `ids` fills the URL parameters of every route.
"""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

from aap.courriels import TENTATIVES_MAX
from aap.extensions import db
from aap.pdf import pdf_minimal
from aap.types import maintenant
from candidatures.models import FinancementExistant
from conventions import bilans as bilans_conventions
from conventions import documents as documents_conventions
from conventions import lecture as lecture_conventions
from conventions.models import TypeBilan
from notation import operations as operations_notation
from notation.models import Phase

from .fabrique_conventions import _DOCX as DOCX_MINIMAL

ACTEURS = (
    "anonyme",
    "porteur_a",
    "porteur_b",
    "membre",
    "deporte",
    "copil_autre",
    "agent",
    "agent_autre",
    "admin",
    "national",
)
TITRE_BROUILLON = "Brouillon secret de la structure A"
COMMENTAIRE_CONFIDENTIEL = "Commentaire confidentiel du membre sur A"


def construire(fab):
    service = fab.service()
    autre_service = fab.service(code="974", nom="DEETS de La Réunion")
    cloturee = fab.campagne(service=service, etat="cloturee")
    ouverte = fab.campagne_ouverte(service)
    libre = fab.campagne(service=service, etat="a_venir", annee=cloturee.annee + 5, publiee=False)
    structure_a = fab.structure_complete(service=service, raison_sociale="Structure A des tests d'accès")
    structure_b = fab.structure_complete(service=service, raison_sociale="Structure B des tests d'accès")
    porteur_a, porteur_b = fab.porteur_de(structure_a), fab.porteur_de(structure_b)
    agent = fab.utilisateur("agent", service=service)
    membre, deporte, copil_autre = (fab.utilisateur("copil", service=service) for _ in range(3))

    dossier = fab.dossier(statut="recevable", campagne=cloturee, structure=structure_a, porteur=porteur_a)
    dossier_clos = fab.dossier(
        statut="recevable", campagne=cloturee, structure=structure_a, porteur=porteur_a, titre="Dossier de A jugé en séance close"
    )
    dossier_b = fab.dossier(statut="recevable", campagne=cloturee, structure=structure_b, porteur=porteur_b)
    brouillon = fab.dossier(statut="brouillon", campagne=ouverte, structure=structure_a, porteur=porteur_a, titre=TITRE_BROUILLON)
    document = fab.document(structure_a, par=porteur_a)
    db.session.commit()

    # L'agent préside ; `membre` a noté ; `deporte` s'est déporté sur le dossier de A.
    seance = fab.seance(
        campagne=cloturee, membres=[agent, membre, deporte], president=agent, dossiers=[dossier], phase=Phase.DELIBERATION
    )
    fab.feuille(seance, dossier, membre, commentaires={"experience": COMMENTAIRE_CONFIDENTIEL})
    fab.feuille(seance, dossier, agent)
    fab.declaration(seance, dossier, deporte, conflit=True)

    close = fab.seance(
        campagne=cloturee,
        membres=[agent, membre, deporte],
        president=agent,
        dossiers=[dossier_clos],
        phase=Phase.DELIBERATION,
        tenue_le=seance.tenue_le,
    )
    fab.feuille(close, dossier_clos, membre, commentaires={"experience": COMMENTAIRE_CONFIDENTIEL})
    fab.feuille(close, dossier_clos, agent)
    fab.declaration(close, dossier_clos, deporte, conflit=True)
    decision_close = fab.decision(dossier=dossier_clos, seance=close, notifie_le=None, montant_accorde=Decimal("40000.00"))
    operations_notation.changer_phase(close, Phase.CLOSE, par=agent)
    db.session.commit()

    fab.seance(campagne=cloturee, membres=[copil_autre], dossiers=[dossier_b])
    en_attente = fab.utilisateur("porteur", structure=structure_a, rattachement_valide=False)
    _, jeton = fab.jeton(porteur_a)
    conventions = _conventions(fab, cloturee, structure_a, porteur_a, agent)

    financement = db.session.query(FinancementExistant).filter_by(structure_id=structure_a.id).first()
    pieces_brouillon = brouillon.pieces_courantes

    acteurs = {
        "anonyme": None,
        "porteur_a": porteur_a,
        "porteur_b": porteur_b,
        "membre": membre,
        "deporte": deporte,
        "copil_autre": copil_autre,
        "agent": agent,
        "agent_autre": fab.utilisateur("agent", service=autre_service),
        "admin": fab.utilisateur("admin", service=service),
        "national": fab.utilisateur("national"),
    }
    ids = {
        "dossier": dossier.id,
        "numero": dossier.numero,
        "numero_clos": dossier_clos.numero,
        "dossier_clos": dossier_clos.id,
        "brouillon": brouillon.id,
        "version_brouillon": brouillon.version,
        "piece": dossier.pieces_courantes[0].id,
        "piece_close": dossier_clos.pieces_courantes[0].id,
        "piece_brouillon": pieces_brouillon[0].id,
        "piece_brouillon_api": pieces_brouillon[1].id,
        "structure": structure_a.id,
        "service": service.id,
        "document": document.id,
        "financement": financement.id,
        "seance": seance.id,
        "seance_close": close.id,
        "decision_close": decision_close.id,
        "campagne": cloturee.id,
        "campagne_libre": libre.id,
        "critere_libre": libre.criteres[0].id,
        "mission_libre": libre.missions[0].id,
        "piece_campagne_libre": libre.pieces[0].id,
        "membre": membre.id,
        "en_attente": en_attente.id,
        "jeton": jeton.id,
        "compte_du_service": deporte.id,
        "courriel": fab.courriel(service=service, tentatives=TENTATIVES_MAX, erreur="Connection refused").id,
        **conventions,
    }
    db.session.commit()
    return acteurs, ids


def _conventions(fab, campagne, structure_a, porteur_a, agent):
    """A's convention at its first year's end (see the module's docstring), and a decision awaiting its convention.
    Its documents are one-page files: WeasyPrint's cost a second each and prove nothing about who may read them."""
    with (
        mock.patch.object(documents_conventions, "pdf", lambda annee: pdf_minimal(f"{annee.intitule} {annee.convention.numero}")),
        mock.patch.object(documents_conventions, "docx_", lambda annee: DOCX_MINIMAL),
    ):
        # Notifiée il y a plus d'un an : la première année est finie, son compte rendu financier peut se déposer.
        decision = fab.decision(
            dossier=fab.dossier(statut="recevable", campagne=campagne, structure=structure_a, porteur=porteur_a),
            decide_par=agent,
            notifie_le=maintenant() - timedelta(days=400),
        )
        convention = fab.convention(decision=decision, par=agent, signee=True, avance_payee=True)
    annuel = convention.premiere.bilan_annuel
    fab.bilan_depose(annuel, porteur=porteur_a, depenses="1000.00", approuve=True, agent=agent)
    compte_rendu = lecture_conventions.charger(convention.id).premiere.compte_rendu_financier
    fab.bilan_depose(compte_rendu, porteur=porteur_a, depenses="1000.00", approuve=True, agent=agent)
    convention = lecture_conventions.charger(convention.id)
    intermediaire = convention.premiere.bilan(TypeBilan.INTERMEDIAIRE)
    annexe = bilans_conventions.ajouter_piece(
        intermediaire, ("annexe.pdf", pdf_minimal("Annexe au bilan")), par=porteur_a, libelle="Liste des marchés"
    )
    en_attente = fab.decision(
        dossier=fab.dossier(statut="recevable", campagne=campagne, structure=structure_a, porteur=porteur_a), decide_par=agent
    )
    db.session.commit()
    return {
        "convention": convention.id,
        "decision_convention": decision.id,
        "decision_sans_convention": en_attente.id,
        "versement": convention.premiere.avance.id,
        "reversement": convention.premiere.reversement.id,
        "bilan": intermediaire.id,
        "bilan_approuve": compte_rendu.id,
        "piece_bilan": annexe.id,
        "piece_bilan_approuve": compte_rendu.pieces_courantes[0].id,
    }
