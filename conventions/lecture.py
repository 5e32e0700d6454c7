"""Reading conventions in a bounded number of queries, and turning rows into the plain values the rules read.

Pages and API reach a convention, a payment or a report through the same functions (`convention_accessible`…),
with the rule of `aap.securite.accessible`: 403 for a role that never may (`role_requis`, before any read), 404 for
what does not exist or may not be seen, 403 for what is seen but may not be acted on.

A convention page loads the convention with its years, targets, payments, reports and documents in a fixed
number of queries (`charger`). Lists, the "À faire" pages and the reminders load every convention they need at
once (`conventions_de`), so their cost does not depend on how many there are. The dashboard, which only sums and
dates, reads its conventions as rows (`conventions_lues`): the same values, without building ORM objects.
"""

from dataclasses import dataclass
from decimal import Decimal

from flask import abort
from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import joinedload, selectinload

from aap.extensions import db
from aap.models import AGENTS_ETAT, ROLES_INSTRUCTION, Role, Service
from aap.securite import accessible
from aap.types import maintenant
from candidatures.models import Dossier, Statut, Structure
from notation import lecture as lecture_notation
from notation.models import Decision, Nature, Phase, Seance

from . import delais, regles
from .models import (
    AnneeConvention,
    Bilan,
    Convention,
    EtatConvention,
    Objectif,
    Renouvellement,
    Reversement,
    StatutConvention,
    Versement,
)

ID_MAX = 2**31 - 1
# Rôles des routes (pages et API) : qui rend compte, qui gère, qui lit.
PORTEURS = (Role.PORTEUR,)
GESTION = ROLES_INSTRUCTION
LECTEURS_DEETS = AGENTS_ETAT
LECTEURS = (Role.PORTEUR, *LECTEURS_DEETS)


def options_annees():
    """Each convention's years with what its deadlines and sums read."""
    return [
        joinedload(Convention.structure),
        joinedload(Convention.service),
        selectinload(Convention.annees).selectinload(AnneeConvention.versements),
        selectinload(Convention.annees).selectinload(AnneeConvention.bilans),
        selectinload(Convention.annees).selectinload(AnneeConvention.objectifs),
        selectinload(Convention.annees).selectinload(AnneeConvention.reversement),
    ]


def options_liste():
    return options_annees() + [
        joinedload(Convention.structure).selectinload(Structure.membres),
        joinedload(Convention.dossier),
        joinedload(Convention.agent),
    ]


def options_convention():
    return options_liste() + [
        joinedload(Convention.campagne),
        joinedload(Convention.decision).joinedload(Decision.seance),
        joinedload(Convention.dossier).selectinload(Dossier.lignes_budget),
        joinedload(Convention.dossier).selectinload(Dossier.volumes),
        selectinload(Convention.annees).joinedload(AnneeConvention.document),
        selectinload(Convention.annees).joinedload(AnneeConvention.document_modifiable),
        selectinload(Convention.annees).joinedload(AnneeConvention.scan),
        selectinload(Convention.annees).selectinload(AnneeConvention.bilans).selectinload(Bilan.valeurs),
    ]


def charger(convention_id):
    if not isinstance(convention_id, int) or not 1 <= convention_id <= ID_MAX:
        return None
    return db.session.scalar(
        select(Convention)
        .where(Convention.id == convention_id)
        .options(*options_convention())
        .execution_options(populate_existing=True)
    )


def convention_accessible(convention_id, droit=None):
    """The convention, loaded for its page: 404 when it does not exist or the current user may not see it; 403 when
    they see it but `droit` (a `can_*` method of Convention) refuses."""
    return accessible(charger(convention_id), droit)


def bilan_accessible(bilan_id, convention_id=None, droit=None):
    """(convention, report), by the rule of `convention_accessible` on its convention; a report of another convention
    than `convention_id` (the page's address) is not found."""
    trouve = db.session.scalar(select(Bilan.convention_id).where(Bilan.id == bilan_id)) if bilan_id <= ID_MAX else None
    if trouve is None or convention_id not in (None, trouve):
        abort(404)
    convention = convention_accessible(trouve, droit)
    return convention, charger_bilan(convention, bilan_id)


def versement_accessible(versement_id, droit=None):
    """(convention, payment), by the rule of `convention_accessible` on its convention."""
    trouve = db.session.scalar(select(Versement.convention_id).where(Versement.id == versement_id))
    if trouve is None:
        abort(404)
    convention = convention_accessible(trouve, droit)
    return convention, next(v for a in convention.annees for v in a.versements if v.id == versement_id)


def charger_bilan(convention, bilan_id):
    if not 1 <= bilan_id <= ID_MAX:
        return None
    return next((b for a in convention.annees for b in a.bilans if b.id == bilan_id), None)


