"""The structure's side: a porteur's signup, the profile entered once (fundings, standing documents), and the
structure's page for the DEETS."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aap import fichiers
from aap.comptes import limite_connexion, limite_par_courriel
from aap.erreurs import Refus
from aap.extensions import db, limiter
from aap.forms import choix
from aap.models import Role
from aap.referentiel import communes_du_service
from aap.securite import role_requis
from aap.types import maintenant

from .. import regles, structures
from ..forms import DocumentForm, FinancementForm, InscriptionForm, StructureForm
from ..lecture import LECTEURS, PORTEURS, structure_accessible
from ..models import DocumentStructure, Dossier, FinancementExistant, Statut, Structure
from . import bp_structures
from .etapes import aide_fichier


def _ma_structure():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        abort(404)  # un rattachement en attente n'ouvre rien (la page de profil l'explique)
    return db.session.scalar(
        select(Structure)
        .where(Structure.id == current_user.structure_id)
        .options(
            selectinload(Structure.financements),
            selectinload(Structure.documents).joinedload(DocumentStructure.fichier),
        )
    )


def _communes_choix():
    communes = communes_du_service(current_user.service)
    return choix([("", "— Choisir —")] + [(c.code, c.nom) for c in communes])


def _page_structure(structure, form=None, form_financement=None, form_document=None, statut=200):
    """The profile page; after a refused form, that one as sent and the others as stored (never read from the
    request, which holds the refused form's fields: the profile once came back empty, and was saved so)."""
    form = form or StructureForm(formdata=None, obj=structure)
    form.commune_code.choices = _communes_choix()
    form_document = form_document or DocumentForm(formdata=None, annee=maintenant().year - 1)
    form_document.fichier.description = aide_fichier()
    return render_template(
        "candidatures/structure.html",
        structure=structure,
        form=form,
        form_financement=form_financement or FinancementForm(formdata=None),
        form_document=form_document,
        financeurs=regles.LIBELLES_FINANCEURS,
    ), statut


@bp_structures.route("/inscription", methods=["GET", "POST"])
@limiter.limit(limite_connexion, methods=["POST"])
@limite_par_courriel
def inscription():
    if current_user.is_authenticated:
        return redirect(url_for("aap.accueil"))
    form = InscriptionForm()
    if form.validate_on_submit():
        try:
            structures.inscrire_porteur(
                email=form.email.data,
                mot_de_passe=form.mot_de_passe.data,
                prenom=form.prenom.data,
                nom=form.nom.data,
                siret=form.siret.data,
                raison_sociale=form.raison_sociale.data or "",
                statut_juridique=form.statut_juridique.data or "",
            )
        except Refus as refus:
            db.session.rollback()
            getattr(form, refus.champ).errors.append(refus.message)
        else:
            db.session.commit()
            return render_template("comptes/verifiez_vos_courriels.html", email=form.email.data)
    return render_template("comptes/inscription.html", form=form), 422 if form.errors else 200


@bp_structures.route("/structure", methods=["GET", "POST"])
@role_requis(*PORTEURS)
def structure():
    if not current_user.rattachement_valide or current_user.structure_id is None:
        return render_template("candidatures/mes_dossiers.html", dossiers=[], campagnes=[], en_attente=True, page=None)
    structure = _ma_structure()
    form = StructureForm(obj=structure) if request.method == "GET" else StructureForm()
    form.commune_code.choices = _communes_choix()
    if request.method == "POST":
        if form.validate():
            try:
                changes = structures.modifier_structure(structure, form.valeurs(), par=current_user)
            except Refus as refus:
                db.session.rollback()
                form.porter_refus(refus, a_defaut="raison_sociale")
            else:
                db.session.commit()
                flash("Le profil de la structure est enregistré." if changes else "Aucun changement.", "succes")
                return redirect(url_for("structures.structure"))
        structure = _ma_structure()
        return _page_structure(structure, form=form, statut=422)
    return _page_structure(structure, form=form)


@bp_structures.route("/structure/financements", methods=["POST"])
@role_requis(*PORTEURS)
def ajouter_financement():
    structure = _ma_structure()
    form = FinancementForm()
    if form.validate_on_submit():
        try:
            structures.ajouter_financement(
                structure,
                par=current_user,
                poste=form.poste.data,
                financeur=form.financeur.data,
                nom_financeur=form.nom_financeur.data,
                montant_annee_precedente=form.montant_annee_precedente.data,
                montant_annee_courante=form.montant_annee_courante.data,
            )
        except Refus as refus:
            db.session.rollback()
            form.porter_refus(refus, a_defaut="nom_financeur")
        else:
            db.session.commit()
            flash("Le financement est ajouté.", "succes")
            return redirect(url_for("structures.structure", _anchor="financements"))
    return _page_structure(_ma_structure(), form_financement=form, statut=422)


@bp_structures.route("/structure/financements/<id:financement_id>/supprimer", methods=["POST"])
@role_requis(*PORTEURS)
def supprimer_financement(financement_id):
    structure = _ma_structure()
    financement = db.session.get(FinancementExistant, financement_id)
    if financement is None or financement.structure_id != structure.id:
        abort(404)
    structures.supprimer_financement(financement, par=current_user)
    db.session.commit()
    flash("Le financement est supprimé.", "succes")
    return redirect(url_for("structures.structure", _anchor="financements"))


@bp_structures.route("/structure/documents", methods=["POST"])
@role_requis(*PORTEURS)
def ajouter_document():
    structure = _ma_structure()
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            document = structures.ajouter_document(
                structure,
                par=current_user,
                type_=form.type.data,
                annee=form.annee.data,
                libelle=form.libelle.data or "",
                televersement=request.files.get("fichier"),
            )
        except Refus as refus:
            db.session.rollback()
            form.porter_refus(refus, a_defaut="fichier")
        else:
            db.session.commit()
            flash(f"« {document.intitule} » est enregistré : il sera repris dans vos prochains dossiers.", "succes")
            return redirect(url_for("structures.structure", _anchor="documents"))
    return _page_structure(_ma_structure(), form_document=form, statut=422)


@bp_structures.route("/structure/documents/<id:document_id>/retirer", methods=["POST"])
@role_requis(*PORTEURS)
def retirer_document(document_id):
    structure = _ma_structure()
    document = db.session.get(DocumentStructure, document_id)
    if document is None or document.structure_id != structure.id:
        abort(404)
    structures.retirer_document(document, par=current_user)
    db.session.commit()
    flash(f"« {document.intitule} » est retiré du profil (les dossiers déjà déposés le gardent).", "succes")
    return redirect(url_for("structures.structure", _anchor="documents"))


@bp_structures.route("/structures/<id:structure_id>/documents/<id:document_id>")
@login_required
def telecharger_document(structure_id, document_id):
    document = db.session.scalar(
        select(DocumentStructure)
        .where(DocumentStructure.id == document_id, DocumentStructure.structure_id == structure_id)
        .options(joinedload(DocumentStructure.structure), joinedload(DocumentStructure.fichier))
    )
    if document is None or not document.structure.can_voir(current_user):
        abort(404)
    return fichiers.reponse_telechargement(document.fichier)


@bp_structures.route("/structures/<id:structure_id>")
@role_requis(*LECTEURS)
def fiche_structure(structure_id):
    structure = structure_accessible(
        structure_id,
        [
            selectinload(Structure.financements),
            selectinload(Structure.documents).joinedload(DocumentStructure.fichier),
            joinedload(Structure.commune),
        ],
    )
    dossiers = db.session.scalars(
        select(Dossier)
        .where(Dossier.structure_id == structure.id, Dossier.statut != Statut.BROUILLON)
        .order_by(Dossier.depose_le.desc())
    ).all()
    if not current_user.a_role(Role.NATIONAL):
        dossiers = [d for d in dossiers if d.service_id == current_user.service_id]
    return render_template(
        "candidatures/fiche_structure.html", structure=structure, dossiers=dossiers, financeurs=regles.LIBELLES_FINANCEURS
    )
