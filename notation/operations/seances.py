"""Preparing a session: its date, place, president and members, its agenda, who attends."""

from decimal import Decimal

from sqlalchemy import select

from aap.entrees import texte_propre
from aap.erreurs import Conflit, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.journal import journaliser
from aap.models import Role
from aap.numerotation import verrouiller
from aap.types import maintenant
from candidatures.models import Dossier, Statut

from .. import regles
from ..models import Decision, Declaration, FeuilleNotation, MembreSeance, Nature, Phase, PointOrdreDuJour, Seance
from .phases import courriel_notation_ouverte


def _membres_valides(service_id, utilisateurs):
    erreurs = []
    for utilisateur in utilisateurs:
        if (
            not utilisateur.actif
            or utilisateur.service_id != service_id
            or not utilisateur.a_role(Role.COPIL, Role.AGENT, Role.ADMIN)
        ):
            erreurs.append(
                regles.Erreur(
                    "membres",
                    "membre_invalide",
                    f"{utilisateur.nom_complet} ne peut pas siéger : seuls les membres du COPIL et les agents "
                    "actifs du service peuvent être invités.",
                )
            )
    return erreurs


def _probleme_seuil(seuil):
    if seuil is None:
        return []
    if not (Decimal("0.01") <= seuil <= 1) or seuil != seuil.quantize(Decimal("0.01")):
        return [
            regles.Erreur(
                "seuil_desaccord",
                "seuil_invalide",
                "Le seuil de désaccord est un pourcentage entier entre 1 et 100 % (0,01 à 1).",
            )
        ]
    return []


def creer_seance(
    campagne,
    *,
    tenue_le,
    lieu,
    lien_visio,
    president,
    membres,
    par,
    seuil_desaccord=None,
    instant=None,
):
    """A new session in preparation, on a date to come (`instant`: now). The president sits among its members; its
    quarter is the one of its date (AAP §C.2: at least one session a quarter)."""
    instant = instant or maintenant()
    lieu, lien_visio = texte_propre(lieu), texte_propre(lien_visio)
    membres = list(dict.fromkeys([president, *membres]))
    erreurs = regles.verifier_seance(tenue_le, lieu, lien_visio, instant) + _membres_valides(campagne.service_id, membres)
    erreurs += _probleme_seuil(seuil_desaccord)
    refuser_si_erreurs(erreurs)
    annee, trimestre = regles.trimestre_de(tenue_le, campagne.service.fuseau)
    seance = Seance(
        campagne_id=campagne.id,
        service_id=campagne.service_id,
        tenue_le=tenue_le,
        lieu=texte_propre(lieu),
        lien_visio=texte_propre(lien_visio),
        annee=annee,
        trimestre=trimestre,
        phase=Phase.PREPARATION,
        president_id=president.id,
        seuil_desaccord=seuil_desaccord or regles.SEUIL_DESACCORD_DEFAUT,
        cree_par_id=par.id,
        cree_le=instant,
    )
    seance.membres = [MembreSeance(utilisateur_id=m.id, ajoute_le=instant) for m in membres]
    db.session.add(seance)
    db.session.flush()
    journaliser(
        "seance.creation",
        seance,
        par=par,
        details={
            "campagne": campagne.id,
            "tenue_le": tenue_le,
            "lieu": seance.lieu,
            "lien_visio": seance.lien_visio,
            "trimestre": f"{annee}-T{trimestre}",
            "president": president.id,
            "membres": [m.id for m in membres],
        },
    )
    return seance


