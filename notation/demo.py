"""Demo history of the notation domain, loaded by `flask demo` after the candidatures' one (idempotent).

- The COPIL of the 4th quarter 2022, closed: the 2022 campaign's recevable dossiers scored by
  agent@exemple.fr (president), copil@exemple.fr and copil2@exemple.fr — copil2 recused on the
  collectivité's dossier, members disagreeing on one criterion of the emerging structure's —, two
  dossiers retenu (one below the amount asked, with conditions), one adjourned; its minutes, workbook
  and letters exist at once.
- A session of the campaign open today, scoring open: copil has submitted, copil2 has a draft.

It only uses recevable dossiers that no session holds yet, and creates none of its own.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from aap.aap2022 import MAYOTTE
from aap.extensions import db
from aap.types import maintenant
from candidatures.models import Dossier, Statut

from . import operations
from .models import Declaration, FeuilleNotation, Nature, Phase, PointOrdreDuJour, Seance

TENUE_2022 = datetime(2022, 12, 8, 9, 0, tzinfo=MAYOTTE)

# Points par critère, dans l'ordre de la grille (annexe 4 : 15, 10, 10, 10, 15, 20, 10, 5, 5).
NOTES = {
    "amic": {
        "agent@exemple.fr": ([13, 8, 8.5, 6, 12, 16, 7, 4, 4], "favorable"),
        "copil@exemple.fr": ([14, 9, 8, 7, 12.5, 17, 8, 4, 4.5], "favorable"),
        "copil2@exemple.fr": ([12, 8, 9, 5.5, 11, 15, 7, 3.5, 4], "favorable"),
    },
    "koungou": {
        "agent@exemple.fr": ([10, 8, 9, 5, 10, 14, 6, 4, 3.5], "favorable"),
        "copil@exemple.fr": ([9, 7, 9.5, 4.5, 9, 13, 6.5, 3, 3.5], "reserve"),
    },
    "sud": {
        # Désaccord sur l'originalité (8 contre 3 : plus de 40 % de 10 points d'écart).
        "agent@exemple.fr": ([6, 7, 8, 8, 8, 12, 6, 3, 3], "reserve"),
        "copil@exemple.fr": ([5.5, 6.5, 8, 3, 7.5, 11, 5.5, 2, 2.5], "defavorable"),
        "copil2@exemple.fr": ([7, 7, 8.5, 7, 8, 12, 6, 3, 3], "reserve"),
    },
}
COMMENTAIRES = {
    "originalite": "Offre classique, proche de ce qui existe déjà sur le territoire.",
    "cofinancement": "Cofinancement encore à confirmer par écrit.",
    "projection": "Années 2 et 3 peu détaillées.",
    "experience": "Structure récente : peu de références en clauses sociales.",
}
DEPORT = "Conseillère municipale de Koungou, membre de la commission d'appel d'offres de la commune."


def _cle(dossier):
    nom = dossier.structure.raison_sociale.lower()
    if "koungou" in nom:
        return "koungou"
    if "sud" in nom:
        return "sud"
    return "amic"


def _libres(campagne):
    """Recevable dossiers of the campaign on no session's agenda yet."""
    inscrits = select(PointOrdreDuJour.dossier_id)
    return db.session.scalars(
        select(Dossier)
        .where(Dossier.campagne_id == campagne.id, Dossier.statut == Statut.RECEVABLE, Dossier.id.not_in(inscrits))
        .order_by(Dossier.numero)
    ).all()


def noter_demo(seance, dossier, membre, points, avis, soumettre=True):
    criteres = seance.campagne.criteres
    valeurs = {c.code: None if p is None else Decimal(str(p)) for c, p in zip(criteres, points, strict=True)}
    commentaires = {
        c.code: COMMENTAIRES.get(c.code, "À étayer.") if valeurs[c.code] is not None and valeurs[c.code] * 2 < c.maximum else ""
        for c in criteres
    }
    feuille = operations.feuille_de(seance, dossier.id, membre.id)
    operations.enregistrer_notes(
        seance,
        dossier,
        membre,
        version=feuille.version if feuille else 0,
        points=valeurs,
        commentaires=commentaires,
        avis=avis,
        soumettre=soumettre,
        commentaire="Projet solide, bien ancré sur le territoire." if avis == "favorable" else "",
    )


def _dater(seance, instant):
    """The demo's past session: its declarations and sheets dated as if made before the meeting."""
    for declaration in db.session.scalars(select(Declaration).where(Declaration.seance_id == seance.id)):
        declaration.declaree_le = instant - timedelta(days=1)
    for feuille in db.session.scalars(select(FeuilleNotation).where(FeuilleNotation.seance_id == seance.id)):
        feuille.creee_le = feuille.modifiee_le = instant
        if feuille.soumise_le is not None:
            feuille.soumise_le = instant


