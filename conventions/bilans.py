"""The reports of a convention: a draft saved, attachments, the filing (a frozen, fingerprinted version), then the
agent's approval or request for corrections. Each write checks its rule, changes the rows, writes the audit entry
and queues the emails; the caller commits."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from aap import fichiers
from aap.courriels import mettre_en_file
from aap.entrees import texte_propre
from aap.erreurs import Conflit, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.formats import euros
from aap.journal import canonique, journaliser
from aap.limites import TEXTE_MAX
from aap.types import maintenant

from . import regles, suivi
from .lecture import aujourdhui
from .models import (
    EtatVersement,
    PieceBilan,
    StatutBilan,
    StatutConvention,
    TypeBilan,
    ValeurBilan,
    VersionBilan,
)
from .operations import adresse_agent, clore_si_terminee, courriel_structure, texte_saisi, verifier_version
from .paiements import regler_annee

# --- Bilans --------------------------------------------------------------------------------------------


def indicateurs_de(bilan):
    annee = bilan.annee
    return suivi.indicateurs_du_bilan(bilan.type, annee.etp_facilitateur, annee.etp_coordinateur)


def financement_depot(convention):
    """The pre-existing posts' current financing as the dossier declared it when filed (its snapshot)."""
    return convention.dossier.profil.financement_courant


def alerte_non_baisse(bilan):
    """The annual report's warning when that financing went down (article 7), or None."""
    if bilan.type != TypeBilan.ANNUEL:
        return None
    return suivi.alerte_non_baisse(bilan.valeurs_par_cle(), financement_depot(bilan.convention))


def precedentes(bilan):
    """The values of the previous period, for the plausibility warning: the same kind of report of the previous
    year (or the previous quarter), as last filed."""
    convention = bilan.convention
    candidats = []
    for annee in convention.annees:
        for autre in annee.bilans:
            if (
                autre.id != bilan.id
                and autre.type == bilan.type
                and autre.premier_depot_le is not None
                and (annee.rang, autre.ordre) < (bilan.annee.rang, bilan.ordre)
            ):
                candidats.append(autre)
    if not candidats:
        return {}
    dernier = max(candidats, key=lambda b: (b.annee.rang, b.ordre))
    return {cle: v for cle, v in dernier.valeurs_par_cle().items() if isinstance(v, Decimal)}


def _exiger_modifiable(bilan):
    if not bilan.modifiable:
        raise Refus(f"Ce bilan est « {bilan.statut.libelle.lower()} » : il ne se modifie plus.", code="bilan_fige")
    if bilan.convention.statut == StatutConvention.A_SIGNER or bilan.annee.signee_le is None:
        raise Refus("Les bilans se remplissent une fois la convention (ou l'avenant) signée.", code="non_signee")


def lire_valeurs(bilan, saisies):
    """Typed person's input {clé: text} → ({clé: Decimal | str | None}, errors)."""
    valeurs, erreurs = {}, []
    for indicateur in indicateurs_de(bilan):
        brut = saisies.get(indicateur.cle)
        if indicateur.numerique:
            valeur, message = regles.lire_nombre(brut)
            if message:
                erreurs.append(regles.Erreur(indicateur.cle, "valeur_invalide", message))
            valeurs[indicateur.cle] = valeur
        else:
            texte = texte_propre(brut if isinstance(brut, str) else "")
            if len(texte) > TEXTE_MAX:
                erreurs.append(regles.Erreur(indicateur.cle, "texte_trop_long", f"{TEXTE_MAX} caractères au plus."))
            valeurs[indicateur.cle] = texte
    return valeurs, erreurs


