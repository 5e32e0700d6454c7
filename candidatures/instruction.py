"""The DEETS's instruction of a filed dossier: recevable, irrecevable, request for compléments, opinion of the
comité technique national. Same contract as `operations`: check, change, audit, email, flush; the caller commits."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aap.courriels import mettre_en_file
from aap.erreurs import Refus
from aap.extensions import db
from aap.formats import date_fr
from aap.journal import journaliser
from aap.limites import TEXTE_MAX
from aap.numerotation import verrouiller
from aap.pdf import produire_lettre
from aap.types import maintenant

from . import regles
from .ecritures import changer_statut, enregistrer, texte_verifie
from .lecture import destinataires
from .models import AvisCtn, DemandeComplements, Dossier, ElementComplement, Statut


def _exiger_instruction(dossier, par, statuts, action):
    if not dossier.can_instruire(par):
        raise Refus("Vous n'instruisez pas ce dossier.", code="interdit")
    if dossier.statut not in statuts:
        raise Refus(
            f"Un dossier « {dossier.statut.libelle} » ne peut pas être {action}.",
            code="transition_invalide",
        )


def _fuseau(dossier):
    return ZoneInfo(dossier.service.fuseau)


def _aujourdhui(dossier):
    return maintenant().astimezone(_fuseau(dossier)).date()


def declarer_recevable(dossier, *, par, le=None, notifier=True):
    """AAP §B.2-2: the dossier is complete; the date of the « dossier complet » is recorded."""
    dossier = verrouiller(Dossier, dossier.id)
    _exiger_instruction(dossier, par, (Statut.DEPOSE,), "déclaré recevable")
    aujourdhui = _aujourdhui(dossier)
    le = le or aujourdhui
    dernier = dossier.dernier_depot.depose_le.astimezone(_fuseau(dossier)).date()
    if le > aujourdhui or le < dernier:
        raise Refus(
            f"La date du dossier complet est comprise entre le dernier dépôt ({date_fr(dernier)}) et aujourd'hui.",
            code="date_invalide",
            champ="recevable_le",
        )
    dossier.recevable_le = le
    changer_statut(dossier, Statut.RECEVABLE, par, f"Dossier complet le {date_fr(le)}.")
    enregistrer(dossier)
    journaliser("dossier.recevable", dossier, par=par, details={"recevable_le": le})
    for adresse in destinataires(dossier.structure) if notifier else []:
        mettre_en_file(
            adresse, f"Votre dossier {dossier.numero} est recevable", "recevable", service_id=dossier.service_id, dossier=dossier
        )
    return dossier


def declarer_irrecevable(dossier, *, par, motif, notifier=True):
    dossier = verrouiller(Dossier, dossier.id)
    _exiger_instruction(dossier, par, (Statut.DEPOSE, Statut.COMPLEMENTS_DEMANDES), "déclaré irrecevable")
    motif = texte_verifie(motif, "motif", TEXTE_MAX)
    if not motif:
        raise Refus("Indiquez le motif de l'irrecevabilité : il est communiqué au porteur.", code="motif_manquant", champ="motif")
    instant = maintenant()
    if dossier.demande_en_cours:
        dossier.demande_en_cours.close_le = instant
    dossier.irrecevable_le = instant
    dossier.motif_irrecevabilite = motif
    changer_statut(dossier, Statut.IRRECEVABLE, par, motif)
    enregistrer(dossier)
    if notifier:
        lettre = produire_lettre(
            "candidatures/lettre_irrecevabilite.html",
            f"irrecevabilite-{dossier.numero}.pdf",
            service=dossier.service,
            par=par,
            notifie_le=instant,
            dossier=dossier,
            structure=dossier.structure,
            contact=dossier.campagne.courriel_contact,
        )
    journaliser("dossier.irrecevable", dossier, par=par, details={"motif": motif, "lettre": lettre.sha256 if notifier else None})
    for adresse in destinataires(dossier.structure) if notifier else []:
        mettre_en_file(
            adresse,
            f"Votre dossier {dossier.numero} est irrecevable",
            "irrecevable",
            service_id=dossier.service_id,
            dossier=dossier,
            pieces_jointes=[lettre],
        )
    return dossier


def demander_complements(dossier, *, par, rubriques=(), pieces=(), date_limite, message="", notifier=True):
    """Reopens only the named steps and pieces until `date_limite` (service's time); the applicant is emailed."""
    dossier = verrouiller(Dossier, dossier.id)
    _exiger_instruction(dossier, par, (Statut.DEPOSE, Statut.RECEVABLE), "complété")
    rubriques = sorted(set(rubriques))
    pieces = sorted(set(pieces))
    inconnues = [r for r in rubriques if r not in regles.RUBRIQUES or r == "pieces"]
    if inconnues:
        raise Refus("Étape inconnue.", code="rubrique_inconnue", champ="rubriques")
    codes = {p.code for p in dossier.campagne.pieces} | {"autre"}
    if any(p not in codes for p in pieces):
        raise Refus("Pièce inconnue.", code="piece_inconnue", champ="pieces")
    if not rubriques and not pieces:
        raise Refus("Nommez au moins une étape ou une pièce à compléter.", code="rien_a_completer", champ="rubriques")
    if not isinstance(date_limite, date) or date_limite <= _aujourdhui(dossier):
        raise Refus("La date limite doit être postérieure à aujourd'hui.", code="date_invalide", champ="date_limite")
    if date_limite > _aujourdhui(dossier) + timedelta(days=365):
        raise Refus("La date limite est trop lointaine (un an au plus).", code="date_invalide", champ="date_limite")
    message = texte_verifie(message, "message", TEXTE_MAX)
    demande = DemandeComplements(
        dossier=dossier, par_id=par.id, date_limite=date_limite, message=message, demandee_le=maintenant()
    )
    demande.elements = [ElementComplement(type="rubrique", code=r) for r in rubriques] + [
        ElementComplement(type="piece", code=p) for p in pieces
    ]
    db.session.add(demande)
    dossier.recevable_le = None
    changer_statut(dossier, Statut.COMPLEMENTS_DEMANDES, par, message or "Compléments demandés.")
    enregistrer(dossier)
    journaliser(
        "dossier.complements_demandes",
        dossier,
        par=par,
        details={"rubriques": rubriques, "pieces": pieces, "date_limite": date_limite},
    )
    libelles_pieces = {p.code: p.libelle for p in dossier.campagne.pieces} | {"autre": "Autre document"}
    for adresse in destinataires(dossier.structure) if notifier else []:
        mettre_en_file(
            adresse,
            f"Compléments demandés pour votre dossier {dossier.numero}",
            "complements",
            service_id=dossier.service_id,
            dossier=dossier,
            demande=demande,
            rubriques=[regles.RUBRIQUES[r] for r in rubriques],
            pieces=[libelles_pieces[p] for p in pieces],
        )
    return demande


def enregistrer_avis_ctn(dossier, *, par, avis, le=None, commentaire=""):
    """AAP §C.1: the comité technique national's opinion on an emerging structure's dossier."""
    dossier = verrouiller(Dossier, dossier.id)
    _exiger_instruction(
        dossier, par, (Statut.DEPOSE, Statut.COMPLEMENTS_DEMANDES, Statut.RECEVABLE), "soumis au comité technique"
    )
    if not dossier.profil.emergente:
        raise Refus(
            "L'avis du comité technique national concerne les structures émergentes (§C.1).", code="structure_non_emergente"
        )
    if avis not in {str(a) for a in AvisCtn}:
        raise Refus("Choisissez l'avis du comité.", code="avis_invalide", champ="avis")
    le = le or _aujourdhui(dossier)
    if le > _aujourdhui(dossier):
        raise Refus("La date de l'avis ne peut pas être dans le futur.", code="date_invalide", champ="le")
    avant = [dossier.avis_ctn, dossier.avis_ctn_le]
    dossier.avis_ctn, dossier.avis_ctn_le = avis, le
    dossier.avis_ctn_commentaire = texte_verifie(commentaire, "commentaire", TEXTE_MAX)
    enregistrer(dossier)
    journaliser("dossier.avis_ctn", dossier, par=par, details={"avant": avant, "apres": [avis, le]})
    return dossier
