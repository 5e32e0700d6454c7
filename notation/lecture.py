"""Reading a session in a bounded number of queries, and turning rows into the plain values the rules read.

`tableau_seance(seance)` is what the API, the minutes, the workbook and the letters use: the agenda, the
aggregated scores (one query), the recusals (one query), the decisions (one query), the credits already granted
(one query) and the ranking. The ranking page reads the same as rows (`classement_seance`: the agenda's dossiers
and their totals, no ORM object). Their cost does not depend on the number of dossiers or members. A scoring page
needs only the aggregated scores: `agregats_seance(seance)`, read from the rows `notation.agregats` keeps (not from
every score).

Pages and API reach a session and its dossiers through the same functions (`seance_accessible`, `point_accessible`,
`exiger_decision`), with the rule of `aap.securite.accessible`: 403 for a role that never may (`role_requis`, before any
read), 404 for what does not exist or may not be seen, 403 for what is seen but may not be acted on.
"""

import json
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from flask import abort
from flask_login import current_user
from sqlalchemy import BigInteger, bindparam, func, select, type_coerce
from sqlalchemy.orm import aliased, joinedload, selectinload

from aap import derives
from aap.erreurs import Refus
from aap.extensions import db
from aap.models import AGENTS_ETAT, ROLES_INSTRUCTION, Campagne, Role, Utilisateur
from aap.securite import accessible
from aap.types import maintenant
from candidatures.models import Dossier, Statut, Structure

