"""Writes of the candidatures domain on a dossier being written: creation, fields, pieces.

Each operation checks its rule, changes the rows, writes the audit entry and queues the emails; it
flushes, and the caller (a page, the API, the demo loader) commits once. A refused operation raises
`Refus` (or `Conflit` when the dossier changed meanwhile) before anything is kept. The filing is in
`depots`, the DEETS's instruction in `instruction`, the structure's profile in `structures`; the tools
they share in `ecritures`.
"""

from decimal import Decimal

from sqlalchemy import select

from aap import fichiers
from aap.erreurs import Refus
from aap.extensions import db
from aap.journal import journaliser
from aap.limites import ETP_MAX, LIBELLE_MAX, NOM_MAX, TEXTE_MAX, TITRE_MAX, VOLUME_MAX
from aap.models import Commune, Mission
from aap.regles import EtatCampagne, etat_campagne
from aap.types import maintenant

from . import regles
from .ecritures import enregistrer, nombre_verifie, texte_verifie, verifier_version
from .enums import DOCUMENT_POUR_PIECE
from .models import ChangementStatut, Dossier, LigneBudget, Piece, Statut, VolumeActivite

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
CASES = ("zone_blanche", "engagement_non_baisse", "declaration_honneur")


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
        titre=texte_verifie(titre, "titre", TITRE_MAX),
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
            propres[champ] = texte_verifie(valeur, champ, TEXTES[champ])
        elif champ in CASES:
            propres[champ] = bool(valeur)
        else:
            propres[champ] = LECTEURS[champ](dossier, champ, valeur)
    return propres


def _etp(dossier, champ, valeur):
    etp = nombre_verifie(valeur, champ, "ETP", places=2, maximum=ETP_MAX)
    if not regles.etp_valide(etp):
        raise Refus("Les ETP se demandent par pas de 0,05 (par exemple 0,5 ; 0,75 ou 1,2).", code="etp_invalide", champ=champ)
    return etp


def _communes(dossier, champ, valeur):
    codes = sorted(set(valeur or []))
    communes = db.session.scalars(select(Commune).where(Commune.code.in_(codes))).all()
    if len(communes) != len(codes):
        raise Refus("Commune inconnue.", code="commune_inconnue", champ=champ)
    return communes


def _missions(dossier, champ, valeur):
    ids = sorted({int(i) for i in (valeur or [])})
    missions = db.session.scalars(select(Mission).where(Mission.id.in_(ids), Mission.campagne_id == dossier.campagne_id)).all()
    if len(missions) != len(ids):
        raise Refus("Mission inconnue pour cette campagne.", code="mission_inconnue", champ=champ)
    return missions


def _volumes(dossier, champ, valeur):
    valeur = valeur or {}
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


def _budget(dossier, champ, valeur):
    valeur = valeur or {}
    budget = {}
    for categorie, (precision, montants) in valeur.items():
        if categorie not in regles.CATEGORIES_BUDGET:
            raise Refus("Ligne de budget inconnue.", code="categorie_inconnue", champ=f"budget.{categorie}")
        if len(montants) != 3:
            raise Refus("Trois montants attendus (années 1 à 3).", code="montants_invalides", champ=f"budget.{categorie}")
        budget[categorie] = (
            texte_verifie(precision, f"budget.{categorie}.precision", LIBELLE_MAX),
            tuple(
                nombre_verifie(m, f"budget.{categorie}.annee{i}", f"{regles.CATEGORIES_BUDGET[categorie]}, année {i}")
                for i, m in enumerate(montants, start=1)
            ),
        )
    return budget


# Ce qui lit chaque champ qui n'est ni un texte ni une case à cocher.
LECTEURS = {
    "etp_facilitateur": _etp,
    "etp_coordinateur": _etp,
    "communes": _communes,
    "missions": _missions,
    "volumes": _volumes,
    "budget": _budget,
}


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
    changes = {}
    for champ, valeur in _normaliser(dossier, valeurs).items():
        change = _appliquer(dossier, champ, valeur)
        if change is not None:
            changes[champ] = change
    if not changes:
        return []
    dossier.modifie_le = maintenant()
    enregistrer(dossier)
    journaliser("dossier.modification", dossier, par=par, details={"champs": changes})
    return list(changes)


def _appliquer(dossier, champ, valeur):
    """Sets one field; returns what the audit entry says of the change, or None when nothing changed."""
    if champ == "volumes":
        return "modifiés" if _appliquer_volumes(dossier, valeur) else None
    if champ == "budget":
        return "modifié" if _appliquer_budget(dossier, valeur) else None
    avant = getattr(dossier, champ)
    if champ in ("communes", "missions"):
        cle = (lambda x: x.code) if champ == "communes" else (lambda x: x.id)
        if {cle(x) for x in avant} == {cle(x) for x in valeur}:
            return None
        avant = list(avant)
    elif avant == valeur:
        return None
    change = _resume_changement(champ, avant, valeur)
    setattr(dossier, champ, valeur)
    if champ in ("engagement_non_baisse", "declaration_honneur") and valeur:
        dossier.engagements_le = maintenant()
    return change


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
    libelle = texte_verifie(libelle, "libelle", LIBELLE_MAX)
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
