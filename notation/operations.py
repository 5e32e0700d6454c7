"""Every write of the notation domain: each checks its rule, changes the rows, writes the audit entry and
queues the emails; it flushes, and the caller (a view, the API, a command) commits once.

Permissions (who may call what on which object) are checked by the callers with the model's methods,
so that an object someone may not see answers 404; the operations check the rules of the call.
"""

import hashlib
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from aap.courriels import mettre_en_file
from aap.entrees import texte_propre
from aap.erreurs import Conflit, Invalide, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.formats import date_fr, pluriel
from aap.journal import canonique, journaliser
from aap.models import Campagne, Role, Service
from aap.numerotation import verrouiller
from aap.regles import probleme_grille
from aap.types import maintenant
from candidatures.lecture import destinataires
from candidatures.models import ChangementStatut, Dossier, Statut
from candidatures.synthese import synthese_budget, taux_plafond

from . import lecture, regles
from .models import (
    Avis,
    Decision,
    Declaration,
    FeuilleNotation,
    MembreSeance,
    Nature,
    Note,
    Phase,
    PointOrdreDuJour,
    Seance,
)

MOTIF_MAX = 5000


def delais_rappel():
    brut = str(current_app.config.get("RAPPELS_COPIL_JOURS", "7,2"))
    try:
        return tuple(sorted({int(n) for n in brut.split(",") if n.strip()}, reverse=True)) or regles.RAPPELS_JOURS_DEFAUT
    except ValueError:
        return regles.RAPPELS_JOURS_DEFAUT


# --- Séances ---------------------------------------------------------------------------------------


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
    erreurs = regles.verifier_seance(tenue_le, lieu, lien_visio) + _membres_valides(seance.service_id, membres)
    nouveaux = {m.id for m in membres}
    retires = [m for m in seance.membres if m.utilisateur_id not in nouveaux]
    if retires:
        ayant_note = set(
            db.session.scalars(
                select(FeuilleNotation.membre_id).where(
                    FeuilleNotation.seance_id == seance.id,
                    FeuilleNotation.membre_id.in_([m.utilisateur_id for m in retires]),
                    FeuilleNotation.soumise_le.is_not(None),
                )
            )
        )
        for membre in retires:
            if membre.utilisateur_id in ayant_note:
                erreurs.append(
                    regles.Erreur(
                        "membres",
                        "membre_ayant_note",
                        f"{membre.utilisateur.nom_complet} a déjà soumis des notes : il reste membre de la séance.",
                    )
                )
    erreurs += _probleme_seuil(seuil_desaccord)
    refuser_si_erreurs(erreurs)
    annee, trimestre = regles.trimestre_de(tenue_le, seance.service.fuseau)
    avant = {
        "tenue_le": seance.tenue_le,
        "lieu": seance.lieu,
        "lien_visio": seance.lien_visio,
        "trimestre": f"{seance.annee}-T{seance.trimestre}",
        "president": seance.president_id,
        "membres": sorted(m.utilisateur_id for m in seance.membres),
        "seuil_desaccord": seance.seuil_desaccord,
    }
    seance.tenue_le = tenue_le
    seance.lieu = texte_propre(lieu)
    seance.lien_visio = texte_propre(lien_visio)
    seance.annee, seance.trimestre = annee, trimestre
    seance.president_id = president.id
    if seuil_desaccord is not None:
        seance.seuil_desaccord = seuil_desaccord
    for membre in retires:
        seance.membres.remove(membre)
    existants = {m.utilisateur_id for m in seance.membres}
    ajoutes = [m for m in membres if m.id not in existants]
    for utilisateur in ajoutes:
        seance.membres.append(MembreSeance(utilisateur_id=utilisateur.id, ajoute_le=maintenant()))
    flush_ou_conflit("La séance a été modifiée entre-temps : rechargez la page.")
    apres = {
        "tenue_le": seance.tenue_le,
        "lieu": seance.lieu,
        "lien_visio": seance.lien_visio,
        "trimestre": f"{seance.annee}-T{seance.trimestre}",
        "president": seance.president_id,
        "membres": sorted(m.id for m in membres),
        "seuil_desaccord": seance.seuil_desaccord,
    }
    changements = {cle: [avant[cle], apres[cle]] for cle in avant if avant[cle] != apres[cle]}
    if changements:
        journaliser("seance.modification", seance, par=par, details=changements)
    if seance.phase == Phase.NOTATION:
        for utilisateur in ajoutes:
            _courriel_notation_ouverte(seance, utilisateur)
    return seance


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


