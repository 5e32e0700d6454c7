"""Every write of the candidatures domain.

Each operation checks its rule, changes the rows, writes the audit entry and queues the emails; it
flushes, and the caller (a page, the API, the demo loader) commits once. A refused operation raises
`Refus` (or `Conflit` when the dossier changed meanwhile) before anything is kept.
"""

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from aap import fichiers
from aap.courriels import mettre_en_file
from aap.entrees import lire_decimal, texte_propre
from aap.erreurs import Conflit, Refus
from aap.extensions import db
from aap.formats import date_fr, pluriel
from aap.journal import canonique, journaliser
from aap.limites import (
    ETP_MAX,
    LIBELLE_MAX,
    MONTANT_MAX,
    NOM_MAX,
    RAISON_SOCIALE_MAX,
    TEXTE_MAX,
    TITRE_MAX,
    VOLUME_MAX,
)
from aap.models import Commune, Mission, Role
from aap.numerotation import prochain, verrouiller
from aap.operations import envoyer_confirmation, nouvel_utilisateur, service_par_defaut, utilisateur_par_email
from aap.pdf import produire_lettre
from aap.regles import EtatCampagne, etat_campagne, normaliser_siret
from aap.securite import hacher_mot_de_passe
from aap.types import maintenant

from . import regles
from .lecture import destinataires
from .models import (
    DOCUMENT_POUR_PIECE,
    MODIFIABLES,
    AvisCtn,
    ChangementStatut,
    DemandeComplements,
    Depot,
    DocumentStructure,
    Dossier,
    ElementComplement,
    FinancementExistant,
    LigneBudget,
    Piece,
    Poste,
    Statut,
    StatutJuridique,
    Structure,
    TypeDocument,
    VolumeActivite,
)
from .synthese import controles_dossier, instantane

# Chaque champ du dossier appartient à une étape du formulaire : une demande de compléments rouvre des étapes.
CHAMPS_RUBRIQUES = {
    "titre": "projet",
    "etp_facilitateur": "projet",
    "etp_coordinateur": "projet",
    "communes": "territoire",
    "zone_blanche": "territoire",
    "zone_blanche_justification": "territoire",
    "diagnostic": "strategie",
    "objectifs": "strategie",
    "strategie": "strategie",
    "missions": "strategie",
    "volumes": "activite",
    "calendrier": "activite",
    "budget": "budget",
    "engagement_non_baisse": "engagements",
    "declaration_honneur": "engagements",
    "signataire_nom": "engagements",
    "signataire_qualite": "engagements",
}
TEXTES = {
    "titre": TITRE_MAX,
    "zone_blanche_justification": TEXTE_MAX,
    "diagnostic": TEXTE_MAX,
    "objectifs": TEXTE_MAX,
    "strategie": TEXTE_MAX,
    "calendrier": TEXTE_MAX,
    "signataire_nom": NOM_MAX,
    "signataire_qualite": NOM_MAX,
}


# --- Outils ------------------------------------------------------------------------------------


