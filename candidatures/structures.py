"""Writes about a structure: a porteur's signup (and its structure's), the profile entered once and reused by every
dossier, its current fundings and its standing documents. Same contract as `operations`: check, change, audit,
flush; the caller commits."""

from sqlalchemy import select

from aap import fichiers
from aap.courriels import mettre_en_file
from aap.erreurs import Refus
from aap.extensions import db
from aap.journal import journaliser
from aap.limites import ETP_MAX, NOM_MAX, RAISON_SOCIALE_MAX
from aap.models import Commune, Role
from aap.operations import envoyer_confirmation, nouvel_utilisateur, service_par_defaut, utilisateur_par_email
from aap.regles import normaliser_siret
from aap.securite import hacher_mot_de_passe
from aap.types import maintenant

from . import regles
from .ecritures import nombre_verifie, texte_verifie
from .models import DocumentStructure, FinancementExistant, Poste, StatutJuridique, Structure, TypeDocument

# --- Inscription ------------------------------------------------------------------------------------


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
        structure = _nouvelle_structure(siret, raison_sociale, statut_juridique, service)
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
        _demander_rattachement(structure, utilisateur)
    return utilisateur


def _nouvelle_structure(siret, raison_sociale, statut_juridique, service):
    structure = Structure(
        siret=siret, raison_sociale=raison_sociale.strip(), statut_juridique=statut_juridique, service_id=service.id
    )
    db.session.add(structure)
    db.session.flush()
    journaliser("structure.creation", structure, details={"siret": siret, "raison_sociale": raison_sociale})
    return structure


def _demander_rattachement(structure, demandeur):
    """Each active member of the structure is asked to accept (or refuse) the newcomer."""
    for membre in structure.membres:
        if membre.rattachement_valide and membre.actif:
            mettre_en_file(
                membre.email,
                f"Demande de rattachement à {structure.raison_sociale}",
                "demande_rattachement",
                service_id=structure.service_id,
                membre=membre,
                demandeur=demandeur,
                structure=structure,
            )


# --- Profil ---------------------------------------------------------------------------------------

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
    propres = {champ: _lire_champ(champ, valeur) for champ, valeur in valeurs.items()}
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


def _lire_champ(champ, valeur):
    if champ not in CHAMPS_STRUCTURE:
        raise Refus("Champ inconnu.", code="champ_inconnu", champ=champ)
    if champ == "statut_juridique":
        if valeur not in {str(s) for s in StatutJuridique}:
            raise Refus("Statut juridique inconnu.", code="statut_inconnu", champ=champ)
        return valeur
    if champ == "commune_code":
        if valeur and db.session.get(Commune, valeur) is None:
            raise Refus("Commune inconnue.", code="commune_inconnue", champ=champ)
        return valeur or None
    if champ in ("emergente", "soumise_cac"):
        return bool(valeur)
    if champ.startswith("etp_"):
        return nombre_verifie(valeur, champ, "ETP", places=2, maximum=ETP_MAX)
    if champ == "annee_financements":
        return _annee(valeur, champ)
    return texte_verifie(valeur, champ, CHAMPS_STRUCTURE[champ])


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
    nom = texte_verifie(nom_financeur, "nom_financeur", NOM_MAX)
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
        montant_annee_precedente=nombre_verifie(montant_annee_precedente, "montant_annee_precedente", "Montant"),
        montant_annee_courante=nombre_verifie(montant_annee_courante, "montant_annee_courante", "Montant"),
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
    libelle = texte_verifie(libelle, "libelle", 200)
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
