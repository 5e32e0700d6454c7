"""Every write of the conventions domain: each checks its rule, changes the rows, writes the audit entry and
queues the emails; it flushes, and the caller (a view, the API, a command) commits once.

Permissions (who may call what on which convention) are checked by the callers with the model's methods,
so that a convention someone may not see answers 404; the operations check the rules of the call.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from aap import fichiers
from aap.courriels import mettre_en_file
from aap.entrees import texte_propre
from aap.erreurs import Conflit, Invalide, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.formats import date_fr, euros, pourcentage
from aap.journal import canonique, journaliser
from aap.limites import MONTANT_MAX, TEXTE_MAX, TITRE_MAX
from aap.models import Campagne
from aap.numerotation import prochain, verrouiller
from aap.pdf import produire_lettre
from aap.types import maintenant
from candidatures.lecture import destinataires
from candidatures.regles import synthese_budget
from candidatures.synthese import budget_de
from candidatures.synthese import taux_plafond as taux_plafond_de
from notation.lecture import credits_accordes
from notation.models import Decision
from notation.regles import Demande, plafond_decision

from . import delais, lecture, regles, suivi
from .lecture import aujourdhui
from .models import (
    AnneeConvention,
    Bilan,
    Convention,
    EtatReversement,
    EtatVersement,
    NatureVersement,
    Objectif,
    PieceBilan,
    Renouvellement,
    Reversement,
    StatutBilan,
    StatutConvention,
    TypeBilan,
    ValeurBilan,
    Versement,
    VersionBilan,
)


def _version(objet, version, message):
    if version is not None and objet.version != version:
        raise Conflit(message, code="version_perimee")


def _texte(valeur, champ, libelle, obligatoire=False, longueur=TEXTE_MAX):
    valeur = texte_propre(valeur or "")
    if obligatoire and not valeur:
        return valeur, [regles.Erreur(champ, f"{champ}_manquant", f"Indiquez {libelle}.")]
    if len(valeur) > longueur:
        return valeur, [
            regles.Erreur(champ, f"{champ}_trop_long", f"{libelle[0].upper()}{libelle[1:]} : {longueur} caractères au plus.")
        ]
    return valeur, []


def _adresse_agent(convention):
    agent = convention.agent
    if agent is not None and agent.actif and agent.instruit(convention.service_id):
        return agent.email
    return convention.service.courriel


def _courriel_structure(convention, sujet, gabarit, cle=None, **contexte):
    for adresse in destinataires(convention.structure):
        mettre_en_file(
            adresse,
            sujet,
            gabarit,
            service_id=convention.service_id,
            cle=f"{cle}:{adresse.lower()}" if cle else None,
            convention=convention,
            **contexte,
        )


# --- Objectifs ----------------------------------------------------------------------------------------


def objectifs_proposes(dossier, etp_facilitateur, etp_coordinateur):
    """Targets to discuss with the structure, from the volumes the dossier aimed at (annexe 2)."""
    heures = sum((Decimal(v.heures_insertion) for v in dossier.volumes), Decimal("0"))
    marches = sum((Decimal(v.nombre_marches) for v in dossier.volumes), Decimal("0"))
    propositions = {
        "facilitateur.heures_insertion_etp": heures,
        "facilitateur.contacts_acheteurs": (Decimal(30) * etp_facilitateur).quantize(Decimal("1")),
        "facilitateur.marches_accompagnes": marches,
        "coordinateur.sollicitations_repondues": (Decimal(40) * etp_coordinateur).quantize(Decimal("1")),
        "coordinateur.mises_en_relation": (Decimal(25) * etp_coordinateur).quantize(Decimal("1")),
        "coordinateur.marches_accompagnes": max(marches, Decimal(1)),
        "coordinateur.contrats_travail": (Decimal(20) * etp_coordinateur).quantize(Decimal("1")),
        "ensemble.marches_nombre": marches,
        "ensemble.heures_insertion_realisees": heures,
    }
    attendus = {i.cle for i in suivi.indicateurs_cibles(etp_facilitateur, etp_coordinateur)}
    return {cle: valeur for cle, valeur in propositions.items() if cle in attendus}


def _lire_objectifs(objectifs, etp_facilitateur, etp_coordinateur):
    """{clé: Decimal} for every target of the posts funded; errors next to each field."""
    resultat, erreurs = {}, []
    for indicateur in suivi.indicateurs_cibles(etp_facilitateur, etp_coordinateur):
        brut = objectifs.get(indicateur.cle)
        valeur, message = regles.lire_nombre(brut)
        message = message or suivi.probleme_valeur(indicateur, valeur)
        if message:
            erreurs.append(regles.Erreur(f"objectif-{indicateur.cle}", "objectif_invalide", message))
        elif valeur is None:
            erreurs.append(
                regles.Erreur(
                    f"objectif-{indicateur.cle}",
                    "objectif_manquant",
                    f"Fixez l'objectif « {indicateur.libelle} » avec la structure.",
                )
            )
        else:
            resultat[indicateur.cle] = valeur
    return resultat, erreurs


def _lire_montant(valeur, champ="montant", libelle="le montant"):
    montant, message = regles.lire_nombre(valeur)
    if message:
        return None, [regles.Erreur(champ, "montant_invalide", message)]
    if montant is None:
        return None, [regles.Erreur(champ, "montant_manquant", f"Indiquez {libelle}.")]
    if montant <= 0 or montant > MONTANT_MAX or montant != montant.quantize(regles.CENTIME):
        return None, [regles.Erreur(champ, "montant_invalide", "Le montant s'exprime en euros et centimes, positif.")]
    return montant, []


def produire_documents(annee, *, par=None):
    """Renders and stores the year's document (PDF and DOCX). At creation, or at the first download when the
    creation deferred it (demo history, imports), like a dossier's receipt."""
    from . import documents

    annee.document, annee.document_modifiable = documents.produire(annee, par=par)
    db.session.flush()
    journaliser(
        "convention.document",
        annee.convention,
        par=par,
        details={
            "annee": annee.rang,
            "pdf": annee.document.sha256,
            "docx": annee.document_modifiable.sha256,
        },
    )
    return annee.document, annee.document_modifiable


