"""A member's part in a session: his declaration of interests for each dossier, then his score sheet (draft,
submission, reopening by the president)."""

import hashlib
from decimal import Decimal

from sqlalchemy import select

from aap.courriels import mettre_en_file
from aap.entrees import texte_propre
from aap.erreurs import Conflit, Invalide, Refus, flush_ou_conflit, refuser_si_erreurs
from aap.extensions import db
from aap.formats import instant_fr
from aap.journal import canonique, journaliser
from aap.types import maintenant
from candidatures.models import Dossier

from .. import regles
from ..models import AccesSeance, Avis, Declaration, FeuilleNotation, Note, Phase


def notes_visibles(seance, dossier_id):
    """Whether any member could already see the dossier's scores: once the session deliberates, or once
    one member has submitted his scores (he then sees the others' as they come)."""
    if seance.phase in (Phase.DELIBERATION, Phase.CLOSE):
        return True
    return (
        db.session.scalar(
            select(FeuilleNotation.id)
            .where(
                FeuilleNotation.seance_id == seance.id,
                FeuilleNotation.dossier_id == dossier_id,
                FeuilleNotation.soumise_le.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


def declarer(seance, dossier, membre, *, conflit, nature="", par=None):
    """A member's declaration for a dossier, before seeing or scoring it. Declaring a conflict is always
    possible until the session closes (his scores then stop counting); withdrawing one is refused once
    the dossier's scores may be visible; every change is in the audit log with its time."""
    par = par or membre
    if seance.close:
        raise Refus("La séance est close : les déclarations ne changent plus.", code="seance_close")
    if seance.membre(membre) is None or not any(p.dossier_id == dossier.id for p in seance.ordre_du_jour):
        raise Refus("Seuls les membres de la séance déclarent leurs intérêts pour ses dossiers.", code="non_membre")
    nature = texte_propre(nature)
    if conflit and not nature:
        raise Invalide(
            [
                regles.Erreur(
                    "nature", "nature_manquante", "Précisez la nature du conflit d'intérêts (lien avec la structure, fonction…)."
                )
            ]
        )
    if not conflit:
        nature = ""
    declaration = db.session.scalar(
        select(Declaration).where(
            Declaration.seance_id == seance.id, Declaration.dossier_id == dossier.id, Declaration.membre_id == membre.id
        )
    )
    if declaration is None:
        return _premiere_declaration(seance, dossier, membre, conflit=conflit, nature=nature, par=par)
    if (declaration.conflit, declaration.nature) == (conflit, nature):
        return declaration
    return _changer_declaration(declaration, seance, dossier, conflit=conflit, nature=nature, par=par)


def _premiere_declaration(seance, dossier, membre, *, conflit, nature, par):
    declaration = Declaration(
        seance_id=seance.id, dossier_id=dossier.id, membre_id=membre.id, conflit=conflit, nature=nature, declaree_le=maintenant()
    )
    db.session.add(declaration)
    flush_ou_conflit("Votre déclaration a déjà été enregistrée (dans un autre onglet) : rechargez la page.")
    journaliser(
        "declaration.creation",
        seance,
        par=par,
        details={"dossier": dossier.id, "membre": membre.id, "conflit": conflit, "nature": nature},
    )
    return declaration


def _changer_declaration(declaration, seance, dossier, *, conflit, nature, par):
    """A recusal stays once the dossier's scores may have been seen."""
    if declaration.conflit and not conflit and notes_visibles(seance, dossier.id):
        raise Refus(
            f"Votre déport sur ce dossier, déclaré le {instant_fr(declaration.declaree_le)}, ne peut plus être retiré : "
            "les notes du dossier peuvent déjà être vues. Adressez-vous au président de séance.",
            code="deport_definitif",
            champ="conflit",
        )
    avant = {"conflit": declaration.conflit, "nature": declaration.nature, "declaree_le": declaration.declaree_le}
    declaration.conflit, declaration.nature, declaration.modifiee_le = conflit, nature, maintenant()
    db.session.flush()
    journaliser(
        "declaration.modification",
        seance,
        par=par,
        details={
            "dossier": dossier.id,
            "membre": declaration.membre_id,
            "avant": avant,
            "apres": {"conflit": conflit, "nature": nature},
            "notes_visibles": notes_visibles(seance, dossier.id),
        },
    )
    return declaration


# --- Notation ---------------------------------------------------------------------------------------


def feuille_de(seance, dossier_id, membre_id):
    return db.session.scalar(
        select(FeuilleNotation).where(
            FeuilleNotation.seance_id == seance.id,
            FeuilleNotation.dossier_id == dossier_id,
            FeuilleNotation.membre_id == membre_id,
        )
    )


MESSAGE_CONFLIT_FEUILLE = (
    "Vos notes de ce dossier ont été enregistrées entre-temps depuis un autre onglet ou une autre fenêtre : "
    "ce que vous venez de saisir n'a pas été enregistré, pour ne rien écraser. Rechargez la page pour voir la "
    "version enregistrée, puis reportez vos changements."
)


def enregistrer_notes(
    seance, dossier, membre, *, version, points, commentaires, avis, commentaire="", soumettre=False, acces=None
):
    """Saves a member's draft (possibly incomplete) or submits it (complete; then locked).

    `version` is the sheet's version the member's page was built from (0 for a sheet not yet created): an
    older one means another tab saved meanwhile, and nothing is overwritten (Conflit, 409).
    """
    acces = acces or AccesSeance(seance, membre)
    feuille = acces.feuille(dossier.id) or feuille_de(seance, dossier.id, membre.id)
    actuelle = feuille.version if feuille is not None else 0
    if version != actuelle:
        raise Conflit(MESSAGE_CONFLIT_FEUILLE, code="version_perimee")
    _exiger_de_pouvoir_noter(acces, dossier.id, feuille)
    grille = regles.grille_de(seance.campagne.criteres)
    points = {code: valeur for code, valeur in points.items() if code in {c.code for c in grille}}
    commentaires = {code: texte_propre(valeur or "") for code, valeur in (commentaires or {}).items()}
    if avis is not None and avis not in set(Avis):
        raise Invalide([regles.Erreur("avis", "avis_invalide", "Choisissez : favorable, réservé ou défavorable.")])
    refuser_si_erreurs(regles.verifier_feuille(grille, points, commentaires, avis, soumission=soumettre))
    instant = maintenant()
    if feuille is None:
        feuille = FeuilleNotation(seance_id=seance.id, dossier_id=dossier.id, membre_id=membre.id, creee_le=instant)
        feuille.notes = [Note(critere_id=c.id, maximum=Decimal(c.maximum), points=None) for c in seance.campagne.criteres]
        db.session.add(feuille)
    _remplir(feuille, seance.campagne.criteres, points, commentaires)
    feuille.avis = str(avis) if avis else None
    feuille.commentaire = texte_propre(commentaire)
    feuille.modifiee_le = instant
    if soumettre:
        feuille.soumise_le = instant
    flush_ou_conflit(MESSAGE_CONFLIT_FEUILLE)
    # Le journal se lit par les agents du service, dont certains siègent : il prouve ce qui a été saisi (empreinte
    # du contenu) sans montrer les notes, qui ne se voient qu'après avoir noté soi-même (pas d'ancrage).
    journaliser(
        "feuille.soumission" if soumettre else "feuille.brouillon",
        seance,
        par=membre,
        details={
            "dossier": dossier.id,
            "feuille": feuille.id,
            "membre": membre.id,
            "version": feuille.version,
            "empreinte": empreinte_feuille(feuille, seance.campagne.criteres),
        },
    )
    acces.feuilles[dossier.id] = feuille
    return feuille


def _exiger_de_pouvoir_noter(acces, dossier_id, feuille):
    """Refuses, with its reason, a member who may not score the dossier now."""
    if acces.can_noter(dossier_id):
        return
    if acces.deporte(dossier_id):
        raise Refus("Vous êtes déporté sur ce dossier : vous ne le notez pas.", code="deporte")
    if acces.declaration(dossier_id) is None:
        raise Refus("Déclarez d'abord vos éventuels conflits d'intérêts pour ce dossier.", code="declaration_requise")
    if feuille is not None and feuille.soumise:
        raise Refus(
            "Vos notes de ce dossier sont soumises : elles ne changent plus, sauf réouverture par le président de séance.",
            code="feuille_soumise",
        )
    raise Refus("La notation de cette séance n'est pas ouverte.", code="notation_fermee")


def _remplir(feuille, criteres, points, commentaires):
    """One note per criterion of the grid (a criterion added since the sheet was created gets its row)."""
    par_critere = {n.critere_id: n for n in feuille.notes}
    for critere in criteres:
        note = par_critere.get(critere.id)
        if note is None:
            note = Note(critere_id=critere.id, maximum=Decimal(critere.maximum))
            feuille.notes.append(note)
        note.points = points.get(critere.code)
        note.commentaire = commentaires.get(critere.code, "")


def _points_canoniques(points):
    return None if points is None else f"{Decimal(points):.1f}"


def empreinte_feuille(feuille, criteres):
    """SHA-256 of a sheet's content (points and comments per criterion, opinion, general comment)."""
    par_critere = {n.critere_id: n for n in feuille.notes}
    contenu = {
        "notes": {
            c.code: [
                _points_canoniques(par_critere[c.id].points) if c.id in par_critere else None,
                par_critere[c.id].commentaire if c.id in par_critere else "",
            ]
            for c in criteres
        },
        "avis": feuille.avis,
        "commentaire": feuille.commentaire,
    }
    return hashlib.sha256(canonique(contenu).encode()).hexdigest()


def rouvrir(seance, feuille, *, motif, par):
    """The president reopens a submitted sheet (a mistake, a second look): audited, and the member is told."""
    if seance.phase not in (Phase.NOTATION, Phase.DELIBERATION):
        raise Refus("La séance est close : les notes ne changent plus.", code="seance_close")
    if not feuille.soumise:
        raise Conflit("Cette notation n'est pas soumise : elle est déjà modifiable par son auteur.", code="deja_ouverte")
    motif = texte_propre(motif)
    if not motif:
        raise Invalide([regles.Erreur("motif", "motif_manquant", "Indiquez pourquoi vous rouvrez cette notation.")])
    instant = maintenant()
    feuille.soumise_le, feuille.rouverte_le, feuille.rouverte_par_id = None, instant, par.id
    flush_ou_conflit(MESSAGE_CONFLIT_FEUILLE)
    journaliser(
        "feuille.reouverture",
        seance,
        par=par,
        details={"feuille": feuille.id, "dossier": feuille.dossier_id, "membre": feuille.membre_id, "motif": motif},
    )
    mettre_en_file(
        feuille.membre.email,
        f"{seance.intitule} : votre notation est rouverte",
        "notation_rouverte",
        service_id=seance.service_id,
        seance=seance,
        feuille=feuille,
        dossier=db.session.get(Dossier, feuille.dossier_id),
        motif=motif,
        par=par,
    )
    return feuille