def inscrire_porteur(*, email, mot_de_passe, prenom, nom, siret, raison_sociale="", statut_juridique=""):
    """Creates a porteur's account. Returns the new user, or None when the address already has one.

    A new SIRET creates the structure with this person as its first member; a known SIRET creates a
    request to join it, accepted by one of its members or an agent (knowing a SIRET opens nothing).
    An address that already has an account gets the same checks, the same work (the password is hashed) and
    the same answer on the page; its owner gets an email saying that someone tried to sign up with it.
    """
    siret = normaliser_siret(siret)
    structure = db.session.scalar(select(Structure).where(Structure.siret == siret))
    if structure is None and (not raison_sociale or not statut_juridique):
        raise Refus(
            "Cette structure n'a pas encore de compte : indiquez sa raison sociale et son statut juridique.",
            code="structure_inconnue",
            champ="raison_sociale" if not raison_sociale else "statut_juridique",
        )
    mot_de_passe_hash = hacher_mot_de_passe(mot_de_passe)
    existant = utilisateur_par_email(email)
    if existant is not None:
        mettre_en_file(
            existant.email, "Vous avez déjà un compte", "compte_existant", service_id=existant.service_id, utilisateur=existant
        )
        journaliser("compte.inscription_existante", existant, acteur="anonyme", service_id=existant.service_id)
        return None
    service = structure.service if structure else service_par_defaut()
    if structure is None:
        structure = Structure(
            siret=siret, raison_sociale=raison_sociale.strip(), statut_juridique=statut_juridique, service_id=service.id
        )
        db.session.add(structure)
        db.session.flush()
        journaliser("structure.creation", structure, details={"siret": siret, "raison_sociale": raison_sociale})
    premier = not structure.membres
    utilisateur = nouvel_utilisateur(
        email,
        Role.PORTEUR,
        service,
        prenom=prenom.strip(),
        nom=nom.strip(),
        structure_id=structure.id,
        rattachement_valide=premier,
        mot_de_passe_hash=mot_de_passe_hash,
    )
    journaliser(
        "compte.inscription",
        utilisateur,
        par=utilisateur,
        details={"structure": structure.id, "rattachement": "valide" if premier else "en attente"},
    )
    envoyer_confirmation(utilisateur)
    if not premier:
        for membre in structure.membres:
            if membre.rattachement_valide and membre.actif:
                mettre_en_file(
                    membre.email,
                    f"Demande de rattachement à {structure.raison_sociale}",
                    "demande_rattachement",
                    service_id=structure.service_id,
                    membre=membre,
                    demandeur=utilisateur,
                    structure=structure,
                )
    return utilisateur


def _changer_statut(dossier, statut, par, commentaire=""):
    ancien = dossier.statut
    dossier.statut = str(statut)
    db.session.add(
        ChangementStatut(
            dossier=dossier, statut=str(statut), par_id=par.id if par else None, commentaire=commentaire, le=maintenant()
        )
    )
    return ancien


