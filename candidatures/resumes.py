"""Each dossier's stored summary (`ResumeDossier`): what lists and exports show of its checks and budget.

Kept true by `aap.derives`, whatever the write path (page, API, command, another domain): the rows written
mark the dossiers they can change (`SOURCES`: the dossier and its collections, its structure — judged live
before filing —, its campaign's rules); just before the transaction commits, those dossiers are read again from
the database (their rows locked, in the order of their ids) and their summaries rewritten. The only statement
that writes these tables around the session (`retention`, the pieces of a draft it then deletes) leaves no
summary behind (ON DELETE CASCADE).

The calendar (campaign not open yet, deadline passed) moves with time alone: it is not stored but judged when
read (`constats.resume_au`), as `controles_dossier` judges it.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, insert, select

from aap import derives
from aap.extensions import db
from aap.models import Campagne, Commune, Mission, PieceRequise, Service
from aap.types import maintenant

from . import constats, regles
from .models import (
    MODIFIABLES,
    AvisCtn,
    DemandeComplements,
    Depot,
    Dossier,
    ElementComplement,
    FinancementExistant,
    LigneBudget,
    Piece,
    ResumeDossier,
    Statut,
    StatutJuridique,
    Structure,
    VolumeActivite,
    dossiers_communes,
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
LOT = 200


def valeurs(dossier):
    """The summary of one dossier, from the same functions the dossier page calls."""
    bloquants, avertissements = constats.resume(controles_dossier(dossier, calendrier=False))
    annee = synthese_budget(dossier)[0]
    demande = dossier.demande_en_cours
    return {
        "dossier_id": dossier.id,
        "bloquants": bloquants,
        "avertissements": avertissements,
        "limite_complements": demande.date_limite if demande is not None else None,
        "charges_annee1": annee.charges,
        "part_etat_annee1": annee.part_etat,
        "taux_etat_annee1": annee.taux_etat,
        "cofinancement_annee1": annee.cofinancement,
        "heures_insertion": sum(v.heures_insertion for v in dossier.volumes),
    }


def recalculer(session, ids):
    """Rewrites the summaries of these dossiers (sorted ids), read again from the database, rows locked."""
    for debut in range(0, len(ids), LOT):
        morceau = ids[debut : debut + LOT]
        # Verrou dans l'ordre des ids : une écriture concurrente du même dossier attend la fin de celle-ci, puis
        # relit tout (les siennes comprises) avant de réécrire le résumé. FOR NO KEY UPDATE : il ne gêne pas le
        # verrou que prend l'insertion d'une pièce ou d'une ligne (clé étrangère), sinon deux ajouts simultanés
        # au même dossier s'attendraient l'un l'autre.
        presents = session.scalars(
            select(Dossier.id).where(Dossier.id.in_(morceau)).order_by(Dossier.id).with_for_update(key_share=True)
        ).all()
        dossiers = session.scalars(
            select(Dossier).where(Dossier.id.in_(presents)).options(*options_liste()).execution_options(populate_existing=True)
        ).all()
        session.execute(delete(ResumeDossier).where(ResumeDossier.dossier_id.in_(morceau)))
        if dossiers:
            session.execute(insert(ResumeDossier), [valeurs(d) for d in dossiers])


DERIVE = derives.declarer(
    derives.Derive(nom="resumes_dossiers", sources=SOURCES, designes=DESIGNES, recalculer=recalculer, genre="dossier")
)


def _au(statut, resume, limite, ouverture, cloture, fuseau, instant):
    """A stored summary with the calendar judged at `instant` when the applicant may still file."""
    if statut not in MODIFIABLES:
        return resume
    calendrier = regles.ReglesCampagne(ouverture_le=ouverture, cloture_le=cloture, fuseau=fuseau)
    return constats.resume_au(resume, calendrier, instant, limite if statut == Statut.COMPLEMENTS_DEMANDES else None)


def resumes_de(ids, instant=None):
    """{dossier id: (points bloquants, avertissements)} as `constats.resume(controles_dossier(d))` gives them
    (calendar judged now for a dossier the applicant may still file), from the stored rows: one query."""
    requete = select(Dossier).where(Dossier.id.in_(ids)).join(Dossier.structure)
    return {ligne.id: (ligne.bloquants, ligne.avertissements) for ligne in lignes_dossiers(requete, instant)}


# Ce qu'une ligne de liste ou d'export montre : le dossier, sa campagne, sa structure, son résumé stocké.
COLONNES = (
    Dossier.id,
    Dossier.numero,
    Dossier.titre,
    Dossier.statut,
    Dossier.zone_blanche,
    Dossier.etp_facilitateur,
    Dossier.etp_coordinateur,
    Dossier.montant_demande,
    Dossier.depose_le,
    Dossier.recevable_le,
    Dossier.avis_ctn,
    Campagne.annee,
    Structure.raison_sociale,
    Structure.siret,
    Structure.statut_juridique,
    Structure.emergente,
    ResumeDossier.bloquants,
    ResumeDossier.avertissements,
    ResumeDossier.charges_annee1,
    ResumeDossier.part_etat_annee1,
    ResumeDossier.taux_etat_annee1,
    ResumeDossier.cofinancement_annee1,
    ResumeDossier.heures_insertion,
)
CALENDRIER = (ResumeDossier.limite_complements, Campagne.ouverture_le, Campagne.cloture_le, Service.fuseau)


@dataclass(frozen=True)
class LigneDossier:
    """A dossier as a list row or an export row shows it: plain values, no ORM object."""

    id: int
    numero: str | None
    titre: str
    statut: Statut
    zone_blanche: bool
    etp_facilitateur: Decimal
    etp_coordinateur: Decimal
    montant_demande: Decimal
    depose_le: datetime | None
    recevable_le: date | None
    avis_ctn: AvisCtn | None
    annee: int
    raison_sociale: str
    siret: str
    statut_juridique: StatutJuridique
    emergente: bool
    bloquants: int  # calendrier compris, jugé à la lecture
    avertissements: int
    charges_annee1: Decimal
    part_etat_annee1: Decimal
    taux_etat_annee1: Decimal | None
    cofinancement_annee1: Decimal
    heures_insertion: int


def lignes_dossiers(requete, instant=None, lot=500):
    """The rows of `requete` (a select of dossiers, their structure joined, filtered and sorted) as `LigneDossier`,
    read in batches of `lot` (an export streams them). A dossier without a stored summary (before `flask candidatures resumes`)
    has it computed, not read."""
    instant = instant or maintenant()
    derives.rattraper(db.session)
    requete = (
        requete.with_only_columns(*COLONNES, *CALENDRIER)
        .join(Campagne, Campagne.id == Dossier.campagne_id)
        .join(Service, Service.id == Dossier.service_id)
        .outerjoin(ResumeDossier, ResumeDossier.dossier_id == Dossier.id)
    )
    for morceau in db.session.execute(requete.execution_options(yield_per=lot)).partitions():
        manquants = [ligne.id for ligne in morceau if ligne.bloquants is None]
        calcules = {}
        if manquants:
            calcules = {
                d.id: valeurs(d)
                for d in db.session.scalars(select(Dossier).where(Dossier.id.in_(manquants)).options(*options_liste()))
            }
        for ligne in morceau:
            champs = ligne._asdict()
            champs.update(calcules.get(ligne.id, {}))
            limite, ouverture, cloture, fuseau = (champs.pop(c.key) for c in CALENDRIER)
            champs.pop("dossier_id", None)
            resume = (champs["bloquants"], champs["avertissements"])
            champs["bloquants"], champs["avertissements"] = _au(
                champs["statut"], resume, limite, ouverture, cloture, fuseau, instant
            )
            yield LigneDossier(**champs)


def communes_des(ids):
    """{dossier id: [names of its communes, in alphabetical order]}, in one query."""
    communes = {}
    for ident, nom in db.session.execute(
        select(dossiers_communes.c.dossier_id, Commune.nom)
        .join(Commune, Commune.code == dossiers_communes.c.commune_code)
        .where(dossiers_communes.c.dossier_id.in_(ids))
        .order_by(dossiers_communes.c.dossier_id, Commune.nom)
    ):
        communes.setdefault(ident, []).append(nom)
    return communes


def completer(tout=False):
    """Writes the missing summaries (a database migrated to 0010 with its dossiers), or all of them (`tout`: a
    database loaded around the session, as the bench's generator does); returns how many."""
    requete = select(Dossier.id)
    if not tout:
        requete = requete.where(~select(ResumeDossier.dossier_id).where(ResumeDossier.dossier_id == Dossier.id).exists())
    ids = sorted(db.session.scalars(requete))
    recalculer(db.session, ids)
    db.session.commit()
    return len(ids)