# --- Création -----------------------------------------------------------------------------------------


def _planifier_annee(
    convention,
    rang,
    debut,
    montant,
    etp_facilitateur,
    etp_coordinateur,
    objectifs,
    par,
    instant,
    documents=True,
    cout_retenu=None,
):
    """A year and everything it carries: targets, payment schedule (50/50), report calendar, document."""
    produire = documents
    cal = regles.calendrier(debut, convention.mois_bilan_intermediaire, coordinateur=etp_coordinateur > 0)
    annee = AnneeConvention(
        rang=rang,
        debut=cal.debut,
        fin=cal.fin,
        montant=montant,
        cout_retenu=cout_retenu,
        etp_facilitateur=etp_facilitateur,
        etp_coordinateur=etp_coordinateur,
        cree_le=instant,
        cree_par_id=par.id,
    )
    convention.annees.append(annee)
    for cle, cible in objectifs.items():
        poste, code = cle.split(".", 1)
        annee.objectifs.append(Objectif(poste=poste, code=code, cible=cible))
    avance, solde_ = regles.echeancier(montant)
    for nature, part in ((NatureVersement.AVANCE, avance), (NatureVersement.SOLDE, solde_)):
        annee.versements.append(
            Versement(
                convention=convention,
                nature=str(nature),
                montant_prevu=part,
                montant=part,
                etat=EtatVersement.PREVU,
                modifie_le=instant,
            )
        )
    annee.bilans.append(
        Bilan(convention=convention, type=TypeBilan.INTERMEDIAIRE, ordre=1, echeance=cal.bilan_intermediaire, modifie_le=instant)
    )
    annee.bilans.append(
        Bilan(convention=convention, type=TypeBilan.ANNUEL, ordre=1, echeance=cal.bilan_annuel, modifie_le=instant)
    )
    for ordre, (echeance, arrete_au) in enumerate(cal.trimestriels, start=1):
        annee.bilans.append(
            Bilan(
                convention=convention,
                type=TypeBilan.TRIMESTRIEL,
                ordre=ordre,
                echeance=echeance,
                arrete_au=arrete_au,
                modifie_le=instant,
            )
        )
    annee.bilans.append(
        Bilan(
            convention=convention,
            type=TypeBilan.FINANCIER,
            ordre=1,
            echeance=cal.compte_rendu_financier,
            arrete_au=cal.fin,
            modifie_le=instant,
        )
    )
    db.session.flush()
    if produire:
        produire_documents(annee, par=par)
    db.session.flush()
    return annee


def lire_taux(valeur, maximum):
    """The cap rate agreed in the convention: None gives `maximum` (the filed dossier's rate, §B.2-3); a lower
    rate may be agreed, never a higher one. → (Decimal | None, errors)."""
    if valeur in (None, ""):
        return maximum, []
    taux, message = regles.lire_nombre(valeur)
    if message or taux is None or taux <= 0 or taux != taux.quantize(Decimal("0.0001")):
        return None, [
            regles.Erreur("taux_plafond", "taux_invalide", "Indiquez un taux positif, à deux décimales au plus en pourcentage.")
        ]
    if taux > maximum:
        return None, [
            regles.Erreur(
                "taux_plafond",
                "taux_superieur_au_plafond",
                f"Le taux de la convention ne peut pas dépasser {pourcentage(maximum)}, le plafond de l'État pour ce "
                "dossier tel qu'il a été déposé (AAP §B.2-3) ; un taux inférieur peut être convenu.",
            )
        ]
    return taux, []


