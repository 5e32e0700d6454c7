"""Pages of the notation domain: COPIL sessions, declarations, scoring, aggregated scores, ranking,
decisions and the documents of a closed session.

Thin: load (a bounded number of queries), check with the model's permissions (404 for what the person may
not see), validate, call the operation, commit once, redirect or render.
"""

from datetime import datetime, time
from decimal import Decimal

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap.entrees import paginer
from aap.erreurs import Conflit, Refus, page
from aap.extensions import db
from aap.fichiers import reponse_telechargement
from aap.formats import fuseau, heure_fr, nombre_fr, pluriel
from aap.forms import choix
from aap.models import Campagne, Role
from aap.securite import role_requis
from candidatures.models import Dossier, Piece
from candidatures.synthese import options_dossier_complet, synthese_dossier

from . import forms, lecture, operations, regles
from .lecture import GESTION, LECTEURS
from .models import AccesSeance, Decision, FeuilleNotation, MembreSeance, Phase, Seance

bp = Blueprint("notation", __name__, url_prefix="/copil")


# --- Chargement --------------------------------------------------------------------------------------


def veut_json():
    return request.accept_mimetypes.best == "application/json"


def _erreurs_vers_formulaire(form, refus, prefixes=None):
    """Puts each error of a refusal next to its field; the others go to the page's alert."""
    restantes = []
    for erreur in getattr(refus, "liste", None) or [regles.Erreur(refus.champ, refus.code, refus.message)]:
        nom = (erreur.champ or "").replace("-", "_")
        if prefixes:
            nom = prefixes.get(nom, nom)
        if nom and nom in form:
            form[nom].errors = [*form[nom].errors, erreur.message]
        else:
            restantes.append(erreur.message)
    return restantes


# --- Liste et création des séances --------------------------------------------------------------------


@bp.route("/")
@role_requis(*LECTEURS)
def index():
    requete = select(Seance).options(joinedload(Seance.campagne), joinedload(Seance.president)).order_by(Seance.tenue_le.desc())
    if current_user.a_role(Role.AGENT, Role.ADMIN):
        requete = requete.where(Seance.service_id == current_user.service_id)
    elif current_user.a_role(Role.COPIL):
        requete = requete.join(MembreSeance, MembreSeance.seance_id == Seance.id).where(
            MembreSeance.utilisateur_id == current_user.id
        )
    page_ = paginer(requete)
    a_noter = lecture.a_noter(current_user) if not current_user.a_role(Role.NATIONAL) else []
    return render_template(
        "notation/index.html", page=page_, a_noter=a_noter, peut_creer=current_user.a_role(Role.AGENT, Role.ADMIN)
    )


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
        raise operations.Invalide([regles.Erreur("president_id", "president_invalide", "Choisissez le président de séance.")])
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
                raise operations.Invalide([regles.Erreur("campagne_id", "campagne_invalide", "Choisissez la campagne.")])
            seance = operations.creer_seance(campagne, par=current_user, **_valeurs_seance(form, candidats, fuseau()))
            db.session.commit()
            flash(f"{seance.intitule} créée : inscrivez les dossiers à l'ordre du jour.", "succes")
            return redirect(url_for(".seance", seance_id=seance.id))
        except Refus as refus:
            db.session.rollback()
            erreurs = _erreurs_vers_formulaire(form, refus, {"tenue_le": "date"})
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
            version = int(form.version.data) if (form.version.data or "").isdigit() else -1
            operations.modifier_seance(
                seance, version=version, par=current_user, **_valeurs_seance(form, candidats, fuseau(seance.service))
            )
            db.session.commit()
            flash("Séance modifiée.", "succes")
            return redirect(url_for(".seance", seance_id=seance.id))
        except Refus as refus:
            db.session.rollback()
            statut = refus.statut
            erreurs = _erreurs_vers_formulaire(form, refus, {"tenue_le": "date"})
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
        phases=list(Phase),
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


