"""Pages of a convention: the list, the creation from a retenu decision, the convention with its years, its
documents and signature, and its payments (each change from its small form on the convention page)."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aap.entrees import paginer
from aap.erreurs import Refus
from aap.extensions import db
from aap.fichiers import Fichier, reponse_telechargement
from aap.formats import date_fr, euros
from aap.securite import role_requis
from aap.types import maintenant
from notation.models import Decision

from .. import forms, lecture, operations, paiements, regles, suivi
from ..lecture import GESTION, LECTEURS
from ..models import Convention, StatutConvention
from .commun import annee_de, bp, correspondances_objectifs, version_lue

# --- Liste ---------------------------------------------------------------------------------------------


@bp.route("/")
@role_requis(*LECTEURS)
def index():
    requete = lecture.visibles(current_user)
    statut = request.args.get("statut", "")
    if statut in {str(s) for s in StatutConvention}:
        requete = requete.where(lecture.Convention.statut == statut)
    page_ = paginer(requete.options(*lecture.options_liste()).order_by(lecture.Convention.numero.desc()))
    en_attente = lecture.decisions_sans_convention(current_user) if current_user.a_role(*GESTION) else []
    instant = maintenant()
    lignes = []
    for convention in page_.items:
        jour = lecture.aujourdhui(convention, instant)
        prochaines = lecture.echeances_de(convention, instant)
        lignes.append((convention, lecture.etat_affiche(convention, jour), prochaines[0] if prochaines else None))
    return render_template(
        "conventions/index.html", page=page_, lignes=lignes, en_attente=en_attente, statut=statut, statuts=StatutConvention
    )


@bp.app_template_global()
def convention_de(decision):
    """The convention born of this decision, with its first year (one query), or None: the dossier page links to
    it, and says whether it is signed."""
    return db.session.scalar(
        select(lecture.Convention)
        .where(lecture.Convention.decision_id == decision.id)
        .options(selectinload(lecture.Convention.annees))
    )


# --- Création -------------------------------------------------------------------------------------------


@bp.route("/nouvelle/<id:decision_id>", methods=["GET", "POST"])
@role_requis(*GESTION)
def nouvelle(decision_id):
    decision = (
        db.session.scalar(
            select(Decision).where(Decision.id == decision_id).options(joinedload(Decision.dossier), joinedload(Decision.seance))
        )
        if decision_id <= lecture.ID_MAX
        else None
    )
    if decision is None or not current_user.instruit(decision.dossier.service_id):
        abort(404)
    existante = db.session.scalar(select(lecture.Convention.id).where(lecture.Convention.decision_id == decision.id))
    if existante is not None:
        return redirect(url_for(".convention", convention_id=existante))
    dossier = decision.dossier
    indicateurs = suivi.indicateurs_cibles(decision.etp_facilitateur, decision.etp_coordinateur)
    form = forms.formulaire_creation(indicateurs)
    taux_plafond = operations.taux_plafond_de(dossier)
    if request.method == "GET":
        form.taux_plafond.data = (taux_plafond * 100).normalize()
        form.date_effet.data = lecture.debut_par_defaut(decision, dossier.service.fuseau) if decision.notifie_le else None
        for cle, valeur in operations.objectifs_proposes(dossier, decision.etp_facilitateur, decision.etp_coordinateur).items():
            form["objectif_" + forms.nom_champ(cle)].data = valeur
    erreurs, statut = [], 200
    if request.method == "POST":
        statut = 422
        if form.validate_on_submit():
            try:
                convention = operations.creer_convention(
                    decision,
                    par=current_user,
                    date_effet=form.date_effet.data,
                    objectifs=forms.objectifs_de(form, indicateurs),
                    mois_intermediaire=form.mois_bilan_intermediaire.data,
                    taux_plafond=form.part_de_l_etat(),
                )
                db.session.commit()
                flash(
                    f"Convention {convention.numero} créée : téléchargez-la pour la faire signer avant le "
                    f"{date_fr(convention.date_limite_signature)}.",
                    "succes",
                )
                return redirect(url_for(".convention", convention_id=convention.id))
            except Refus as refus:
                db.session.rollback()
                statut = refus.statut
                erreurs = form.porter_refus(refus, correspondances_objectifs(), en_tete=False)
    limite = regles.date_limite_signature(decision.notifie_le, dossier.service.fuseau) if decision.notifie_le else None
    return render_template(
        "conventions/nouvelle.html",
        decision=decision,
        dossier=dossier,
        form=form,
        indicateurs=indicateurs,
        erreurs=erreurs,
        limite=limite,
        taux_plafond=taux_plafond,
        jours=(limite - regles.jour_local(maintenant(), dossier.service.fuseau)).days if limite else None,
    ), statut


# --- Une convention ------------------------------------------------------------------------------------


def _page(convention, statut=200, **formulaires):
    instant = maintenant()
    jour = lecture.aujourdhui(convention, instant)
    gere = convention.can_gerer(current_user)
    echeances = lecture.echeances_de(convention, instant)
    signature = None
    a_signer = next((a for a in convention.annees if a.signee_le is None), None)
    if gere and a_signer is not None:
        signature = formulaires.get("signature") or forms.SignatureForm(formdata=None)
        if signature.signee_le.data is None and not signature.errors:
            signature.signee_le.data = jour
    return render_template(
        "conventions/convention.html",
        convention=convention,
        jour=jour,
        etat=lecture.etat_affiche(convention, jour),
        echeances=echeances,
        gere=gere,
        a_signer=a_signer,
        signature=signature,
        en_erreur=formulaires.get("en_erreur"),
        jours_signature=(convention.date_limite_signature - jour).days,
        en_retard=operations.signature_en_retard,
        plafond_solde=paiements.plafond_solde,
        un_jour=timedelta(days=1),
    ), statut


@bp.route("/<id:convention_id>")
@role_requis(*LECTEURS)
def convention(convention_id):
    return _page(lecture.convention_accessible(convention_id))


@bp.route("/<id:convention_id>/annees/<id:rang>/<any(pdf, docx):format_>")
@role_requis(*LECTEURS)
def document(convention_id, rang, format_):
    annee = annee_de(lecture.convention_accessible(convention_id), rang)
    if annee.document is None:
        operations.produire_documents(annee, par=current_user)
        db.session.commit()
    return reponse_telechargement(annee.document if format_ == "pdf" else annee.document_modifiable)


@bp.route("/<id:convention_id>/annees/<id:rang>/exemplaire-signe")
@role_requis(*LECTEURS)
def exemplaire_signe(convention_id, rang):
    annee = annee_de(lecture.convention_accessible(convention_id), rang)
    if annee.scan is None:
        abort(404)
    return reponse_telechargement(annee.scan)


def _jeton_scan(fichier, annee):
    return URLSafeSerializer(current_app.secret_key, salt="scan-signature").dumps([fichier.id, annee.id])


def _scan_garde(jeton, annee):
    """The signed copy kept from a refused try of this year's signature form (its signed token), or None."""
    try:
        fichier_id, annee_id = URLSafeSerializer(current_app.secret_key, salt="scan-signature").loads(jeton or "")
    except BadSignature:
        return None
    return db.session.get(Fichier, fichier_id) if annee_id == annee.id else None


