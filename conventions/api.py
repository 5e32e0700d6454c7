"""JSON API of the conventions domain: conventions (list, read with their schedule and deadlines, creation,
signature, documents), payments (list, state changes), reports (read, save, attachments, file, approve or
return), renewal (view, avenant, non-renewal), the dashboard's figures and the "À faire" list.

The same operations, rules and permissions as the pages: a convention the caller may not see answers 404 (another
structure, another service, a COPIL member). Amounts, ETP and indicator values are decimal strings ("35000.00"),
never floats.
"""

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap import fichiers
from aap.api import blueprint_api
from aap.erreurs import Refus
from aap.extensions import db
from aap.securite import role_requis
from aap.types import maintenant
from notation.models import Decision

from . import avenants, bilans, lecture, operations, paiements, regles, tableau
from .lecture import GESTION, LECTEURS, LECTEURS_DEETS, PORTEURS
from .models import Convention, Versement
from .schemas import (
    AFaireSchema,
    AjustementSchema,
    AnneeConventionSchema,
    AnnulationSchema,
    ApprobationSchema,
    AvenantSchema,
    BilanSchema,
    ConventionDetailSchema,
    CorrectionsSchema,
    CreationConventionSchema,
    EnregistrementBilanSchema,
    FiltresConventionsSchema,
    FiltresTableauSchema,
    FiltresVersementsSchema,
    NonRenouvellementSchema,
    PageConventionsSchema,
    PaiementSchema,
    PieceBilanSchema,
    PieceEnvoiSchema,
    RenouvellementSchema,
    SignatureSchema,
    TableauSchema,
    VersementSchema,
    VersionBilanEnvoiSchema,
    cles,
)

bp = blueprint_api("api_conventions", "Conventions, versements, bilans, avenants, tableau de bord.")


# --- Chargement ----------------------------------------------------------------------------------------------


def _bilan(bilan_id, droit=None):
    return lecture.bilan_accessible(bilan_id, droit=droit)


def _detail_bilan(bilan, avertissements=()):
    complet = lecture.bilan_complet(bilan.id)
    # La baisse du financement des postes préexistants reste signalée tant qu'elle dure (article 7).
    alertes = list(avertissements)
    if (non_baisse := bilans.alerte_non_baisse(complet)) is not None and non_baisse not in alertes:
        alertes.append(non_baisse)
    valeurs, cibles, precedentes = complet.valeurs_par_cle(), bilan.annee.cibles(), bilans.precedentes(bilan)
    indicateurs = [
        {
            "cle": i.cle,
            "poste": i.poste,
            "libelle": i.libelle,
            "type": i.type,
            "valeur": (str(valeurs[i.cle]) if valeurs.get(i.cle) is not None else None)
            if i.numerique
            else valeurs.get(i.cle, ""),
            "cible": cibles.get(i.cle),
            "precedente": precedentes.get(i.cle),
        }
        for i in bilans.indicateurs_de(bilan)
    ]
    champs = (
        "id",
        "convention_id",
        "type",
        "intitule",
        "arrete_au",
        "echeance",
        "statut",
        "premier_depot_le",
        "a_l_heure",
        "corrections_avant",
        "version",
    )
    return {
        **{champ: getattr(complet, champ) for champ in champs},
        "annee": bilan.annee.rang,
        "depenses_realisees": complet.depenses_realisees,
        "indicateurs": indicateurs,
        "pieces": complet.pieces_courantes,
        "versions": complet.versions,
        "avertissements": [{"field": a.champ, "code": a.code, "message": a.message} for a in alertes],
    }


# --- Conventions --------------------------------------------------------------------------------------------


@bp.route("/conventions")
@role_requis(*LECTEURS)
@bp.arguments(FiltresConventionsSchema, location="query")
@bp.response(200, PageConventionsSchema)
def conventions(filtres):
    """Les conventions visibles : celles de sa structure (porteur), de son service (agents), toutes (national)."""
    requete = lecture.visibles(current_user)
    if filtres.get("statut"):
        requete = requete.where(Convention.statut == filtres["statut"])
    if filtres.get("campagne_id"):
        requete = requete.where(Convention.campagne_id == filtres["campagne_id"])
    page = db.paginate(
        requete.options(*lecture.options_liste()).order_by(Convention.numero), page=filtres["page"], per_page=25, error_out=False
    )
    return {"elements": page.items, "page": page.page, "pages": page.pages, "total": page.total}


