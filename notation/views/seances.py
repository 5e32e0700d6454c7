"""The sessions' pages: the list, creation and changes, a session's page, its agenda, phases, reminders and
attendance."""

from datetime import datetime, time
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap.entrees import paginer
from aap.erreurs import Invalide, Refus, page
from aap.extensions import db
from aap.formats import fuseau, pluriel
from aap.forms import choix
from aap.models import Campagne, Role
from aap.securite import role_requis
from candidatures.models import Dossier

from .. import forms, lecture, operations, regles
from ..lecture import GESTION, LECTEURS
from ..models import AccesSeance, FeuilleNotation, Phase, Seance
from .commun import bp, version_lue


@bp.route("/")
@role_requis(*LECTEURS)
def index():
    requete = lecture.requete_seances(current_user).options(joinedload(Seance.campagne))
    page_ = paginer(requete)
    a_noter = lecture.a_noter(current_user) if not current_user.a_role(Role.NATIONAL) else []
    return render_template("notation/index.html", page=page_, a_noter=a_noter, peut_creer=current_user.a_role(*GESTION))


def _campagnes_du_service():
    return db.session.scalars(
        select(Campagne).where(Campagne.service_id == current_user.service_id).order_by(Campagne.annee.desc())
    ).all()


def _preparer_formulaire_seance(form, candidats, campagnes=None):
    if campagnes is not None:
        form.campagne_id.choices = choix([(str(c.id), f"{c.titre[:60]}… ({c.annee})") for c in campagnes])
    form.president_id.choices = choix(
        [("", "— Choisir —")] + [(str(u.id), f"{u.nom_complet} ({u.role.libelle})") for u in candidats]
    )
    form.membres.choices = choix([(str(u.id), f"{u.nom_complet} — {u.role.libelle}") for u in candidats])


def _valeurs_seance(form, candidats, zone):
    par_id = {str(u.id): u for u in candidats}
    tenue_le = datetime.combine(form.date.data, form.heure.data or time(9, 0), tzinfo=zone)
    president = par_id.get(form.president_id.data)
    if president is None:
        raise Invalide([regles.Erreur("president_id", "president_invalide", "Choisissez le président de séance.")])
    return {
        "tenue_le": tenue_le,
        "lieu": form.lieu.data or "",
        "lien_visio": form.lien_visio.data or "",
        "president": president,
        "membres": [par_id[i] for i in form.membres.data or [] if i in par_id],
        "seuil_desaccord": Decimal(form.seuil_desaccord.data) / 100,
    }


@bp.route("/seances/nouvelle", methods=["GET", "POST"])
@role_requis(*GESTION)
def nouvelle_seance():
    campagnes = _campagnes_du_service()
    candidats = lecture.membres_candidats(current_user.service_id)
    form = forms.SeanceForm()
    _preparer_formulaire_seance(form, candidats, campagnes)
    if request.method == "GET":
        form.president_id.data = str(current_user.id)
        form.membres.data = [str(u.id) for u in candidats if u.a_role(Role.COPIL)]
        form.heure.data = time(9, 0)
    erreurs = []
    if form.validate_on_submit():
        campagne = next((c for c in campagnes if str(c.id) == form.campagne_id.data), None)
        try:
            if campagne is None:
                raise Invalide([regles.Erreur("campagne_id", "campagne_invalide", "Choisissez la campagne.")])
            seance = operations.creer_seance(campagne, par=current_user, **_valeurs_seance(form, candidats, fuseau()))
            db.session.commit()
            flash(f"{seance.intitule} créée : inscrivez les dossiers à l'ordre du jour.", "succes")
            return redirect(url_for(".seance", seance_id=seance.id))
        except Refus as refus:
            db.session.rollback()
            erreurs = form.porter_refus(refus, {"tenue_le": "date"}, en_tete=False)
    statut = 422 if request.method == "POST" else 200
    return render_template("notation/seance_form.html", form=form, seance=None, erreurs=erreurs), statut