def enregistrer_bilan(bilan, *, valeurs, par, depenses_realisees=None, version=None):
    """Saves a draft: each value checked (no negative hours, integers where counts are asked); returns the
    warnings (an implausible jump from the previous period) without blocking."""
    verifier_version(
        bilan,
        version,
        "Ce bilan a été enregistré entre-temps (autre onglet ou autre personne) : rechargez la page ; rien n'a été écrasé.",
    )
    _exiger_modifiable(bilan)
    lues, erreurs_lecture = lire_valeurs(bilan, valeurs)
    depenses, message = regles.lire_nombre(depenses_realisees)
    if message:
        erreurs_lecture.append(regles.Erreur("depenses_realisees", "montant_invalide", message))
    illisibles = {e.champ for e in erreurs_lecture}
    avec_depenses = bilan.type in suivi.DEPENSES_DEMANDEES
    erreurs, avertissements = suivi.verifier_bilan(
        indicateurs_de(bilan),
        lues,
        precedentes(bilan),
        depot=False,
        type_bilan=bilan.type,
        depenses=depenses,
        financement_depot=financement_depot(bilan.convention),
    )
    refuser_si_erreurs(erreurs_lecture + [e for e in erreurs if e.champ not in illisibles])
    existantes = {f"{v.poste}.{v.code}": v for v in bilan.valeurs}
    for cle, valeur in lues.items():
        ligne = existantes.get(cle)
        if ligne is None:
            poste, code = cle.split(".", 1)
            ligne = ValeurBilan(poste=poste, code=code)
            bilan.valeurs.append(ligne)
        if suivi.PAR_CLE[cle].numerique:
            ligne.nombre, ligne.texte = valeur, ""
        else:
            ligne.nombre, ligne.texte = None, valeur or ""
    if avec_depenses:
        bilan.depenses_realisees = depenses
    bilan.modifie_le = maintenant()
    flush_ou_conflit("Ce bilan a été enregistré entre-temps : rechargez la page ; rien n'a été écrasé.")
    journaliser("bilan.brouillon", bilan.convention, par=par, details={"bilan": bilan.id, "version": bilan.version})
    return avertissements


def ajouter_piece(bilan, televersement, *, par, nature="annexe", libelle=""):
    _exiger_modifiable(bilan)
    if nature not in ("annexe", "compte_rendu_financier"):
        raise Refus("Nature de pièce inconnue.", code="nature_invalide", champ="nature")
    if nature == "compte_rendu_financier" and bilan.type not in suivi.DEPENSES_DEMANDEES:
        raise Refus(
            "Le compte rendu financier se joint au compte rendu financier de l'année (ou, s'il est prêt, au bilan annuel).",
            code="crf_hors_annuel",
            champ="nature",
        )
    libelle, erreurs = texte_saisi(libelle, "libelle", "le libellé", False, 200)
    refuser_si_erreurs(erreurs)
    fichier = fichiers.enregistrer(televersement, par=par, service_id=bilan.convention.service_id)
    instant = maintenant()
    if nature == "compte_rendu_financier":
        for ancienne in bilan.pieces_courantes:
            if ancienne.nature == nature:
                ancienne.retiree_le = instant
    piece = PieceBilan(nature=nature, libelle=libelle, fichier=fichier, ajoutee_le=instant, ajoutee_par_id=par.id)
    bilan.pieces.append(piece)
    db.session.flush()
    journaliser(
        "bilan.piece",
        bilan.convention,
        par=par,
        details={
            "bilan": bilan.id,
            "piece": piece.id,
            "nature": nature,
            "nom": fichier.nom,
            "sha256": fichier.sha256,
        },
    )
    return piece


def retirer_piece(piece, *, par):
    bilan = piece.bilan
    _exiger_modifiable(bilan)
    if piece.retiree_le is not None:
        raise Conflit("Cette pièce est déjà retirée.", code="deja_retiree")
    piece.retiree_le = maintenant()
    db.session.flush()
    journaliser("bilan.piece_retiree", bilan.convention, par=par, details={"bilan": bilan.id, "piece": piece.id})