def _enregistrer(dossier):
    """Flushes; a concurrent save of the same dossier (version already taken) becomes a Conflit."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise _conflit() from None


def _conflit():
    return Conflit(
        "Ce dossier a été modifié entre-temps (dans un autre onglet ou par un autre membre de votre structure). "
        "Rien n'a été écrasé : rechargez la page pour voir la dernière version, puis reprenez votre saisie.",
        code="conflit_version",
    )


def verifier_version(dossier, version):
    """`version`: what the page or the client read. None: an internal caller (demo, import) that holds the row.
    Anything else that is not the current version, even garbage, is a conflict: never overwrite blindly."""
    if version is None:
        return
    try:
        lue = int(str(version).strip())
    except ValueError:
        raise _conflit() from None
    if lue != dossier.version:
        raise _conflit()


def _decimal(valeur, champ, libelle, places=2, maximum=MONTANT_MAX):
    """A number within the domain's bounds (None: 0). Forms and API schemas give a Decimal; a text from an internal
    caller is read by the one parser of typed numbers."""
    if isinstance(valeur, str):
        try:
            valeur = lire_decimal(valeur)
        except ValueError:
            raise Refus(f"{libelle} : nombre attendu.", code="nombre_invalide", champ=champ) from None
    if valeur is None:
        return Decimal("0")
    if isinstance(valeur, bool) or not isinstance(valeur, (int, Decimal)) or not Decimal(valeur).is_finite():
        raise Refus(f"{libelle} : nombre attendu.", code="nombre_invalide", champ=champ)
    nombre = Decimal(valeur)
    if nombre < 0:
        raise Refus(f"{libelle} : nombre positif attendu.", code="nombre_invalide", champ=champ)
    if nombre > maximum:
        raise Refus(f"{libelle} : valeur trop grande.", code="nombre_invalide", champ=champ)
    if nombre != nombre.quantize(Decimal(1).scaleb(-places)):
        raise Refus(f"{libelle} : au plus {pluriel(places, 'décimale')}.", code="nombre_invalide", champ=champ)
    return nombre.quantize(Decimal(1).scaleb(-places))


def _texte(valeur, champ, longueur):
    texte = texte_propre(valeur or "")
    if len(texte) > longueur:
        raise Refus(f"Ce texte dépasse {longueur} caractères.", code="texte_trop_long", champ=champ)
    return texte


def _exiger_modifiable(dossier, par):
    if not dossier.can_modifier(par):
        raise Refus(
            f"Ce dossier est « {dossier.statut.libelle} » : il ne peut plus être modifié.",
            code="dossier_non_modifiable",
        )


def _exiger_rubrique(dossier, rubrique):
    if not dossier.rubrique_ouverte(rubrique):
        raise Refus(
            f"L'étape « {regles.RUBRIQUES[rubrique]} » n'est pas rouverte par la demande de compléments : "
            "seuls les éléments demandés par la DEETS peuvent être modifiés.",
            code="rubrique_fermee",
            champ=rubrique,
        )


# --- Création et modification ------------------------------------------------------------------


def creer_dossier(campagne, structure, *, par, titre="", instant=None):
    """A new draft. The structure's standing documents fill the matching pieces at once (« dites-le-nous une fois »)."""
    instant = instant or maintenant()
    if not par.porte(structure.id):
        raise Refus("Vous n'êtes pas membre de cette structure.", code="interdit")
    etat = etat_campagne(campagne.ouverture_le, campagne.cloture_le, instant)
    if not campagne.publiee or etat == EtatCampagne.CLOTUREE:
        raise Refus("Cette campagne n'accepte plus de dossiers.", code="campagne_close", champ="campagne_id")
    dossier = Dossier(
        campagne=campagne,
        structure=structure,
        service_id=campagne.service_id,
        titre=_texte(titre, "titre", TITRE_MAX),
        statut=Statut.BROUILLON,
        cree_par_id=par.id,
        cree_le=instant,
        modifie_le=instant,
    )
    db.session.add(dossier)
    db.session.add(ChangementStatut(dossier=dossier, statut=Statut.BROUILLON, par_id=par.id, le=instant))
    db.session.flush()
    journaliser("dossier.creation", dossier, par=par, details={"campagne": campagne.id, "structure": structure.id})
    codes = {p.code for p in campagne.pieces}
    for document in structure.documents_valides:
        for code, type_ in DOCUMENT_POUR_PIECE.items():
            deja = any(p.code == code for p in dossier.pieces)
            if type_ == document.type and code in codes and not deja:
                _ajouter_piece_document(dossier, code, document, par)
    return dossier


def _normaliser(dossier, valeurs):
    """Checks and converts the values of the fields given (whatever their source: form or API)."""
    propres = {}
    for champ, valeur in valeurs.items():
        if champ not in CHAMPS_RUBRIQUES:
            raise Refus("Champ inconnu.", code="champ_inconnu", champ=champ)
        if champ in TEXTES:
            propres[champ] = _texte(valeur, champ, TEXTES[champ])
        elif champ in ("etp_facilitateur", "etp_coordinateur"):
            etp = _decimal(valeur, champ, "ETP", places=2, maximum=ETP_MAX)
            if not regles.etp_valide(etp):
                raise Refus(
                    "Les ETP se demandent par pas de 0,05 (par exemple 0,5 ; 0,75 ou 1,2).", code="etp_invalide", champ=champ
                )
            propres[champ] = etp
        elif champ in ("zone_blanche", "engagement_non_baisse", "declaration_honneur"):
            propres[champ] = bool(valeur)
        elif champ == "communes":
            codes = sorted(set(valeur or []))
            communes = db.session.scalars(select(Commune).where(Commune.code.in_(codes))).all()
            if len(communes) != len(codes):
                raise Refus("Commune inconnue.", code="commune_inconnue", champ="communes")
            propres[champ] = communes
        elif champ == "missions":
            ids = sorted({int(i) for i in (valeur or [])})
            missions = db.session.scalars(
                select(Mission).where(Mission.id.in_(ids), Mission.campagne_id == dossier.campagne_id)
            ).all()
            if len(missions) != len(ids):
                raise Refus("Mission inconnue pour cette campagne.", code="mission_inconnue", champ="missions")
            propres[champ] = missions
        elif champ == "volumes":
            propres[champ] = _volumes(valeur or {})
        elif champ == "budget":
            propres[champ] = _budget(valeur or {})
    return propres


