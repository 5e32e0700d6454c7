"""Reading a session and its dossiers in a bounded number of queries; its results (aggregated scores, ranking)
are read by `notation.resultats`.

Pages and API reach a session and its dossiers through the same functions (`seance_accessible`, `point_accessible`,
`exiger_decision`), with the rule of `aap.securite.accessible`: 403 for a role that never may (`role_requis`, before any
read), 404 for what does not exist or may not be seen, 403 for what is seen but may not be acted on.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import abort
from flask_login import current_user
from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import joinedload, selectinload

from aap.erreurs import Refus
from aap.extensions import db
from aap.models import AGENTS_ETAT, ROLES_INSTRUCTION, Campagne, Role, Utilisateur
from aap.securite import accessible
from aap.types import maintenant
from candidatures.models import Dossier, Statut, Structure

from . import regles
from .models import (
    AccesSeance,
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

# Rôles des routes (pages et API) : qui prépare et gère les séances, qui les lit (membres compris).
GESTION = ROLES_INSTRUCTION
LECTEURS = (Role.COPIL, *AGENTS_ETAT)


def options_seance(agenda=True):
    """The session with what its pages read. Without `agenda`, its dossiers are not loaded (the ranking reads
    them as rows: 200 dossiers and their structures were a third of its time)."""
    options = [
        joinedload(Seance.campagne).joinedload(Campagne.criteres),  # 9 lignes pour 1 : une requête de moins
        joinedload(Seance.service),
        joinedload(Seance.president),
        selectinload(Seance.membres).joinedload(MembreSeance.utilisateur),
    ]
    if agenda:
        options.append(selectinload(Seance.ordre_du_jour).joinedload(PointOrdreDuJour.dossier).joinedload(Dossier.structure))
    return options


def charger_seance(seance_id, options=None):
    if not isinstance(seance_id, int) or seance_id < 1 or seance_id > 2**31 - 1:
        return None
    requete = select(Seance).where(Seance.id == seance_id).options(*(options_seance() if options is None else options))
    return db.session.scalars(requete).unique().one_or_none()


def acces(seance, utilisateur):
    return AccesSeance(seance, utilisateur)


def point_de(seance, dossier_id):
    return next((p for p in seance.ordre_du_jour if p.dossier_id == dossier_id), None)


def seance_accessible(seance_id, droit=None, options=None):
    """The session, loaded for its pages (with `options`, by default `options_seance()`): 404 when it does not
    exist or the current user may not see it; 403 when they see it but `droit` (a `can_*` method of Seance, or any
    test of (seance, utilisateur)) refuses."""
    return accessible(charger_seance(seance_id, options), droit)


def point_accessible(seance, dossier_id):
    """The dossier's line on the session's agenda; 404 when the dossier is not on it."""
    point = point_de(seance, dossier_id)
    if point is None:
        abort(404)
    return point


def president_deporte(seance, dossier_id):
    deportes = deportes_par_dossier(seance, declarations_de(seance.id)).get(dossier_id, [])
    return any(u.id == seance.president_id for u, _ in deportes)


def exiger_decision(seance, dossier_id, acces):
    """Whether the president is recused on the dossier, when the current user may record its decision. Otherwise a
    refusal for those who will decide once the session deliberates; 403 for whoever sees the session and the dossier;
    404 for a member recused on it (the dossier is hidden from him)."""
    deporte = president_deporte(seance, dossier_id)
    if not acces.can_decider(dossier_id, deporte):
        if seance.phase != Phase.DELIBERATION and (acces.president or acces.gestionnaire):
            raise Refus("Les décisions se prennent en délibération.", code="hors_deliberation")
        abort(403 if acces.can_voir_seance and not acces.deporte(dossier_id) else 404)
    return deporte


def declarations_de(seance_id, conflits_seulement=False):
    requete = select(Declaration).where(Declaration.seance_id == seance_id).order_by(Declaration.id)
    if conflits_seulement:  # les déports seuls : quelques lignes au lieu d'une par membre et par dossier
        requete = requete.where(Declaration.conflit.is_(True))
    return db.session.scalars(requete).all()


def decisions_de(seance_id):
    return db.session.scalars(
        select(Decision).where(Decision.seance_id == seance_id).options(joinedload(Decision.decide_par))
    ).all()


def notes_soumises(seance_id):
    """Every submitted score of the session in one query: (membre, dossier, avis, critère, points)."""
    return db.session.execute(
        select(
            FeuilleNotation.membre_id,
            FeuilleNotation.dossier_id,
            FeuilleNotation.avis,
            Note.critere_id,
            Note.points,
        )
        .join(Note, Note.feuille_id == FeuilleNotation.id)
        .where(FeuilleNotation.seance_id == seance_id, FeuilleNotation.soumise_le.is_not(None))
    ).all()


def feuilles_completes(seance_id, dossier_id=None):
    """Submitted sheets with their comments (the detailed view, the workbook), with notes and members."""
    requete = (
        select(FeuilleNotation)
        .where(FeuilleNotation.seance_id == seance_id, FeuilleNotation.soumise_le.is_not(None))
        .options(selectinload(FeuilleNotation.notes), joinedload(FeuilleNotation.membre))
        .order_by(FeuilleNotation.dossier_id, FeuilleNotation.membre_id)
    )
    if dossier_id is not None:
        requete = requete.where(FeuilleNotation.dossier_id == dossier_id)
    return db.session.scalars(requete).all()


def credits_accordes(campagne_id, sauf_seance_id=None, sauf_decision_id=None):
    """What retenu decisions of the campaign grant (notified or not), in one query. The sum is taken over
    the stored integer cents and converted here: never a float."""
    centimes = func.coalesce(func.sum(type_coerce(Decision.montant_accorde, BigInteger)), 0)
    requete = (
        select(centimes)
        .join(Seance, Seance.id == Decision.seance_id)
        .where(Seance.campagne_id == campagne_id, Decision.nature == Nature.RETENU)
    )
    if sauf_seance_id is not None:
        requete = requete.where(Decision.seance_id != sauf_seance_id)
    if sauf_decision_id is not None:
        requete = requete.where(Decision.id != sauf_decision_id)
    return (Decimal(int(db.session.execute(requete).scalar_one())) / 100).quantize(Decimal("0.01"))


def deportes_par_dossier(seance, declarations):
    membres = {m.utilisateur_id: m.utilisateur for m in seance.membres}
    resultat = {}
    for declaration in declarations:
        if declaration.conflit and declaration.membre_id in membres:
            resultat.setdefault(declaration.dossier_id, []).append((membres[declaration.membre_id], declaration))
    return resultat


def notes_manquantes(seance):
    """[(member, number of dossiers he has not scored)] — submitted sheets only, recusals excepted (two queries)."""
    deportes = {(d.membre_id, d.dossier_id) for d in declarations_de(seance.id, conflits_seulement=True)}
    soumises = set(
        db.session.execute(
            select(FeuilleNotation.membre_id, FeuilleNotation.dossier_id).where(
                FeuilleNotation.seance_id == seance.id, FeuilleNotation.soumise_le.is_not(None)
            )
        ).all()
    )
    dossiers = [p.dossier_id for p in seance.ordre_du_jour]
    resultat = []
    for membre in seance.membres:
        manque = sum(
            1 for d in dossiers if (membre.utilisateur_id, d) not in deportes and (membre.utilisateur_id, d) not in soumises
        )
        if manque:
            resultat.append((membre.utilisateur, manque))
    return resultat


def trimestre_sans_copil(service, instant=None):
    """The last calendar quarter of the service that ended with recevable dossiers waiting and no session held
    (`regles.trimestre_sans_copil`), or None: two queries."""
    instant = instant or maintenant()
    jour = instant.astimezone(ZoneInfo(service.fuseau)).date()
    annee, trimestre, debut, fin = regles.trimestre_precedent(jour)
    en_attente = db.session.scalars(
        select(Dossier.recevable_le).where(Dossier.service_id == service.id, Dossier.statut == Statut.RECEVABLE)
    ).all()
    tenues = db.session.scalars(
        select(Seance.tenue_le).where(
            Seance.service_id == service.id,
            Seance.phase.in_([Phase.DELIBERATION, Phase.CLOSE]),
            Seance.tenue_le >= datetime.combine(debut - timedelta(days=1), time(0), tzinfo=UTC),
            Seance.tenue_le < datetime.combine(fin + timedelta(days=2), time(0), tzinfo=UTC),
        )
    ).all()
    return regles.trimestre_sans_copil(jour, en_attente, {regles.trimestre_de(t, service.fuseau) for t in tenues})


def membres_candidats(service_id):
    """Who may sit on a session of this service: COPIL accounts and agents (active)."""
    return db.session.scalars(
        select(Utilisateur)
        .where(
            Utilisateur.service_id == service_id,
            Utilisateur.role.in_(["copil", "agent", "admin"]),
            Utilisateur.actif.is_(True),
        )
        .order_by(Utilisateur.nom, Utilisateur.prenom, Utilisateur.id)
    ).all()


def dossiers_inscriptibles(seance):
    """Recevable dossiers of the session's campaign that are not waiting on another session's agenda."""
    en_attente = (
        select(PointOrdreDuJour.dossier_id)
        .outerjoin(
            Decision,
            (Decision.seance_id == PointOrdreDuJour.seance_id) & (Decision.dossier_id == PointOrdreDuJour.dossier_id),
        )
        .where((Decision.id.is_(None)) | (Decision.nature != Nature.AJOURNE))
    )
    return db.session.scalars(
        select(Dossier)
        .join(Structure, Structure.id == Dossier.structure_id)
        .where(
            Dossier.campagne_id == seance.campagne_id,
            Dossier.statut == "recevable",
            Dossier.id.not_in(en_attente),
        )
        .options(joinedload(Dossier.structure))
        .order_by(Dossier.numero)
    ).all()


def a_noter(membre):
    """[(session, dossiers left to score)] of the sessions in scoring where this member still has some: the agenda,
    less the sheets they submitted and the dossiers they are recused on (three counts in one query)."""
    faits = (
        select(func.count())
        .where(FeuilleNotation.seance_id == Seance.id, FeuilleNotation.membre_id == membre.id)
        .where(FeuilleNotation.soumise_le.is_not(None))
        .scalar_subquery()
    )
    deports = (
        select(func.count())
        .where(Declaration.seance_id == Seance.id, Declaration.membre_id == membre.id, Declaration.conflit.is_(True))
        .scalar_subquery()
    )
    inscrits = select(func.count()).where(PointOrdreDuJour.seance_id == Seance.id).scalar_subquery()
    lignes = db.session.execute(
        select(Seance, inscrits - faits - deports)
        .join(MembreSeance, MembreSeance.seance_id == Seance.id)
        .where(MembreSeance.utilisateur_id == membre.id, Seance.phase == Phase.NOTATION)
        .order_by(Seance.tenue_le)
    ).all()
    return [(seance, reste) for seance, reste in lignes if reste > 0]


def requete_seances(utilisateur, campagne_id=None, phase=None):
    """The sessions a reader sees, newest first (pages and API): those of the agent's service, those the COPIL
    member sits in, all of them for the national reader."""
    requete = select(Seance).options(joinedload(Seance.president)).order_by(Seance.tenue_le.desc(), Seance.id.desc())
    if utilisateur.a_role(*GESTION):
        requete = requete.where(Seance.service_id == utilisateur.service_id)
    elif utilisateur.a_role(Role.COPIL):
        requete = requete.join(MembreSeance, MembreSeance.seance_id == Seance.id).where(
            MembreSeance.utilisateur_id == utilisateur.id
        )
    if campagne_id:
        requete = requete.where(Seance.campagne_id == campagne_id)
    if phase:
        requete = requete.where(Seance.phase == phase)
    return requete


def lettre_accessible(seance_id, dossier_id):
    """The notification letter of a dossier of a session, for whoever sees the session's detail (404 otherwise)."""
    seance = seance_accessible(seance_id)
    point_accessible(seance, dossier_id)
    if not seance.can_voir_detail(current_user):
        abort(404)
    decision = db.session.scalar(
        select(Decision)
        .where(Decision.seance_id == seance.id, Decision.dossier_id == dossier_id)
        .options(joinedload(Decision.lettre))
    )
    if decision is None or decision.lettre is None:
        abort(404)
    return decision.lettre