def _seance_2022(contexte):
    campagne = contexte.campagne_2022
    if db.session.scalar(select(Seance.id).where(Seance.campagne_id == campagne.id).limit(1)) is not None:
        return
    dossiers = [d for d in _libres(campagne) if d.pret_pour_copil]
    if not dossiers:
        return
    comptes = contexte.comptes
    agent, copil, copil2 = comptes["agent@exemple.fr"], comptes["copil@exemple.fr"], comptes["copil2@exemple.fr"]
    creation = TENUE_2022 - timedelta(days=30)
    seance = operations.creer_seance(
        campagne,
        tenue_le=TENUE_2022,
        lieu="DEETS de Mayotte, Mamoudzou — salle de réunion du 2e étage",
        lien_visio="",
        president=agent,
        membres=[copil, copil2],
        par=agent,
        instant=creation,
    )
    seance.cree_le = creation
    for dossier in dossiers:
        operations.inscrire(seance, dossier, par=agent)
    operations.changer_phase(seance, Phase.NOTATION, par=agent, instant=TENUE_2022 - timedelta(days=21))
    for dossier in dossiers:
        _declarer_et_noter_2022(seance, dossier, (agent, copil, copil2))
    _dater(seance, TENUE_2022 - timedelta(days=3))
    operations.changer_phase(seance, Phase.DELIBERATION, par=agent, instant=TENUE_2022)
    operations.marquer_presences(seance, {agent.id, copil.id, copil2.id}, par=agent)
    for dossier in dossiers:
        _decider_2022(seance, dossier, agent)
    operations.changer_phase(
        seance, Phase.CLOSE, par=agent, instant=datetime.combine(TENUE_2022.date(), time(12, 30), tzinfo=MAYOTTE)
    )


def _declarer_et_noter_2022(seance, dossier, membres):
    """Each member declares (copil2 recused on Koungou's dossier), then scores as `NOTES` says."""
    notes = NOTES[_cle(dossier)]
    for membre in membres:
        deport = membre.email == "copil2@exemple.fr" and _cle(dossier) == "koungou"
        operations.declarer(seance, dossier, membre, conflit=deport, nature=DEPORT if deport else "")
        if not deport and membre.email in notes:
            points, avis = notes[membre.email]
            noter_demo(seance, dossier, membre, points, avis)


def _decider_2022(seance, dossier, president):
    """AMIC retenu in full; Koungou retenu at 90 % of its amount, with a condition; the southern structure adjourned."""
    cle = _cle(dossier)
    if cle == "sud":
        operations.decider(
            seance,
            dossier,
            nature=Nature.AJOURNE,
            par=president,
            motif="Budget des années 2 et 3 à consolider et cofinancements à confirmer par écrit ; le COPIL "
            "réexaminera le dossier au premier trimestre 2023.",
        )
        return
    montant, conditions = dossier.montant_demande, ""
    if cle == "koungou":
        montant = (dossier.montant_demande * Decimal("0.9")).quantize(Decimal("1"))
        conditions = (
            "Transmettre avant la signature de la convention la délibération du conseil municipal sur le cofinancement communal."
        )
    operations.decider(
        seance,
        dossier,
        nature=Nature.RETENU,
        par=president,
        montant_accorde=montant,
        etp_facilitateur=dossier.etp_facilitateur,
        etp_coordinateur=dossier.etp_coordinateur,
        conditions=conditions,
    )


def _seance_ouverte(contexte):
    campagne = contexte.campagne_ouverte
    if db.session.scalar(select(Seance.id).where(Seance.campagne_id == campagne.id).limit(1)) is not None:
        return
    dossiers = [d for d in _libres(campagne) if d.pret_pour_copil]
    if not dossiers:
        return
    comptes = contexte.comptes
    agent, copil, copil2 = comptes["agent@exemple.fr"], comptes["copil@exemple.fr"], comptes["copil2@exemple.fr"]
    jour = (maintenant().astimezone(MAYOTTE) + timedelta(days=12)).date()
    seance = operations.creer_seance(
        campagne,
        tenue_le=datetime.combine(jour, time(9, 0), tzinfo=MAYOTTE),
        lieu="",
        lien_visio="https://webconf.numerique.gouv.fr/copil-deets-976",
        president=agent,
        membres=[copil, copil2],
        par=agent,
    )
    for dossier in dossiers:
        operations.inscrire(seance, dossier, par=agent)
    operations.changer_phase(seance, Phase.NOTATION, par=agent)
    premier = dossiers[0]
    operations.declarer(seance, premier, copil, conflit=False)
    noter_demo(seance, premier, copil, [12, 8, 8, 6.5, 11, 15, 7, 4, 4], "favorable")
    operations.declarer(seance, premier, copil2, conflit=False)
    noter_demo(seance, premier, copil2, [11, 7.5, 9, None, None, None, None, None, None], None, soumettre=False)


def charger(contexte):
    _seance_2022(contexte)
    db.session.flush()
    _seance_ouverte(contexte)