def _volumes(valeur):
    volumes = {}
    for categorie, paire in valeur.items():
        if categorie not in regles.CATEGORIES_VOLUMES:
            raise Refus("Type de marchés inconnu.", code="categorie_inconnue", champ=f"volumes.{categorie}")
        nombres = []
        for nom, brut in zip(("nombre_marches", "heures_insertion"), paire, strict=True):
            try:
                nombre = int(brut or 0)
            except (TypeError, ValueError):
                raise Refus("Nombre entier attendu.", code="nombre_invalide", champ=f"volumes.{categorie}.{nom}") from None
            if not 0 <= nombre <= VOLUME_MAX:
                raise Refus("Nombre positif attendu.", code="nombre_invalide", champ=f"volumes.{categorie}.{nom}")
            nombres.append(nombre)
        volumes[categorie] = tuple(nombres)
    return volumes


def _budget(valeur):
    budget = {}
    for categorie, (precision, montants) in valeur.items():
        if categorie not in regles.CATEGORIES_BUDGET:
            raise Refus("Ligne de budget inconnue.", code="categorie_inconnue", champ=f"budget.{categorie}")
        if len(montants) != 3:
            raise Refus("Trois montants attendus (années 1 à 3).", code="montants_invalides", champ=f"budget.{categorie}")
        budget[categorie] = (
            _texte(precision, f"budget.{categorie}.precision", LIBELLE_MAX),
            tuple(
                _decimal(m, f"budget.{categorie}.annee{i}", f"{regles.CATEGORIES_BUDGET[categorie]}, année {i}")
                for i, m in enumerate(montants, start=1)
            ),
        )
    return budget


def _resume_changement(champ, avant, apres):
    if champ in ("communes", "missions"):
        return [
            sorted(str(getattr(x, "code", getattr(x, "id", x))) for x in avant),
            sorted(str(getattr(x, "code", getattr(x, "id", x))) for x in apres),
        ]
    if champ in TEXTES and champ not in ("titre", "signataire_nom", "signataire_qualite"):
        return f"{len(avant)} → {len(apres)} caractères"  # le texte lui-même reste dans le dossier, pas au journal
    return [avant, apres]


def modifier(dossier, valeurs, *, par, version=None):
    """Changes fields of a dossier (any subset, by name). Returns the names of the fields that changed.

    A field is changed only if its step is open (draft, or named by a request for compléments). The
    dossier's `version` increments when anything changed; nothing is written when nothing changed.
    """
    _exiger_modifiable(dossier, par)
    verifier_version(dossier, version)
    for champ in valeurs:
        if champ in CHAMPS_RUBRIQUES:
            _exiger_rubrique(dossier, CHAMPS_RUBRIQUES[champ])
    propres = _normaliser(dossier, valeurs)
    changes = {}
    for champ, valeur in propres.items():
        if champ == "volumes":
            if _appliquer_volumes(dossier, valeur):
                changes[champ] = "modifiés"
        elif champ == "budget":
            if _appliquer_budget(dossier, valeur):
                changes[champ] = "modifié"
        else:
            avant = getattr(dossier, champ)
            if champ in ("communes", "missions"):
                if {x.code if champ == "communes" else x.id for x in avant} == {
                    x.code if champ == "communes" else x.id for x in valeur
                }:
                    continue
                changes[champ] = _resume_changement(champ, list(avant), valeur)
            elif avant == valeur:
                continue
            else:
                changes[champ] = _resume_changement(champ, avant, valeur)
            setattr(dossier, champ, valeur)
            if champ in ("engagement_non_baisse", "declaration_honneur") and valeur:
                dossier.engagements_le = maintenant()
    if not changes:
        return []
    dossier.modifie_le = maintenant()
    _enregistrer(dossier)
    journaliser("dossier.modification", dossier, par=par, details={"champs": changes})
    return list(changes)