# --- Déclaration, notation ---------------------------------------------------------------------------------


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/declaration", methods=["GET", "POST"])
@role_requis(*LECTEURS)
def declaration(seance_id, dossier_id):
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    if acces.membre is None:
        abort(404)
    existante = acces.declaration(dossier_id)
    form = forms.DeclarationForm()
    if request.method == "GET" and existante is not None:
        form.conflit.data = "oui" if existante.conflit else "non"
        form.nature.data = existante.nature
    erreurs = []
    statut = 200
    if form.validate_on_submit():
        try:
            operations.declarer(
                seance, point.dossier, current_user, conflit=form.conflit.data == "oui", nature=form.nature.data or ""
            )
            db.session.commit()
            if form.conflit.data == "oui":
                flash("Votre déport est enregistré : vous ne notez pas ce dossier et n'en voyez pas les notes.", "succes")
                return redirect(url_for(".seance", seance_id=seance_id))
            flash("Déclaration enregistrée : vous pouvez noter ce dossier.", "succes")
            return redirect(url_for(".dossier", seance_id=seance_id, dossier_id=dossier_id))
        except Refus as refus:
            db.session.rollback()
            statut = refus.statut
            erreurs = _erreurs_vers_formulaire(form, refus)
    elif request.method == "POST":
        statut = 422
    return render_template(
        "notation/declaration.html", seance=seance, point=point, form=form, existante=existante, erreurs=erreurs, acces=acces
    ), statut


def _dossier_complet(dossier_id):
    requete = select(Dossier).where(Dossier.id == dossier_id).options(*options_dossier_complet(un_seul=True))
    return db.session.scalars(requete).unique().one_or_none()


def _valeurs_formulaire(form, grille):
    feuille = {c.code: getattr(form, f"points_{c.code}").data for c in grille}
    points, erreurs = {}, []
    for code, texte in feuille.items():
        valeur, message = regles.lire_points(texte)
        if message:
            erreurs.append(regles.Erreur(f"points-{code}", "points_invalides", message))
        points[code] = valeur
    commentaires = {c.code: getattr(form, f"commentaire_{c.code}").data or "" for c in grille}
    return points, commentaires, erreurs


def _remplir(form, feuille, criteres):
    par_critere = {n.critere_id: n for n in feuille.notes}
    for critere in criteres:
        note = par_critere.get(critere.id)
        if note is not None:
            getattr(form, f"points_{critere.code}").data = nombre_fr(note.points) if note.points is not None else ""
            getattr(form, f"commentaire_{critere.code}").data = note.commentaire
    form.avis.data = feuille.avis
    form.commentaire.data = feuille.commentaire


def _page_dossier(seance, point, acces, form=None, statut=200, erreurs=(), conflit=None):
    dossier = _dossier_complet(point.dossier_id)
    grille = regles.grille_de(seance.campagne.criteres)
    feuille = acces.feuille(point.dossier_id)
    if form is None and acces.can_noter(point.dossier_id):
        form = forms.formulaire_notation(grille, formdata=None)
        if feuille is not None:
            _remplir(form, feuille, seance.campagne.criteres)
        form.version.data = str(feuille.version if feuille else 0)
    agregat = None
    if acces.can_voir_notes(point.dossier_id):
        agregat = lecture.agregats_seance(seance)[0].get(point.dossier_id)
    total = _total_saisi(form, grille) if form is not None else None
    return render_template(
        "notation/dossier.html",
        seance=seance,
        point=point,
        dossier=dossier,
        synthese=synthese_dossier(dossier),
        acces=acces,
        grille=grille,
        groupes=regles.groupes(grille),
        form=form,
        feuille=feuille,
        agregat=agregat,
        total=total,
        erreurs=erreurs,
        conflit=conflit,
        notes_feuille={n.critere_id: n for n in feuille.notes} if feuille else {},
        criteres={c.code: c for c in seance.campagne.criteres},
    ), statut