from . import regles
from .models import (
    AccesSeance,
    AgregatSeance,
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


@dataclass
class LigneSeance:
    """One dossier of the session's ranking, with what the reader may see of it. `tableau_seance` gives the
    objects (`Dossier`, `AgregatDossier`, `Decision`); `classement_seance` rows with the attributes its page reads
    (`DossierClasse`, `AgregatLu`, `DecisionLue`)."""

    dossier: Dossier
    agregat: regles.AgregatDossier
    classement: regles.LigneClassement
    decision: Decision | None
    deportes: list = field(default_factory=list)
    masque: bool = False  # le lecteur, membre, est déporté ou n'a pas déclaré : ni notes ni rang


@dataclass
class TableauSeance:
    seance: Seance
    grille: tuple
    lignes: list
    credits: Decimal
    accordes_ailleurs: Decimal
    accordes_seance: Decimal
    disponible_seance: Decimal
    deportes: dict
    normalise: bool

    @property
    def restant(self):
        """The campaign's credits left once this session's decisions are counted."""
        return self.disponible_seance - self.accordes_seance

    @property
    def desaccords(self):
        return sum(len(ligne.agregat.desaccords) for ligne in self.lignes if not ligne.masque)

    def ligne(self, dossier_id):
        return next((ligne for ligne in self.lignes if ligne.dossier.id == dossier_id), None)


def deportes_par_dossier(seance, declarations):
    membres = {m.utilisateur_id: m.utilisateur for m in seance.membres}
    resultat = {}
    for declaration in declarations:
        if declaration.conflit and declaration.membre_id in membres:
            resultat.setdefault(declaration.dossier_id, []).append((membres[declaration.membre_id], declaration))
    return resultat


STATISTIQUES = ("moyenne", "mediane", "minimum", "plus_haute", "ecart_type", "normalise")
_Stat = namedtuple("_Stat", [*STATISTIQUES, "desaccord", "recues", "attendues", "avis"])


@lru_cache(maxsize=8192)
def _centiemes(entier):
    return None if entier is None else Decimal(entier).scaleb(-2)


def agregats_seance(seance):
    """Each dossier's aggregated scores, read from the session's stored rows (`AgregatSeance`, one query), with
    the recusals' declarations (one query)."""
    derives.rattraper(db.session)
    declarations = declarations_de(seance.id, conflits_seulement=True)
    lignes = {}
    # Des lignes, pas des objets (2 600 pour une séance de 200 dossiers) ; les statistiques en centièmes entiers,
    # converties une fois par valeur (des demi-points : elles se répètent).
    entiers = [type_coerce(getattr(AgregatSeance, c), BigInteger) for c in STATISTIQUES]
    requete = select(
        AgregatSeance.dossier_id,
        AgregatSeance.genre,
        AgregatSeance.cle,
        *entiers,
        AgregatSeance.desaccord,
        AgregatSeance.recues,
        AgregatSeance.attendues,
        AgregatSeance.avis,
    ).where(AgregatSeance.seance_id == seance.id)
    c = _centiemes
    for dossier_id, genre, cle, moy, med, mini, maxi, ecart, norm, desaccord, recues, attendues, avis in db.session.execute(
        requete
    ):
        lignes.setdefault(dossier_id, {})[(genre, cle)] = _Stat(
            c(moy), c(med), c(mini), c(maxi), c(ecart), c(norm), desaccord, recues, attendues, avis
        )
    if any(("dossier", "") not in lignes.get(p.dossier_id, {}) for p in seance.ordre_du_jour):
        # Une séance d'avant la migration 0010, tant que `flask notation agregats` n'est pas passé : calculée, pas lue.
        return calculer_agregats(seance)
    grille = regles.grille_de(seance.campagne.criteres)
    par_groupe = regles.groupes(grille)
    agregats = {}
    for point in seance.ordre_du_jour:
        rangees = lignes[point.dossier_id]
        total = rangees[("dossier", "")]
        agregats[point.dossier_id] = regles.AgregatDossier(
            dossier_id=point.dossier_id,
            recues=total.recues,
            attendues=total.attendues,
            moyenne=total.moyenne,
            mediane=total.mediane,
            ecart_type=total.ecart_type,
            minimum=total.minimum,
            plus_haute=total.plus_haute,
            criteres=tuple(
                regles.StatCritere(
                    code=critere.code,
                    groupe=critere.groupe,
                    libelle=critere.libelle,
                    maximum=critere.maximum,
                    moyenne=(stat := rangees[("critere", critere.code)]).moyenne,
                    mediane=stat.mediane,
                    minimum=stat.minimum,
                    plus_haute=stat.plus_haute,
                    ecart_type=stat.ecart_type,
                    desaccord=stat.desaccord,
                )
                for critere in grille
            ),
            groupes=tuple(
                regles.StatGroupe(
                    groupe=nom,
                    maximum=sum((c.maximum for c in criteres), Decimal("0")),
                    moyenne=rangees[("groupe", nom)].moyenne,
                )
                for nom, criteres in par_groupe.items()
            ),
            avis=json.loads(total.avis),
            normalise=total.normalise,
        )
    return agregats, declarations


def calculer_agregats(seance):
    """Each dossier's aggregated scores computed from the session's recusals and submitted scores (two queries),
    with the recusals' declarations: what `notation.agregats` stores."""
    grille = regles.grille_de(seance.campagne.criteres)
    codes = {c.id: c.code for c in seance.campagne.criteres}
    declarations = declarations_de(seance.id, conflits_seulement=True)
    deportes = {(d.membre_id, d.dossier_id) for d in declarations}
    membres = {m.utilisateur_id for m in seance.membres}
    feuilles = {}
    for membre_id, dossier_id, avis, critere_id, points in notes_soumises(seance.id):
        feuille = feuilles.setdefault((membre_id, dossier_id), {"avis": avis, "points": {}})
        feuille["points"][codes[critere_id]] = points
    soumises = [
        regles.FeuilleSoumise(membre_id, dossier_id, f["points"], f["avis"])
        for (membre_id, dossier_id), f in feuilles.items()
        if membre_id in membres
    ]
    attendues = {p.dossier_id: sum(1 for m in membres if (m, p.dossier_id) not in deportes) for p in seance.ordre_du_jour}
    return regles.agreger(grille, soumises, attendues, frozenset(deportes), seance.seuil_desaccord), declarations


def tableau_seance(seance, acces_lecteur=None, normalise=False):
    """Aggregation and ranking of a session, as objects (the API, the minutes, the workbook, the letters).
    `acces_lecteur` (an `AccesSeance`) masks the dossiers its person is recused on."""
    agregats, declarations = agregats_seance(seance)
    decisions = {d.dossier_id: d for d in decisions_de(seance.id)}
    dossiers = {p.dossier_id: p.dossier for p in seance.ordre_du_jour}
    return _tableau(seance, dossiers, agregats, declarations, decisions, acces_lecteur, normalise)


# Ce que la page du classement lit d'un dossier, de ses agrégats et de sa décision : des lignes, pas des objets.
DossierClasse = namedtuple("DossierClasse", "id numero raison_sociale montant_demande")


class AgregatLu(namedtuple("AgregatLu", "moyenne normalise mediane ecart_type recues attendues desaccords texte_desaccords")):
    """A dossier's totals and its criteria in disagreement (`texte_desaccords`: their labels, as the page
    shows them)."""

    __slots__ = ()

    @classmethod
    def de(cls, agregat):
        """From a computed `regles.AgregatDossier`."""
        desaccords = tuple(agregat.desaccords)
        texte = " ; ".join(c.libelle for c in desaccords)
        return cls(
            agregat.moyenne,
            agregat.normalise,
            agregat.mediane,
            agregat.ecart_type,
            agregat.recues,
            agregat.attendues,
            desaccords,
            texte,
        )


class DecisionLue(namedtuple("DecisionLue", "nature montant_accorde")):
    __slots__ = ()

    @property
    def retenu(self):
        return self.nature == Nature.RETENU


def classement_seance(seance, acces_lecteur=None, normalise=False):
    """The ranking page's `TableauSeance`, read as rows: the agenda with each dossier's number, amount, structure,
    stored totals and criteria in disagreement (one query), the decisions (one query). The session may be loaded
    without its agenda (`options_seance(agenda=False)`). A session whose totals are not stored yet (before `flask
    notation agregats`) has them computed."""
    derives.rattraper(db.session)
    declarations = declarations_de(seance.id, conflits_seulement=True)
    agenda = db.session.execute(_requete_agenda(), {"seance_id": seance.id}).all()
    dossiers = {ligne[0]: DossierClasse(*ligne[:4]) for ligne in agenda}
    if any(ligne.genre is None for ligne in agenda):
        agregats = {ident: AgregatLu.de(agregat) for ident, agregat in calculer_agregats(seance)[0].items()}
    else:
        lire = _lecteur_desaccords(seance)
        c = _centiemes
        agregats = {
            ident: AgregatLu(c(moy), c(norm), c(med), c(ecart), recues, attendues, *lire(codes))
            for ident, _, _, _, moy, norm, med, ecart, recues, attendues, codes, _ in agenda
        }
    decisions = {
        dossier_id: DecisionLue(nature, montant)
        for dossier_id, nature, montant in db.session.execute(
            select(Decision.dossier_id, Decision.nature, Decision.montant_accorde).where(Decision.seance_id == seance.id)
        )
    }
    return _tableau(seance, dossiers, agregats, declarations, decisions, acces_lecteur, normalise)


@cache
def _requete_agenda():
    """The agenda's dossiers with their structure's name, their stored totals (in hundredths) and the codes of their
    criteria in disagreement: built once (building it cost more than running it)."""
    critere = aliased(AgregatSeance)
    desaccords = (
        select(func.aggregate_strings(critere.cle, ","))
        .where(
            critere.seance_id == PointOrdreDuJour.seance_id,
            critere.dossier_id == PointOrdreDuJour.dossier_id,
            critere.genre == "critere",
            critere.desaccord.is_(True),
        )
        .scalar_subquery()
    )
    totaux = [type_coerce(getattr(AgregatSeance, c), BigInteger) for c in ("moyenne", "normalise", "mediane", "ecart_type")]
    return (
        select(
            Dossier.id,
            Dossier.numero,
            Structure.raison_sociale,
            Dossier.montant_demande,
            *totaux,
            AgregatSeance.recues,
            AgregatSeance.attendues,
            desaccords,
            AgregatSeance.genre,
        )
        .select_from(PointOrdreDuJour)
        .join(Dossier, Dossier.id == PointOrdreDuJour.dossier_id)
        .join(Structure, Structure.id == Dossier.structure_id)
        .outerjoin(
            AgregatSeance,
            (AgregatSeance.seance_id == PointOrdreDuJour.seance_id)
            & (AgregatSeance.dossier_id == PointOrdreDuJour.dossier_id)
            & (AgregatSeance.genre == "dossier"),
        )
        .where(PointOrdreDuJour.seance_id == bindparam("seance_id"))
        .order_by(PointOrdreDuJour.rang)
    )


def _lecteur_desaccords(seance):
    """codes ("c1,c3", in any order, or None) -> (the grid's criteria among them, in the grid's order; their labels
    joined), each combination computed once per page."""
    grille = regles.grille_de(seance.campagne.criteres)
    rang = {critere.code: i for i, critere in enumerate(grille)}

    @cache
    def lire(codes):
        criteres = tuple(grille[i] for i in sorted(rang[code] for code in (codes or "").split(",") if code))
        return criteres, " ; ".join(c.libelle for c in criteres)

    return lire


def _tableau(seance, dossiers, agregats, declarations, decisions, acces_lecteur, normalise):
    """The ranking of `dossiers` ({id: dossier or row with id, numero, montant_demande}) by their `agregats`, with the
    envelope of the campaign's credits left by other sessions (one query)."""
    accordes_ailleurs = credits_accordes(seance.campagne_id, sauf_seance_id=seance.id)
    disponible = seance.campagne.credits - accordes_ailleurs
    candidats = [
        regles.Candidat(ident, d.numero or "", agregats[ident].moyenne, d.montant_demande) for ident, d in dossiers.items()
    ]
    classement = {ligne.dossier_id: ligne for ligne in regles.classement(candidats, disponible)}
    deportes_noms = deportes_par_dossier(seance, declarations)
    lignes = [
        LigneSeance(
            dossier=dossiers[dossier_id],
            agregat=agregats[dossier_id],
            classement=ligne,
            decision=decisions.get(dossier_id),
            deportes=deportes_noms.get(dossier_id, []),
            masque=acces_lecteur is not None
            and acces_lecteur.membre is not None
            and not acces_lecteur.can_voir_notes(dossier_id),
        )
        for dossier_id, ligne in classement.items()
    ]
    accordes_seance = sum((d.montant_accorde for d in decisions.values() if d.nature == Nature.RETENU), Decimal("0.00"))
    return TableauSeance(
        seance=seance,
        grille=regles.grille_de(seance.campagne.criteres),
        lignes=lignes,
        credits=seance.campagne.credits,
        accordes_ailleurs=accordes_ailleurs,
        accordes_seance=accordes_seance,
        disponible_seance=disponible,
        deportes=deportes_noms,
        normalise=normalise,
    )


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