def bilan_complet(bilan_id):
    return db.session.scalar(
        select(Bilan)
        .where(Bilan.id == bilan_id)
        .options(
            selectinload(Bilan.valeurs),
            selectinload(Bilan.pieces),
            selectinload(Bilan.versions),
        )
        .execution_options(populate_existing=True)
    )


def visibles(utilisateur):
    """The conventions a person may see, as a query: their structure's; their service's; all (national)."""
    requete = select(Convention)
    if utilisateur.a_role(Role.NATIONAL):
        return requete
    if utilisateur.a_role(Role.AGENT, Role.ADMIN):
        return requete.where(Convention.service_id == utilisateur.service_id)
    if utilisateur.a_role(Role.PORTEUR) and utilisateur.rattachement_valide and utilisateur.structure_id:
        return requete.where(Convention.structure_id == utilisateur.structure_id)
    return requete.where(Convention.id.is_(None))


def conventions_de(requete, options=None):
    options = options_liste() if options is None else options
    return db.session.scalars(requete.options(*options).order_by(Convention.numero)).unique().all()


def conventions_en_cours():
    return conventions_de(select(Convention).where(Convention.statut != StatutConvention.CLOSE))


def avenants_accordes(campagne_id, rang):
    """What the avenants of the campaign's conventions grant for year `rang` (2 or 3), in one query, from integer
    cents."""
    centimes = func.coalesce(func.sum(type_coerce(AnneeConvention.montant, BigInteger)), 0)
    total = db.session.execute(
        select(centimes)
        .join(Convention, Convention.id == AnneeConvention.convention_id)
        .where(Convention.campagne_id == campagne_id, AnneeConvention.rang == rang)
    ).scalar_one()
    return (Decimal(int(total)) / 100).quantize(Decimal("0.01"))


def prochains_copil(instant=None):
    """{service_id: date of its next COPIL session}, judged in each service's time zone (one query)."""
    instant = instant or maintenant()
    lignes = db.session.execute(
        select(Seance.service_id, Seance.tenue_le, Service.fuseau)
        .join(Service, Service.id == Seance.service_id)
        .where(Seance.tenue_le >= instant, Seance.phase != Phase.CLOSE)
        .order_by(Seance.tenue_le)
    ).all()
    resultat = {}
    for service_id, tenue_le, fuseau in lignes:
        resultat.setdefault(service_id, regles.jour_local(tenue_le, fuseau))
    return resultat


def etat(convention, prochain_copil=None):
    """The convention as the deadline rules read it."""
    return delais.ConventionEtat(
        id=convention.id,
        numero=convention.numero,
        statut=convention.statut,
        date_limite_signature=convention.date_limite_signature,
        prochain_copil=prochain_copil,
        annees=tuple(
            delais.AnneeEtat(
                rang=a.rang,
                debut=a.debut,
                fin=a.fin,
                signee_le=a.signee_le,
                renouvellement=a.renouvellement,
                versements=tuple(delais.VersementEtat(v.id, v.nature, v.etat, v.montant, v.a_payer_le) for v in a.versements),
                bilans=tuple(
                    delais.BilanEtat(
                        b.id,
                        b.type,
                        b.echeance,
                        b.statut,
                        b.arrete_au,
                        b.corrections_avant,
                        regles.jour_local(b.depose_le, convention.service.fuseau) if b.depose_le else None,
                    )
                    for b in a.bilans
                ),
            )
            for a in convention.annees
        ),
    )


def aujourdhui(convention, instant=None):
    return regles.jour_local(instant or maintenant(), convention.service.fuseau)


def echeances_de(convention, instant=None, prochain_copil=None):
    return delais.echeances(etat(convention, prochain_copil), aujourdhui(convention, instant))


def etat_affiche(convention, jour):
    """(state, the state in words with its detail) of a convention or of its `ConventionEtat`, for lists and the
    dashboard."""
    if convention.statut == StatutConvention.CLOSE:
        return EtatConvention.CLOSE, EtatConvention.CLOSE.libelle
    if convention.statut == StatutConvention.A_SIGNER:
        etat = EtatConvention.SIGNATURE_EN_RETARD if jour > convention.date_limite_signature else EtatConvention.A_SIGNER
        return etat, etat.libelle
    derniere = convention.annees[-1]
    if derniere.signee_le is None:
        return EtatConvention.AVENANT_A_SIGNER, f"Avenant n° {derniere.rang - 1} à signer"
    if derniere.renouvellement == Renouvellement.NON_RENOUVELEE:
        return EtatConvention.NON_RENOUVELEE, "Non renouvelée (dernière année)"
    if jour > derniere.fin:
        return EtatConvention.ECHUE, EtatConvention.ECHUE.libelle
    return EtatConvention.EN_COURS, f"En cours (année {derniere.rang})"


