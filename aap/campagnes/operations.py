"""Every write on a campaign: each checks its rule, changes the rows, writes the audit entry; the caller commits."""

import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from sqlalchemy import BigInteger, func, select, type_coerce

from .. import aap2022
from ..erreurs import Refus
from ..extensions import db
from ..formats import euros, pluriel
from ..journal import changements, journaliser
from ..models import Campagne, Critere, Mission, PieceRequise
from ..regles import LIBELLES_CONDITIONS, probleme_grille

REGLES = ("taux_plafond", "taux_plafond_collectivite", "etp_minimum")
MODIFIABLES_APRES_DEPOT = (
    "titre",
    "presentation",
    "ouverture_le",
    "cloture_le",
    "credits",
    "credits_annee2",
    "credits_annee3",
    "courriel_contact",
    "publiee",
)
CREDITS = ("credits", "credits_annee2", "credits_annee3")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


def dossiers_deposes(campagne):
    """Read from the table by name, as `engage`: the campaign sits below the domain that files dossiers."""
    dossiers = db.metadata.tables["dossiers"]
    return db.session.scalar(
        select(func.count(dossiers.c.id)).where(dossiers.c.campagne_id == campagne.id, dossiers.c.depose_le.is_not(None))
    )


def figee(campagne):
    """Rules are frozen once a dossier has been filed under them."""
    return dossiers_deposes(campagne) > 0


def _refus_figee(campagne, quoi):
    return Refus(
        pluriel(dossiers_deposes(campagne), "dossier a déjà été déposé", "dossiers ont déjà été déposés")
        + " sous les règles de cette campagne : "
        f"{quoi} ne peuvent plus changer (chaque dossier est jugé sur les règles de son dépôt). "
        "Créez une nouvelle campagne pour de nouvelles règles.",
        code="campagne_figee",
    )


def instant_local(jour, heure, fuseau):
    from zoneinfo import ZoneInfo

    return datetime.combine(jour, heure or time(0, 0), tzinfo=ZoneInfo(fuseau))


def _taux(valeur, champ):
    try:
        taux = Decimal(str(valeur))
    except InvalidOperation:
        raise Refus("Taux invalide.", code="taux_invalide", champ=champ) from None
    if not (Decimal("0") < taux <= Decimal("1")) or taux != taux.quantize(Decimal("0.0001")):
        raise Refus("Le taux est un pourcentage entre 0 et 100, à deux décimales au plus.", code="taux_invalide", champ=champ)
    return taux


def _verifier(valeurs):
    propres = dict(valeurs)
    for champ in ("taux_plafond", "taux_plafond_collectivite"):
        if champ in propres:
            propres[champ] = _taux(propres[champ], champ)
    if "etp_minimum" in propres:
        etp = Decimal(str(propres["etp_minimum"]))
        if etp <= 0 or etp > 10 or etp != etp.quantize(Decimal("0.01")):
            raise Refus("Le minimum d'ETP est un nombre positif (par exemple 0,5).", code="etp_invalide", champ="etp_minimum")
        propres["etp_minimum"] = etp
    for champ in CREDITS:
        if champ in propres and (propres[champ] is None or Decimal(propres[champ]) < 0):
            raise Refus("Les crédits sont un montant positif.", code="credits_invalides", champ=champ)
    ouverture, cloture = propres.get("ouverture_le"), propres.get("cloture_le")
    if ouverture and cloture and cloture <= ouverture:
        raise Refus("La clôture doit suivre l'ouverture.", code="calendrier_invalide", champ="cloture_le")
    return propres


def creer_campagne(service, valeurs, *, par):
    """A new campaign of the service, seeded with the 2022 call's pieces (annexe 2), missions (§B.2-1) and grid."""
    propres = _verifier(valeurs)
    campagne = aap2022.garnir(Campagne(service_id=service.id, **propres))
    db.session.add(campagne)
    db.session.flush()
    journaliser("campagne.creation", campagne, par=par, details={c: v for c, v in propres.items() if c != "presentation"})
    return campagne


def engage(campagne, rang):
    """What is already granted on budget year `rang`: the COPIL's retenu decisions (year 1), the avenants (2 and
    3). Read from the tables by name: the campaign sits below the domains that grant."""
    tables = db.metadata.tables
    if rang == 1:
        decisions, seances = tables["decisions"], tables["seances"]
        requete = (
            select(func.coalesce(func.sum(type_coerce(decisions.c.montant_accorde, BigInteger)), 0))
            .join(seances, seances.c.id == decisions.c.seance_id)
            .where(seances.c.campagne_id == campagne.id, decisions.c.nature == "retenu")
        )
    else:
        annees, conventions = tables["annees_convention"], tables["conventions"]
        requete = (
            select(func.coalesce(func.sum(type_coerce(annees.c.montant, BigInteger)), 0))
            .join(conventions, conventions.c.id == annees.c.convention_id)
            .where(conventions.c.campagne_id == campagne.id, annees.c.rang == rang)
        )
    return Decimal(int(db.session.scalar(requete))) / 100