def creer_convention(
    decision, *, par, date_effet, objectifs, mois_intermediaire=None, taux_plafond=None, instant=None, documents=True
):
    """The convention of a retenu, notified decision: its number, its first year (12 months from the effective
    date), its cap rate (the filed dossier's, or a lower one agreed), targets, payment schedule, report calendar
    and document (PDF and DOCX). The 15-day signature clock runs from the notification (AAP §D.1)."""
    instant = instant or maintenant()
    decision = verrouiller(Decision, decision.id)  # deux clics : une seule convention
    if decision is None or not decision.retenu:
        raise Refus("Seul un dossier retenu par le COPIL donne lieu à une convention.", code="non_retenu")
    if decision.notifie_le is None:
        raise Refus(
            "La décision n'est pas encore notifiée : la convention se prépare après la clôture de la séance.", code="non_notifiee"
        )
    existante = db.session.scalar(select(Convention.id).where(Convention.decision_id == decision.id))
    if existante is not None:
        raise Conflit("La convention de ce dossier existe déjà.", code="deja_creee")
    dossier = decision.dossier
    service = dossier.service
    mois = regles.MOIS_BILAN_INTERMEDIAIRE if mois_intermediaire is None else mois_intermediaire
    erreurs = []
    if not isinstance(mois, int) or not 1 <= mois <= 11:
        erreurs.append(
            regles.Erreur(
                "mois_bilan_intermediaire", "mois_invalide", "Le bilan intermédiaire tombe entre le 1er et le 11e mois."
            )
        )
    probleme = regles.probleme_date_effet(date_effet, regles.jour_local(decision.notifie_le, service.fuseau))
    if probleme:
        erreurs.append(regles.Erreur("date_effet", "date_effet_invalide", probleme))
    cibles, erreurs_cibles = _lire_objectifs(objectifs, decision.etp_facilitateur, decision.etp_coordinateur)
    taux, erreurs_taux = lire_taux(taux_plafond, taux_plafond_de(dossier))
    refuser_si_erreurs(erreurs + erreurs_taux + erreurs_cibles)
    rang = prochain(f"convention:{service.code}:{dossier.campagne.annee}")
    convention = Convention(
        numero=f"CONV-{dossier.campagne.annee}-{service.code}-{rang:04d}",
        service_id=service.id,
        campagne_id=dossier.campagne_id,
        dossier_id=dossier.id,
        decision_id=decision.id,
        structure_id=dossier.structure_id,
        statut=StatutConvention.A_SIGNER,
        notifie_le=decision.notifie_le,
        date_limite_signature=regles.date_limite_signature(decision.notifie_le, service.fuseau),
        mois_bilan_intermediaire=mois,
        taux_plafond=taux,
        agent_id=par.id,
        cree_le=instant,
        cree_par_id=par.id,
    )
    convention.service, convention.dossier, convention.structure = service, dossier, dossier.structure
    convention.campagne, convention.decision = dossier.campagne, decision
    db.session.add(convention)
    flush_ou_conflit("La convention de ce dossier vient d'être créée par ailleurs : rechargez la page.")
    annee = _planifier_annee(
        convention,
        1,
        date_effet,
        decision.montant_accorde,
        decision.etp_facilitateur,
        decision.etp_coordinateur,
        cibles,
        par,
        instant,
        documents,
        cout_retenu=decision.cout_retenu,
    )
    journaliser(
        "convention.creation",
        convention,
        par=par,
        details={
            "numero": convention.numero,
            "decision": decision.id,
            "dossier": dossier.id,
            "montant": annee.montant,
            "taux_plafond": taux,
            "debut": annee.debut,
            "fin": annee.fin,
            "date_limite_signature": convention.date_limite_signature,
            "objectifs": {cle: str(v) for cle, v in cibles.items()},
            "document": annee.document.sha256 if annee.document else None,
        },
    )
    _courriel_structure(
        convention, f"Votre convention {convention.numero} est prête à signer", "convention_a_signer", annee=annee
    )
    return convention


# --- Signature ----------------------------------------------------------------------------------------

TYPES_SCAN = {"pdf", "jpg", "png"}


def garder_scan(annee, scan, *, par):
    """Checks and stores the signed copy of a year: at the signature, or before it when the form comes back refused
    for another reason (its date), so that the next try needs no new upload."""
    fichier = fichiers.enregistrer(scan, par=par, service_id=annee.convention.service_id)
    if fichier.extension not in TYPES_SCAN:
        raise Refus("Le document signé se dépose en PDF (ou en image JPEG ou PNG).", code="scan_invalide", champ="scan")
    return fichier


