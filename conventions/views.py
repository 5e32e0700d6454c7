"""Pages of the conventions domain: the list, the creation from a retenu decision, the convention with its years,
signature, payments, reports and renewal, the "À faire" page, the dashboard and its exports.

Thin: load (a bounded number of queries), check with the model's permissions (404 for what the person may not
see), validate, call the operation, commit once, redirect or render.
"""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aap.entrees import paginer
from aap.erreurs import Conflit, Refus
from aap.extensions import db
from aap.fichiers import Fichier, reponse_telechargement
from aap.formats import date_fr, euros, fuseau
from aap.models import Role, Service
from aap.securite import role_requis
from aap.types import maintenant
from notation.models import Decision

from . import avenants, bilans, delais, forms, lecture, operations, paiements, regles, suivi, tableau
from . import donnees_ouvertes as scdl
from .lecture import GESTION, LECTEURS, PORTEURS
from .models import Convention, PieceBilan, StatutBilan, StatutConvention

bp = Blueprint("conventions", __name__, url_prefix="/conventions")


# --- Chargement --------------------------------------------------------------------------------------


def _annee(convention, rang):
    annee = convention.annee(rang)
    if annee is None:
        abort(404)
    return annee


def _version(texte):
    texte = texte or ""
    return int(texte) if texte.isdigit() and len(texte) < 10 else None


def _correspondances_objectifs():
    return {f"objectif-{i.cle}": "objectif_" + forms.nom_champ(i.cle) for i in suivi.INDICATEURS}


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
                erreurs = form.porter_refus(refus, _correspondances_objectifs(), en_tete=False)
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
    annee = _annee(lecture.convention_accessible(convention_id), rang)
    if annee.document is None:
        operations.produire_documents(annee, par=current_user)
        db.session.commit()
    return reponse_telechargement(annee.document if format_ == "pdf" else annee.document_modifiable)


@bp.route("/<id:convention_id>/annees/<id:rang>/exemplaire-signe")
@role_requis(*LECTEURS)
def exemplaire_signe(convention_id, rang):
    annee = _annee(lecture.convention_accessible(convention_id), rang)
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
    annee = _annee(convention, rang)
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
            annee = _annee(lecture.convention_accessible(convention_id, Convention.can_gerer), rang)
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
            v, paye_le=f.paye_le.data, reference=f.reference.data, par=current_user, version=_version(f.version.data)
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
        lambda v, f: paiements.annuler(v, motif=f.motif.data, par=current_user, version=_version(f.version.data)),
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
            v, montant=f.montant.data, motif=f.motif.data or "", par=current_user, version=_version(f.version.data)
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


# --- Bilans ----------------------------------------------------------------------------------------------


def _bilan(convention, bilan_id):
    bilan = lecture.charger_bilan(convention, bilan_id)
    if bilan is None:
        abort(404)
    return bilan


def _remplir_bilan(form, bilan, indicateurs):
    valeurs = bilan.valeurs_par_cle()
    for indicateur in indicateurs:
        valeur = valeurs.get(indicateur.cle)
        form[forms.nom_champ(indicateur.cle)].data = valeur if indicateur.numerique else valeur or ""
    if "depenses_realisees" in form:
        form.depenses_realisees.data = bilan.depenses_realisees
    form.version.data = str(bilan.version)


def _page_bilan(
    convention, bilan, form=None, statut=200, erreurs=(), avertissements=(), piece=None, approbation=None, corrections=None
):
    indicateurs = bilans.indicateurs_de(bilan)
    edite = bilan.modifiable and convention.can_rendre_compte(current_user) and bilan.annee.signee_le is not None
    if form is None and edite:
        form = forms.formulaire_bilan(indicateurs, bilan.type, formdata=None)
        _remplir_bilan(form, bilan, indicateurs)
    if edite and piece is None:
        piece = forms.PieceBilanForm(formdata=None)
    examen = bilan.statut == StatutBilan.DEPOSE and convention.can_gerer(current_user)
    if not examen:
        # Un examen refusé parce que le bilan n'est plus déposé (approuvé ou renvoyé entre-temps) : la page dit
        # pourquoi, sans les formulaires d'examen (l'un des deux manquait : erreur 500).
        if approbation is not None or corrections is not None:
            erreurs = [*erreurs, *(m for m in _hors_examen(bilan) if m not in erreurs)]
        approbation = corrections = None
    else:
        approbation = approbation or forms.ApprobationForm(formdata=None, version=str(bilan.version))
        corrections = corrections or forms.CorrectionsForm(formdata=None, version=str(bilan.version))
        retenues = approbation.depenses_eligibles
        if bilan.type == regles.FINANCIER and retenues.data is None and not retenues.errors:
            retenues.data = bilan.depenses_realisees
    complet = lecture.bilan_complet(bilan.id)
    return render_template(
        "conventions/bilan.html",
        convention=convention,
        bilan=complet,
        annee=bilan.annee,
        indicateurs=indicateurs,
        valeurs=complet.valeurs_par_cle(),
        cibles=bilan.annee.cibles(),
        precedentes=bilans.precedentes(bilan),
        form=form,
        edite=edite,
        erreurs=erreurs,
        avertissements=avertissements,
        piece=piece,
        approbation=approbation,
        corrections=corrections,
        postes=regles.LIBELLES_POSTES,
        nom_champ=forms.nom_champ,
        jour=lecture.aujourdhui(convention),
        regularisation=paiements.regularisation(bilan.annee) if bilan.type in suivi.DEPENSES_DEMANDEES else None,
        non_baisse=bilans.alerte_non_baisse(complet),
    ), statut


