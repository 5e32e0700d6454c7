"""JSON API of the notation domain: sessions (create, read, agenda, phases), conflict declarations, my score
sheet (read, save draft, submit), aggregated scores and ranking (only for who may see them), decisions and
the documents of a closed session.

The same operations, rules and permissions as the pages: an object the caller may not see answers 404
(a recused member on the dossier's scores, a member of another session, an agent of another service).
Points, amounts and ETP are decimal strings ("7.5", "35000.00", "0.5"), never floats: the shapes are in
`schemas.py`.
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aap import fichiers
from aap.api import blueprint_api
from aap.erreurs import Refus
from aap.extensions import db
from aap.models import Campagne, Utilisateur
from aap.securite import role_requis
from candidatures.models import Dossier

from . import lecture, operations, regles, resultats
from .lecture import GESTION, LECTEURS
from .models import Decision, MembreSeance, Seance
from .schemas import (
    ClassementQuerySchema,
    ClassementSchema,
    CreationSeanceSchema,
    DecisionCopilDemandeSchema,
    DecisionCopilSchema,
    DeclarationDemandeSchema,
    DeclarationSchema,
    DocumentsSeanceSchema,
    EnregistrementFeuilleSchema,
    FeuilleSchema,
    FiltresSeancesSchema,
    InscriptionSchema,
    NotesDossierSchema,
    PageSeancesSchema,
    PhaseSchema,
    PointSchema,
    ReouvertureSchema,
    SeanceSchema,
    SoumissionSchema,
)

bp = blueprint_api("api_notation", "Séances du COPIL, conflits d'intérêts, notes, classement, décisions.")


# --- Chargement -------------------------------------------------------------------------------------


def _position(acces, dossier_id):
    if acces.membre is None:
        return None
    declaration = acces.declaration(dossier_id)
    feuille = acces.feuille(dossier_id)
    return {
        "declaration": None if declaration is None else ("deport" if declaration.conflit else "aucun_conflit"),
        "feuille": None if feuille is None else ("soumise" if feuille.soumise else "brouillon"),
        "peut_noter": acces.can_noter(dossier_id),
        "voit_notes": acces.can_voir_notes(dossier_id),
    }


def _feuille(feuille, criteres):
    if feuille is None:
        return {
            "version": 0,
            "membre": None,
            "soumise": False,
            "soumise_le": None,
            "modifiee_le": None,
            "avis": None,
            "commentaire": "",
            "total": regles.ZERO,
            "notes": [{"critere": c.code, "points": None, "commentaire": ""} for c in criteres],
        }
    par_critere = {n.critere_id: n for n in feuille.notes}
    return {
        "version": feuille.version,
        "membre": feuille.membre,
        "soumise": feuille.soumise,
        "soumise_le": feuille.soumise_le,
        "modifiee_le": feuille.modifiee_le,
        "avis": feuille.avis,
        "commentaire": feuille.commentaire,
        "total": feuille.total,
        "notes": [
            {
                "critere": c.code,
                "points": par_critere[c.id].points if c.id in par_critere else None,
                "commentaire": par_critere[c.id].commentaire if c.id in par_critere else "",
            }
            for c in criteres
        ],
    }


# --- Séances ---------------------------------------------------------------------------------------


@bp.route("/seances")
@role_requis(*LECTEURS)
@bp.arguments(FiltresSeancesSchema, location="query")
@bp.response(200, PageSeancesSchema)
def seances(filtres):
    """Les séances visibles : celles dont on est membre ; toutes celles du service (agents) ; toutes (national)."""
    requete = lecture.requete_seances(current_user, filtres.get("campagne_id"), filtres.get("phase"))
    requete = requete.options(selectinload(Seance.membres).joinedload(MembreSeance.utilisateur))
    page = db.paginate(requete, page=filtres["page"], per_page=25, error_out=False)
    return {"elements": page.items, "page": page.page, "pages": page.pages, "total": page.total}


@bp.route("/seances", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(CreationSeanceSchema)
@bp.response(201, SeanceSchema)
def creer_seance(valeurs):
    """Crée une séance en préparation (agents du service). Le président en est membre."""
    campagne = db.session.scalar(
        select(Campagne).where(Campagne.id == valeurs["campagne_id"], Campagne.service_id == current_user.service_id)
    )
    if campagne is None:
        raise Refus("Campagne inconnue.", code="campagne_inconnue", champ="campagne_id")
    ids = {valeurs["president_id"], *valeurs["membres"]}
    personnes = {u.id: u for u in db.session.scalars(select(Utilisateur).where(Utilisateur.id.in_(ids)))}
    inconnus = [i for i in ids if i not in personnes or personnes[i].service_id != campagne.service_id]
    if inconnus:
        raise Refus(
            "Membre inconnu dans ce service : " + ", ".join(map(str, sorted(inconnus))) + ".",
            code="membre_inconnu",
            champ="membres",
        )
    seance = operations.creer_seance(
        campagne,
        tenue_le=valeurs["tenue_le"],
        lieu=valeurs["lieu"],
        lien_visio=valeurs["lien_visio"],
        president=personnes[valeurs["president_id"]],
        membres=[personnes[i] for i in valeurs["membres"]],
        seuil_desaccord=valeurs.get("seuil_desaccord"),
        par=current_user,
    )
    db.session.commit()
    return lecture.charger_seance(seance.id)


@bp.route("/seances/<id:seance_id>")
@role_requis(*LECTEURS)
@bp.response(200, SeanceSchema)
def seance(seance_id):
    """Une séance : date, lieu, phase, président, membres, `version`."""
    return lecture.seance_accessible(seance_id)


@bp.route("/seances/<id:seance_id>/phase", methods=["POST"])
@role_requis(*LECTEURS)
@bp.arguments(PhaseSchema)
@bp.response(200, SeanceSchema)
def phase(valeurs, seance_id):
    """Passe à la phase suivante : notation (les membres sont avertis), délibération, close (procès-verbal,
    classeur, lettres envoyées, date de notification). Agents du service ou président de séance."""
    seance = lecture.seance_accessible(seance_id, Seance.can_changer_phase)
    operations.changer_phase(
        seance,
        valeurs["phase"],
        par=current_user,
        motif=valeurs["motif"],
        confirmer=valeurs["confirmer_notes_manquantes"],
    )
    db.session.commit()
    return lecture.charger_seance(seance.id)


@bp.route("/seances/<id:seance_id>/ordre-du-jour")
@role_requis(*LECTEURS)
@bp.response(200, PointSchema(many=True))
def ordre_du_jour(seance_id):
    """L'ordre du jour, avec pour un membre sa position sur chaque dossier (déclaration, notation)."""
    seance = lecture.seance_accessible(seance_id)
    acces = lecture.acces(seance, current_user)
    return [
        {
            "rang": p.rang,
            "dossier_id": p.dossier_id,
            "numero": p.dossier.numero,
            "structure": p.dossier.structure.raison_sociale,
            "titre": p.dossier.titre,
            "montant_demande": p.dossier.montant_demande,
            "etp_facilitateur": p.dossier.etp_facilitateur,
            "etp_coordinateur": p.dossier.etp_coordinateur,
            "moi": _position(acces, p.dossier_id),
        }
        for p in seance.ordre_du_jour
    ]