def _appliquer_volumes(dossier, volumes):
    existants = {v.categorie: v for v in dossier.volumes}
    change = False
    for categorie, (nombre, heures) in volumes.items():
        ligne = existants.get(categorie)
        if ligne is None:
            if nombre or heures:
                dossier.volumes.append(VolumeActivite(categorie=categorie, nombre_marches=nombre, heures_insertion=heures))
                change = True
        elif (ligne.nombre_marches, ligne.heures_insertion) != (nombre, heures):
            ligne.nombre_marches, ligne.heures_insertion = nombre, heures
            change = True
    return change


def _appliquer_budget(dossier, budget):
    existantes = {ligne.categorie: ligne for ligne in dossier.lignes_budget}
    change = False
    for categorie, (precision, montants) in budget.items():
        ligne = existantes.get(categorie)
        if ligne is None:
            if precision or any(montants):
                dossier.lignes_budget.append(
                    LigneBudget(
                        categorie=categorie,
                        precision=precision,
                        montant_annee1=montants[0],
                        montant_annee2=montants[1],
                        montant_annee3=montants[2],
                    )
                )
                change = True
        elif (ligne.precision, ligne.montants) != (precision, montants):
            ligne.precision = precision
            ligne.montant_annee1, ligne.montant_annee2, ligne.montant_annee3 = montants
            change = True
    if change:
        etat = next((ligne for ligne in dossier.lignes_budget if ligne.categorie == "etat_aap"), None)
        dossier.montant_demande = etat.montant_annee1 if etat else Decimal("0")
    return change


def remplacer_budget(dossier, budget, *, par, version=None):
    """Replaces the whole budget: every line not given is set to zero (API `PUT …/budget`)."""
    complet = {c: ("", (0, 0, 0)) for c in regles.CATEGORIES_BUDGET} | dict(budget)
    return modifier(dossier, {"budget": complet}, par=par, version=version)


# --- Pièces -------------------------------------------------------------------------------------


def _libelle_piece(dossier, code):
    for piece in dossier.campagne.pieces:
        if piece.code == code:
            return piece.libelle
    return None


def _exiger_piece_ouverte(dossier, code, par):
    _exiger_modifiable(dossier, par)
    if not dossier.piece_ouverte(code):
        raise Refus(
            "Cette pièce n'est pas demandée en complément : seuls les éléments demandés par la DEETS peuvent être modifiés.",
            code="piece_fermee",
            champ="code",
        )


def _remplacer_anciennes(dossier, code, instant):
    if code == "autre":
        return []
    anciennes = [p for p in dossier.pieces if p.code == code and p.en_vigueur]
    for ancienne in anciennes:
        ancienne.remplacee_le = instant
    return anciennes


def ajouter_piece(dossier, code, televersement, *, par, libelle=""):
    """Stores an upload as a piece of the dossier; a piece of the same code is replaced (and kept in history)."""
    libelle_requis = _libelle_piece(dossier, code)
    if code != "autre" and libelle_requis is None:
        raise Refus("Choisissez la pièce à laquelle correspond ce fichier.", code="piece_inconnue", champ="code")
    libelle = _texte(libelle, "libelle", LIBELLE_MAX)
    if code == "autre" and not libelle:
        raise Refus(
            "Décrivez ce document en quelques mots (par exemple « Lettre de soutien de la CCI »).",
            code="libelle_manquant",
            champ="libelle",
        )
    _exiger_piece_ouverte(dossier, code, par)
    fichier = fichiers.enregistrer(televersement, par=par, service_id=dossier.service_id)
    instant = maintenant()
    anciennes = _remplacer_anciennes(dossier, code, instant)
    piece = Piece(
        dossier=dossier, code=code, libelle=libelle or libelle_requis, fichier=fichier, ajoutee_le=instant, ajoutee_par_id=par.id
    )
    db.session.add(piece)
    db.session.flush()
    journaliser(
        "piece.remplacement" if anciennes else "piece.ajout",
        dossier,
        par=par,
        details={"piece": piece.id, "code": code, "sha256": fichier.sha256, "remplace": [p.id for p in anciennes]},
    )
    return piece