def modifier_seance(seance, *, version, tenue_le, lieu, lien_visio, president, membres, par, seuil_desaccord=None):
    """Date (and so quarter), place, president and members, while the session is prepared or scored. A member who
    already submitted scores stays; a member added while scoring is open is told at once."""
    if seance.version != version:
        raise Conflit(
            "La séance a été modifiée entre-temps (par un autre agent ou dans un autre onglet) : "
            "rechargez la page pour voir la version à jour, puis refaites vos changements."
        )
    if seance.phase not in (Phase.PREPARATION, Phase.NOTATION):
        raise Refus("La séance est en délibération ou close : elle ne peut plus être modifiée.", code="seance_figee")
    lieu, lien_visio = texte_propre(lieu), texte_propre(lien_visio)
    membres = list(dict.fromkeys([president, *membres]))
    nouveaux = {m.id for m in membres}
    retires = [m for m in seance.membres if m.utilisateur_id not in nouveaux]
    erreurs = regles.verifier_seance(tenue_le, lieu, lien_visio) + _membres_valides(seance.service_id, membres)
    erreurs += _retraits_refuses(seance, retires) + _probleme_seuil(seuil_desaccord)
    refuser_si_erreurs(erreurs)
    avant = _etat_journalise(seance)
    seance.tenue_le, seance.lieu, seance.lien_visio = tenue_le, lieu, lien_visio
    seance.annee, seance.trimestre = regles.trimestre_de(tenue_le, seance.service.fuseau)
    seance.president_id = president.id
    if seuil_desaccord is not None:
        seance.seuil_desaccord = seuil_desaccord
    ajoutes = _changer_membres(seance, membres, retires)
    flush_ou_conflit("La séance a été modifiée entre-temps : rechargez la page.")
    apres = _etat_journalise(seance)
    changements = {cle: [avant[cle], apres[cle]] for cle in avant if avant[cle] != apres[cle]}
    if changements:
        journaliser("seance.modification", seance, par=par, details=changements)
    if seance.phase == Phase.NOTATION:
        for utilisateur in ajoutes:
            courriel_notation_ouverte(seance, utilisateur)
    return seance


def _retraits_refuses(seance, retires):
    """A member who already submitted scores stays a member of the session."""
    if not retires:
        return []
    ayant_note = set(
        db.session.scalars(
            select(FeuilleNotation.membre_id).where(
                FeuilleNotation.seance_id == seance.id,
                FeuilleNotation.membre_id.in_([m.utilisateur_id for m in retires]),
                FeuilleNotation.soumise_le.is_not(None),
            )
        )
    )
    return [
        regles.Erreur(
            "membres",
            "membre_ayant_note",
            f"{membre.utilisateur.nom_complet} a déjà soumis des notes : il reste membre de la séance.",
        )
        for membre in retires
        if membre.utilisateur_id in ayant_note
    ]


def _changer_membres(seance, membres, retires):
    """Removes `retires`, adds those of `membres` not yet sitting; returns the people added."""
    for membre in retires:
        seance.membres.remove(membre)
    existants = {m.utilisateur_id for m in seance.membres}
    ajoutes = [m for m in membres if m.id not in existants]
    for utilisateur in ajoutes:
        seance.membres.append(MembreSeance(utilisateur_id=utilisateur.id, ajoute_le=maintenant()))
    return ajoutes


def _etat_journalise(seance):
    """What the audit entry of a change compares, before and after."""
    return {
        "tenue_le": seance.tenue_le,
        "lieu": seance.lieu,
        "lien_visio": seance.lien_visio,
        "trimestre": f"{seance.annee}-T{seance.trimestre}",
        "president": seance.president_id,
        "membres": sorted(m.utilisateur_id for m in seance.membres),
        "seuil_desaccord": seance.seuil_desaccord,
    }