def _total_saisi(form, grille):
    somme = regles.ZERO
    for critere in grille:
        valeur, message = regles.lire_points(getattr(form, f"points_{critere.code}").data)
        if valeur is not None and message is None and regles.probleme_points(valeur, critere.maximum) is None:
            somme += valeur
    return somme


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>", methods=["GET", "POST"])
@role_requis(*LECTEURS)
def dossier(seance_id, dossier_id):
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    if not acces.can_voir_dossier(dossier_id):
        abort(404)
    if acces.doit_declarer(dossier_id):
        if request.method == "POST" and veut_json():
            return jsonify(
                {
                    "errors": [
                        {
                            "field": None,
                            "code": "declaration_requise",
                            "message": "Déclarez d'abord vos éventuels conflits d'intérêts.",
                        }
                    ]
                }
            ), 422
        return redirect(url_for(".declaration", seance_id=seance_id, dossier_id=dossier_id))
    if request.method == "GET":
        return _page_dossier(seance, point, acces)
    if acces.membre is None:
        abort(403)
    return _noter(seance, point, acces)


def _noter(seance, point, acces):
    grille = regles.grille_de(seance.campagne.criteres)
    form = forms.formulaire_notation(grille)
    soumettre = request.form.get("action") == "soumettre"
    if not form.validate():
        if veut_json():
            return jsonify(
                {"errors": [{"field": nom, "code": "invalide", "message": e[0]} for nom, e in form.errors.items()]}
            ), 422
        return _page_dossier(seance, point, acces, form=form, statut=422)
    points, commentaires, erreurs_saisie = _valeurs_formulaire(form, grille)
    version_texte = form.version.data or ""
    version = int(version_texte) if version_texte.isdigit() and len(version_texte) < 10 else -1
    try:
        if erreurs_saisie:
            # Toutes les erreurs à la fois : celles de saisie, puis celles de la grille sur le reste.
            illisibles = {e.champ for e in erreurs_saisie}
            autres = regles.verifier_feuille(grille, points, commentaires, form.avis.data or None, soumission=soumettre)
            raise operations.Invalide(erreurs_saisie + [e for e in autres if e.champ not in illisibles])
        feuille = operations.enregistrer_notes(
            seance,
            point.dossier,
            current_user,
            version=version,
            points=points,
            commentaires=commentaires,
            avis=form.avis.data or None,
            commentaire=form.commentaire.data or "",
            soumettre=soumettre,
            acces=acces,
        )
        db.session.commit()
    except Refus as refus:
        db.session.rollback()
        if veut_json():
            return jsonify({"errors": refus.erreurs()}), refus.statut
        acces = AccesSeance(seance, current_user)
        if isinstance(refus, Conflit):
            return _page_dossier(seance, point, acces, form=form, statut=409, conflit=refus.message)
        if not acces.can_noter(point.dossier_id):
            return page(refus.statut, refus.message)
        prefixes = {f"points_{c.code}": f"points_{c.code}" for c in grille}
        erreurs = _erreurs_vers_formulaire(form, refus, prefixes)
        return _page_dossier(seance, point, acces, form=form, statut=422, erreurs=erreurs)
    if veut_json():
        return jsonify(
            {
                "version": feuille.version,
                "total": str(feuille.total),
                "soumise": feuille.soumise,
                "enregistre_le": heure_fr(feuille.modifiee_le, secondes=True),
            }
        )
    if soumettre:
        flash("Vos notes sont soumises. Vous voyez maintenant celles des autres membres.", "succes")
        return redirect(url_for(".notes", seance_id=seance.id, dossier_id=point.dossier_id))
    flash(f"Brouillon enregistré à {heure_fr(feuille.modifiee_le)} : il n'est pas encore soumis.", "succes")
    return redirect(url_for(".dossier", seance_id=seance.id, dossier_id=point.dossier_id))


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/notes")
@role_requis(*LECTEURS)
def notes(seance_id, dossier_id):
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    if not acces.can_voir_dossier(dossier_id):
        abort(404)
    if acces.doit_declarer(dossier_id):
        return redirect(url_for(".declaration", seance_id=seance_id, dossier_id=dossier_id))
    if not acces.can_voir_notes(dossier_id):
        if acces.membre is None:
            return page(404)
        return page(
            404,
            "Chaque membre note sans connaître les notes des autres, pour que son avis reste le sien : vous verrez "
            "celles des autres membres après avoir soumis les vôtres.",
            titre="Les notes des autres membres ne sont pas encore visibles",
            retour=("Noter ce dossier", url_for(".dossier", seance_id=seance_id, dossier_id=dossier_id)),
        )
    tableau = lecture.tableau_seance(seance, acces, normalise=True)
    ligne = tableau.ligne(dossier_id)
    feuilles = [
        f
        for f in lecture.feuilles_completes(seance.id, dossier_id)
        if not any(d.membre_id == f.membre_id for _, d in ligne.deportes)
    ]
    reouverture = forms.ReouvertureForm() if acces.president and seance.phase in (Phase.NOTATION, Phase.DELIBERATION) else None
    return render_template(
        "notation/notes.html",
        seance=seance,
        point=point,
        acces=acces,
        tableau=tableau,
        ligne=ligne,
        agregat=ligne.agregat,
        feuilles=feuilles,
        grille=tableau.grille,
        criteres={c.code: c for c in seance.campagne.criteres},
        reouverture=reouverture,
        explication=regles.EXPLICATION_NORMALISATION,
    )


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/feuilles/<id:membre_id>/rouvrir", methods=["POST"])
@role_requis(*LECTEURS)
def rouvrir(seance_id, dossier_id, membre_id):
    seance = lecture.seance_accessible(seance_id)
    lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    if not acces.president or acces.deporte(dossier_id):
        abort(403 if acces.membre is not None and not acces.deporte(dossier_id) else 404)
    feuille = operations.feuille_de(seance, dossier_id, membre_id)
    if feuille is None:
        abort(404)
    form = forms.ReouvertureForm()
    if not form.validate_on_submit():
        flash("Indiquez pourquoi vous rouvrez cette notation.", "erreur")
        return redirect(url_for(".notes", seance_id=seance_id, dossier_id=dossier_id))
    try:
        operations.rouvrir(seance, feuille, motif=form.motif.data, par=current_user)
        db.session.commit()
        flash(f"La notation de {feuille.membre.nom_complet} est rouverte ; il en est averti par courriel.", "succes")
    except Refus as refus:
        db.session.rollback()
        flash(refus.message, "erreur")
    return redirect(url_for(".notes", seance_id=seance_id, dossier_id=dossier_id))


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/pieces/<id:piece_id>")
@role_requis(*LECTEURS)
def piece(seance_id, dossier_id, piece_id):
    seance = lecture.seance_accessible(seance_id)
    lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    if not acces.can_voir_dossier(dossier_id):
        abort(404)
    piece_ = db.session.scalar(
        select(Piece).where(Piece.id == piece_id, Piece.dossier_id == dossier_id).options(joinedload(Piece.fichier))
    )
    if piece_ is None:
        abort(404)
    return reponse_telechargement(piece_.fichier)