def _instantane(bilan):
    contenu = {
        "bilan": bilan.id,
        "type": bilan.type,
        "arrete_au": bilan.arrete_au,
        "valeurs": {cle: (str(v) if isinstance(v, Decimal) else v) for cle, v in sorted(bilan.valeurs_par_cle().items())},
        "depenses_realisees": bilan.depenses_realisees,
        "pieces": [{"nature": p.nature, "nom": p.fichier.nom, "sha256": p.fichier.sha256} for p in bilan.pieces_courantes],
    }
    texte = canonique(contenu)
    return texte, hashlib.sha256(texte.encode()).hexdigest()


def deposer_bilan(bilan, *, par, version=None, instant=None):
    """Files the report: every indicator filled, the spending and the compte rendu financier for the annual
    report. The filed version is frozen and kept; the agent is told."""
    verifier_version(bilan, version, "Ce bilan a été enregistré entre-temps : rechargez la page ; rien n'a été écrasé.")
    _exiger_modifiable(bilan)
    instant = instant or maintenant()
    probleme = regles.probleme_fenetre(bilan.type, bilan.ouverture, aujourdhui(bilan.convention, instant))
    if probleme:
        raise Refus(probleme, code="hors_fenetre")
    valeurs = bilan.valeurs_par_cle()
    erreurs, _ = suivi.verifier_bilan(
        indicateurs_de(bilan),
        valeurs,
        precedentes(bilan),
        depot=True,
        type_bilan=bilan.type,
        depenses=bilan.depenses_realisees,
        crf=bilan.compte_rendu_financier is not None,
        financement_depot=financement_depot(bilan.convention),
    )
    refuser_si_erreurs(erreurs)
    texte, empreinte = _instantane(bilan)
    rang = len(bilan.versions) + 1
    bilan.versions.append(VersionBilan(rang=rang, depose_le=instant, depose_par_id=par.id, instantane=texte, empreinte=empreinte))
    ancien = bilan.statut
    bilan.statut = StatutBilan.DEPOSE
    bilan.premier_depot_le = bilan.premier_depot_le or instant
    bilan.depose_le, bilan.corrections_avant, bilan.modifie_le = instant, None, instant
    flush_ou_conflit("Ce bilan a été déposé entre-temps : rechargez la page.")
    convention = bilan.convention
    a_l_heure = regles.jour_local(bilan.premier_depot_le, convention.service.fuseau) <= bilan.echeance
    journaliser(
        "bilan.depot",
        convention,
        par=par,
        details={
            "bilan": bilan.id,
            "type": bilan.type,
            "rang": rang,
            "statut": [ancien, "depose"],
            "empreinte": empreinte,
            "echeance": bilan.echeance,
            "a_l_heure": a_l_heure,
        },
    )
    mettre_en_file(
        adresse_agent(convention),
        f"Convention {convention.numero} : {bilan.intitule.lower()} déposé",
        "bilan_depose",
        service_id=convention.service_id,
        convention=convention,
        bilan=bilan,
        rang=rang,
    )
    return bilan


def _exiger_depose(bilan):
    if bilan.statut != StatutBilan.DEPOSE:
        raise Refus(f"Ce bilan est « {bilan.statut.libelle.lower()} » : seul un bilan déposé s'examine.", code="etat_invalide")