@bp.route("/seances/<id:seance_id>/modifier", methods=["GET", "POST"])
@role_requis(*GESTION)
def modifier_seance(seance_id):
    seance = lecture.seance_accessible(seance_id, Seance.can_gerer)
    if not seance.can_modifier(current_user):
        return page(409, "La séance délibère ou est close : elle ne se modifie plus.")
    candidats = lecture.membres_candidats(seance.service_id)
    form = forms.SeanceForm()
    del form.campagne_id
    _preparer_formulaire_seance(form, candidats)
    if request.method == "GET":
        local = seance.tenue_le.astimezone(fuseau(seance.service))
        form.date.data, form.heure.data = local.date(), local.time().replace(second=0, microsecond=0)
        form.lieu.data, form.lien_visio.data = seance.lieu, seance.lien_visio
        form.president_id.data = str(seance.president_id)
        form.membres.data = [str(m.utilisateur_id) for m in seance.membres]
        form.seuil_desaccord.data = int(seance.seuil_desaccord * 100)
        form.version.data = str(seance.version)
    erreurs = []
    statut = 200
    if form.validate_on_submit():
        try:
            operations.modifier_seance(
                seance,
                version=version_lue(form.version.data),
                par=current_user,
                **_valeurs_seance(form, candidats, fuseau(seance.service)),
            )
            db.session.commit()
            flash("Séance modifiée.", "succes")
            return redirect(url_for(".seance", seance_id=seance.id))
        except Refus as refus:
            db.session.rollback()
            statut = refus.statut
            erreurs = form.porter_refus(refus, {"tenue_le": "date"}, en_tete=False)
    elif request.method == "POST":
        statut = 422
    return render_template("notation/seance_form.html", form=form, seance=seance, erreurs=erreurs), statut


# --- Page d'une séance ------------------------------------------------------------------------------------


def _avancement(seance):
    """Per member and per dossier, the submitted sheets (one query), for those who follow the session."""
    lignes = db.session.execute(
        select(FeuilleNotation.membre_id, FeuilleNotation.dossier_id, FeuilleNotation.soumise_le).where(
            FeuilleNotation.seance_id == seance.id
        )
    ).all()
    declarations = lecture.declarations_de(seance.id)
    deportes = {(d.membre_id, d.dossier_id) for d in declarations if d.conflit}
    soumises = {(m, d) for m, d, s in lignes if s is not None and (m, d) not in deportes}
    dossiers = [p.dossier_id for p in seance.ordre_du_jour]
    par_membre = {
        m.utilisateur_id: (
            sum(1 for d in dossiers if (m.utilisateur_id, d) in soumises),
            sum(1 for d in dossiers if (m.utilisateur_id, d) not in deportes),
        )
        for m in seance.membres
    }
    par_dossier = {
        d: (
            sum(1 for m in seance.membres if (m.utilisateur_id, d) in soumises),
            sum(1 for m in seance.membres if (m.utilisateur_id, d) not in deportes),
        )
        for d in dossiers
    }
    return par_membre, par_dossier, len(declarations)


@bp.route("/seances/<id:seance_id>")
@role_requis(*LECTEURS)
def seance(seance_id):
    return _page_seance(lecture.seance_accessible(seance_id))


def _page_seance(seance, confirmation=None, statut=200):
    """The session's page. `confirmation`: a phase change refused until a reason or a confirmation is given
    (before the session's day, scores missing): {vers, message, motif, demande_motif, demande_confirmation}."""
    acces = AccesSeance(seance, current_user)
    suivi = acces.gestionnaire or acces.president or acces.lecteur
    par_membre, par_dossier, _ = _avancement(seance) if suivi else ({}, {}, 0)
    inscription = None
    if seance.can_modifier(current_user):
        inscription = forms.InscriptionForm()
        inscription.dossier_id.choices = choix(
            [("", "— Choisir —")]
            + [
                (str(d.id), f"{d.numero} — {d.structure.raison_sociale} — {d.titre[:60]}")
                for d in lecture.dossiers_inscriptibles(seance)
            ]
        )
    decisions = (
        {d.dossier_id: d for d in lecture.decisions_de(seance.id)} if seance.phase in (Phase.DELIBERATION, Phase.CLOSE) else {}
    )
    presences = None
    if seance.phase == Phase.DELIBERATION and (acces.president or acces.gestionnaire):
        presences = forms.PresencesForm()
        presences.presents.choices = choix([(str(m.utilisateur_id), m.utilisateur.nom_complet) for m in seance.membres])
        presences.presents.data = [str(m.utilisateur_id) for m in seance.membres if m.present]
    return render_template(
        "notation/seance.html",
        seance=seance,
        acces=acces,
        par_membre=par_membre,
        par_dossier=par_dossier,
        inscription=inscription,
        decisions=decisions,
        presences=presences,
        confirmation=confirmation,
    ), statut


