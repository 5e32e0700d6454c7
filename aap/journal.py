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