def _hors_examen(bilan):
    message = f"Ce bilan est « {bilan.statut.libelle.lower()} » : seul un bilan déposé s'examine."
    return [] if bilan.statut == StatutBilan.DEPOSE else [message]


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>", methods=["GET", "POST"])
@role_requis(*LECTEURS)
def bilan(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id)
    bilan_ = _bilan(convention, bilan_id)
    if request.method == "GET":
        return _page_bilan(convention, bilan_)
    if not convention.can_rendre_compte(current_user):
        abort(403)  # la page se lit par tous ses lecteurs ; seul le porteur l'enregistre
    indicateurs = bilans.indicateurs_de(bilan_)
    form = forms.formulaire_bilan(indicateurs, bilan_.type)
    if not form.validate_on_submit():
        return _page_bilan(convention, bilan_, form=form, statut=422)
    saisies = {i.cle: form[forms.nom_champ(i.cle)].data for i in indicateurs}
    depenses = form.depenses_realisees.data if "depenses_realisees" in form else None
    deposer = form.action.data == "deposer"
    try:
        avertissements = bilans.enregistrer_bilan(
            bilan_, valeurs=saisies, depenses_realisees=depenses, par=current_user, version=_version(form.version.data)
        )
        if deposer:
            bilans.deposer_bilan(bilan_, par=current_user)
        db.session.commit()
    except Refus as refus:
        db.session.rollback()
        convention = lecture.convention_accessible(convention_id)
        bilan_ = _bilan(convention, bilan_id)
        erreurs = form.porter_refus(refus, en_tete=False)
        if isinstance(refus, Conflit):
            erreurs = [refus.message]
        return _page_bilan(convention, bilan_, form=form, statut=refus.statut, erreurs=erreurs)
    if deposer:
        flash(f"{bilan_.intitule} déposé : la DEETS l'examine. La version déposée est conservée.", "succes")
        return redirect(url_for(".convention", convention_id=convention_id))
    flash("Brouillon du bilan enregistré : il n'est pas encore déposé.", "succes")
    if avertissements:
        for avertissement in avertissements:
            flash(avertissement.message, "avertissement")
    return redirect(url_for(".bilan", convention_id=convention_id, bilan_id=bilan_id))


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/pieces", methods=["POST"])
@role_requis(*PORTEURS)
def piece_bilan(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_rendre_compte)
    bilan_ = _bilan(convention, bilan_id)
    form = forms.PieceBilanForm()
    if form.validate_on_submit():
        try:
            piece = bilans.ajouter_piece(
                bilan_, request.files.get("fichier"), par=current_user, nature=form.nature.data, libelle=form.libelle.data or ""
            )
            db.session.commit()
            flash(f"« {piece.fichier.nom} » est joint au bilan.", "succes")
            return redirect(url_for(".bilan", convention_id=convention_id, bilan_id=bilan_id) + "#pieces")
        except Refus as refus:
            db.session.rollback()
            champ = refus.champ if refus.champ in form else "fichier"
            form[champ].errors = [*form[champ].errors, refus.message]
            convention = lecture.convention_accessible(convention_id)
            bilan_ = _bilan(convention, bilan_id)
    return _page_bilan(convention, bilan_, piece=form, statut=422)


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/pieces/<id:piece_id>")
@role_requis(*LECTEURS)
def fichier_piece_bilan(convention_id, bilan_id, piece_id):
    convention = lecture.convention_accessible(convention_id)
    _bilan(convention, bilan_id)
    piece = (
        db.session.scalar(
            select(PieceBilan)
            .where(PieceBilan.id == piece_id, PieceBilan.bilan_id == bilan_id)
            .options(joinedload(PieceBilan.fichier))
        )
        if piece_id <= lecture.ID_MAX
        else None
    )
    if piece is None:
        abort(404)
    return reponse_telechargement(piece.fichier)


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/pieces/<id:piece_id>/retirer", methods=["POST"])
@role_requis(*PORTEURS)
def retirer_piece_bilan(convention_id, bilan_id, piece_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_rendre_compte)
    _bilan(convention, bilan_id)
    piece = db.session.get(PieceBilan, piece_id) if piece_id <= lecture.ID_MAX else None
    if piece is None or piece.bilan_id != bilan_id:
        abort(404)
    try:
        bilans.retirer_piece(piece, par=current_user)
        db.session.commit()
        flash("Pièce retirée du bilan.", "succes")
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    return redirect(url_for(".bilan", convention_id=convention_id, bilan_id=bilan_id) + "#pieces")


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/approbation", methods=["POST"])
@role_requis(*GESTION)
def approbation(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    bilan_ = _bilan(convention, bilan_id)
    form = forms.ApprobationForm()
    if form.validate_on_submit():
        try:
            bilans.approuver_bilan(
                bilan_,
                par=current_user,
                depenses_eligibles=form.depenses_eligibles.data,
                commentaire=form.commentaire.data or "",
                version=_version(form.version.data),
            )
            db.session.commit()
            flash(f"{bilan_.intitule} approuvé.", "succes")
            return redirect(url_for(".convention", convention_id=convention_id))
        except Refus as refus:
            db.session.rollback()
            erreurs = form.porter_refus(refus, en_tete=False)
            convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
            return _page_bilan(convention, _bilan(convention, bilan_id), approbation=form, statut=refus.statut, erreurs=erreurs)
    return _page_bilan(convention, bilan_, approbation=form, statut=422)


@bp.route("/<id:convention_id>/bilans/<id:bilan_id>/corrections", methods=["POST"])
@role_requis(*GESTION)
def corrections(convention_id, bilan_id):
    convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
    bilan_ = _bilan(convention, bilan_id)
    form = forms.CorrectionsForm()
    if form.validate_on_submit():
        try:
            bilans.demander_corrections(
                bilan_,
                message=form.message.data,
                date_limite=form.date_limite.data,
                par=current_user,
                version=_version(form.version.data),
            )
            db.session.commit()
            flash("Corrections demandées : la structure en est avertie par courriel.", "succes")
            return redirect(url_for(".convention", convention_id=convention_id))
        except Refus as refus:
            db.session.rollback()
            erreurs = form.porter_refus(refus, en_tete=False)
            convention = lecture.convention_accessible(convention_id, Convention.can_gerer)
            return _page_bilan(convention, _bilan(convention, bilan_id), corrections=form, statut=refus.statut, erreurs=erreurs)
    return _page_bilan(convention, bilan_, corrections=form, statut=422)


# --- Renouvellement ----------------------------------------------------------------------------------------


@bp.route("/<id:convention_id>/renouvellement", methods=["GET", "POST"])
@role_requis(*GESTION, Role.NATIONAL)
def renouvellement(convention_id):
    if request.method == "POST" and not current_user.a_role(*GESTION):
        abort(403)  # le national lit, ne décide pas
    convention = lecture.convention_accessible(convention_id)
    vue = tableau.vue_renouvellement(convention)
    derniere = convention.derniere
    indicateurs = suivi.indicateurs_cibles(derniere.etp_facilitateur, derniere.etp_coordinateur)
    gere = convention.can_gerer(current_user) and vue.decidable
    form = forms.formulaire_renouvellement(indicateurs, formdata=None) if gere else None
    refus_form = forms.NonRenouvellementForm(formdata=None) if gere else None
    erreurs, statut = [], 200
    apercu = avenants.apercu_avenant(convention) if derniere.rang < regles.ANNEES_MAX else None
    if gere and request.method == "GET":
        form.montant.data = min(derniere.montant, apercu.plafond.maximum)
        cibles = derniere.cibles()
        for indicateur in indicateurs:
            if indicateur.cle in cibles:
                form["objectif_" + forms.nom_champ(indicateur.cle)].data = cibles[indicateur.cle]
    if request.method == "POST":
        if not gere:
            abort(404)
        action = request.form.get("action")
        try:
            if action == "renouveler":
                form = forms.formulaire_renouvellement(indicateurs)
                if form.validate_on_submit():
                    annee = avenants.renouveler(
                        convention,
                        montant=form.montant.data,
                        cout_retenu=form.cout_retenu.data or None,
                        objectifs=forms.objectifs_de(form, indicateurs),
                        par=current_user,
                    )
                    db.session.commit()
                    flash(
                        f"Convention renouvelée pour l'année {annee.rang} : l'avenant n° {annee.rang - 1} est à faire signer.",
                        "succes",
                    )
                    return redirect(url_for(".convention", convention_id=convention_id))
            elif action == "ne_pas_renouveler":
                refus_form = forms.NonRenouvellementForm()
                if refus_form.validate_on_submit():
                    avenants.ne_pas_renouveler(convention, motif=refus_form.motif.data, par=current_user)
                    db.session.commit()
                    flash("Non-renouvellement enregistré : la structure en est avertie.", "succes")
                    return redirect(url_for(".convention", convention_id=convention_id))
            else:
                abort(400)
        except Refus as refus:
            db.session.rollback()
            cible = form if action == "renouveler" else refus_form
            erreurs = cible.porter_refus(refus, _correspondances_objectifs(), en_tete=False)
            statut = refus.statut
            convention = lecture.convention_accessible(convention_id)
            vue = tableau.vue_renouvellement(convention)
        else:
            statut = 422
    return render_template(
        "conventions/renouvellement.html",
        convention=convention,
        vue=vue,
        form=form,
        refus_form=refus_form,
        erreurs=erreurs,
        indicateurs=indicateurs,
        gere=gere,
        apercu=apercu,
    ), statut


# --- À faire, tableau de bord, exports ---------------------------------------------------------------------


@bp.route("/a-faire")
@role_requis(*LECTEURS)
def a_faire():
    lignes, prochain_copil = lecture.a_faire(current_user)
    gestion = current_user.a_role(*GESTION)
    return render_template(
        "conventions/a_faire.html",
        lignes=lignes,
        a_preparer=lecture.conventions_a_preparer(current_user) if gestion else [],
        a_declarer=lecture.dossiers_a_declarer_complets(current_user) if gestion else [],
        trimestre_sans_copil=lecture.trimestre_sans_copil(current_user),
        prochain_copil=prochain_copil,
        aujourdhui=regles.jour_local(maintenant(), fuseau().key),
        horizon=delais.HORIZON_A_FAIRE,
    )


def _filtres_tableau():
    campagne_id = request.args.get("campagne", "")
    service_id = request.args.get("service", "")
    return (
        int(campagne_id) if campagne_id.isdigit() and len(campagne_id) < 10 else None,
        int(service_id) if service_id.isdigit() and len(service_id) < 10 else None,
    )


@bp.route("/tableau-de-bord")
@role_requis(*GESTION, Role.NATIONAL)
def tableau_de_bord():
    campagne_id, service_id = _filtres_tableau()
    donnees = tableau.tableau_de_bord(current_user, campagne_id=campagne_id, service_id=service_id)
    return render_template("conventions/tableau_de_bord.html", t=donnees)


@bp.route("/tableau-de-bord.xlsx")
@role_requis(*GESTION, Role.NATIONAL)
def tableau_de_bord_xlsx():
    campagne_id, service_id = _filtres_tableau()
    donnees = tableau.tableau_de_bord(current_user, campagne_id=campagne_id, service_id=service_id)
    return tableau.classeur(donnees)


@bp.route("/donnees-ouvertes.csv")
@role_requis(*GESTION, Role.NATIONAL)
def donnees_ouvertes():
    _, service_id = _filtres_tableau()
    return scdl.donnees_ouvertes(current_user, service_id=service_id)


# --- Publication (décret n° 2017-779) : sans connexion --------------------------------------------------

bp_public = Blueprint("donnees_ouvertes", __name__, url_prefix="/donnees-ouvertes")


def _service_publie(code):
    service = db.session.scalar(select(Service).where(Service.code == code))
    if service is None:
        abort(404)
    return service


@bp_public.route("/")
def services_publies():
    services = db.session.scalars(select(Service).order_by(Service.nom)).all()
    return render_template("conventions/donnees_ouvertes.html", services=services, service=None)


@bp_public.route("/<code>/")
def publication(code):
    service = _service_publie(code)
    lignes, mise_a_jour = scdl.publication(service)
    return render_template(
        "conventions/donnees_ouvertes.html",
        service=service,
        lignes=lignes,
        mise_a_jour=mise_a_jour,
        licence=scdl.LICENCE,
        seuil=regles.SEUIL_DONNEES_OUVERTES,
    )


@bp_public.route("/<code>/subventions.csv")
def fichier_publie(code):
    service = _service_publie(code)
    if not service.siret:
        abort(404)  # sans l'identifiant de l'attribuant, le fichier ne serait pas valide : la page le dit
    lignes, _ = scdl.publication(service)
    return scdl.reponse_csv(scdl.csv_scdl(lignes), f"subventions-{service.code}.csv")