# --- Classement, décisions ---------------------------------------------------------------------------


@bp.route("/seances/<id:seance_id>/classement")
@role_requis(*LECTEURS)
def classement(seance_id):
    seance = lecture.seance_accessible(seance_id, options=lecture.options_seance(agenda=False))
    acces = AccesSeance(seance, current_user)
    if not acces.can_voir_classement():
        return page(
            404,
            "Le classement se découvre quand la séance délibère : pendant la notation, chaque membre note sans "
            "connaître les notes des autres.",
            titre="Le classement n'est pas encore visible",
            retour=("Revenir à la séance", url_for(".seance", seance_id=seance_id)),
        )
    normalise = request.args.get("normalise") == "1"
    tableau = lecture.classement_seance(seance, acces, normalise=normalise)
    president_deporte = {
        dossier_id for dossier_id, liste in tableau.deportes.items() if any(u.id == seance.president_id for u, _ in liste)
    }
    return render_template(
        "notation/classement.html",
        seance=seance,
        acces=acces,
        tableau=tableau,
        normalise=normalise,
        explication=regles.EXPLICATION_NORMALISATION,
        peut_decider={
            ligne.dossier.id: acces.can_decider(ligne.dossier.id, ligne.dossier.id in president_deporte)
            for ligne in tableau.lignes
        },
    )


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/decision", methods=["GET", "POST"])
@role_requis(*LECTEURS)
def decision(seance_id, dossier_id):
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    lecture.exiger_decision(seance, dossier_id, acces)
    existante = db.session.scalar(select(Decision).where(Decision.seance_id == seance.id, Decision.dossier_id == dossier_id))
    form = forms.DecisionForm()
    if request.method == "GET":
        dossier_ = point.dossier
        form.version.data = str(existante.version if existante else 0)
        if existante:
            form.nature.data = existante.nature
            form.montant_accorde.data = existante.montant_accorde or None
            form.etp_facilitateur.data = existante.etp_facilitateur
            form.etp_coordinateur.data = existante.etp_coordinateur
            form.cout_retenu.data = existante.cout_retenu or None
            form.conditions.data, form.motif.data = existante.conditions, existante.motif
        else:
            form.montant_accorde.data = dossier_.montant_demande
            form.etp_facilitateur.data = dossier_.etp_facilitateur
            form.etp_coordinateur.data = dossier_.etp_coordinateur
    statut, erreurs = 200, []
    if request.method == "POST":
        statut = 422
        if form.validate_on_submit():
            valeurs = form.valeurs()
            version_texte = form.version.data or ""
            try:
                operations.decider(
                    seance,
                    point.dossier,
                    nature=form.nature.data,
                    par=current_user,
                    version=int(version_texte) if version_texte.isdigit() and len(version_texte) < 10 else -1,
                    conditions=form.conditions.data or "",
                    motif=form.motif.data or "",
                    **valeurs,
                )
                db.session.commit()
                flash(f"Décision enregistrée pour le dossier {point.dossier.numero}.", "succes")
                return redirect(url_for(".classement", seance_id=seance_id))
            except Refus as refus:
                db.session.rollback()
                statut = refus.statut
                erreurs = _erreurs_vers_formulaire(form, refus)
    tableau = lecture.tableau_seance(seance, acces)
    return render_template(
        "notation/decision.html",
        seance=seance,
        point=point,
        form=form,
        existante=existante,
        tableau=tableau,
        ligne=tableau.ligne(dossier_id),
        erreurs=erreurs,
        demande=operations.demande_de(point.dossier),
    ), statut