def _courriel_notation_ouverte(seance, utilisateur):
    mettre_en_file(
        utilisateur.email,
        f"{seance.intitule} : la notation est ouverte",
        "notation_ouverte",
        service_id=seance.service_id,
        cle=f"notation-ouverte:{seance.id}:{utilisateur.id}",
        seance=seance,
        membre=utilisateur,
        dossiers=len(seance.ordre_du_jour),
    )


def _exiger_la_date(seance, vers, motif, instant):
    """Deliberating or closing before the session's day needs a reason (AAP §C.2: the minutes report a meeting that
    happened); the reason is kept for the minutes and returned ("" on or after the day)."""
    probleme = regles.probleme_avant_la_date(seance.tenue_le, instant, str(vers), "", seance.service.fuseau)
    if probleme is None:
        return ""
    motif = texte_propre(motif)
    if not motif:
        raise Refus(probleme, code="avant_la_seance", champ="motif")
    if len(motif) > MOTIF_MAX:
        raise Invalide([regles.Erreur("motif", "motif_trop_long", f"Le motif : {MOTIF_MAX} caractères au plus.")])
    quoi = "Délibération" if vers == Phase.DELIBERATION else "Clôture"
    ligne = f"{quoi} le {date_fr(instant)}, avant la date de la séance : {motif}"
    seance.motif_avant_date = f"{seance.motif_avant_date}\n{ligne}".strip()
    return motif


def changer_phase(seance, vers, *, par, instant=None, motif="", confirmer=False):
    """Preparation → scoring open (members are emailed) → deliberation → closed (see `clore`). Deliberating before
    the session's day needs `motif`; closing with scores missing needs `confirmer`."""
    seance = verrouiller(Seance, seance.id)  # un double clic ou deux agents : une seule transition
    vers = Phase(vers)
    if seance.phase == vers:
        raise Conflit(f"La séance est déjà au stade « {vers.libelle.lower()} ».", code="deja_fait")
    if vers == Phase.CLOSE:
        return clore(seance, par=par, instant=instant, motif=motif, confirmer=confirmer)
    etat = regles.EtatSeance(seance.phase, len(seance.ordre_du_jour), len(seance.membres))
    probleme = regles.probleme_transition(etat, vers)
    if probleme:
        raise Refus(probleme, code="transition_impossible", champ="phase")
    if vers == Phase.NOTATION and (probleme := probleme_grille(c.maximum for c in seance.campagne.criteres)):
        raise Refus(probleme, code="grille_invalide", champ="phase")
    instant = instant or maintenant()
    details = {}
    if vers == Phase.DELIBERATION and (motif_ := _exiger_la_date(seance, vers, motif, instant)):
        details["avant_la_date"] = motif_
    ancienne = seance.phase
    seance.phase = str(vers)
    if vers == Phase.NOTATION:
        seance.notation_ouverte_le = instant
        for membre in seance.membres:
            _courriel_notation_ouverte(seance, membre.utilisateur)
    elif vers == Phase.DELIBERATION:
        seance.deliberation_le = instant
    db.session.flush()
    journaliser("seance.phase", seance, par=par, details={"phase": [ancienne, str(vers)]} | details)
    return seance


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


# --- Déclarations d'intérêts ------------------------------------------------------------------------