def _ajouter_piece_document(dossier, code, document, par):
    instant = maintenant()
    anciennes = _remplacer_anciennes(dossier, code, instant)
    piece = Piece(
        dossier=dossier,
        code=code,
        libelle=_libelle_piece(dossier, code) or document.intitule,
        fichier_id=document.fichier_id,
        document_id=document.id,
        ajoutee_le=instant,
        ajoutee_par_id=par.id,
    )
    db.session.add(piece)
    db.session.flush()
    journaliser(
        "piece.reprise_document",
        dossier,
        par=par,
        details={"piece": piece.id, "code": code, "document": document.id, "remplace": [p.id for p in anciennes]},
    )
    return piece


def reprendre_document(dossier, document, *, par, code=None):
    """Uses a standing document of the structure as a piece of this dossier (entered once, reused)."""
    if document.structure_id != dossier.structure_id or document.retire_le is not None:
        raise Refus("Document introuvable.", code="document_inconnu", champ="document_id")
    code = code or next((c for c, t in DOCUMENT_POUR_PIECE.items() if t == document.type), "autre")
    if code != "autre" and _libelle_piece(dossier, code) is None:
        code = "autre"
    _exiger_piece_ouverte(dossier, code, par)
    return _ajouter_piece_document(dossier, code, document, par)


def retirer_piece(piece, *, par):
    dossier = piece.dossier
    _exiger_piece_ouverte(dossier, piece.code, par)
    if not piece.en_vigueur:
        raise Refus("Cette pièce a déjà été remplacée ou retirée.", code="piece_inactive")
    piece.retiree_le = maintenant()
    db.session.flush()
    journaliser("piece.retrait", dossier, par=par, details={"piece": piece.id, "code": piece.code})


# --- Dépôt ---------------------------------------------------------------------------------------


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
    constats = controles_dossier(dossier, instant=instant, calendrier=True)
    bloquants = [c for c in constats if c.bloquant]
    if bloquants:
        raise Refus(
            "Le dossier ne peut pas être déposé : "
            + pluriel(len(bloquants), "point bloquant reste", "points bloquants restent")
            + " à corriger. "
            + bloquants[0].message,
            code="controles_bloquants",
        )
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
    _changer_statut(dossier, Statut.DEPOSE, par, commentaire)
    dossier.modifie_le = instant
    _enregistrer(dossier)
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
    if accuse:
        try:
            with db.session.begin_nested():
                fichier = accuse_de(depot)
        except Exception:  # le dépôt compte plus que son PDF : l'accusé sera rendu à son premier téléchargement
            current_app.logger.exception("Accusé de réception du dépôt %s non rendu", depot.id)
            fichier = None
        if notifier:
            _courriels_depot(dossier, depot, fichier, par)
    return depot


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


# --- Instruction (DEETS) -------------------------------------------------------------------------


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
    _changer_statut(dossier, Statut.RECEVABLE, par, f"Dossier complet le {date_fr(le)}.")
    _enregistrer(dossier)
    journaliser("dossier.recevable", dossier, par=par, details={"recevable_le": le})
    for adresse in destinataires(dossier.structure) if notifier else []:
        mettre_en_file(
            adresse, f"Votre dossier {dossier.numero} est recevable", "recevable", service_id=dossier.service_id, dossier=dossier
        )
    return dossier