@bp.route("/seances/<id:seance_id>/ordre-du-jour", methods=["POST"])
@role_requis(*GESTION)
def inscrire(seance_id):
    seance = lecture.seance_accessible(seance_id, Seance.can_gerer)
    identifiant = request.form.get("dossier_id", "")
    dossier = db.session.get(Dossier, int(identifiant)) if identifiant.isdigit() and len(identifiant) < 10 else None
    if dossier is None or dossier.service_id != seance.service_id:
        flash("Choisissez un dossier recevable de la campagne.", "erreur")
        return redirect(url_for(".seance", seance_id=seance.id))
    try:
        operations.inscrire(seance, dossier, par=current_user)
        db.session.commit()
        flash(f"Dossier {dossier.numero} inscrit à l'ordre du jour.", "succes")
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    return redirect(url_for(".seance", seance_id=seance.id))


@bp.route("/seances/<id:seance_id>/ordre-du-jour/<id:dossier_id>/retirer", methods=["POST"])
@role_requis(*GESTION)
def retirer(seance_id, dossier_id):
    seance = lecture.seance_accessible(seance_id, Seance.can_gerer)
    point = lecture.point_accessible(seance, dossier_id)
    try:
        operations.retirer(seance, point.dossier, par=current_user)
        db.session.commit()
        flash("Dossier retiré de l'ordre du jour.", "succes")
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    return redirect(url_for(".seance", seance_id=seance.id))


@bp.route("/seances/<id:seance_id>/phase", methods=["POST"])
@role_requis(*LECTEURS)
def phase(seance_id):
    seance = lecture.seance_accessible(seance_id, Seance.can_changer_phase)
    vers = request.form.get("vers", "")
    if vers not in {str(p) for p in Phase}:
        abort(400)
    motif = request.form.get("motif", "")
    confirmer = request.form.get("confirmer") == "oui"
    try:
        operations.changer_phase(seance, vers, par=current_user, motif=motif, confirmer=confirmer)
        db.session.commit()
    except Refus as refus:
        db.session.rollback()
        if refus.code in ("avant_la_seance", "notes_manquantes", "motif_trop_long"):
            # Un motif ou une confirmation manque : la page les demande, avec ce qui a déjà été saisi.
            seance = lecture.seance_accessible(seance_id)
            confirmation = {
                "vers": vers,
                "message": refus.message,
                "motif": motif,
                "demande_motif": refus.code != "notes_manquantes" or bool(motif),
                "demande_confirmation": refus.code == "notes_manquantes" or confirmer,
                "confirmer": confirmer,
            }
            return _page_seance(seance, confirmation, refus.statut)
        flash(refus.message, "erreur")
        return redirect(url_for(".seance", seance_id=seance_id))
    messages = {
        "notation": "La notation est ouverte : les membres en sont avertis par courriel.",
        "deliberation": "La séance délibère : les notes sont visibles de tous les membres non déportés.",
        "close": "La séance est close : procès-verbal, classeur et lettres sont produits ; les lettres sont envoyées.",
    }
    flash(messages.get(vers, "Phase changée."), "succes")
    return redirect(url_for(".seance", seance_id=seance_id))


@bp.route("/seances/<id:seance_id>/rappels", methods=["POST"])
@role_requis(*LECTEURS)
def rappels(seance_id):
    seance = lecture.seance_accessible(seance_id)
    if not (seance.can_gerer(current_user) or seance.est_president(current_user)):
        abort(404)
    if seance.phase != Phase.NOTATION:
        flash("Les rappels s'envoient pendant la notation.", "erreur")
        return redirect(url_for(".seance", seance_id=seance_id))
    nombre = operations.envoyer_rappels(seance=seance)
    db.session.commit()
    if nombre:
        flash(f"{pluriel(nombre, 'rappel envoyé')} aux membres qui n'ont pas fini de noter.", "succes")
    else:
        jours = " puis ".join(str(n) for n in operations.delais_rappel())
        flash(
            "Aucun rappel à envoyer maintenant : chacun a noté, ou a déjà été relancé pour cette échéance "
            f"(les rappels partent {jours} jours avant la séance).",
            "info",
        )
    return redirect(url_for(".seance", seance_id=seance_id))


@bp.route("/seances/<id:seance_id>/presences", methods=["POST"])
@role_requis(*LECTEURS)
def presences(seance_id):
    seance = lecture.seance_accessible(seance_id)
    if not (seance.can_gerer(current_user) or seance.est_president(current_user)):
        abort(404)
    valeurs = {int(v) for v in request.form.getlist("presents") if v.isdigit() and len(v) < 10}
    try:
        operations.marquer_presences(seance, valeurs, par=current_user)
        db.session.commit()
        flash("Présences enregistrées.", "succes")
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    return redirect(url_for(".seance", seance_id=seance_id))