@bp.route("/<id:convention_id>/annees/<id:rang>/signature", methods=["POST"])
@role_requis(*GESTION)
def signature(convention_id, rang):
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    annee = annee_de(convention, rang)
    form = forms.SignatureForm()
    envoye = request.files.get("scan")
    envoye = envoye if envoye and envoye.filename else None
    scan, statut = envoye or _scan_garde(form.scan_garde.data, annee), 422
    if form.validate_on_submit():
        try:
            operations.enregistrer_signature(annee, signee_le=form.signee_le.data, scan=scan, par=current_user)
            db.session.commit()
            if operations.signature_en_retard(annee):
                flash(
                    f"Signature enregistrée, après la date limite du {date_fr(convention.date_limite_signature)} : "
                    "le retard est signalé. L'avance est à mettre en paiement.",
                    "avertissement",
                )
            else:
                flash(
                    f"Signature de {annee.intitule.lower()} enregistrée : l'avance de {euros(annee.avance.montant)} "
                    "est à mettre en paiement.",
                    "succes",
                )
            return redirect(url_for(".convention", convention_id=convention.id))
        except Refus as refus:
            db.session.rollback()
            for message in form.porter_refus(refus, en_tete=False):
                form.scan.errors = [*form.scan.errors, message]
            statut = refus.statut
            annee = annee_de(lecture.convention_accessible(convention_id, Convention.can_gerer), rang)
    if envoye is not None and not form.scan.errors:
        try:
            envoye.stream.seek(0)
            scan = operations.garder_scan(annee, envoye, par=current_user)
            db.session.commit()
        except Refus as refus:
            db.session.rollback()
            form.scan.errors = [*form.scan.errors, refus.message]
            scan = None
    if isinstance(scan, Fichier):
        form.scan_garde.data, form.scan_garde.nom = _jeton_scan(scan, annee), scan.nom
    return _page(lecture.convention_accessible(convention_id, Convention.can_gerer), statut, signature=form)