def approuver_bilan(bilan, *, par, depenses_eligibles=None, commentaire="", version=None, instant=None):
    """Approves a filed report. The annual report (provisional spending) feeds the renewal decision; only the
    final account (compte rendu financier, filed once the year has ended) settles the year's money: what the
    State owes (`regles.du_par_l_etat`: its cap rate of the eligible spending, within the grant) becomes the
    year's due, the balance (due − advance paid) becomes payable, or, when the due is below the advance, the
    amount to recover is computed and its follow-up opened."""
    verifier_version(bilan, version, "Ce bilan a changé entre-temps : rechargez la page.")
    _exiger_depose(bilan)
    commentaire, erreurs = texte_saisi(commentaire, "commentaire", "le commentaire")
    annee = bilan.annee
    financier = bilan.type == TypeBilan.FINANCIER
    depenses = None
    if financier:
        if depenses_eligibles in (None, ""):
            depenses = bilan.depenses_realisees
        else:
            depenses, message = regles.lire_nombre(depenses_eligibles)
            if message or depenses is None or depenses < 0 or depenses != depenses.quantize(regles.CENTIME):
                erreurs.append(
                    regles.Erreur(
                        "depenses_eligibles",
                        "montant_invalide",
                        message or "Les dépenses s'expriment en euros et centimes, positives.",
                    )
                )
            elif depenses > bilan.depenses_realisees:
                erreurs.append(
                    regles.Erreur(
                        "depenses_eligibles",
                        "depenses_superieures",
                        f"Les dépenses éligibles retenues ne dépassent pas les dépenses déclarées au compte rendu "
                        f"financier ({euros(bilan.depenses_realisees)}).",
                    )
                )
        if annee.avance.etat in (EtatVersement.PREVU, EtatVersement.A_PAYER):
            raise Refus(
                "L'avance de cette année doit être payée (ou annulée) avant d'approuver le compte rendu financier : "
                "le solde se calcule sur ce qui a été versé.",
                code="avance_non_payee",
            )
    refuser_si_erreurs(erreurs)
    instant = instant or maintenant()
    version_ = bilan.versions[-1]
    version_.decision, version_.decide_le, version_.decide_par_id = "approuve", instant, par.id
    version_.commentaire = commentaire
    bilan.statut, bilan.approuve_le, bilan.approuve_par_id = StatutBilan.APPROUVE, instant, par.id
    details = {"bilan": bilan.id, "type": bilan.type, "version": version_.rang, "empreinte": version_.empreinte}
    if financier:
        details |= regler_annee(annee, depenses, instant)
    flush_ou_conflit("Ce bilan a changé entre-temps : rechargez la page.")
    journaliser("bilan.approbation", bilan.convention, par=par, details=details)
    courriel_structure(
        bilan.convention,
        f"Convention {bilan.convention.numero} : {bilan.intitule[:1].lower()}{bilan.intitule[1:]} approuvé",
        "bilan_approuve",
        bilan=bilan,
        annee=annee,
    )
    clore_si_terminee(bilan.convention, par=par)
    return bilan


def demander_corrections(bilan, *, message, date_limite, par, version=None):
    """The agent returns a filed report with what to correct and by when (the same loop as a dossier's
    compléments); the structure corrects and files again, each filing kept."""
    verifier_version(bilan, version, "Ce bilan a changé entre-temps : rechargez la page.")
    _exiger_depose(bilan)
    message, erreurs = texte_saisi(message, "message", "ce qui est à corriger", True)
    jour = aujourdhui(bilan.convention)
    if date_limite is None or date_limite < jour or date_limite > jour + timedelta(days=180):
        erreurs.append(regles.Erreur("date_limite", "date_invalide", "Indiquez une date limite à venir (dans les six mois)."))
    refuser_si_erreurs(erreurs)
    version_ = bilan.versions[-1]
    version_.decision, version_.decide_le, version_.decide_par_id = "a_corriger", maintenant(), par.id
    version_.commentaire = message
    bilan.statut, bilan.corrections_avant = StatutBilan.A_CORRIGER, date_limite
    flush_ou_conflit("Ce bilan a changé entre-temps : rechargez la page.")
    journaliser(
        "bilan.corrections",
        bilan.convention,
        par=par,
        details={
            "bilan": bilan.id,
            "version": version_.rang,
            "message": message,
            "date_limite": date_limite,
        },
    )
    courriel_structure(
        bilan.convention,
        f"Convention {bilan.convention.numero} : corrections demandées",
        "bilan_corrections",
        bilan=bilan,
        message=message,
        date_limite=date_limite,
    )
    return bilan