def inscrire(seance, dossier, *, par):
    """Puts a recevable dossier on the agenda. A dossier waits on one agenda at a time: it may go on a
    later session's only once adjourned."""
    if seance.phase not in (Phase.PREPARATION, Phase.NOTATION):
        raise Refus("L'ordre du jour est arrêté : la séance délibère ou est close.", code="ordre_du_jour_fige")
    dossier = verrouiller(Dossier, dossier.id)  # deux inscriptions simultanées du même dossier : une seule
    if dossier.campagne_id != seance.campagne_id:
        raise Refus("Ce dossier relève d'une autre campagne que la séance.", code="autre_campagne", champ="dossier_id")
    if dossier.statut != Statut.RECEVABLE:
        raise Refus(
            f"Le dossier {dossier} n'est pas recevable (statut : {dossier.statut.libelle.lower()}) : "
            "seuls les dossiers complets sont examinés (AAP §B.2-2).",
            code="non_recevable",
            champ="dossier_id",
        )
    if dossier.profil.emergente and dossier.avis_ctn is None:
        raise Refus(
            f"Le dossier {dossier} vient d'une structure émergente : l'avis du comité technique national doit être "
            "enregistré avant son examen par le COPIL (AAP §C.1).",
            code="avis_ctn_manquant",
            champ="dossier_id",
        )
    ailleurs = db.session.execute(
        select(PointOrdreDuJour.seance_id, Decision.nature)
        .outerjoin(
            Decision,
            (Decision.seance_id == PointOrdreDuJour.seance_id) & (Decision.dossier_id == PointOrdreDuJour.dossier_id),
        )
        .where(PointOrdreDuJour.dossier_id == dossier.id)
    ).all()
    for seance_id, nature in ailleurs:
        if seance_id == seance.id:
            raise Conflit(f"Le dossier {dossier} est déjà à l'ordre du jour de cette séance.", champ="dossier_id")
        if nature != Nature.AJOURNE:
            raise Refus(
                f"Le dossier {dossier} est déjà à l'ordre du jour d'une autre séance : un dossier est examiné dans "
                "une seule séance, sauf s'il y a été ajourné.",
                code="deja_inscrit",
                champ="dossier_id",
            )
    rang = max((p.rang for p in seance.ordre_du_jour), default=0) + 1
    point = PointOrdreDuJour(dossier_id=dossier.id, rang=rang, inscrit_par_id=par.id, inscrit_le=maintenant())
    seance.ordre_du_jour.append(point)
    flush_ou_conflit(f"Le dossier {dossier} vient d'être inscrit par ailleurs : rechargez la page.")
    journaliser("seance.inscription", seance, par=par, details={"dossier": dossier.id, "numero": dossier.numero, "rang": rang})
    return point


def retirer(seance, dossier, *, par):
    """Takes a dossier off the agenda, before anyone has scored it."""
    point = next((p for p in seance.ordre_du_jour if p.dossier_id == dossier.id), None)
    if point is None:
        raise Refus("Ce dossier n'est pas à l'ordre du jour de la séance.", code="hors_ordre_du_jour")
    if seance.phase not in (Phase.PREPARATION, Phase.NOTATION):
        raise Refus("L'ordre du jour est arrêté : la séance délibère ou est close.", code="ordre_du_jour_fige")
    notee = db.session.scalar(
        select(FeuilleNotation.id)
        .where(FeuilleNotation.seance_id == seance.id, FeuilleNotation.dossier_id == dossier.id)
        .limit(1)
    )
    if notee is not None:
        raise Refus(
            f"Des membres ont commencé à noter le dossier {dossier} : il reste à l'ordre du jour. "
            "Le COPIL pourra l'ajourner en délibération.",
            code="dossier_deja_note",
        )
    declarations = db.session.scalars(
        select(Declaration).where(Declaration.seance_id == seance.id, Declaration.dossier_id == dossier.id)
    ).all()
    for declaration in declarations:
        db.session.delete(declaration)
    seance.ordre_du_jour.remove(point)
    db.session.flush()
    journaliser(
        "seance.retrait",
        seance,
        par=par,
        details={
            "dossier": dossier.id,
            "numero": dossier.numero,
            "declarations_retirees": [
                {"membre": d.membre_id, "conflit": d.conflit, "nature": d.nature, "le": d.declaree_le} for d in declarations
            ],
        },
    )


def marquer_presences(seance, presents, *, par):
    """Who attends (for the minutes), in deliberation."""
    if seance.phase not in (Phase.NOTATION, Phase.DELIBERATION):
        raise Refus("Les présences se notent pendant la séance, avant sa clôture.", code="seance_figee")
    presents = set(presents)
    changes = {}
    for membre in seance.membres:
        present = membre.utilisateur_id in presents
        if membre.present != present:
            changes[membre.utilisateur_id] = [membre.present, present]
            membre.present = present
    if changes:
        db.session.flush()
        journaliser("seance.presences", seance, par=par, details={"presences": changes})