def enregistrer_signature(annee, *, signee_le, scan, par, instant=None):
    """Records the signature of the convention (year 1) or of an avenant: its date and the signed scan. The
    advance of the year becomes payable; a signature after the 15-day limit is recorded and flagged."""
    convention = annee.convention
    verrouiller(Convention, convention.id)
    if annee.signee_le is not None:
        raise Conflit(f"{annee.intitule} est déjà signée (le {date_fr(annee.signee_le)}).", code="deja_signee")
    if annee.rang > 1 and convention.annee(annee.rang - 1).signee_le is None:
        raise Refus("La convention initiale doit être signée d'abord.", code="ordre_signatures")
    jour = aujourdhui(convention, instant)
    probleme = regles.probleme_signature(signee_le, regles.jour_local(convention.notifie_le, convention.service.fuseau), jour)
    if probleme:
        raise Invalide([regles.Erreur("signee_le", "date_invalide", probleme)])
    fichier = scan if isinstance(scan, fichiers.Fichier) else garder_scan(annee, scan, par=par)
    annee.signee_le, annee.scan = signee_le, fichier
    annee.signature_enregistree_le, annee.signature_par_id = instant or maintenant(), par.id
    en_retard = annee.rang == 1 and signee_le > convention.date_limite_signature
    if annee.rang == 1:
        convention.statut = StatutConvention.EN_COURS
        convention.figer_beneficiaire()
    avance = annee.avance
    if avance.etat == EtatVersement.PREVU:
        avance.etat, avance.a_payer_le, avance.modifie_le = EtatVersement.A_PAYER, signee_le, maintenant()
    flush_ou_conflit("La convention a changé entre-temps : rechargez la page.")
    journaliser(
        "convention.signature",
        convention,
        par=par,
        details={
            "annee": annee.rang,
            "signee_le": signee_le,
            "date_limite": convention.date_limite_signature,
            "en_retard": en_retard,
            "scan": fichier.sha256,
            "avance_a_payer": avance.montant,
        },
    )
    _courriel_structure(
        convention,
        f"{annee.intitule} {convention.numero} : signature enregistrée",
        "convention_signee",
        annee=annee,
        en_retard=en_retard,
    )
    return annee


def signature_en_retard(annee):
    return annee.rang == 1 and annee.signee_le is not None and annee.signee_le > annee.convention.date_limite_signature


# --- Versements ----------------------------------------------------------------------------------------


def payer(versement, *, paye_le, reference, par, version=None):
    """An agent records a payment made: its date and the accounting reference (Chorus)."""
    _version(versement, version, "Ce versement a changé entre-temps : rechargez la page.")
    if versement.etat != EtatVersement.A_PAYER:
        raise Refus(
            f"Ce versement est « {versement.etat.libelle.lower()} » : seul un versement à mettre en "
            "paiement peut être marqué payé.",
            code="etat_invalide",
        )
    convention = versement.convention
    reference, erreurs = _texte(reference, "reference_comptable", "la référence comptable", True, 100)
    if paye_le is None:
        erreurs.append(regles.Erreur("paye_le", "date_manquante", "Indiquez la date du paiement."))
    elif paye_le > aujourdhui(convention):
        erreurs.append(regles.Erreur("paye_le", "date_future", "La date du paiement ne peut pas être dans le futur."))
    elif paye_le < versement.a_payer_le:
        erreurs.append(
            regles.Erreur(
                "paye_le", "date_invalide", f"Le versement n'était payable qu'à partir du {date_fr(versement.a_payer_le)}."
            )
        )
    refuser_si_erreurs(erreurs)
    versement.etat, versement.paye_le, versement.reference_comptable = EtatVersement.PAYE, paye_le, reference
    versement.modifie_le = maintenant()
    flush_ou_conflit("Ce versement a changé entre-temps : rechargez la page.")
    journaliser(
        "versement.paiement",
        convention,
        par=par,
        details={
            "versement": versement.id,
            "annee": versement.annee.rang,
            "nature": versement.nature,
            "montant": versement.montant,
            "paye_le": paye_le,
            "reference": reference,
        },
    )
    _courriel_structure(
        convention,
        f"Convention {convention.numero} : versement de {euros(versement.montant)}",
        "versement_paye",
        versement=versement,
    )
    clore_si_terminee(convention, par=par)
    return versement


