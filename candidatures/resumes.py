"""Each dossier's stored summary (`ResumeDossier`): what lists and exports show of its checks and budget.

One mechanism keeps it true, whatever the write path (page, API, command, another domain): at each flush, a
session hook notes the dossiers that the written rows can change (`SOURCES`: the dossier and its collections,
its structure — judged live before filing —, its campaign's rules); just before the transaction commits, those
dossiers are read again from the database (their rows locked, in the order of their ids) and their summaries
rewritten. No operation calls it. Statements that bypass the session are not seen: the only one on these tables
(`retention`, the pieces of a draft it then deletes) leaves no summary behind (ON DELETE CASCADE).

The calendar (campaign not open yet, deadline passed) moves with time alone: it is not stored but judged when
read (`regles.resume_au`), as `controles_dossier` judges it.
"""

from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session

from aap.extensions import db
from aap.models import Campagne, Mission, PieceRequise, Service
from aap.types import maintenant

from . import regles
from .models import (
    MODIFIABLES,
    DemandeComplements,
    Depot,
    Dossier,
    ElementComplement,
    FinancementExistant,
    LigneBudget,
    Piece,
    ResumeDossier,
    Statut,
    Structure,
    VolumeActivite,
)
from .synthese import controles_dossier, options_liste, synthese_budget

# Ce qu'une ligne écrite peut changer : (genre, attribut qui le désigne). Les communes et missions d'un dossier
# sont des collections du dossier : les changer le rend lui-même modifié.
SOURCES = {
    Dossier: ("dossier", "id"),
    VolumeActivite: ("dossier", "dossier_id"),
    LigneBudget: ("dossier", "dossier_id"),
    Piece: ("dossier", "dossier_id"),
    Depot: ("dossier", "dossier_id"),
    DemandeComplements: ("dossier", "dossier_id"),
    ElementComplement: ("demande", "demande_id"),
    Structure: ("structure", "id"),
    FinancementExistant: ("structure", "structure_id"),
    Campagne: ("campagne", "id"),
    PieceRequise: ("campagne", "campagne_id"),
    Mission: ("campagne", "campagne_id"),
}
# Les dossiers désignés par chaque genre, en une requête.
DESIGNES = {
    "demande": lambda ids: select(DemandeComplements.dossier_id).where(DemandeComplements.id.in_(ids)),
    "structure": lambda ids: select(Dossier.id).where(Dossier.structure_id.in_(ids)),
    "campagne": lambda ids: select(Dossier.id).where(Dossier.campagne_id.in_(ids)),
}
A_RECALCULER = "resumes_a_recalculer"
LOT = 200


@event.listens_for(Session, "after_flush")
def _noter(session, contexte):
    """The keys of what this flush wrote (new rows have their ids by now)."""
    cles = session.info.setdefault(A_RECALCULER, set())
    for objet in (*session.new, *session.dirty, *session.deleted):
        source = SOURCES.get(type(objet))
        if source is not None:
            genre, attribut = source
            cles.add((genre, getattr(objet, attribut)))


@event.listens_for(Session, "before_commit")
def _avant_validation(session):
    if session.info.get(A_RECALCULER):
        session.flush()
        cles = session.info.pop(A_RECALCULER)
        recalculer(session, dossiers_designes(session, cles))


@event.listens_for(Session, "after_soft_rollback")
def _apres_annulation(session, transaction):
    # Un point de sauvegarde annulé laisse la transaction et ce qu'elle a écrit avant : seule l'annulation de
    # la transaction entière efface la liste (recalculer un dossier de trop ne fausse rien).
    if not session.in_transaction():
        session.info.pop(A_RECALCULER, None)


def dossiers_designes(session, cles):
    ids = {ident for genre, ident in cles if genre == "dossier" and ident is not None}
    for genre, requete in DESIGNES.items():
        designes = [ident for g, ident in cles if g == genre and ident is not None]
        if designes:
            ids.update(session.scalars(requete(designes)))
    return sorted(ids)


