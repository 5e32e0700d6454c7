"""A session's results, read in a bounded number of queries: each dossier's aggregated scores and the ranking.

`tableau_seance(seance)` is what the API, the minutes, the workbook and the letters use: the agenda, the
aggregated scores (one query), the recusals (one query), the decisions (one query), the credits already granted
(one query) and the ranking. The ranking page reads the same as rows (`classement_seance`: the agenda's dossiers
and their totals, no ORM object). Their cost does not depend on the number of dossiers or members. A scoring page
needs only the aggregated scores: `agregats_seance(seance)`, read from the rows `notation.agregats` keeps (not from
every score).
"""

import json
from collections import namedtuple
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache

from sqlalchemy import BigInteger, bindparam, func, select, type_coerce
from sqlalchemy.orm import aliased

from aap import derives
from aap.extensions import db
from candidatures.models import Dossier, Structure

from . import regles
from .lecture import credits_accordes, decisions_de, declarations_de, deportes_par_dossier, notes_soumises
from .models import AgregatSeance, Decision, Nature, PointOrdreDuJour, Seance


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
    lignes = _stats_stockees(seance.id)
    if any(("dossier", "") not in lignes.get(p.dossier_id, {}) for p in seance.ordre_du_jour):
        # Une séance d'avant la migration 0010, tant que `flask notation agregats` n'est pas passé : calculée, pas lue.
        return calculer_agregats(seance)
    grille = regles.grille_de(seance.campagne.criteres)
    par_groupe = regles.groupes(grille)
    agregats = {
        p.dossier_id: _agregat_stocke(p.dossier_id, lignes[p.dossier_id], grille, par_groupe) for p in seance.ordre_du_jour
    }
    return agregats, declarations


def _stats_stockees(seance_id):
    """{dossier id: {(genre, clé): _Stat}} of a session's stored rows. Rows, not objects (2 600 for a session of 200
    dossiers); the statistics read as whole hundredths, converted once per value (half points: they repeat)."""
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
    ).where(AgregatSeance.seance_id == seance_id)
    c = _centiemes
    lignes = {}
    for dossier_id, genre, cle, moy, med, mini, maxi, ecart, norm, desaccord, recues, attendues, avis in db.session.execute(
        requete
    ):
        lignes.setdefault(dossier_id, {})[(genre, cle)] = _Stat(
            c(moy), c(med), c(mini), c(maxi), c(ecart), c(norm), desaccord, recues, attendues, avis
        )
    return lignes


def _agregat_stocke(dossier_id, rangees, grille, par_groupe):
    """A dossier's `regles.AgregatDossier` from its stored rows (its total, each criterion, each group)."""
    total = rangees[("dossier", "")]
    return regles.AgregatDossier(
        dossier_id=dossier_id,
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