def annuler(versement, *, motif, par, version=None):
    _version(versement, version, "Ce versement a changé entre-temps : rechargez la page.")
    if versement.etat not in (EtatVersement.PREVU, EtatVersement.A_PAYER):
        raise Refus(f"Ce versement est « {versement.etat.libelle.lower()} » : il ne s'annule plus.", code="etat_invalide")
    motif, erreurs = _texte(motif, "motif", "le motif de l'annulation", True)
    refuser_si_erreurs(erreurs)
    ancien = versement.etat
    versement.etat, versement.motif, versement.modifie_le = EtatVersement.ANNULE, motif, maintenant()
    annee = versement.annee
    if annee.montant_du is not None and versement.nature == NatureVersement.SOLDE and ancien == EtatVersement.A_PAYER:
        annee.montant_du -= versement.montant  # un solde arrêté puis annulé : l'État n'en doit plus rien
    flush_ou_conflit("Ce versement a changé entre-temps : rechargez la page.")
    journaliser(
        "versement.annulation",
        versement.convention,
        par=par,
        details={
            "versement": versement.id,
            "annee": versement.annee.rang,
            "nature": versement.nature,
            "etat": [ancien, "annule"],
            "montant": versement.montant,
            "motif": motif,
        },
    )
    clore_si_terminee(versement.convention, par=par)
    return versement


def avance_versee(annee):
    """The advance, unless cancelled (the final account is approved only once it is paid or cancelled)."""
    avance = annee.avance
    return avance.montant if avance.etat != EtatVersement.ANNULE else Decimal("0")


def plafond_solde(annee, depenses=None):
    """What the balance may be at most: what the State owes (its cap rate of the eligible spending, within the
    grant) minus the advance paid. `depenses`: the spending to judge (the year's eligible spending by default)."""
    depenses = annee.depenses_eligibles if depenses is None else depenses
    return regles.solde(annee.montant, avance_versee(annee), annee.convention.taux_plafond, depenses, annee.solde.montant_prevu)


def regularisation(annee, depenses=None):
    """The year's money for the pages: the annual report's estimate, then the final account's due and what
    settles it (`regles.regularisation`). `depenses`: the final spending to judge (the eligible spending retained,
    or else the one declared in the final account)."""
    annuel, financier = annee.bilan_annuel, annee.compte_rendu_financier
    if depenses is None:
        depenses = annee.depenses_eligibles
    if depenses is None and financier is not None and financier.premier_depot_le is not None:
        depenses = financier.depenses_realisees
    prevues = annuel.depenses_realisees if annuel is not None and annuel.premier_depot_le is not None else None
    return regles.regularisation(
        annee.montant, avance_versee(annee), annee.convention.taux_plafond, prevues, depenses, annee.solde.montant_prevu
    )


def ajuster_solde(versement, *, montant, motif, par, version=None):
    """The agent reduces the balance, with a reason, when what was achieved or spent is below what was agreed."""
    _version(versement, version, "Ce versement a changé entre-temps : rechargez la page.")
    if versement.nature != NatureVersement.SOLDE or versement.etat != EtatVersement.A_PAYER:
        raise Refus("Seul un solde à mettre en paiement peut être ajusté.", code="etat_invalide")
    motif, erreurs = _texte(motif, "motif", "le motif", False)
    montant_lu, message = regles.lire_nombre(montant)
    if message:
        erreurs.append(regles.Erreur("montant", "montant_invalide", message))
    refuser_si_erreurs(erreurs)
    plafond = plafond_solde(versement.annee)
    refuser_si_erreurs(regles.verifier_solde(montant_lu, plafond.maximum, versement.montant_prevu, motif))
    avant = versement.montant
    versement.montant, versement.motif, versement.modifie_le = montant_lu, motif, maintenant()
    annee = versement.annee
    if annee.montant_du is not None:
        annee.montant_du -= avant - montant_lu
    if montant_lu == 0:
        versement.etat = EtatVersement.ANNULE
        versement.motif = motif or "Solde ramené à zéro."
    flush_ou_conflit("Ce versement a changé entre-temps : rechargez la page.")
    journaliser(
        "versement.ajustement",
        versement.convention,
        par=par,
        details={
            "versement": versement.id,
            "annee": versement.annee.rang,
            "montant": [avant, montant_lu],
            "motif": motif,
            "plafond": plafond.maximum,
        },
    )
    clore_si_terminee(versement.convention, par=par)
    return versement