def notes_visibles(seance, dossier_id):
    """Whether any member could already see the dossier's scores: once the session deliberates, or once
    one member has submitted his scores (he then sees the others' as they come)."""
    if seance.phase in (Phase.DELIBERATION, Phase.CLOSE):
        return True
    return (
        db.session.scalar(
            select(FeuilleNotation.id)
            .where(
                FeuilleNotation.seance_id == seance.id,
                FeuilleNotation.dossier_id == dossier_id,
                FeuilleNotation.soumise_le.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


def declarer(seance, dossier, membre, *, conflit, nature="", par=None):
    """A member's declaration for a dossier, before seeing or scoring it. Declaring a conflict is always
    possible until the session closes (his scores then stop counting); withdrawing one is refused once
    the dossier's scores may be visible; every change is in the audit log with its time."""
    par = par or membre
    if seance.close:
        raise Refus("La séance est close : les déclarations ne changent plus.", code="seance_close")
    if seance.membre(membre) is None or not any(p.dossier_id == dossier.id for p in seance.ordre_du_jour):
        raise Refus("Seuls les membres de la séance déclarent leurs intérêts pour ses dossiers.", code="non_membre")
    nature = texte_propre(nature)
    if conflit and not nature:
        raise Invalide(
            [
                regles.Erreur(
                    "nature", "nature_manquante", "Précisez la nature du conflit d'intérêts (lien avec la structure, fonction…)."
                )
            ]
        )
    if not conflit:
        nature = ""
    instant = maintenant()
    declaration = db.session.scalar(
        select(Declaration).where(
            Declaration.seance_id == seance.id, Declaration.dossier_id == dossier.id, Declaration.membre_id == membre.id
        )
    )
    if declaration is None:
        declaration = Declaration(
            seance_id=seance.id, dossier_id=dossier.id, membre_id=membre.id, conflit=conflit, nature=nature, declaree_le=instant
        )
        db.session.add(declaration)
        flush_ou_conflit("Votre déclaration a déjà été enregistrée (dans un autre onglet) : rechargez la page.")
        journaliser(
            "declaration.creation",
            seance,
            par=par,
            details={"dossier": dossier.id, "membre": membre.id, "conflit": conflit, "nature": nature},
        )
        return declaration
    if (declaration.conflit, declaration.nature) == (conflit, nature):
        return declaration
    if declaration.conflit and not conflit and notes_visibles(seance, dossier.id):
        raise Refus(
            f"Votre déport sur ce dossier, déclaré le {_date(declaration.declaree_le)}, ne peut plus être retiré : "
            "les notes du dossier peuvent déjà être vues. Adressez-vous au président de séance.",
            code="deport_definitif",
            champ="conflit",
        )
    avant = {"conflit": declaration.conflit, "nature": declaration.nature, "declaree_le": declaration.declaree_le}
    declaration.conflit, declaration.nature, declaration.modifiee_le = conflit, nature, instant
    db.session.flush()
    journaliser(
        "declaration.modification",
        seance,
        par=par,
        details={
            "dossier": dossier.id,
            "membre": membre.id,
            "avant": avant,
            "apres": {"conflit": conflit, "nature": nature},
            "notes_visibles": notes_visibles(seance, dossier.id),
        },
    )
    return declaration


def _date(instant):
    from aap.formats import instant_fr

    return instant_fr(instant)


# --- Notation ---------------------------------------------------------------------------------------


def feuille_de(seance, dossier_id, membre_id):
    return db.session.scalar(
        select(FeuilleNotation).where(
            FeuilleNotation.seance_id == seance.id,
            FeuilleNotation.dossier_id == dossier_id,
            FeuilleNotation.membre_id == membre_id,
        )
    )


MESSAGE_CONFLIT_FEUILLE = (
    "Vos notes de ce dossier ont été enregistrées entre-temps depuis un autre onglet ou une autre fenêtre : "
    "ce que vous venez de saisir n'a pas été enregistré, pour ne rien écraser. Rechargez la page pour voir la "
    "version enregistrée, puis reportez vos changements."
)


def enregistrer_notes(
    seance, dossier, membre, *, version, points, commentaires, avis, commentaire="", soumettre=False, acces=None
):
    """Saves a member's draft (possibly incomplete) or submits it (complete; then locked).

    `version` is the sheet's version the member's page was built from (0 for a sheet not yet created): an
    older one means another tab saved meanwhile, and nothing is overwritten (Conflit, 409).
    """
    from .models import AccesSeance

    acces = acces or AccesSeance(seance, membre)
    feuille = acces.feuille(dossier.id) or feuille_de(seance, dossier.id, membre.id)
    actuelle = feuille.version if feuille is not None else 0
    if version != actuelle:
        raise Conflit(MESSAGE_CONFLIT_FEUILLE, code="version_perimee")
    if not acces.can_noter(dossier.id):
        if acces.deporte(dossier.id):
            raise Refus("Vous êtes déporté sur ce dossier : vous ne le notez pas.", code="deporte")
        if acces.declaration(dossier.id) is None:
            raise Refus("Déclarez d'abord vos éventuels conflits d'intérêts pour ce dossier.", code="declaration_requise")
        if feuille is not None and feuille.soumise:
            raise Refus(
                "Vos notes de ce dossier sont soumises : elles ne changent plus, sauf réouverture par le président de séance.",
                code="feuille_soumise",
            )
        raise Refus("La notation de cette séance n'est pas ouverte.", code="notation_fermee")
    grille = regles.grille_de(seance.campagne.criteres)
    points = {code: valeur for code, valeur in points.items() if code in {c.code for c in grille}}
    commentaires = {code: texte_propre(valeur or "") for code, valeur in (commentaires or {}).items()}
    if avis is not None and avis not in set(Avis):
        raise Invalide([regles.Erreur("avis", "avis_invalide", "Choisissez : favorable, réservé ou défavorable.")])
    refuser_si_erreurs(regles.verifier_feuille(grille, points, commentaires, avis, soumission=soumettre))
    instant = maintenant()
    if feuille is None:
        feuille = FeuilleNotation(seance_id=seance.id, dossier_id=dossier.id, membre_id=membre.id, creee_le=instant)
        feuille.notes = [Note(critere_id=c.id, maximum=Decimal(c.maximum), points=None) for c in seance.campagne.criteres]
        db.session.add(feuille)
    par_critere = {n.critere_id: n for n in feuille.notes}
    for critere in seance.campagne.criteres:
        note = par_critere.get(critere.id)
        if note is None:
            note = Note(critere_id=critere.id, maximum=Decimal(critere.maximum))
            feuille.notes.append(note)
        note.points = points.get(critere.code)
        note.commentaire = commentaires.get(critere.code, "")
    feuille.avis = str(avis) if avis else None
    feuille.commentaire = texte_propre(commentaire)
    feuille.modifiee_le = instant
    if soumettre:
        feuille.soumise_le = instant
    flush_ou_conflit(MESSAGE_CONFLIT_FEUILLE)
    # Le journal se lit par les agents du service, dont certains siègent : il prouve ce qui a été saisi (empreinte
    # du contenu) sans montrer les notes, qui ne se voient qu'après avoir noté soi-même (pas d'ancrage).
    journaliser(
        "feuille.soumission" if soumettre else "feuille.brouillon",
        seance,
        par=membre,
        details={
            "dossier": dossier.id,
            "feuille": feuille.id,
            "membre": membre.id,
            "version": feuille.version,
            "empreinte": empreinte_feuille(feuille, seance.campagne.criteres),
        },
    )
    acces.feuilles[dossier.id] = feuille
    return feuille


def _points_canoniques(points):
    return None if points is None else f"{Decimal(points):.1f}"


def empreinte_feuille(feuille, criteres):
    """SHA-256 of a sheet's content (points and comments per criterion, opinion, general comment)."""
    par_critere = {n.critere_id: n for n in feuille.notes}
    contenu = {
        "notes": {
            c.code: [
                _points_canoniques(par_critere[c.id].points) if c.id in par_critere else None,
                par_critere[c.id].commentaire if c.id in par_critere else "",
            ]
            for c in criteres
        },
        "avis": feuille.avis,
        "commentaire": feuille.commentaire,
    }
    return hashlib.sha256(canonique(contenu).encode()).hexdigest()


def rouvrir(seance, feuille, *, motif, par):
    """The president reopens a submitted sheet (a mistake, a second look): audited, and the member is told."""
    if seance.phase not in (Phase.NOTATION, Phase.DELIBERATION):
        raise Refus("La séance est close : les notes ne changent plus.", code="seance_close")
    if not feuille.soumise:
        raise Conflit("Cette notation n'est pas soumise : elle est déjà modifiable par son auteur.", code="deja_ouverte")
    motif = texte_propre(motif)
    if not motif:
        raise Invalide([regles.Erreur("motif", "motif_manquant", "Indiquez pourquoi vous rouvrez cette notation.")])
    instant = maintenant()
    feuille.soumise_le, feuille.rouverte_le, feuille.rouverte_par_id = None, instant, par.id
    flush_ou_conflit(MESSAGE_CONFLIT_FEUILLE)
    journaliser(
        "feuille.reouverture",
        seance,
        par=par,
        details={"feuille": feuille.id, "dossier": feuille.dossier_id, "membre": feuille.membre_id, "motif": motif},
    )
    mettre_en_file(
        feuille.membre.email,
        f"{seance.intitule} : votre notation est rouverte",
        "notation_rouverte",
        service_id=seance.service_id,
        seance=seance,
        feuille=feuille,
        dossier=db.session.get(Dossier, feuille.dossier_id),
        motif=motif,
        par=par,
    )
    return feuille


# --- Rappels -----------------------------------------------------------------------------------------


def envoyer_rappels(instant=None, seance=None):
    """Reminds members of sessions in scoring who have not submitted every score they owe, a few days
    before the session (RAPPELS_COPIL_JOURS, "7,2" by default). Each reminder is queued once per member and
    delay (its key), however often this runs. Returns the number of reminders queued."""
    instant = instant or maintenant()
    delais = delais_rappel()
    requete = select(Seance).where(Seance.phase == Phase.NOTATION, Seance.tenue_le >= instant - timedelta(days=1))
    if seance is not None:
        requete = requete.where(Seance.id == seance.id)
    envoyes = 0
    for une_seance in db.session.scalars(requete).all():
        jours = regles.rappel_du(une_seance.tenue_le, instant, une_seance.service.fuseau, delais)
        if jours is None:
            continue
        dossiers = {p.dossier_id for p in une_seance.ordre_du_jour}
        deportes = {
            (d.membre_id, d.dossier_id)
            for d in db.session.scalars(
                select(Declaration).where(Declaration.seance_id == une_seance.id, Declaration.conflit.is_(True))
            )
        }
        soumises = {
            (f.membre_id, f.dossier_id)
            for f in db.session.execute(
                select(FeuilleNotation.membre_id, FeuilleNotation.dossier_id).where(
                    FeuilleNotation.seance_id == une_seance.id, FeuilleNotation.soumise_le.is_not(None)
                )
            )
        }
        for membre in une_seance.membres:
            restants = [
                d for d in dossiers if (membre.utilisateur_id, d) not in deportes and (membre.utilisateur_id, d) not in soumises
            ]
            if not restants:
                continue
            courriel = mettre_en_file(
                membre.utilisateur.email,
                f"Rappel : {une_seance.intitule} — {pluriel(len(restants), 'dossier')} à noter",
                "rappel_notation",
                service_id=une_seance.service_id,
                cle=f"rappel-notation:{une_seance.id}:{membre.utilisateur_id}:J-{jours}",
                seance=une_seance,
                membre=membre.utilisateur,
                restants=len(restants),
            )
            envoyes += courriel is not None
    return envoyes


def alerter_trimestres(instant=None):
    """AAP §C.2 (a minima une fois par trimestre): tells each service, once per quarter (its key), when a calendar
    quarter ended with recevable dossiers waiting and no COPIL session held. Returns the number of emails queued."""
    envoyes = 0
    for service in db.session.scalars(select(Service).where(Service.courriel != "")).all():
        alerte = lecture.trimestre_sans_copil(service, instant)
        if alerte is None:
            continue
        courriel = mettre_en_file(
            service.courriel,
            f"Aucun COPIL au {'1er' if alerte.trimestre == 1 else f'{alerte.trimestre}e'} trimestre {alerte.annee} : "
            f"{pluriel(alerte.dossiers, 'dossier recevable')} {'attendent' if alerte.dossiers > 1 else 'attend'}",
            "trimestre_sans_copil",
            service_id=service.id,
            cle=f"trimestre-sans-copil:{service.id}:{alerte.annee}-T{alerte.trimestre}",
            alerte=alerte,
        )
        envoyes += courriel is not None
    return envoyes


# --- Décisions -----------------------------------------------------------------------------------------


def decider(
    seance,
    dossier,
    *,
    nature,
    par,
    version=0,
    montant_accorde=None,
    etp_facilitateur=None,
    etp_coordinateur=None,
    cout_retenu=None,
    conditions="",
    motif="",
):
    """Records (or changes, until the session closes) the decision on a dossier, in deliberation. A retenu
    amount is at most the State's cap rate (of the dossier as filed) of the cost of what is funded: the filed
    year-1 cost prorated to the ETP granted, or `cout_retenu`, a revised budget (AAP §B.2-3); and within the
    campaign's year-1 credits (§C.2).

    The campaign's row is locked first: two decisions at once (two presidents, two tabs) are judged one
    after the other against what is really left, so the envelope is never overspent.
    """
    if seance.phase != Phase.DELIBERATION:
        raise Refus("Les décisions se prennent en délibération.", code="hors_deliberation")
    if not any(p.dossier_id == dossier.id for p in seance.ordre_du_jour):
        raise Refus("Ce dossier n'est pas à l'ordre du jour de la séance.", code="hors_ordre_du_jour")
    campagne = verrouiller(Campagne, seance.campagne_id)
    existante = db.session.scalar(
        select(Decision)
        .where(Decision.seance_id == seance.id, Decision.dossier_id == dossier.id)
        .execution_options(populate_existing=True)
    )
    if (existante.version if existante else 0) != version:
        raise Conflit(
            "La décision sur ce dossier a été enregistrée ou modifiée entre-temps (autre onglet ou autre personne) : "
            "rechargez la page ; rien n'a été écrasé.",
            code="version_perimee",
        )
    nature = str(nature)
    motif, conditions = texte_propre(motif), texte_propre(conditions)
    retenu = nature == Nature.RETENU
    etp_facilitateur = Decimal(etp_facilitateur if etp_facilitateur is not None else 0) if retenu else Decimal("0")
    etp_coordinateur = Decimal(etp_coordinateur if etp_coordinateur is not None else 0) if retenu else Decimal("0")
    montant_accorde = Decimal(montant_accorde) if (retenu and montant_accorde is not None) else None
    cout_retenu = Decimal(cout_retenu) if (retenu and cout_retenu is not None) else None
    accordes = lecture.credits_accordes(campagne.id, sauf_decision_id=existante.id if existante else None)
    disponible = campagne.credits - accordes
    refuser_si_erreurs(
        regles.verifier_decision(
            nature,
            demande_de(dossier),
            disponible,
            montant_accorde=montant_accorde,
            etp_facilitateur=etp_facilitateur,
            etp_coordinateur=etp_coordinateur,
            cout_retenu=cout_retenu,
            motif=motif,
            etp_minimum=campagne.etp_minimum,
        )
    )
    valeurs = {
        "nature": nature,
        "montant_accorde": montant_accorde,
        "etp_facilitateur": etp_facilitateur,
        "etp_coordinateur": etp_coordinateur,
        "cout_retenu": cout_retenu,
        "conditions": texte_propre(conditions) if retenu else "",
        "motif": texte_propre(motif),
    }
    avant = {cle: getattr(existante, cle) for cle in valeurs} if existante else None
    decision = existante or Decision(seance_id=seance.id, dossier_id=dossier.id)
    for cle, valeur in valeurs.items():
        setattr(decision, cle, valeur)
    decision.decide_le, decision.decide_par_id = maintenant(), par.id
    if existante is None:
        db.session.add(decision)
    flush_ou_conflit("La décision sur ce dossier a été enregistrée entre-temps : rechargez la page ; rien n'a été écrasé.")
    journaliser(
        "decision.enregistrement" if avant is None else "decision.modification",
        seance,
        par=par,
        details={
            "dossier": dossier.id,
            "numero": dossier.numero,
            "decision": decision.id,
            "avant": avant,
            "apres": valeurs,
            "credits_restants": disponible - (montant_accorde or 0),
        },
    )
    return decision


def demande_de(dossier):
    """What the dossier asked, as the decision rules read it: its year-1 cost and cap rate as filed."""
    return regles.Demande(
        dossier.montant_demande,
        dossier.etp_facilitateur,
        dossier.etp_coordinateur,
        synthese_budget(dossier)[0].charges,
        taux_plafond(dossier),
    )


# --- Clôture ----------------------------------------------------------------------------------------

STATUT_APRES = {Nature.RETENU: Statut.RETENU, Nature.REJETE: Statut.REJETE, Nature.AJOURNE: Statut.RECEVABLE}


def _commentaire_statut(decision, seance):
    from aap.formats import date_fr, euros

    if decision.nature == Nature.RETENU:
        return (
            f"Projet retenu par le COPIL du {date_fr(seance.tenue_le)} : {euros(decision.montant_accorde)} accordés. "
            "La convention est à signer dans les 15 jours suivant la notification."
        )
    if decision.nature == Nature.REJETE:
        return f"Projet non retenu par le COPIL du {date_fr(seance.tenue_le)}. Motif : {decision.motif}"
    return (
        f"Examen ajourné par le COPIL du {date_fr(seance.tenue_le)}. Motif : {decision.motif} "
        "Votre dossier reste recevable et sera examiné lors d'une prochaine séance."
    )


def clore(seance, *, par, instant=None, motif="", confirmer=False):
    """Freezes the session and produces its documents: the minutes (PDF), the workbook (XLSX), a letter per
    dossier (PDF) emailed to its structure; each dossier takes its new status; the notification date is
    recorded (the 15-day clock of the convention starts from it, AAP §D.1). Closing before the session's day
    needs `motif`; closing while members have not scored needs `confirmer` (a refusal names them); both go to
    the minutes."""
    from . import documents

    seance = verrouiller(Seance, seance.id)
    if seance.phase == Phase.CLOSE:
        raise Conflit("La séance est déjà close.", code="deja_fait")
    seance = lecture.charger_seance(seance.id)
    decisions = {d.dossier_id: d for d in lecture.decisions_de(seance.id)}
    etat = regles.EtatSeance(
        seance.phase,
        len(seance.ordre_du_jour),
        len(seance.membres),
        tuple(str(p.dossier) for p in seance.ordre_du_jour if p.dossier_id not in decisions),
    )
    probleme = regles.probleme_transition(etat, Phase.CLOSE)
    if probleme:
        raise Refus(probleme, code="transition_impossible", champ="phase")
    instant = instant or maintenant()
    manquantes = [(u.nom_complet, n) for u, n in lecture.notes_manquantes(seance)]
    if manquantes and not confirmer:
        raise Refus(regles.message_notes_manquantes(manquantes), code="notes_manquantes", champ="confirmer")
    motif_ = _exiger_la_date(seance, Phase.CLOSE, motif, instant)
    seance.phase, seance.close_le, seance.close_par_id = Phase.CLOSE, instant, par.id
    for point in seance.ordre_du_jour:
        decision = decisions[point.dossier_id]
        dossier = point.dossier
        statut = STATUT_APRES[decision.nature]
        ancien = dossier.statut
        dossier.statut = str(statut)
        db.session.add(
            ChangementStatut(
                dossier_id=dossier.id,
                statut=str(statut),
                par_id=par.id,
                le=instant,
                commentaire=_commentaire_statut(decision, seance),
            )
        )
        journaliser(
            "dossier.decision_copil",
            dossier,
            par=par,
            details={
                "seance": seance.id,
                "decision": decision.id,
                "nature": decision.nature,
                "statut": [ancien, str(statut)],
                "montant_accorde": decision.montant_accorde,
            },
        )
    db.session.flush()
    tableau = lecture.tableau_seance(seance)
    feuilles = lecture.feuilles_completes(seance.id)
    declarations = lecture.declarations_de(seance.id)
    seance.proces_verbal = documents.proces_verbal(tableau, declarations, manquantes, par=par, instant=instant)
    seance.classeur = documents.classeur(tableau, feuilles, declarations, par=par)
    for ligne in tableau.lignes:
        decision = ligne.decision
        decision.lettre = documents.lettre(tableau, ligne, par=par, instant=instant)
        decision.notifie_le = instant
        for adresse in destinataires(ligne.dossier.structure):
            mettre_en_file(
                adresse,
                f"Décision du COPIL sur votre dossier {ligne.dossier.numero}",
                "notification_decision",
                service_id=seance.service_id,
                cle=f"notification:{decision.id}:{adresse.lower()}",
                pieces_jointes=[decision.lettre],
                dossier=ligne.dossier,
                decision=decision,
                seance=seance,
            )
    db.session.flush()
    journaliser(
        "seance.cloture",
        seance,
        par=par,
        details={
            "phase": ["deliberation", "close"],
            "proces_verbal": seance.proces_verbal.sha256,
            "classeur": seance.classeur.sha256,
            "lettres": {ligne.dossier.numero: ligne.decision.lettre.sha256 for ligne in tableau.lignes},
            "notifie_le": instant,
            "notes_manquantes": {nom: n for nom, n in manquantes},
            "avant_la_date": motif_ or None,
        },
    )
    return seance