# --- Le tableau de bord, en lignes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnneeLue:
    """What the dashboard sums of a convention year."""

    id: int
    montant: Decimal
    etp_facilitateur: Decimal
    etp_coordinateur: Decimal
    reversement: Decimal | None
    versements: tuple = ()  # (état, montant, payé le)
    objectifs: tuple = ()  # (clé de l'indicateur, cible)


@dataclass(frozen=True)
class ConventionLue:
    """A convention as the dashboard reads it: its state for the deadline rules (`etat`), its structure's name, its
    service and time zone, and its years' figures (in the order of `etat.annees`)."""

    etat: delais.ConventionEtat
    raison_sociale: str
    service_id: int
    fuseau: str
    annees: tuple = ()

    @property
    def id(self):
        return self.etat.id

    @property
    def numero(self):
        return self.etat.numero


def conventions_lues(filtre):
    """The conventions matching `filtre` (a condition on Convention), by number, as `ConventionLue`: five queries of
    columns whatever their number, and the values `etat` and the ORM objects give (about 15 objects per convention
    were built, then read once)."""
    conventions = db.session.execute(
        select(
            Convention.id,
            Convention.numero,
            Convention.statut,
            Convention.date_limite_signature,
            Convention.service_id,
            Structure.raison_sociale,
            Service.fuseau,
        )
        .join(Structure, Structure.id == Convention.structure_id)
        .join(Service, Service.id == Convention.service_id)
        .where(filtre)
        .order_by(Convention.numero)
    ).all()
    des_annees = select(AnneeConvention.id).join(Convention, Convention.id == AnneeConvention.convention_id).where(filtre)
    annees = _par_parent(
        select(
            AnneeConvention.convention_id,
            AnneeConvention.id,
            AnneeConvention.rang,
            AnneeConvention.debut,
            AnneeConvention.fin,
            AnneeConvention.signee_le,
            AnneeConvention.renouvellement,
            AnneeConvention.montant,
            AnneeConvention.etp_facilitateur,
            AnneeConvention.etp_coordinateur,
            Reversement.montant,
        )
        .join(Convention, Convention.id == AnneeConvention.convention_id)
        .outerjoin(Reversement, Reversement.annee_id == AnneeConvention.id)
        .where(filtre)
        .order_by(AnneeConvention.convention_id, AnneeConvention.rang)
    )
    colonnes_versements = (Versement.id, Versement.nature, Versement.etat, Versement.montant, Versement.a_payer_le)
    versements = _par_parent(
        select(Versement.annee_id, *colonnes_versements, Versement.paye_le)
        .where(Versement.annee_id.in_(des_annees))
        .order_by(Versement.id)
    )
    colonnes_bilans = (Bilan.id, Bilan.type, Bilan.echeance, Bilan.statut, Bilan.arrete_au, Bilan.corrections_avant)
    bilans = _par_parent(
        select(Bilan.annee_id, *colonnes_bilans, Bilan.depose_le)
        .where(Bilan.annee_id.in_(des_annees))
        .order_by(Bilan.echeance, Bilan.id)
    )
    objectifs = _par_parent(
        select(Objectif.annee_id, Objectif.poste, Objectif.code, Objectif.cible)
        .where(Objectif.annee_id.in_(des_annees))
        .order_by(Objectif.id)
    )
    return [_convention_lue(ligne, annees.get(ligne.id, ()), versements, bilans, objectifs) for ligne in conventions]


def _par_parent(requete):
    """{first column: [the other columns of each row]}, in the query's order."""
    lignes = {}
    for parent, *colonnes in db.session.execute(requete):
        lignes.setdefault(parent, []).append(colonnes)
    return lignes


def _convention_lue(convention, annees, versements, bilans, objectifs):
    etats, chiffres = [], []
    for annee_id, rang, debut, fin, signee_le, renouvellement, montant, etp_f, etp_c, reverse in annees:
        de_l_annee = versements.get(annee_id, ())
        etats.append(
            delais.AnneeEtat(
                rang=rang,
                debut=debut,
                fin=fin,
                signee_le=signee_le,
                renouvellement=renouvellement,
                versements=tuple(delais.VersementEtat(*v[:-1]) for v in de_l_annee),
                bilans=tuple(
                    delais.BilanEtat(*b[:-1], regles.jour_local(b[-1], convention.fuseau) if b[-1] else None)
                    for b in bilans.get(annee_id, ())
                ),
            )
        )
        chiffres.append(
            AnneeLue(
                annee_id,
                montant,
                etp_f,
                etp_c,
                reverse,
                versements=tuple((etat_, montant_, paye_le) for _, _, etat_, montant_, _, paye_le in de_l_annee),
                objectifs=tuple((f"{poste}.{code}", cible) for poste, code, cible in objectifs.get(annee_id, ())),
            )
        )
    etat_ = delais.ConventionEtat(
        id=convention.id,
        numero=convention.numero,
        statut=convention.statut,
        date_limite_signature=convention.date_limite_signature,
        annees=tuple(etats),
    )
    return ConventionLue(etat_, convention.raison_sociale, convention.service_id, convention.fuseau, tuple(chiffres))


