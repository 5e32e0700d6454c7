"""The writes of a convention itself: its creation (number, first year, targets, schedule, document), its
signature, its closing, and the daily reminders; with what every write of the domain shares (the version check,
the text of a field, the emails to the structure). The payments are in `paiements`, the reports in `bilans`, the
renewal in `avenants`. Each write checks its rule, changes the rows, writes the audit entry and queues the emails;
it flushes, and the caller (a view, the API, a command) commits once.

Permissions (who may call what on which convention) are checked by the callers with the model's methods,
so that a convention someone may not see answers 404; the operations check the rules of the call.
"""

from decimal import Decimal

from sqlalchemy import select

from aap import fichiers
from aap.courriels import mettre_en_file
from aap.entrees import texte_propre
from aap.erreurs import Conflit, Invalide, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.formats import date_fr, pourcentage
from aap.journal import journaliser
from aap.limites import MONTANT_MAX, TEXTE_MAX, TITRE_MAX
from aap.numerotation import prochain, verrouiller
from aap.types import maintenant
from candidatures.lecture import destinataires
from candidatures.synthese import taux_plafond as taux_plafond_de
from notation.models import Decision

from . import delais, lecture, regles, suivi
from .lecture import aujourdhui
from .models import (
    AnneeConvention,
    Bilan,
    Convention,
    EtatVersement,
    NatureVersement,
    Objectif,
    Renouvellement,
    StatutConvention,
    TypeBilan,
    Versement,
)


def verifier_version(objet, version, message):
    if version is not None and objet.version != version:
        raise Conflit(message, code="version_perimee")


def texte_saisi(valeur, champ, libelle, obligatoire=False, longueur=TEXTE_MAX):
    valeur = texte_propre(valeur or "")
    if obligatoire and not valeur:
        return valeur, [regles.Erreur(champ, f"{champ}_manquant", f"Indiquez {libelle}.")]
    if len(valeur) > longueur:
        return valeur, [
            regles.Erreur(champ, f"{champ}_trop_long", f"{libelle[0].upper()}{libelle[1:]} : {longueur} caractères au plus.")
        ]
    return valeur, []


def adresse_agent(convention):
    agent = convention.agent
    if agent is not None and agent.actif and agent.instruit(convention.service_id):
        return agent.email
    return convention.service.courriel


def courriel_structure(convention, sujet, gabarit, cle=None, **contexte):
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


def lire_objectifs(objectifs, etp_facilitateur, etp_coordinateur):
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


def lire_montant(valeur, champ="montant", libelle="le montant"):
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


def planifier_annee(
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
    _planifier_versements(convention, annee, montant, instant)
    _planifier_bilans(convention, annee, cal, instant)
    db.session.flush()
    if documents:
        produire_documents(annee, par=par)
    db.session.flush()
    return annee


def _planifier_versements(convention, annee, montant, instant):
    """The advance (50 %, payable at the signature) and the balance of a year, both planned."""
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


def _planifier_bilans(convention, annee, cal, instant):
    """The reports of a year, each with its due date: intermediate, annual, the coordinator's quarterly ones, and
    the final account (its results up to the end of the year)."""
    bilans = [
        (TypeBilan.INTERMEDIAIRE, 1, cal.bilan_intermediaire, None),
        (TypeBilan.ANNUEL, 1, cal.bilan_annuel, None),
        *((TypeBilan.TRIMESTRIEL, ordre, echeance, arrete_au) for ordre, (echeance, arrete_au) in enumerate(cal.trimestriels, 1)),
        (TypeBilan.FINANCIER, 1, cal.compte_rendu_financier, cal.fin),
    ]
    for type_, ordre, echeance, arrete_au in bilans:
        annee.bilans.append(
            Bilan(
                convention=convention,
                type=type_,
                ordre=ordre,
                echeance=echeance,
                arrete_au=arrete_au,
                modifie_le=instant,
            )
        )


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
    decision = _exiger_convention_possible(decision)
    mois = regles.MOIS_BILAN_INTERMEDIAIRE if mois_intermediaire is None else mois_intermediaire
    cibles, taux = _verifier_creation(decision, date_effet, mois, objectifs, taux_plafond)
    convention = _nouvelle_convention(decision, mois, taux, par, instant)
    annee = planifier_annee(
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
            "dossier": decision.dossier_id,
            "montant": annee.montant,
            "taux_plafond": taux,
            "debut": annee.debut,
            "fin": annee.fin,
            "date_limite_signature": convention.date_limite_signature,
            "objectifs": {cle: str(v) for cle, v in cibles.items()},
            "document": annee.document.sha256 if annee.document else None,
        },
    )
    courriel_structure(convention, f"Votre convention {convention.numero} est prête à signer", "convention_a_signer", annee=annee)
    return convention


def _exiger_convention_possible(decision):
    """The decision, locked (two clicks: one convention), once it is retenu, notified and without its convention."""
    decision = verrouiller(Decision, decision.id)
    if decision is None or not decision.retenu:
        raise Refus("Seul un dossier retenu par le COPIL donne lieu à une convention.", code="non_retenu")
    if decision.notifie_le is None:
        raise Refus(
            "La décision n'est pas encore notifiée : la convention se prépare après la clôture de la séance.", code="non_notifiee"
        )
    existante = db.session.scalar(select(Convention.id).where(Convention.decision_id == decision.id))
    if existante is not None:
        raise Conflit("La convention de ce dossier existe déjà.", code="deja_creee")
    return decision


def _verifier_creation(decision, date_effet, mois, objectifs, taux_plafond):
    """(targets, cap rate) of a new convention, or every error at once."""
    erreurs = []
    if not isinstance(mois, int) or not 1 <= mois <= 11:
        erreurs.append(
            regles.Erreur(
                "mois_bilan_intermediaire", "mois_invalide", "Le bilan intermédiaire tombe entre le 1er et le 11e mois."
            )
        )
    probleme = regles.probleme_date_effet(date_effet, regles.jour_local(decision.notifie_le, decision.dossier.service.fuseau))
    if probleme:
        erreurs.append(regles.Erreur("date_effet", "date_effet_invalide", probleme))
    cibles, erreurs_cibles = lire_objectifs(objectifs, decision.etp_facilitateur, decision.etp_coordinateur)
    taux, erreurs_taux = lire_taux(taux_plafond, taux_plafond_de(decision.dossier))
    refuser_si_erreurs(erreurs + erreurs_taux + erreurs_cibles)
    return cibles, taux


def _nouvelle_convention(decision, mois, taux, par, instant):
    """The convention's row, numbered in its service and campaign year, to be signed within 15 days."""
    dossier = decision.dossier
    service = dossier.service
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
    courriel_structure(
        convention,
        f"{annee.intitule} {convention.numero} : signature enregistrée",
        "convention_signee",
        annee=annee,
        en_retard=en_retard,
    )
    return annee


def signature_en_retard(annee):
    return annee.rang == 1 and annee.signee_le is not None and annee.signee_le > annee.convention.date_limite_signature


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
            if echeance.pour == delais.AGENT or echeance.nature == delais.NatureEcheance.SIGNATURE:
                adresses.append(adresse_agent(convention))
            if echeance.pour == delais.PORTEUR or echeance.nature == delais.NatureEcheance.SIGNATURE:
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
                    pour_agent=adresse == adresse_agent(convention),
                )
                envoyes += courriel is not None
    return envoyes