def declarer_irrecevable(dossier, *, par, motif, notifier=True):
    dossier = verrouiller(Dossier, dossier.id)
    _exiger_instruction(dossier, par, (Statut.DEPOSE, Statut.COMPLEMENTS_DEMANDES), "déclaré irrecevable")
    motif = _texte(motif, "motif", TEXTE_MAX)
    if not motif:
        raise Refus("Indiquez le motif de l'irrecevabilité : il est communiqué au porteur.", code="motif_manquant", champ="motif")
    instant = maintenant()
    if dossier.demande_en_cours:
        dossier.demande_en_cours.close_le = instant
    dossier.irrecevable_le = instant
    dossier.motif_irrecevabilite = motif
    _changer_statut(dossier, Statut.IRRECEVABLE, par, motif)
    _enregistrer(dossier)
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
    message = _texte(message, "message", TEXTE_MAX)
    demande = DemandeComplements(
        dossier=dossier, par_id=par.id, date_limite=date_limite, message=message, demandee_le=maintenant()
    )
    demande.elements = [ElementComplement(type="rubrique", code=r) for r in rubriques] + [
        ElementComplement(type="piece", code=p) for p in pieces
    ]
    db.session.add(demande)
    dossier.recevable_le = None
    _changer_statut(dossier, Statut.COMPLEMENTS_DEMANDES, par, message or "Compléments demandés.")
    _enregistrer(dossier)
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
    dossier.avis_ctn_commentaire = _texte(commentaire, "commentaire", TEXTE_MAX)
    _enregistrer(dossier)
    journaliser("dossier.avis_ctn", dossier, par=par, details={"avant": avant, "apres": [avis, le]})
    return dossier


# --- Structure -----------------------------------------------------------------------------------

CHAMPS_STRUCTURE = {
    "raison_sociale": RAISON_SOCIALE_MAX,
    "statut_juridique": None,
    "adresse": 2000,
    "code_postal": 5,
    "commune_code": None,
    "representant_nom": 200,
    "representant_qualite": 200,
    "contact_nom": 200,
    "contact_courriel": 254,
    "contact_telephone": 40,
    "emergente": None,
    "soumise_cac": None,
    "etp_facilitateurs_existants": None,
    "etp_coordinateurs_existants": None,
    "annee_financements": None,
}


def modifier_structure(structure, valeurs, *, par):
    """Updates the profile (entered once, reused by every dossier). Returns the fields that changed."""
    if not structure.can_modifier(par):
        raise Refus("Vous n'êtes pas membre de cette structure.", code="interdit")
    propres = {}
    for champ, valeur in valeurs.items():
        if champ not in CHAMPS_STRUCTURE:
            raise Refus("Champ inconnu.", code="champ_inconnu", champ=champ)
        if champ == "statut_juridique":
            if valeur not in {str(s) for s in StatutJuridique}:
                raise Refus("Statut juridique inconnu.", code="statut_inconnu", champ=champ)
            propres[champ] = valeur
        elif champ == "commune_code":
            if valeur and db.session.get(Commune, valeur) is None:
                raise Refus("Commune inconnue.", code="commune_inconnue", champ=champ)
            propres[champ] = valeur or None
        elif champ in ("emergente", "soumise_cac"):
            propres[champ] = bool(valeur)
        elif champ.startswith("etp_"):
            propres[champ] = _decimal(valeur, champ, "ETP", places=2, maximum=ETP_MAX)
        elif champ == "annee_financements":
            propres[champ] = _annee(valeur, champ)
        else:
            propres[champ] = _texte(valeur, champ, CHAMPS_STRUCTURE[champ])
    if "raison_sociale" in propres and not propres["raison_sociale"]:
        raise Refus("La raison sociale ne peut pas être vide.", code="champ_obligatoire", champ="raison_sociale")
    if propres.get("code_postal") and not (propres["code_postal"].isdigit() and len(propres["code_postal"]) == 5):
        raise Refus("Le code postal compte 5 chiffres.", code="code_postal_invalide", champ="code_postal")
    changes = {c: [getattr(structure, c), v] for c, v in propres.items() if getattr(structure, c) != v}
    if not changes:
        return []
    for champ, (_, valeur) in changes.items():
        setattr(structure, champ, valeur)
    structure.modifie_le = maintenant()
    db.session.flush()
    journaliser("structure.modification", structure, par=par, details={"champs": changes})
    return list(changes)