# --- À faire -------------------------------------------------------------------------------------------


def a_faire(utilisateur, instant=None):
    """What is due (within 60 days), late or waiting for this person, soonest first: [(convention, échéance)]. Agents
    see their service's conventions (what the DEETS must do, and what the structures are late on); a porteur sees
    what their structure must do; a national reader sees what is late everywhere."""
    instant = instant or maintenant()
    conventions = conventions_de(visibles(utilisateur).where(Convention.statut != StatutConvention.CLOSE))
    copil = prochains_copil(instant) if utilisateur.a_role(Role.AGENT, Role.ADMIN) else {}
    lignes = []
    for convention in conventions:
        for echeance in echeances_de(convention, instant, copil.get(convention.service_id)):
            if utilisateur.a_role(Role.PORTEUR):
                garder = echeance.pour == delais.PORTEUR or echeance.nature == delais.NatureEcheance.SIGNATURE
            elif utilisateur.a_role(Role.NATIONAL):
                garder = echeance.en_retard
            else:
                garder = echeance.pour == delais.AGENT or echeance.en_retard
            proche = echeance.jours <= delais.HORIZON_A_FAIRE or echeance.nature == delais.NatureEcheance.EXAMEN
            if garder and proche and echeance.nature != "copil":
                lignes.append((convention, echeance))
    lignes.sort(key=lambda ligne: (ligne[1].date, ligne[0].numero, ligne[1].code))
    prochain = min(copil.values()) if copil else None
    return lignes, prochain


def trimestre_sans_copil(utilisateur, instant=None):
    """For an agent: the last quarter of their service ended without a COPIL while recevable dossiers wait (§C.2)."""
    if not utilisateur.a_role(Role.AGENT, Role.ADMIN):
        return None
    return lecture_notation.trimestre_sans_copil(utilisateur.service, instant)


# --- Décisions en attente de convention ------------------------------------------------------------------


def decisions_sans_convention(utilisateur):
    """Retenu, notified decisions of the person's service that have no convention yet."""
    requete = (
        select(Decision)
        .join(Dossier, Dossier.id == Decision.dossier_id)
        .outerjoin(Convention, Convention.decision_id == Decision.id)
        .where(Decision.nature == Nature.RETENU, Decision.notifie_le.is_not(None), Convention.id.is_(None))
        .options(
            joinedload(Decision.dossier).joinedload(Dossier.structure),
            joinedload(Decision.dossier).joinedload(Dossier.service),
            joinedload(Decision.seance),
        )
        .order_by(Decision.notifie_le)
    )
    if not utilisateur.a_role(Role.NATIONAL):
        requete = requete.where(Dossier.service_id == utilisateur.service_id)
    return db.session.scalars(requete).all()


def conventions_a_preparer(utilisateur, instant=None):
    """[(decision, signature limit, days left)] of the retenu, notified decisions awaiting their convention: the
    15-day clock of the signature (AAP §D.1) runs from the notification, so the soonest limit comes first."""
    lignes = []
    for decision in decisions_sans_convention(utilisateur):
        fuseau = decision.dossier.service.fuseau
        limite = regles.date_limite_signature(decision.notifie_le, fuseau)
        lignes.append((decision, limite, (limite - regles.jour_local(instant or maintenant(), fuseau)).days))
    return sorted(lignes, key=lambda ligne: (ligne[1], ligne[0].id))


def dossiers_a_declarer_complets(utilisateur):
    """The service's filed dossiers waiting for the completeness decision (recevable, compléments, irrecevable),
    the longest waiting first."""
    return db.session.scalars(
        select(Dossier)
        .where(Dossier.statut == Statut.DEPOSE, Dossier.service_id == utilisateur.service_id)
        .options(joinedload(Dossier.structure), selectinload(Dossier.depots))
        .order_by(Dossier.depose_le, Dossier.id)
    ).all()


def debut_par_defaut(decision, fuseau):
    """The effective date proposed: the first day of the month after the signature limit."""
    limite = regles.date_limite_signature(decision.notifie_le, fuseau)
    return regles.ajouter_mois(limite.replace(day=1), 1)
