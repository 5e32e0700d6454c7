"""A session's phases: scoring opens (members are told), the COPIL deliberates, the session closes, producing its
documents and notifying each decision."""

from aap.courriels import mettre_en_file
from aap.entrees import texte_propre
from aap.erreurs import Conflit, Invalide, Refus
from aap.extensions import db
from aap.formats import date_fr, euros
from aap.journal import journaliser
from aap.numerotation import verrouiller
from aap.regles import probleme_grille
from aap.types import maintenant
from candidatures.lecture import destinataires
from candidatures.models import ChangementStatut, Statut

from .. import documents, lecture, regles, resultats
from ..models import Nature, Phase, Seance

MOTIF_MAX = 5000


def courriel_notation_ouverte(seance, utilisateur):
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
            courriel_notation_ouverte(seance, membre.utilisateur)
    elif vers == Phase.DELIBERATION:
        seance.deliberation_le = instant
    db.session.flush()
    journaliser("seance.phase", seance, par=par, details={"phase": [ancienne, str(vers)]} | details)
    return seance


# --- Clôture ----------------------------------------------------------------------------------------

STATUT_APRES = {Nature.RETENU: Statut.RETENU, Nature.REJETE: Statut.REJETE, Nature.AJOURNE: Statut.RECEVABLE}


def _commentaire_statut(decision, seance):
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
        decision, dossier = decisions[point.dossier_id], point.dossier
        ancien, dossier.statut = dossier.statut, str(STATUT_APRES[decision.nature])
        _historiser(decision, dossier, ancien, seance, par=par, instant=instant)
    db.session.flush()
    tableau = _produire_et_notifier(seance, manquantes, par=par, instant=instant)
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


def _historiser(decision, dossier, ancien, seance, *, par, instant):
    """The dossier's new status, given by the decision, in its history (the line its structure reads) and in the audit
    log."""
    statut = dossier.statut
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


def _produire_et_notifier(seance, manquantes, *, par, instant):
    """The minutes, the workbook and one letter per dossier, each letter emailed to its structure; returns the
    session's table the documents were made from."""
    tableau = resultats.tableau_seance(seance)
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
    return tableau