# --- Documents d'une séance close --------------------------------------------------------------------


@bp.route("/seances/<id:seance_id>/proces-verbal.pdf")
@role_requis(*LECTEURS)
def proces_verbal(seance_id):
    seance = lecture.seance_accessible(seance_id)
    if seance.proces_verbal is None:
        abort(404)
    return reponse_telechargement(seance.proces_verbal)


@bp.route("/seances/<id:seance_id>/classeur.xlsx")
@role_requis(*LECTEURS)
def classeur(seance_id):
    seance = lecture.seance_accessible(seance_id)
    if seance.classeur is None or not seance.can_voir_detail(current_user):
        abort(404)
    return reponse_telechargement(seance.classeur)


@bp.route("/seances/<id:seance_id>/dossiers/<id:dossier_id>/lettre.pdf")
@role_requis(*LECTEURS)
def lettre(seance_id, dossier_id):
    seance = lecture.seance_accessible(seance_id)
    lecture.point_accessible(seance, dossier_id)
    if not seance.can_voir_detail(current_user):
        abort(404)
    decision_ = db.session.scalar(
        select(Decision)
        .where(Decision.seance_id == seance.id, Decision.dossier_id == dossier_id)
        .options(joinedload(Decision.lettre))
    )
    if decision_ is None or decision_.lettre is None:
        abort(404)
    return reponse_telechargement(decision_.lettre)


@bp.app_template_global()
def decision_notifiee(dossier):
    """The notified decision shown on the dossier page (one query), or None."""
    return db.session.scalar(
        select(Decision)
        .where(Decision.dossier_id == dossier.id, Decision.notifie_le.is_not(None))
        .options(joinedload(Decision.lettre))
        .order_by(Decision.notifie_le.desc())
        .limit(1)
    )


@bp.route("/decisions/<id:decision_id>/lettre.pdf")
@login_required
def lettre_notifiee(decision_id):
    """The notification letter, for the structure that received it."""
    decision_ = db.session.get(Decision, decision_id, options=[joinedload(Decision.dossier), joinedload(Decision.lettre)])
    if decision_ is None or decision_.lettre is None or not decision_.can_voir_notification(current_user):
        abort(404)
    return reponse_telechargement(decision_.lettre)
