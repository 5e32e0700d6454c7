"""The audit log: who changed what, when. Append-only and hash-chained.

Each entry's hash covers its content and the previous entry's hash, so any later edit, insertion
or deletion breaks the chain at that point; `verifier_chaine` names the first broken entry.

The chain covers the SHA-256 of the entry's personal part (who, as a label, and the details), not that
text itself: when a retention period ends (`aap.retention`), `anonymiser` replaces the personal part and
dates the erasure, the chain still verifies, and the database accepts that one change and no other.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select, update

from .extensions import db
from .models import EntreeJournal, TeteJournal
from .types import maintenant

HASH_INITIAL = "0" * 64

# Ce que dit chaque action, pour qui lit le journal ; une action sans libellé garde son code.
LIBELLES_ACTIONS = {
    "bilan.approbation": "Bilan approuvé",
    "bilan.brouillon": "Bilan enregistré (brouillon)",
    "bilan.corrections": "Corrections du bilan demandées",
    "bilan.depot": "Bilan déposé",
    "bilan.piece": "Pièce jointe au bilan",
    "bilan.piece_retiree": "Pièce du bilan retirée",
    "campagne.calendrier": "Calendrier de la campagne",
    "campagne.creation": "Campagne créée",
    "campagne.critere": "Critère de notation ajouté ou modifié",
    "campagne.critere_suppression": "Critère de notation supprimé",
    "campagne.mission": "Mission ajoutée ou modifiée",
    "campagne.mission_suppression": "Mission supprimée",
    "campagne.modification": "Campagne modifiée",
    "campagne.piece_ajout": "Pièce requise ajoutée",
    "campagne.piece_modification": "Pièce requise modifiée",
    "campagne.piece_suppression": "Pièce requise supprimée",
    "compte.creation": "Compte créé",
    "compte.email_confirme": "Adresse électronique confirmée",
    "compte.inscription": "Inscription",
    "compte.invitation": "Invitation envoyée",
    "compte.modification": "Compte modifié",
    "compte.mot_de_passe_change": "Mot de passe changé",
    "compte.rattachement_accepte": "Rattachement à la structure accepté",
    "compte.rattachement_refuse": "Rattachement à la structure refusé",
    "compte.reinitialisation_demandee": "Réinitialisation du mot de passe demandée",
    "compte.totp_active": "Application d'authentification activée",
    "compte.totp_desactive": "Application d'authentification désactivée",
    "connexion.appareil_a_confirmer": "Nouvel appareil à confirmer",
    "connexion.echec": "Échec de connexion",
    "connexion.echec_code": "Code d'authentification refusé",
    "connexion.fin": "Déconnexion",
    "connexion.reussie": "Connexion",
    "convention.cloture": "Convention close",
    "convention.creation": "Convention préparée",
    "convention.document": "Document de la convention produit",
    "convention.non_renouvellement": "Convention non renouvelée",
    "convention.renouvellement": "Convention renouvelée par avenant",
    "convention.signature": "Signature enregistrée",
    "decision.enregistrement": "Décision du COPIL enregistrée",
    "decision.modification": "Décision du COPIL modifiée",
    "declaration.creation": "Déclaration d'intérêts",
    "declaration.modification": "Déclaration d'intérêts modifiée",
    "dossier.avis_ctn": "Avis du comité technique national",
    "dossier.complements_demandes": "Compléments demandés",
    "dossier.creation": "Dossier créé",
    "dossier.decision_copil": "Décision du COPIL notifiée",
    "dossier.depot": "Dossier déposé",
    "dossier.irrecevable": "Dossier déclaré irrecevable",
    "dossier.modification": "Dossier modifié",
    "dossier.recevable": "Dossier déclaré complet et recevable",
    "feuille.brouillon": "Notes enregistrées (brouillon)",
    "feuille.reouverture": "Feuille de notation rouverte",
    "feuille.soumission": "Notes soumises",
    "jeton.creation": "Jeton d'API créé",
    "jeton.revocation": "Jeton d'API révoqué",
    "piece.ajout": "Pièce ajoutée",
    "piece.remplacement": "Pièce remplacée",
    "piece.reprise_document": "Document du profil repris comme pièce",
    "piece.retrait": "Pièce retirée",
    "reversement.suivi": "Suivi du reversement",
    "seance.cloture": "Séance close",
    "seance.creation": "Séance créée",
    "seance.inscription": "Dossier inscrit à l'ordre du jour",
    "seance.modification": "Séance modifiée",
    "seance.phase": "Phase de la séance changée",
    "seance.presences": "Présences enregistrées",
    "seance.retrait": "Dossier retiré de l'ordre du jour",
    "structure.creation": "Structure créée",
    "structure.document_ajout": "Document ajouté au profil",
    "structure.document_retrait": "Document retiré du profil",
    "structure.financement_ajout": "Financement existant ajouté",
    "structure.financement_suppression": "Financement existant supprimé",
    "structure.modification": "Profil de la structure modifié",
    "versement.ajustement": "Solde ajusté",
    "versement.annulation": "Versement annulé",
    "versement.paiement": "Versement payé",
}
LIBELLES_OBJETS = {
    "bilans": "Bilan",
    "campagnes": "Campagne",
    "conventions": "Convention",
    "decisions": "Décision",
    "dossiers": "Dossier",
    "feuilles_notation": "Feuille de notation",
    "seances": "Séance",
    "structures": "Structure",
    "utilisateurs": "Compte",
    "versements": "Versement",
}


def _json(valeur):
    if isinstance(valeur, Decimal):
        return str(valeur)
    if isinstance(valeur, (datetime, date)):
        return valeur.isoformat()
    return str(valeur)


def canonique(details):
    return json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=_json, separators=(",", ":"))


def empreinte_donnees(acteur, details):
    """SHA-256 of an entry's erasable part: the actor's label and the canonical details."""
    return hashlib.sha256(json.dumps([acteur, details], ensure_ascii=False).encode()).hexdigest()


def hash_entree(hash_precedent, entree):
    contenu = "|".join(
        [
            hash_precedent,
            entree.le.isoformat(),
            str(entree.acteur_id or ""),
            entree.action,
            entree.objet_type,
            entree.objet_id,
            str(entree.service_id or ""),
            entree.empreinte_donnees,
        ]
    )
    return hashlib.sha256(contenu.encode()).hexdigest()


def acteur_courant():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def journaliser(action, objet=None, *, par=None, details=None, service_id=None, acteur=None):
    """Appends an entry in the current transaction. `objet` is any model with an `id`."""
    par = par or acteur_courant()
    if hasattr(objet, "_get_current_object"):  # current_user
        objet = objet._get_current_object()
    if objet is not None and getattr(objet, "id", None) is None:
        db.session.flush()
    if service_id is None and objet is not None:
        service_id = getattr(objet, "service_id", None)
    # Le verrou d'écriture est pris avant de lire la tête : deux ajouts simultanés ne forment pas deux branches.
    db.session.execute(update(TeteJournal).where(TeteJournal.id == 1).values(nombre=TeteJournal.nombre + 1))
    precedent = db.session.scalar(select(TeteJournal.dernier_hash).where(TeteJournal.id == 1))
    entree = EntreeJournal(
        le=maintenant().replace(microsecond=0),
        acteur_id=par.id if par else None,
        acteur=acteur or (par.email if par else "système"),
        action=action,
        objet_type=type(objet).__tablename__ if objet is not None else "",
        objet_id=str(objet.id) if objet is not None else "",
        service_id=service_id,
        details=canonique(details),
        hash_precedent=precedent,
    )
    entree.empreinte_donnees = empreinte_donnees(entree.acteur, entree.details)
    entree.hash = hash_entree(precedent, entree)
    db.session.add(entree)
    db.session.execute(update(TeteJournal).where(TeteJournal.id == 1).values(dernier_hash=entree.hash))
    db.session.flush()
    return entree


def libelle_action(action):
    return LIBELLES_ACTIONS.get(action, action)


def _valeur_lisible(valeur):
    if valeur is None or valeur == "":
        return "—"
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, dict):
        return " ; ".join(f"{_cle_lisible(k)} : {_valeur_lisible(v)}" for k, v in valeur.items())
    if isinstance(valeur, list):
        # Un changement [avant, après] de deux valeurs simples se lit « avant → après ».
        if len(valeur) == 2 and not any(isinstance(v, (list, dict)) for v in valeur):
            return f"{_valeur_lisible(valeur[0])} → {_valeur_lisible(valeur[1])}"
        return ", ".join(_valeur_lisible(v) for v in valeur) or "—"
    texte = str(valeur)
    return texte[:12] + "…" if len(texte) == 64 and all(c in "0123456789abcdef" for c in texte) else texte


def _cle_lisible(cle):
    return str(cle).replace("_", " ").capitalize()


def details_lisibles(details):
    """The entry's details as (label, value) lines a person reads, instead of its JSON."""
    try:
        contenu = json.loads(details or "{}")
    except ValueError:
        return [("Détails", details)]
    if not isinstance(contenu, dict):
        return [("Détails", _valeur_lisible(contenu))]
    return [(_cle_lisible(cle), _valeur_lisible(valeur)) for cle, valeur in contenu.items()]