@bp.route("/seances/<id:seance_id>/ordre-du-jour", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(InscriptionSchema)
@bp.response(201, PointSchema)
def inscrire(valeurs, seance_id):
    """Inscrit un dossier recevable de la campagne (agents du service)."""
    seance = lecture.seance_accessible(seance_id, Seance.can_gerer)
    dossier = db.session.get(Dossier, valeurs["dossier_id"])
    if dossier is None or dossier.service_id != seance.service_id:
        raise Refus("Dossier inconnu dans ce service.", code="dossier_inconnu", champ="dossier_id")
    point = operations.inscrire(seance, dossier, par=current_user)
    db.session.commit()
    return {
        "rang": point.rang,
        "dossier_id": dossier.id,
        "numero": dossier.numero,
        "structure": dossier.structure.raison_sociale,
        "titre": dossier.titre,
        "montant_demande": dossier.montant_demande,
        "etp_facilitateur": dossier.etp_facilitateur,
        "etp_coordinateur": dossier.etp_coordinateur,
        "moi": None,
    }


@bp.route("/seances/<id:seance_id>/ordre-du-jour/<id:dossier_id>", methods=["DELETE"])
@role_requis(*GESTION)
@bp.response(204)
def retirer(seance_id, dossier_id):
    """Retire un dossier que personne n'a encore noté (agents du service)."""
    seance = lecture.seance_accessible(seance_id, Seance.can_gerer)
    point = lecture.point_accessible(seance, dossier_id)
    operations.retirer(seance, point.dossier, par=current_user)
    db.session.commit()


# --- Déclarations et notation -----------------------------------------------------------------------


def _membre(seance):
    acces = lecture.acces(seance, current_user)
    if acces.membre is None:
        abort(404)
    return acces


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/declaration")
@role_requis(*LECTEURS)
@bp.response(200, DeclarationSchema)
def ma_declaration(seance_id, dossier_id):
    """Ma déclaration d'intérêts pour ce dossier (404 si je n'ai pas encore déclaré)."""
    seance = lecture.seance_accessible(seance_id)
    lecture.point_accessible(seance, dossier_id)
    declaration = _membre(seance).declaration(dossier_id)
    if declaration is None:
        abort(404)
    return declaration


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/declaration", methods=["PUT"])
@role_requis(*LECTEURS)
@bp.arguments(DeclarationDemandeSchema)
@bp.response(200, DeclarationSchema)
def declarer(valeurs, seance_id, dossier_id):
    """Déclare, avant de voir ou de noter le dossier, l'absence de conflit ou un conflit (avec sa nature) :
    un conflit vaut déport. Un déport ne peut plus être retiré une fois les notes visibles (422)."""
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    _membre(seance)
    declaration = operations.declarer(seance, point.dossier, current_user, conflit=valeurs["conflit"], nature=valeurs["nature"])
    db.session.commit()
    return declaration


def _ma_feuille_acces(seance_id, dossier_id, ecriture=False):
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    if ecriture:
        acces = lecture.acces(seance, current_user)
        if acces.membre is None and acces.can_voir_dossier(dossier_id):
            abort(403)  # il lit le dossier sans le noter, comme sur la page
    acces = _membre(seance)
    if acces.deporte(dossier_id):
        abort(404)
    return seance, point, acces


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/ma-feuille")
@role_requis(*LECTEURS)
@bp.response(200, FeuilleSchema)
def ma_feuille(seance_id, dossier_id):
    """Mes notes pour ce dossier (version 0 et notes vides si rien n'est encore enregistré)."""
    seance, _, acces = _ma_feuille_acces(seance_id, dossier_id)
    return _feuille(acces.feuille(dossier_id), seance.campagne.criteres)


def _points(notes, seance):
    codes = {c.code for c in seance.campagne.criteres}
    inconnus = [n["critere"] for n in notes if n["critere"] not in codes]
    if inconnus:
        raise Refus(f"Critère inconnu : {inconnus[0][:40]}.", code="critere_inconnu", champ="notes")
    return ({n["critere"]: n["points"] for n in notes}, {n["critere"]: n["commentaire"] for n in notes})


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/ma-feuille", methods=["PUT"])
@role_requis(*LECTEURS)
@bp.arguments(EnregistrementFeuilleSchema)
@bp.response(200, FeuilleSchema)
def enregistrer_feuille(valeurs, seance_id, dossier_id):
    """Enregistre mon brouillon (éventuellement incomplet). `version` : celle lue ; 409 si un autre onglet a
    enregistré entre-temps (rien n'est écrasé)."""
    seance, point, acces = _ma_feuille_acces(seance_id, dossier_id, ecriture=True)
    points, commentaires = _points(valeurs["notes"], seance)
    feuille = operations.enregistrer_notes(
        seance,
        point.dossier,
        current_user,
        version=valeurs["version"],
        points=points,
        commentaires=commentaires,
        avis=valeurs["avis"],
        commentaire=valeurs["commentaire"],
        acces=acces,
    )
    db.session.commit()
    return _feuille(feuille, seance.campagne.criteres)


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/ma-feuille/soumission", methods=["POST"])
@role_requis(*LECTEURS)
@bp.arguments(SoumissionSchema)
@bp.response(200, FeuilleSchema)
def soumettre_feuille(valeurs, seance_id, dossier_id):
    """Soumet mon brouillon enregistré : chaque critère noté, commentaires sous la moitié du maximum, avis.
    Ensuite mes notes ne changent plus (sauf réouverture par le président) et je vois celles des autres."""
    seance, point, acces = _ma_feuille_acces(seance_id, dossier_id, ecriture=True)
    feuille = acces.feuille(dossier_id)
    contenu = _feuille(feuille, seance.campagne.criteres)
    feuille = operations.enregistrer_notes(
        seance,
        point.dossier,
        current_user,
        version=valeurs["version"],
        points={n["critere"]: n["points"] for n in contenu["notes"]},
        commentaires={n["critere"]: n["commentaire"] for n in contenu["notes"]},
        avis=contenu["avis"],
        commentaire=contenu["commentaire"],
        soumettre=True,
        acces=acces,
    )
    db.session.commit()
    return _feuille(feuille, seance.campagne.criteres)


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/feuilles/<id:membre_id>/reouverture", methods=["POST"])
@role_requis(*LECTEURS)
@bp.arguments(ReouvertureSchema)
@bp.response(200, FeuilleSchema)
def rouvrir(valeurs, seance_id, dossier_id, membre_id):
    """Le président rouvre une notation soumise (motif obligatoire, journalisé, le membre est averti)."""
    seance = lecture.seance_accessible(seance_id)
    lecture.point_accessible(seance, dossier_id)
    acces = lecture.acces(seance, current_user)
    if not acces.president or acces.deporte(dossier_id):
        abort(403 if acces.membre is not None and not acces.deporte(dossier_id) else 404)
    feuille = operations.feuille_de(seance, dossier_id, membre_id)
    if feuille is None:
        abort(404)
    operations.rouvrir(seance, feuille, motif=valeurs["motif"], par=current_user)
    db.session.commit()
    return _feuille(feuille, seance.campagne.criteres)


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/notes")
@role_requis(*LECTEURS)
@bp.response(200, NotesDossierSchema)
def notes(seance_id, dossier_id):
    """Les notes agrégées du dossier et celles de chaque membre, avec commentaires. 404 pour un membre déporté,
    et pour un membre qui n'a pas soumis les siennes tant que la séance ne délibère pas (pas d'ancrage)."""
    seance = lecture.seance_accessible(seance_id)
    lecture.point_accessible(seance, dossier_id)
    acces = lecture.acces(seance, current_user)
    if not acces.can_voir_notes(dossier_id):
        abort(404)
    tableau = resultats.tableau_seance(seance, acces)
    ligne = tableau.ligne(dossier_id)
    deportes = {u.id for u, _ in ligne.deportes}
    feuilles = [f for f in lecture.feuilles_completes(seance.id, dossier_id) if f.membre_id not in deportes]
    return {
        "agregat": ligne.agregat,
        "deportes": [u for u, _ in ligne.deportes],
        "feuilles": [_feuille(f, seance.campagne.criteres) for f in feuilles],
    }


# --- Classement et décisions ------------------------------------------------------------------------


@bp.route("/seances/<id:seance_id>/classement")
@role_requis(*LECTEURS)
@bp.arguments(ClassementQuerySchema, location="query")
@bp.response(200, ClassementSchema)
def classement(filtres, seance_id):
    """Le classement par moyenne, le cumul des montants demandés et la ligne de l'enveloppe (crédits restants
    de la campagne). Lecteurs du service ; membres à partir de la délibération (404 avant)."""
    seance = lecture.seance_accessible(seance_id)
    acces = lecture.acces(seance, current_user)
    if not acces.can_voir_classement():
        abort(404)
    tableau = resultats.tableau_seance(seance, acces, normalise=filtres["normalise"])
    lignes = []
    for ligne in tableau.lignes:
        c, a, d = ligne.classement, ligne.agregat, ligne.dossier
        masque = ligne.masque
        lignes.append(
            {
                "rang": None if masque else c.rang,
                "ex_aequo": False if masque else c.ex_aequo,
                "dossier_id": d.id,
                "numero": d.numero,
                "structure": d.structure.raison_sociale,
                "masque": masque,
                "moyenne": None if masque else a.moyenne,
                "mediane": None if masque else a.mediane,
                "ecart_type": None if masque else a.ecart_type,
                "normalise": None if masque or not filtres["normalise"] else a.normalise,
                "recues": None if masque else a.recues,
                "attendues": None if masque else a.attendues,
                "desaccords": [] if masque else [s.code for s in a.desaccords],
                "montant_demande": d.montant_demande,
                "cumul": None if masque else c.cumul,
                "enveloppe": "masque" if masque else c.enveloppe,
                "decision": ligne.decision,
            }
        )
    return {
        "credits": tableau.credits,
        "accordes_ailleurs": tableau.accordes_ailleurs,
        "disponible_seance": tableau.disponible_seance,
        "accordes_seance": tableau.accordes_seance,
        "restant": tableau.restant,
        "lignes": lignes,
    }


@bp.route("/seances/<id:seance_id>/decisions")
@role_requis(*LECTEURS)
@bp.response(200, DecisionCopilSchema(many=True))
def decisions(seance_id):
    """Les décisions de la séance (membres à partir de la délibération, lecteurs du service)."""
    seance = lecture.seance_accessible(seance_id)
    acces = lecture.acces(seance, current_user)
    if not acces.can_voir_classement():
        abort(404)
    return lecture.decisions_de(seance.id)


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/decision", methods=["PUT"])
@role_requis(*LECTEURS)
@bp.arguments(DecisionCopilDemandeSchema)
@bp.response(200, DecisionCopilSchema)
def decider(valeurs, seance_id, dossier_id):
    """Enregistre ou modifie la décision (président de séance, en délibération) : retenu (montant accordé, au
    plus le montant demandé, le taux plafond du coût de ce qui est financé — `plafond_depasse` — et les crédits
    restants de l'année 1 de la campagne ; ETP financés par poste ; budget révisé facultatif ; conditions),
    ajourné ou rejeté (motif). 409 si `version` n'est plus la version courante."""
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    acces = lecture.acces(seance, current_user)
    lecture.exiger_decision(seance, dossier_id, acces)
    decision = operations.decider(
        seance,
        point.dossier,
        nature=valeurs["nature"],
        par=current_user,
        version=valeurs["version"],
        montant_accorde=valeurs["montant_accorde"],
        etp_facilitateur=valeurs["etp_facilitateur"],
        etp_coordinateur=valeurs["etp_coordinateur"],
        cout_retenu=valeurs["cout_retenu"],
        conditions=valeurs["conditions"],
        motif=valeurs["motif"],
    )
    db.session.commit()
    return decision


# --- Documents ------------------------------------------------------------------------------------


@bp.route("/seances/<id:seance_id>/documents")
@role_requis(*LECTEURS)
@bp.response(200, DocumentsSeanceSchema)
def documents(seance_id):
    """Les documents produits à la clôture : procès-verbal (tous ceux qui voient la séance), classeur des notes
    et lettres de notification (lecteurs du service et président)."""
    seance = lecture.seance_accessible(seance_id)
    detail = seance.can_voir_detail(current_user)
    lettres = []
    if detail:
        lettres = [
            {
                "dossier_id": d.dossier_id,
                "nom": d.lettre.nom,
                "sha256": d.lettre.sha256,
                "taille": d.lettre.taille,
                "type_mime": d.lettre.type_mime,
            }
            for d in db.session.scalars(
                select(Decision)
                .where(Decision.seance_id == seance.id, Decision.lettre_id.is_not(None))
                .options(joinedload(Decision.lettre))
            )
        ]
    return {"proces_verbal": seance.proces_verbal, "classeur": seance.classeur if detail else None, "lettres": lettres}


@bp.route("/seances/<id:seance_id>/proces-verbal")
@role_requis(*LECTEURS)
@bp.response(200, content_type="application/pdf")
def proces_verbal(seance_id):
    """Le procès-verbal de la séance close (PDF, empreinte vérifiée)."""
    seance = lecture.seance_accessible(seance_id)
    if seance.proces_verbal is None:
        abort(404)
    return fichiers.reponse_telechargement(seance.proces_verbal)


@bp.route("/seances/<id:seance_id>/classeur")
@role_requis(*LECTEURS)
@bp.response(200, content_type=fichiers.TYPES_ACCEPTES["xlsx"].mime)
def classeur(seance_id):
    """Le classeur des notes (XLSX) : classement, puis une feuille par dossier."""
    seance = lecture.seance_accessible(seance_id)
    if seance.classeur is None or not seance.can_voir_detail(current_user):
        abort(404)
    return fichiers.reponse_telechargement(seance.classeur)


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/lettre")
@role_requis(*LECTEURS)
@bp.response(200, content_type="application/pdf")
def lettre(seance_id, dossier_id):
    """La lettre de notification d'un dossier (PDF)."""
    return fichiers.reponse_telechargement(lecture.lettre_accessible(seance_id, dossier_id))