def valeurs(dossier):
    """The summary of one dossier, from the same functions the dossier page calls."""
    bloquants, avertissements = regles.resume(controles_dossier(dossier, calendrier=False))
    annee = synthese_budget(dossier)[0]
    demande = dossier.demande_en_cours
    return {
        "dossier_id": dossier.id,
        "bloquants": bloquants,
        "avertissements": avertissements,
        "limite_complements": demande.date_limite if demande is not None else None,
        "charges_annee1": annee.charges,
        "cofinancement_annee1": annee.cofinancement,
        "heures_insertion": sum(v.heures_insertion for v in dossier.volumes),
    }


def recalculer(session, ids):
    """Rewrites the summaries of these dossiers (sorted ids), read again from the database, rows locked."""
    for debut in range(0, len(ids), LOT):
        morceau = ids[debut : debut + LOT]
        # Verrou dans l'ordre des ids : une écriture concurrente du même dossier attend la fin de celle-ci, puis
        # relit tout (les siennes comprises) avant de réécrire le résumé.
        presents = session.scalars(select(Dossier.id).where(Dossier.id.in_(morceau)).order_by(Dossier.id).with_for_update()).all()
        dossiers = session.scalars(
            select(Dossier).where(Dossier.id.in_(presents)).options(*options_liste()).execution_options(populate_existing=True)
        ).all()
        session.execute(delete(ResumeDossier).where(ResumeDossier.dossier_id.in_(morceau)))
        if dossiers:
            session.execute(insert(ResumeDossier), [valeurs(d) for d in dossiers])


def resumes_de(ids, instant=None):
    """{dossier id: (points bloquants, avertissements)} as `regles.resume(controles_dossier(d))` gives them
    (calendar judged now for a dossier the applicant may still file), from the stored rows: one query."""
    instant = instant or maintenant()
    lignes = db.session.execute(
        select(
            ResumeDossier.dossier_id,
            ResumeDossier.bloquants,
            ResumeDossier.avertissements,
            ResumeDossier.limite_complements,
            Dossier.statut,
            Campagne.ouverture_le,
            Campagne.cloture_le,
            Service.fuseau,
        )
        .join(Dossier, Dossier.id == ResumeDossier.dossier_id)
        .join(Campagne, Campagne.id == Dossier.campagne_id)
        .join(Service, Service.id == Dossier.service_id)
        .where(ResumeDossier.dossier_id.in_(ids))
    )
    resumes = {}
    ids = list(ids)
    for ident, bloquants, avertissements, limite, statut, ouverture, cloture, fuseau in lignes:
        if statut in MODIFIABLES:
            calendrier = regles.ReglesCampagne(ouverture_le=ouverture, cloture_le=cloture, fuseau=fuseau)
            limite = limite if statut == Statut.COMPLEMENTS_DEMANDES else None
            resumes[ident] = regles.resume_au((bloquants, avertissements), calendrier, instant, limite)
        else:
            resumes[ident] = (bloquants, avertissements)
    # Un dossier d'avant la migration 0010, tant que `flask resumes` n'est pas passé : calculé, pas lu.
    manquants = [ident for ident in ids if ident not in resumes]
    if manquants:
        for dossier in db.session.scalars(select(Dossier).where(Dossier.id.in_(manquants)).options(*options_liste())):
            resumes[dossier.id] = regles.resume(controles_dossier(dossier, instant))
    return resumes


def completer():
    """Writes the missing summaries (a database migrated to 0010 with its dossiers); returns how many."""
    ids = db.session.scalars(
        select(Dossier.id).where(~select(ResumeDossier.dossier_id).where(ResumeDossier.dossier_id == Dossier.id).exists())
    ).all()
    recalculer(db.session, sorted(ids))
    db.session.commit()
    return len(ids)