def _annee(valeur, champ):
    if valeur in (None, ""):
        return None
    try:
        annee = int(valeur)
    except (TypeError, ValueError):
        raise Refus("Année invalide.", code="annee_invalide", champ=champ) from None
    if not 2000 <= annee <= 2100:
        raise Refus("Année invalide (entre 2000 et 2100).", code="annee_invalide", champ=champ)
    return annee


def ajouter_financement(structure, *, par, poste, financeur, nom_financeur, montant_annee_precedente, montant_annee_courante):
    if not structure.can_modifier(par):
        raise Refus("Vous n'êtes pas membre de cette structure.", code="interdit")
    if poste not in {str(p) for p in Poste}:
        raise Refus("Poste inconnu.", code="poste_inconnu", champ="poste")
    if financeur not in regles.LIBELLES_FINANCEURS:
        raise Refus("Financeur inconnu.", code="financeur_inconnu", champ="financeur")
    nom = _texte(nom_financeur, "nom_financeur", NOM_MAX)
    if not nom:
        raise Refus(
            "Nommez le financeur (par exemple « Conseil départemental de Mayotte »).",
            code="champ_obligatoire",
            champ="nom_financeur",
        )
    financement = FinancementExistant(
        structure=structure,
        poste=poste,
        financeur=financeur,
        nom_financeur=nom,
        montant_annee_precedente=_decimal(montant_annee_precedente, "montant_annee_precedente", "Montant"),
        montant_annee_courante=_decimal(montant_annee_courante, "montant_annee_courante", "Montant"),
    )
    db.session.add(financement)
    structure.modifie_le = maintenant()
    db.session.flush()
    journaliser(
        "structure.financement_ajout",
        structure,
        par=par,
        details={
            "financement": financement.id,
            "poste": poste,
            "financeur": nom,
            "montants": [financement.montant_annee_precedente, financement.montant_annee_courante],
        },
    )
    return financement


def supprimer_financement(financement, *, par):
    structure = financement.structure
    if not structure.can_modifier(par):
        raise Refus("Vous n'êtes pas membre de cette structure.", code="interdit")
    details = {
        "financement": financement.id,
        "financeur": financement.nom_financeur,
        "montants": [financement.montant_annee_precedente, financement.montant_annee_courante],
    }
    structure.financements.remove(financement)
    structure.modifie_le = maintenant()
    db.session.flush()
    journaliser("structure.financement_suppression", structure, par=par, details=details)


def ajouter_document(structure, *, par, type_, annee, televersement, libelle=""):
    """A standing document (statuts, comptes annuels…) with the year it is valid for."""
    if not structure.can_modifier(par):
        raise Refus("Vous n'êtes pas membre de cette structure.", code="interdit")
    if type_ not in {str(t) for t in TypeDocument}:
        raise Refus("Choisissez le type de document.", code="type_inconnu", champ="type")
    annee = _annee(annee, "annee")
    if annee is None:
        raise Refus("Indiquez l'année du document (exercice ou année de validité).", code="annee_invalide", champ="annee")
    libelle = _texte(libelle, "libelle", 200)
    fichier = fichiers.enregistrer(televersement, par=par, service_id=structure.service_id)
    document = DocumentStructure(
        structure=structure,
        type=type_,
        annee=annee,
        libelle=libelle,
        fichier=fichier,
        ajoute_par_id=par.id,
        ajoute_le=maintenant(),
    )
    db.session.add(document)
    db.session.flush()
    journaliser(
        "structure.document_ajout",
        structure,
        par=par,
        details={"document": document.id, "type": type_, "annee": annee, "sha256": fichier.sha256},
    )
    return document


def retirer_document(document, *, par):
    structure = document.structure
    if not structure.can_modifier(par):
        raise Refus("Vous n'êtes pas membre de cette structure.", code="interdit")
    if document.retire_le is not None:
        raise Refus("Ce document est déjà retiré.", code="document_retire")
    document.retire_le = maintenant()
    db.session.flush()
    journaliser("structure.document_retrait", structure, par=par, details={"document": document.id})
