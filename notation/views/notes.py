"""A member's pages for a dossier of a session: his declaration of interests, his score sheet (autosaved as a
draft, then submitted), the scores of all once he may see them, the dossier's documents."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aap.erreurs import Conflit, Invalide, Refus, page
from aap.extensions import db
from aap.fichiers import reponse_telechargement
from aap.formats import heure_fr, nombre_fr
from aap.securite import role_requis, veut_json
from candidatures.models import Dossier, Piece
from candidatures.synthese import options_dossier_complet, synthese_dossier

from .. import forms, lecture, operations, regles, resultats
from ..lecture import LECTEURS
from ..models import AccesSeance, Phase
from .commun import bp, version_lue


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
            erreurs = form.porter_refus(refus, en_tete=False)
    elif request.method == "POST":
        statut = 422
    return render_template(
        "notation/declaration.html", seance=seance, point=point, form=form, existante=existante, erreurs=erreurs, acces=acces
    ), statut


def _dossier_visible(seance_id, dossier_id):
    """(session, agenda line, access) of a dossier the current user may read in that session; 404 otherwise."""
    seance = lecture.seance_accessible(seance_id)
    point = lecture.point_accessible(seance, dossier_id)
    acces = AccesSeance(seance, current_user)
    if not acces.can_voir_dossier(dossier_id):
        abort(404)
    return seance, point, acces


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
        agregat = resultats.agregats_seance(seance)[0].get(point.dossier_id)
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
    seance, point, acces = _dossier_visible(seance_id, dossier_id)
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
    version = version_lue(form.version.data)
    try:
        if erreurs_saisie:
            # Toutes les erreurs à la fois : celles de saisie, puis celles de la grille sur le reste.
            illisibles = {e.champ for e in erreurs_saisie}
            autres = regles.verifier_feuille(grille, points, commentaires, form.avis.data or None, soumission=soumettre)
            raise Invalide(erreurs_saisie + [e for e in autres if e.champ not in illisibles])
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
        erreurs = form.porter_refus(refus, en_tete=False)
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
    seance, point, acces = _dossier_visible(seance_id, dossier_id)
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
    tableau = resultats.tableau_seance(seance, acces, normalise=True)
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
    _dossier_visible(seance_id, dossier_id)
    piece_ = db.session.scalar(
        select(Piece).where(Piece.id == piece_id, Piece.dossier_id == dossier_id).options(joinedload(Piece.fichier))
    )
    if piece_ is None:
        abort(404)
    return reponse_telechargement(piece_.fichier)
