"""The filing of a dossier: its number, its frozen snapshot, the accusé de réception and its emails. Same contract
as `operations`: check, change, audit, email, flush; the caller commits."""

import hashlib
import json

from flask import current_app

from aap import fichiers
from aap.courriels import mettre_en_file
from aap.erreurs import Conflit, Refus
from aap.extensions import db
from aap.formats import pluriel
from aap.journal import canonique, journaliser
from aap.numerotation import prochain, verrouiller
from aap.types import maintenant

from .ecritures import changer_statut, enregistrer, verifier_version
from .lecture import destinataires
from .models import MODIFIABLES, Depot, Dossier, Statut
from .synthese import controles_dossier, instantane


class DejaDepose(Conflit):
    """The dossier was filed meanwhile (double click, second tab): nothing more is done."""


def numero_dossier(dossier):
    """`AAP-2022-976-0007`: year of the campaign, service code, rank among the service's filings of that year
    (gapless: one campaign a year per service, so it is also the rank in the campaign)."""
    rang = prochain(f"dossier:{dossier.service.code}:{dossier.campagne.annee}")
    return f"AAP-{dossier.campagne.annee}-{dossier.service.code}-{rang:04d}"


def deposer(dossier, *, par, version=None, instant=None, accuse=True, notifier=True):
    """Files the dossier: once, while the campaign (or the compléments' date limit) allows it, with no
    blocking finding. Freezes a snapshot, numbers the dossier, makes and emails the accusé de réception.

    `accuse=False` leaves the receipt to be rendered at its first download; `notifier=False` sends no
    email (demo history, imports)."""
    instant = instant or maintenant()
    if not dossier.structure or not par.porte(dossier.structure_id):
        raise Refus("Vous n'êtes pas membre de cette structure.", code="interdit")
    # Deux clics, deux onglets : le second attend le premier, puis voit le dossier déjà déposé.
    dossier = verrouiller(Dossier, dossier.id)
    db.session.expire(dossier)  # relu entièrement sous le verrou : pièces, budget, dépôts compris
    if dossier.statut not in MODIFIABLES:
        raise DejaDepose(
            f"Ce dossier est déjà déposé (n° {dossier.numero}) : il n'a pas été déposé une seconde fois.",
            code="deja_depose",
        )
    verifier_version(dossier, version)
    _exiger_sans_bloquant(dossier, instant)
    depot = _geler(dossier, par, instant)
    if accuse:
        fichier = _accuse_rendu(depot)
        if notifier:
            _courriels_depot(dossier, depot, fichier, par)
    return depot


def _exiger_sans_bloquant(dossier, instant):
    bloquants = [c for c in controles_dossier(dossier, instant=instant, calendrier=True) if c.bloquant]
    if bloquants:
        raise Refus(
            "Le dossier ne peut pas être déposé : "
            + pluriel(len(bloquants), "point bloquant reste", "points bloquants restent")
            + " à corriger. "
            + bloquants[0].message,
            code="controles_bloquants",
        )


def _geler(dossier, par, instant):
    """Numbers the dossier (at its first filing), freezes its snapshot as a new filing and closes the request for
    compléments it answers."""
    demande = dossier.demande_en_cours
    if dossier.numero is None:
        dossier.numero = numero_dossier(dossier)
    rang = len(dossier.depots) + 1
    contenu = instantane(dossier, rang, instant)
    texte = canonique(contenu)
    depot = Depot(
        dossier=dossier,
        rang=rang,
        depose_le=instant,
        depose_par_id=par.id,
        instantane=texte,
        empreinte=hashlib.sha256(texte.encode()).hexdigest(),
    )
    db.session.add(depot)
    if dossier.depose_le is None:
        dossier.depose_le = instant
    if demande is not None:
        demande.close_le = instant
    commentaire = "Dossier déposé à nouveau avec les compléments demandés." if rang > 1 else "Dossier déposé."
    changer_statut(dossier, Statut.DEPOSE, par, commentaire)
    dossier.modifie_le = instant
    enregistrer(dossier)
    journaliser(
        "dossier.depot",
        dossier,
        par=par,
        details={
            "numero": dossier.numero,
            "rang": rang,
            "empreinte": depot.empreinte,
            "pieces": [p["sha256"] for p in contenu["pieces"]],
        },
    )
    return depot


def _accuse_rendu(depot):
    """The receipt, or None when it failed: the filing matters more than its PDF, which will then be rendered at its
    first download."""
    try:
        with db.session.begin_nested():
            return accuse_de(depot)
    except Exception:
        current_app.logger.exception("Accusé de réception du dépôt %s non rendu", depot.id)
        return None


def accuse_de(depot):
    """The receipt PDF of a filing, made from its frozen snapshot (once, then kept)."""
    if depot.accuse is not None:
        return depot.accuse
    depot = verrouiller(Depot, depot.id)  # deux premiers téléchargements simultanés : un seul rendu
    if depot.accuse is not None:
        return depot.accuse
    from aap.pdf import rendre_pdf

    contenu = json.loads(depot.instantane)
    dossier = depot.dossier
    pdf = rendre_pdf(
        "candidatures/accuse.html",
        service=dossier.service,
        depot=depot,
        dossier=dossier,
        contenu=contenu,
        campagne=dossier.campagne,
    )
    depot.accuse = fichiers.enregistrer_produit(
        f"accuse-reception-{dossier.numero}-{depot.rang}.pdf", pdf, "pdf", service_id=dossier.service_id
    )
    db.session.flush()
    return depot.accuse


def _courriels_depot(dossier, depot, fichier, par):
    sujet = f"Accusé de réception de votre dossier {dossier.numero}"
    adresses = [par.email] + [a for a in destinataires(dossier.structure) if a.lower() != par.email.lower()]
    for adresse in adresses:
        mettre_en_file(
            adresse,
            sujet,
            "depot",
            service_id=dossier.service_id,
            dossier=dossier,
            depot=depot,
            pieces_jointes=[fichier] if fichier else [],
        )
    service = dossier.campagne.courriel_contact or dossier.service.courriel
    if service:
        mettre_en_file(
            service,
            f"Dossier {'déposé à nouveau' if depot.rang > 1 else 'déposé'} : {dossier.numero}",
            "depot_service",
            service_id=dossier.service_id,
            dossier=dossier,
            depot=depot,
        )