# --- Versements -----------------------------------------------------------------------------------------


def _versement(convention, versement_id):
    versement = next((v for a in convention.annees for v in a.versements if v.id == versement_id), None)
    if versement is None:
        abort(404)
    return versement


def _action_versement(convention_id, versement_id, formulaire, action, message):
    """A payment's change from its small form on the convention page: the operation, then back to the payments;
    refused, the page comes back with that form open, as typed, each error next to its field."""
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    versement = _versement(convention, versement_id)
    return _action_de_la_page(convention, versement, formulaire(), action, message)


def _action_de_la_page(convention, objet, form, action, message):
    if form.validate_on_submit():
        try:
            action(objet, form)
            db.session.commit()
        except Refus as refus:
            db.session.rollback()
            form.porter_refus(refus)
        else:
            flash(message(objet), "succes")
            return redirect(url_for(".convention", convention_id=convention.id) + "#versements")
    return _page(convention, 422, en_erreur=(request.endpoint, objet.id, form))


@bp.route("/<id:convention_id>/versements/<id:versement_id>/paiement", methods=["POST"])
@role_requis(*GESTION)
def paiement(convention_id, versement_id):
    return _action_versement(
        convention_id,
        versement_id,
        forms.PaiementForm,
        lambda v, f: paiements.payer(
            v, paye_le=f.paye_le.data, reference=f.reference.data, par=current_user, version=version_lue(f.version.data)
        ),
        lambda v: f"Versement marqué payé le {date_fr(v.paye_le)} (référence {v.reference_comptable}).",
    )


@bp.route("/<id:convention_id>/versements/<id:versement_id>/annulation", methods=["POST"])
@role_requis(*GESTION)
def annulation(convention_id, versement_id):
    return _action_versement(
        convention_id,
        versement_id,
        forms.AnnulationForm,
        lambda v, f: paiements.annuler(v, motif=f.motif.data, par=current_user, version=version_lue(f.version.data)),
        lambda v: "Versement annulé.",
    )


@bp.route("/<id:convention_id>/versements/<id:versement_id>/ajustement", methods=["POST"])
@role_requis(*GESTION)
def ajustement(convention_id, versement_id):
    return _action_versement(
        convention_id,
        versement_id,
        forms.AjustementForm,
        lambda v, f: paiements.ajuster_solde(
            v, montant=f.montant.data, motif=f.motif.data or "", par=current_user, version=version_lue(f.version.data)
        ),
        lambda v: "Solde ajusté.",
    )


@bp.route("/<id:convention_id>/reversements/<id:reversement_id>/suivi", methods=["POST"])
@role_requis(*GESTION)
def reversement(convention_id, reversement_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    reversement_ = next(
        (a.reversement for a in convention.annees if a.reversement is not None and a.reversement.id == reversement_id), None
    )
    if reversement_ is None:
        abort(404)
    etat = request.form.get("etat", "")
    if etat not in ("emis", "recouvre"):
        abort(400)
    return _action_de_la_page(
        convention,
        reversement_,
        forms.ReversementForm(),
        lambda r, f: paiements.suivre_reversement(
            r,
            etat=etat,
            le=f.le.data,
            reference=f.reference.data or "",
            commentaire=f.commentaire.data or "",
            par=current_user,
        ),
        lambda r: "Suivi du reversement enregistré.",
    )