@bp.route("/conventions", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(CreationConventionSchema)
@bp.response(201, ConventionDetailSchema)
def creer(valeurs):
    """Crée la convention d'une décision retenue et notifiée (agents du service) : numéro, première année de douze
    mois à la date d'effet, taux plafond, objectifs, échéancier (50 % à la signature, le solde sur le compte rendu
    financier), calendrier des bilans, documents PDF et DOCX. 409 si elle existe déjà."""
    decision = db.session.get(Decision, valeurs["decision_id"])
    if decision is None or not current_user.instruit(decision.dossier.service_id):
        raise Refus("Décision inconnue dans ce service.", code="decision_inconnue", champ="decision_id")
    objectifs = cles(valeurs["objectifs"])
    convention = operations.creer_convention(
        decision,
        par=current_user,
        date_effet=valeurs["date_effet"],
        objectifs=objectifs,
        mois_intermediaire=valeurs["mois_bilan_intermediaire"],
        taux_plafond=valeurs["taux_plafond"],
    )
    db.session.commit()
    return lecture.charger(convention.id)


@bp.route("/conventions/<id:convention_id>")
@role_requis(*LECTEURS)
@bp.response(200, ConventionDetailSchema)
def convention(convention_id):
    """Une convention : ses années (convention puis avenants), objectifs, versements, bilans, et ses échéances."""
    return lecture.convention_accessible(convention_id)


@bp.route("/conventions/<id:convention_id>/annees/<id:rang>/document")
@role_requis(*LECTEURS)
@bp.response(200, content_type="application/pdf")
def document(convention_id, rang):
    """Le document de l'année (convention ou avenant), en PDF ; `?format=docx` pour la version modifiable."""
    annee = lecture.convention_accessible(convention_id).annee(rang)
    if annee is None:
        abort(404)
    if annee.document is None:
        operations.produire_documents(annee, par=current_user)
        db.session.commit()
    fichier = annee.document_modifiable if request.args.get("format") == "docx" else annee.document
    return fichiers.reponse_telechargement(fichier)


@bp.route("/conventions/<id:convention_id>/annees/<id:rang>/signature", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(SignatureSchema, location="multipart")
@bp.response(200, ConventionDetailSchema)
def signer(valeurs, convention_id, rang):
    """Enregistre la signature de la convention (année 1) ou d'un avenant (multipart/form-data : `signee_le`,
    `scan`). L'avance de l'année passe « à mettre en paiement » ; une signature au-delà du 15e jour est signalée."""
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    annee = convention.annee(rang)
    if annee is None:
        abort(404)
    operations.enregistrer_signature(annee, signee_le=valeurs["signee_le"], scan=valeurs["scan"], par=current_user)
    db.session.commit()
    return lecture.charger(convention.id)


# --- Versements ---------------------------------------------------------------------------------------------


@bp.route("/versements")
@role_requis(*LECTEURS)
@bp.arguments(FiltresVersementsSchema, location="query")
@bp.response(200, VersementSchema(many=True))
def versements(filtres):
    """Les versements des conventions visibles (500 au plus), les plus récents d'abord."""
    visibles = lecture.visibles(current_user).with_only_columns(Convention.id)
    requete = select(Versement).where(Versement.convention_id.in_(visibles)).order_by(Versement.id.desc()).limit(500)
    if filtres.get("convention_id"):
        requete = requete.where(Versement.convention_id == filtres["convention_id"])
    if filtres.get("etat"):
        requete = requete.where(Versement.etat == filtres["etat"])
    return db.session.scalars(requete.options(joinedload(Versement.annee))).all()


@bp.route("/versements/<id:versement_id>/paiement", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(PaiementSchema)
@bp.response(200, VersementSchema)
def payer(valeurs, versement_id):
    """Marque payé un versement à mettre en paiement : date et référence comptable (agents du service)."""
    _, versement = lecture.versement_accessible(versement_id, Convention.can_gerer)
    paiements.payer(
        versement, paye_le=valeurs["paye_le"], reference=valeurs["reference"], par=current_user, version=valeurs["version"]
    )
    db.session.commit()
    return db.session.get(Versement, versement.id)


@bp.route("/versements/<id:versement_id>/annulation", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(AnnulationSchema)
@bp.response(200, VersementSchema)
def annuler(valeurs, versement_id):
    """Annule un versement prévu ou à mettre en paiement, avec son motif."""
    _, versement = lecture.versement_accessible(versement_id, Convention.can_gerer)
    paiements.annuler(versement, motif=valeurs["motif"], par=current_user, version=valeurs["version"])
    db.session.commit()
    return db.session.get(Versement, versement.id)


@bp.route("/versements/<id:versement_id>/ajustement", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(AjustementSchema)
@bp.response(200, VersementSchema)
def ajuster(valeurs, versement_id):
    """Réduit un solde à mettre en paiement (motif obligatoire), dans la limite des dépenses éligibles."""
    _, versement = lecture.versement_accessible(versement_id, Convention.can_gerer)
    paiements.ajuster_solde(
        versement, montant=valeurs["montant"], motif=valeurs["motif"], par=current_user, version=valeurs["version"]
    )
    db.session.commit()
    return db.session.get(Versement, versement.id)


# --- Bilans -----------------------------------------------------------------------------------------------


@bp.route("/bilans/<id:bilan_id>")
@role_requis(*LECTEURS)
@bp.response(200, BilanSchema)
def bilan(bilan_id):
    """Un bilan : ses indicateurs (valeur, objectif, période précédente), pièces et versions déposées."""
    _, bilan_ = _bilan(bilan_id)
    return _detail_bilan(bilan_)


@bp.route("/bilans/<id:bilan_id>", methods=["PUT"])
@role_requis(*LECTEURS)
@bp.arguments(EnregistrementBilanSchema)
@bp.response(200, BilanSchema)
def enregistrer_bilan(valeurs, bilan_id):
    """Enregistre le brouillon (membres de la structure) : chaque valeur vérifiée ; un saut invraisemblable depuis la
    période précédente est signalé dans `avertissements` sans bloquer."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_rendre_compte)
    saisies = cles(valeurs["valeurs"])
    avertissements = bilans.enregistrer_bilan(
        bilan_, valeurs=saisies, par=current_user, version=valeurs["version"], depenses_realisees=valeurs["depenses_realisees"]
    )
    db.session.commit()
    return _detail_bilan(bilan_, avertissements)


@bp.route("/bilans/<id:bilan_id>/pieces", methods=["POST"])
@role_requis(*PORTEURS)
@bp.arguments(PieceEnvoiSchema, location="multipart")
@bp.response(201, PieceBilanSchema)
def joindre(valeurs, bilan_id):
    """Joint un fichier au bilan (multipart/form-data) : le compte rendu financier (cerfa n° 15059) ou une annexe."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_rendre_compte)
    piece = bilans.ajouter_piece(
        bilan_, valeurs["fichier"], par=current_user, nature=valeurs["nature"], libelle=valeurs["libelle"]
    )
    db.session.commit()
    return piece


@bp.route("/bilans/<id:bilan_id>/depot", methods=["POST"])
@role_requis(*LECTEURS)
@bp.arguments(VersionBilanEnvoiSchema)
@bp.response(200, BilanSchema)
def deposer(valeurs, bilan_id):
    """Dépose le bilan, dans sa fenêtre (422 `hors_fenetre` avant : le compte rendu financier, une fois l'année
    terminée) : chaque indicateur renseigné ; les dépenses (prévisionnelles au bilan annuel) ; pour le compte
    rendu financier, le cerfa n° 15059 joint."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_rendre_compte)
    bilans.deposer_bilan(bilan_, par=current_user, version=valeurs["version"])
    db.session.commit()
    return _detail_bilan(bilan_)


@bp.route("/bilans/<id:bilan_id>/approbation", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(ApprobationSchema)
@bp.response(200, BilanSchema)
def approuver(valeurs, bilan_id):
    """Approuve un bilan déposé (agents du service). Le compte rendu financier approuvé fixe ce que l'État doit pour
    l'année (son taux plafond des dépenses éligibles, dans la limite de la subvention) : le solde (dû − avance) est
    mis en paiement, ou le reversement (avance − dû) calculé."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_gerer)
    bilans.approuver_bilan(
        bilan_,
        par=current_user,
        depenses_eligibles=valeurs["depenses_eligibles"],
        commentaire=valeurs["commentaire"],
        version=valeurs["version"],
    )
    db.session.commit()
    return _detail_bilan(bilan_)


@bp.route("/bilans/<id:bilan_id>/corrections", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(CorrectionsSchema)
@bp.response(200, BilanSchema)
def corriger(valeurs, bilan_id):
    """Renvoie un bilan déposé à la structure, avec ce qui est à corriger et la date limite."""
    convention, bilan_ = _bilan(bilan_id, Convention.can_gerer)
    bilans.demander_corrections(
        bilan_, message=valeurs["message"], date_limite=valeurs["date_limite"], par=current_user, version=valeurs["version"]
    )
    db.session.commit()
    return _detail_bilan(bilan_)


# --- Renouvellement ------------------------------------------------------------------------------------------


@bp.route("/conventions/<id:convention_id>/renouvellement")
@role_requis(*LECTEURS_DEETS)
@bp.response(200, RenouvellementSchema)
def renouvellement(convention_id):
    """La vue du renouvellement : objectifs et réalisations du dernier bilan annuel, évolution, heures par ETP, bilan
    à temps ou non, et l'issue suggérée (la décision reste à la DEETS)."""
    convention = lecture.convention_accessible(convention_id)
    return tableau.vue_renouvellement(convention)


@bp.route("/conventions/<id:convention_id>/avenants", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(AvenantSchema)
@bp.response(201, AnneeConventionSchema)
def renouveler(valeurs, convention_id):
    """Renouvelle la convention par avenant pour une année (deux au plus : 422 au troisième), sur le bilan annuel
    approuvé : montant, objectifs, échéancier 50/50, calendrier des bilans, avenant PDF et DOCX."""
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    objectifs = cles(valeurs["objectifs"])
    annee = avenants.renouveler(
        convention, montant=valeurs["montant"], cout_retenu=valeurs["cout_retenu"], objectifs=objectifs, par=current_user
    )
    db.session.commit()
    return lecture.charger(convention.id).annee(annee.rang)


@bp.route("/conventions/<id:convention_id>/non-renouvellement", methods=["POST"])
@role_requis(*GESTION)
@bp.arguments(NonRenouvellementSchema)
@bp.response(200, ConventionDetailSchema)
def ne_pas_renouveler(valeurs, convention_id):
    """Décide de ne pas renouveler la convention après l'année en cours, avec son motif."""
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    avenants.ne_pas_renouveler(convention, motif=valeurs["motif"], par=current_user)
    db.session.commit()
    return lecture.charger(convention.id)


# --- Tableau de bord, à faire --------------------------------------------------------------------------------


@bp.route("/tableau-de-bord")
@role_requis(*LECTEURS_DEETS)
@bp.arguments(FiltresTableauSchema, location="query")
@bp.response(200, TableauSchema)
def tableau_de_bord(filtres):
    """Les chiffres du tableau de bord (agents : leur service ; national : tous, ou un service) : crédits, accordé,
    versé, restant, ETP financés, conventions par état, par exercice, retards."""
    return tableau.tableau_de_bord(current_user, campagne_id=filtres.get("campagne_id"), service_id=filtres.get("service_id"))


@bp.route("/a-faire")
@role_requis(*LECTEURS)
@bp.response(200, AFaireSchema(many=True))
def a_faire():
    """Ce qui est dû, en retard ou attend la personne, les échéances les plus proches d'abord."""
    instant = maintenant()
    lignes, _ = lecture.a_faire(current_user, instant)
    alerte = lecture.trimestre_sans_copil(current_user, instant)
    copil = (
        [
            {
                "code": f"copil-{alerte.annee}-T{alerte.trimestre}",
                "nature": "copil_trimestriel",
                "libelle": alerte.libelle,
                "date": alerte.fin,
                "jours": (alerte.fin - regles.jour_local(instant, current_user.service.fuseau)).days,
                "etat": "en_retard",
                "pour": "agent",
                "convention_id": None,
                "numero": "",
                "structure": "",
            }
        ]
        if alerte
        else []
    )
    return copil + [
        {
            "code": e.code,
            "nature": e.nature,
            "libelle": e.libelle,
            "date": e.date,
            "jours": e.jours,
            "etat": e.etat,
            "pour": e.pour,
            "convention_id": c.id,
            "numero": c.numero,
            "structure": c.structure.raison_sociale,
        }
        for c, e in lignes
    ]