def suivre_reversement(reversement, *, etat, le, reference="", commentaire="", par):
    """The follow-up of an amount to recover: title issued (date, reference), then recovered (date)."""
    etat = EtatReversement(etat)
    suivant = {EtatReversement.A_EMETTRE: EtatReversement.EMIS, EtatReversement.EMIS: EtatReversement.RECOUVRE}
    if suivant.get(EtatReversement(reversement.etat)) != etat:
        raise Refus("Le reversement suit l'ordre : titre à émettre, titre émis, recouvré.", code="etat_invalide")
    convention = reversement.annee.convention
    erreurs = []
    if le is None or le > aujourdhui(convention):
        erreurs.append(regles.Erreur("le", "date_invalide", "Indiquez une date passée ou d'aujourd'hui."))
    reference, erreurs_ref = _texte(
        reference, "reference", "la référence du titre de perception", etat == EtatReversement.EMIS, 100
    )
    commentaire, erreurs_com = _texte(commentaire, "commentaire", "le commentaire")
    refuser_si_erreurs(erreurs + erreurs_ref + erreurs_com)
    if etat == EtatReversement.EMIS:
        reversement.titre_emis_le, reversement.reference = le, reference
    else:
        reversement.recouvre_le = le
    if commentaire:
        reversement.commentaire = commentaire
    ancien, reversement.etat = reversement.etat, str(etat)
    db.session.flush()
    journaliser(
        "reversement.suivi",
        convention,
        par=par,
        details={
            "reversement": reversement.id,
            "etat": [ancien, str(etat)],
            "le": le,
            "reference": reference,
            "montant": reversement.montant,
        },
    )
    return reversement


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
    _version(
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
    libelle, erreurs = _texte(libelle, "libelle", "le libellé", False, 200)
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
    _version(bilan, version, "Ce bilan a été enregistré entre-temps : rechargez la page ; rien n'a été écrasé.")
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
        _adresse_agent(convention),
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
    _version(bilan, version, "Ce bilan a changé entre-temps : rechargez la page.")
    _exiger_depose(bilan)
    commentaire, erreurs = _texte(commentaire, "commentaire", "le commentaire")
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
        details |= _regulariser(annee, depenses, instant)
    flush_ou_conflit("Ce bilan a changé entre-temps : rechargez la page.")
    journaliser("bilan.approbation", bilan.convention, par=par, details=details)
    _courriel_structure(
        bilan.convention,
        f"Convention {bilan.convention.numero} : {bilan.intitule[:1].lower()}{bilan.intitule[1:]} approuvé",
        "bilan_approuve",
        bilan=bilan,
        annee=annee,
    )
    clore_si_terminee(bilan.convention, par=par)
    return bilan


def _regulariser(annee, depenses, instant):
    """The year's money on its approved final account: the due, then the complement (the balance) or the
    reversement. Returns the audit details."""
    taux = annee.convention.taux_plafond
    avance = avance_versee(annee)
    solde_ = annee.solde
    calcul = plafond_solde(annee, depenses)
    annee.depenses_eligibles = depenses
    if solde_.etat == EtatVersement.PREVU:
        solde_.montant = calcul.maximum
        solde_.a_payer_le, solde_.modifie_le = regles.jour_local(instant, annee.convention.service.fuseau), instant
        regle = f"{pourcentage(taux)} de {euros(depenses)} de dépenses éligibles"
        if calcul.maximum > 0:
            solde_.etat = EtatVersement.A_PAYER
            if calcul.maximum < solde_.montant_prevu:
                solde_.motif = (
                    f"Solde limité à ce que l'État doit : {euros(calcul.du)} ({regle}, dans la limite de "
                    f"{euros(annee.montant)} accordés), moins l'avance de {euros(avance)}."
                )
        else:
            solde_.etat = EtatVersement.ANNULE
            solde_.motif = (
                f"Aucun solde : l'État doit {euros(calcul.du)} ({regle}), pas plus que l'avance versée ({euros(avance)})."
            )
    verse_solde = solde_.montant if solde_.etat == EtatVersement.A_PAYER else Decimal("0")
    if calcul.reversement > 0 and annee.reversement is None:
        annee.reversement = Reversement(
            convention_id=annee.convention_id,
            montant=calcul.reversement,
            etat=EtatReversement.A_EMETTRE,
            calcule_le=instant,
            commentaire=(
                f"L'État doit {euros(calcul.du)} ({pourcentage(taux)} de {euros(depenses)} de dépenses éligibles) "
                f"pour une avance de {euros(avance)}."
            ),
        )
    reverse = annee.reversement.montant if annee.reversement is not None else Decimal("0")
    annee.montant_du = avance + verse_solde - reverse
    return {
        "depenses_eligibles": depenses,
        "taux_plafond": taux,
        "du": annee.montant_du,
        "solde": verse_solde,
        "reversement": reverse,
    }


def demander_corrections(bilan, *, message, date_limite, par, version=None):
    """The agent returns a filed report with what to correct and by when (the same loop as a dossier's
    compléments); the structure corrects and files again, each filing kept."""
    _version(bilan, version, "Ce bilan a changé entre-temps : rechargez la page.")
    _exiger_depose(bilan)
    message, erreurs = _texte(message, "message", "ce qui est à corriger", True)
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
    _courriel_structure(
        bilan.convention,
        f"Convention {bilan.convention.numero} : corrections demandées",
        "bilan_corrections",
        bilan=bilan,
        message=message,
        date_limite=date_limite,
    )
    return bilan


# --- Renouvellement ------------------------------------------------------------------------------------


def _exiger_decision_possible(convention):
    derniere = convention.derniere
    if derniere.rang >= regles.ANNEES_MAX:
        raise Refus(
            f"La convention a déjà été renouvelée deux fois : {regles.ANNEES_MAX} ans au plus (AAP §D.1). Un "
            "troisième avenant n'est pas possible.",
            code="renouvellements_epuises",
        )
    if derniere.signee_le is None:
        raise Refus(
            f"{derniere.intitule} n'est pas encore signé(e) : le renouvellement se décide sur une année en cours.",
            code="non_signee",
        )
    if derniere.renouvellement is not None:
        raise Conflit("Le renouvellement de cette année est déjà décidé.", code="deja_decide")
    return derniere


def demande_annee(convention, rang):
    """The year `rang` of the filed dossier as the cap reads it: its cost in the filed budget, the ETP asked and the
    convention's cap rate (`notation.regles.Demande`)."""
    dossier = convention.dossier
    annees = synthese_budget(budget_de(dossier), convention.taux_plafond)
    return Demande(
        Decimal("0"), dossier.etp_facilitateur, dossier.etp_coordinateur, annees[rang - 1].charges, convention.taux_plafond
    )


def credits_restants(convention, rang, sauf=Decimal("0")):
    """The campaign's credits of budget year `rang` not yet granted (year 1: the COPIL's decisions; years 2 and 3:
    the avenants)."""
    campagne = convention.campagne
    accordes = credits_accordes(campagne.id) if rang == 1 else lecture.avenants_accordes(campagne.id, rang)
    return campagne.credits_de(rang) - accordes + sauf


@dataclass(frozen=True)
class ApercuAvenant:
    rang: int
    annee_budgetaire: int
    demande: Demande
    etp: Decimal
    plafond: object
    restant: Decimal


def apercu_avenant(convention):
    """What the next avenant may grant at most, without a revised budget, and the year's credits left."""
    derniere = convention.derniere
    rang = derniere.rang + 1
    demande = demande_annee(convention, rang)
    return ApercuAvenant(
        rang,
        convention.campagne.annee + rang - 1,
        demande,
        derniere.etp_total,
        plafond_decision(demande, derniere.etp_total),
        credits_restants(convention, rang),
    )


def renouveler(convention, *, montant, objectifs, par, cout_retenu=None, instant=None, documents=True):
    """Renews the convention for one more year by avenant (AAP §D.1: at most two, three years in all), on the
    approved annual report: the avenant (PDF and DOCX), the new year's targets, payment schedule (50/50) and
    report calendar. A third renewal is refused. The amount is at most the convention's cap rate of that year's
    cost (the filed budget's year, prorated to the ETP funded, or `cout_retenu`, a revised budget recorded with
    the avenant), and within the campaign's credits of that year; the campaign's row is locked first, so two
    renewals at once are judged one after the other."""
    convention = verrouiller(Convention, convention.id)
    derniere = _exiger_decision_possible(convention)
    bilan = derniere.bilan_annuel
    if bilan is None or bilan.statut != StatutBilan.APPROUVE:
        raise Refus(
            "Le renouvellement se fonde sur le bilan annuel (AAP §D.2) : approuvez-le d'abord.", code="bilan_annuel_requis"
        )
    verrouiller(Campagne, convention.campagne_id)
    montant_lu, erreurs = _lire_montant(montant)
    cout_lu = None
    if cout_retenu not in (None, ""):
        cout_lu, erreurs_cout = _lire_montant(cout_retenu, "cout_retenu", "le budget révisé")
        erreurs += erreurs_cout
    cibles, erreurs_cibles = _lire_objectifs(objectifs, derniere.etp_facilitateur, derniere.etp_coordinateur)
    refuser_si_erreurs(erreurs + erreurs_cibles)
    rang = derniere.rang + 1
    refuser_si_erreurs(
        regles.verifier_avenant(
            montant_lu,
            demande_annee(convention, rang),
            derniere.etp_total,
            credits_restants(convention, rang),
            rang,
            convention.campagne.annee + rang - 1,
            cout_lu,
        )
    )
    instant = instant or maintenant()
    derniere.renouvellement, derniere.renouvellement_le, derniere.renouvellement_par_id = (
        Renouvellement.RENOUVELEE,
        instant,
        par.id,
    )
    annee = _planifier_annee(
        convention,
        derniere.rang + 1,
        derniere.fin + timedelta(days=1),
        montant_lu,
        derniere.etp_facilitateur,
        derniere.etp_coordinateur,
        cibles,
        par,
        instant,
        documents,
        cout_retenu=cout_lu,
    )
    flush_ou_conflit("La convention a changé entre-temps : rechargez la page.")
    journaliser(
        "convention.renouvellement",
        convention,
        par=par,
        details={
            "annee": annee.rang,
            "avenant": annee.rang - 1,
            "montant": montant_lu,
            "cout_retenu": cout_lu,
            "debut": annee.debut,
            "fin": annee.fin,
            "objectifs": {cle: str(v) for cle, v in cibles.items()},
            "document": annee.document.sha256 if annee.document else None,
        },
    )
    _courriel_structure(
        convention, f"Convention {convention.numero} : avenant n° {annee.rang - 1} à signer", "avenant_a_signer", annee=annee
    )
    return annee


def ne_pas_renouveler(convention, *, motif, par, instant=None):
    convention = verrouiller(Convention, convention.id)
    derniere = _exiger_decision_possible(convention)
    motif, erreurs = _texte(motif, "motif", "le motif du non-renouvellement", True)
    refuser_si_erreurs(erreurs)
    derniere.renouvellement, derniere.renouvellement_motif = Renouvellement.NON_RENOUVELEE, motif
    derniere.renouvellement_le, derniere.renouvellement_par_id = instant or maintenant(), par.id
    flush_ou_conflit("La convention a changé entre-temps : rechargez la page.")
    lettre = produire_lettre(
        "conventions/pdf/lettre_non_renouvellement.html",
        f"non-renouvellement-{convention.numero}.pdf",
        service=convention.service,
        par=par,
        notifie_le=derniere.renouvellement_le,
        convention=convention,
        structure=convention.structure,
        annee=derniere,
        motif=motif,
    )
    journaliser(
        "convention.non_renouvellement",
        convention,
        par=par,
        details={"annee": derniere.rang, "motif": motif, "lettre": lettre.sha256},
    )
    _courriel_structure(
        convention,
        f"Convention {convention.numero} : non-renouvellement",
        "non_renouvellement",
        annee=derniere,
        motif=motif,
        pieces_jointes=[lettre],
    )
    clore_si_terminee(convention, par=par)
    return derniere


def clore_si_terminee(convention, *, par=None):
    """A convention ends when its last year will not be renewed (decided, or the third year) and every payment
    of every year is settled (paid or cancelled)."""
    derniere = convention.derniere
    if convention.statut != StatutConvention.EN_COURS or derniere is None:
        return False
    fin_decidee = derniere.renouvellement == Renouvellement.NON_RENOUVELEE or derniere.rang >= regles.ANNEES_MAX
    regles_ = all(v.etat in (EtatVersement.PAYE, EtatVersement.ANNULE) for a in convention.annees for v in a.versements)
    if not (fin_decidee and regles_):
        return False
    convention.statut, convention.close_le = StatutConvention.CLOSE, maintenant()
    db.session.flush()
    journaliser(
        "convention.cloture",
        convention,
        par=par,
        details={
            "annees": derniere.rang,
            "verse": sum((a.verse for a in convention.annees), Decimal("0")),
        },
    )
    return True


# --- Rappels --------------------------------------------------------------------------------------------


def envoyer_rappels(instant=None):
    """Emails the people concerned by each open deadline of every convention: once before it (within its notice)
    and once when it is passed. Each reminder has its key in the outbox: running this twice (or every day)
    never sends the same reminder twice. Returns the number of emails queued."""
    instant = instant or maintenant()
    envoyes = 0
    for convention in lecture.conventions_en_cours():
        jour = aujourdhui(convention, instant)
        for echeance in delais.echeances(lecture.etat(convention), jour):
            palier = delais.palier_rappel(echeance)
            if palier is None:
                continue
            adresses = []
            if echeance.pour == delais.AGENT or echeance.nature == "signature":
                adresses.append(_adresse_agent(convention))
            if echeance.pour == delais.PORTEUR or echeance.nature == "signature":
                adresses += destinataires(convention.structure)
            for adresse in dict.fromkeys(adresses):
                sujet = (
                    "En retard : " if palier == "retard" else "Rappel : "
                ) + f"{regles.minuscule(echeance.libelle)} — convention {convention.numero}"
                courriel = mettre_en_file(
                    adresse,
                    sujet[:TITRE_MAX],
                    "rappel_convention",
                    service_id=convention.service_id,
                    cle=f"rappel-convention:{convention.id}:{echeance.code}:{palier}:{adresse.lower()}"[:200],
                    convention=convention,
                    echeance=echeance,
                    palier=palier,
                    pour_agent=adresse == _adresse_agent(convention),
                )
                envoyes += courriel is not None
    return envoyes