def anonymiser(condition, *, acteur=None, details=None, instant=None):
    """Erases the personal part of the entries matching `condition` (a SQL expression): the actor's label
    becomes `acteur` and the details `details` when given. Returns the number of entries changed."""
    valeurs = {"anonymise_le": instant or maintenant()}
    if acteur is not None:
        valeurs["acteur"] = acteur
    if details is not None:
        valeurs["details"] = canonique(details)
    return db.session.execute(update(EntreeJournal).where(condition).values(**valeurs)).rowcount


def changements(objet, champs, nouvelles_valeurs):
    """The {field: [before, after]} of what actually changes, to put in an entry's details."""
    return {
        champ: [getattr(objet, champ), valeur]
        for champ, valeur in nouvelles_valeurs.items()
        if champ in champs and getattr(objet, champ) != valeur
    }


def verifier_chaine(taille_lot=1000):
    """Returns (number of entries checked, id of the first broken entry or None)."""
    precedent, nombre, dernier_id = HASH_INITIAL, 0, 0
    while True:
        # Des lignes, pas des objets : la session de l'appelant n'est pas encombrée ni modifiée.
        lot = db.session.execute(
            select(*EntreeJournal.__table__.columns)
            .where(EntreeJournal.id > dernier_id)
            .order_by(EntreeJournal.id)
            .limit(taille_lot)
        ).all()
        if not lot:
            break
        for entree in lot:
            if entree.hash_precedent != precedent or hash_entree(precedent, entree) != entree.hash:
                return nombre, entree.id
            # Tant qu'elle n'est pas anonymisée, la partie personnelle est celle que la chaîne a scellée.
            if entree.anonymise_le is None and empreinte_donnees(entree.acteur, entree.details) != entree.empreinte_donnees:
                return nombre, entree.id
            precedent, nombre, dernier_id = entree.hash, nombre + 1, entree.id
    tete = db.session.scalar(select(TeteJournal.dernier_hash).where(TeteJournal.id == 1))
    if tete != precedent:  # des entrées ont été retirées en fin de chaîne
        return nombre, dernier_id + 1
    return nombre, None