def modifier_campagne(campagne, valeurs, *, par):
    propres = _verifier(valeurs | {c: valeurs.get(c, getattr(campagne, c)) for c in ("ouverture_le", "cloture_le")})
    changes = changements(campagne, list(propres), propres)
    if not changes:
        return {}
    regles_changees = [c for c in changes if c not in MODIFIABLES_APRES_DEPOT]
    if regles_changees and figee(campagne):
        raise _refus_figee(campagne, "ses plafonds et son minimum d'ETP")
    if changes.get("publiee", [None, False])[1] and (probleme := probleme_grille(c.maximum for c in campagne.criteres)):
        raise Refus(probleme, code="grille_invalide", champ="publiee")
    for rang, champ in enumerate(CREDITS, start=1):
        if champ in changes and Decimal(changes[champ][1]) < (deja := engage(campagne, rang)):
            raise Refus(
                f"Les crédits de l'année {rang} ne peuvent pas descendre sous ce qui est déjà accordé ({euros(deja)}).",
                code="credits_insuffisants",
                champ=champ,
            )
    for champ, (_, apres) in changes.items():
        setattr(campagne, champ, apres)
    db.session.flush()
    details = {c: ("texte modifié" if c == "presentation" else v) for c, v in changes.items()}
    journaliser("campagne.modification", campagne, par=par, details=details)
    return changes


def _exiger_modifiable(campagne, quoi):
    if figee(campagne):
        raise _refus_figee(campagne, quoi)


def _code(valeur, existants, champ="code"):
    code = (valeur or "").strip().lower()
    if not CODE.match(code):
        raise Refus(
            "Le code s'écrit en minuscules, chiffres et « _ » (par exemple « attestation_ave »).",
            code="code_invalide",
            champ=champ,
        )
    if code in existants:
        raise Refus("Ce code existe déjà dans cette campagne.", code="code_existant", champ=champ)
    return code


def enregistrer_piece(campagne, *, par, piece=None, code=None, libelle, description="", condition="toujours"):
    """Adds (piece=None) or changes a required piece."""
    _exiger_modifiable(campagne, "ses pièces requises")
    if condition not in LIBELLES_CONDITIONS:
        raise Refus("Condition inconnue.", code="condition_inconnue", champ="condition")
    if not (libelle or "").strip():
        raise Refus("Donnez un libellé à la pièce.", code="champ_obligatoire", champ="libelle")
    if piece is None:
        code = _code(code, {p.code for p in campagne.pieces} | {"autre"})
        piece = PieceRequise(code=code, ordre=max([p.ordre for p in campagne.pieces], default=-1) + 1)
        campagne.pieces.append(piece)
        action = "campagne.piece_ajout"
    else:
        action = "campagne.piece_modification"
    avant = [piece.libelle, piece.condition]
    piece.libelle, piece.description, piece.condition = libelle.strip(), (description or "").strip(), condition
    db.session.flush()
    journaliser(
        action, campagne, par=par, details={"code": piece.code, "avant": avant, "apres": [piece.libelle, piece.condition]}
    )
    return piece


def supprimer_piece(piece, *, par):
    campagne = piece.campagne
    _exiger_modifiable(campagne, "ses pièces requises")
    campagne.pieces.remove(piece)
    db.session.flush()
    journaliser("campagne.piece_suppression", campagne, par=par, details={"code": piece.code})


def enregistrer_mission(campagne, *, par, mission=None, poste, libelle):
    _exiger_modifiable(campagne, "ses missions")
    if poste not in ("facilitateur", "coordinateur"):
        raise Refus("Poste inconnu.", code="poste_inconnu", champ="poste")
    if not (libelle or "").strip():
        raise Refus("Donnez un libellé à la mission.", code="champ_obligatoire", champ="libelle")
    if mission is None:
        ordre = max([m.ordre for m in campagne.missions if m.poste == poste], default=-1) + 1
        mission = Mission(poste=poste, ordre=ordre)
        campagne.missions.append(mission)
    avant = [mission.poste, mission.libelle]
    mission.poste, mission.libelle = poste, libelle.strip()
    db.session.flush()
    journaliser(
        "campagne.mission", campagne, par=par, details={"mission": mission.id, "avant": avant, "apres": [poste, mission.libelle]}
    )
    return mission


def supprimer_mission(mission, *, par):
    campagne = mission.campagne
    _exiger_modifiable(campagne, "ses missions")
    campagne.missions.remove(mission)
    db.session.flush()
    journaliser("campagne.mission_suppression", campagne, par=par, details={"mission": mission.libelle})


def enregistrer_critere(campagne, *, par, critere=None, code=None, groupe, libelle, maximum):
    _exiger_modifiable(campagne, "sa grille de notation")
    if not (groupe or "").strip() or not (libelle or "").strip():
        raise Refus("Indiquez le groupe et le libellé du critère.", code="champ_obligatoire", champ="libelle")
    if not isinstance(maximum, int) or not 1 <= maximum <= 100:
        raise Refus("Le maximum est un nombre entier de points entre 1 et 100.", code="maximum_invalide", champ="maximum")
    if critere is None:
        code = _code(code, {c.code for c in campagne.criteres})
        critere = Critere(code=code, ordre=max([c.ordre for c in campagne.criteres], default=-1) + 1)
        campagne.criteres.append(critere)
    avant = [critere.groupe, critere.libelle, critere.maximum]
    critere.groupe, critere.libelle, critere.maximum = groupe.strip(), libelle.strip(), maximum
    db.session.flush()
    journaliser(
        "campagne.critere",
        campagne,
        par=par,
        details={"code": critere.code, "avant": avant, "apres": [critere.groupe, critere.libelle, maximum]},
    )
    return critere


def supprimer_critere(critere, *, par):
    campagne = critere.campagne
    _exiger_modifiable(campagne, "sa grille de notation")
    campagne.criteres.remove(critere)
    db.session.flush()
    journaliser("campagne.critere_suppression", campagne, par=par, details={"code": critere.code})
