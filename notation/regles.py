"""The COPIL's rules as plain functions over plain values: no Flask, no session.

- Scoring (annexe 4): points from 0 to each criterion's maximum, in whole or half points; a comment
  below half the maximum; an overall opinion; the total is the sum of the criteria (100 at most).
- Aggregation (pandas): scores received/expected, mean and median total, mean per criterion and
  per group, standard deviation, disagreement per criterion, optional per-member normalisation.
  Only submitted sheets of members who are not recused count.
- Ranking within the envelope (AAP §C.2: "dans la limite des crédits disponibles"): amounts stay
  Decimal from end to end; pandas only ever sees half-points.
- Decisions: what may be granted (no more than asked, no more than the cap rate of the cost of what is funded,
  no more than the year-1 credits left).

Points are Decimal multiples of 0.5 — exact as floats — so pandas' sums, minima and maxima are exact;
means and deviations are rounded to the hundredth when they come back as Decimal.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import pandas as pd
from babel.dates import format_date

from aap.entrees import lire_decimal
from aap.enums import EnumFr
from aap.formats import euros, nombre_fr, pluriel, pourcentage

ZERO = Decimal("0")
DEMI = Decimal("0.5")
CENTIEME = Decimal("0.01")
CENTIME = Decimal("0.01")
PAS_ETP = Decimal("0.05")
TOTAL_MAX = Decimal("100")
SEUIL_DESACCORD_DEFAUT = Decimal("0.40")
RAPPELS_JOURS_DEFAUT = (7, 2)


def _date_fr(jour):
    return format_date(jour, "d MMMM y", locale="fr_FR")


@dataclass(frozen=True)
class Erreur:
    champ: str | None
    code: str
    message: str


@dataclass(frozen=True)
class CritereGrille:
    """A criterion of annexe 4 as the rules read it."""

    code: str
    groupe: str
    libelle: str
    maximum: Decimal
    ordre: int = 0


def grille_de(criteres):
    """From `aap.models.Critere` rows (or anything with the same attributes)."""
    return tuple(
        CritereGrille(c.code, c.groupe, c.libelle, Decimal(c.maximum), c.ordre)
        for c in sorted(criteres, key=lambda c: (c.ordre, c.code))
    )


def groupes(grille):
    """The groups in the grid's order, each with its criteria and its maximum."""
    resultat = {}
    for critere in grille:
        resultat.setdefault(critere.groupe, []).append(critere)
    return resultat


# --- Saisie des notes ------------------------------------------------------------------------------


def lire_points(texte):
    """A French or English decimal typed by a person ("7,5", "7.5", " 12 ") → (Decimal | None, message | None).
    An empty field is None (a draft may leave a criterion blank)."""
    try:
        return lire_decimal(texte), None
    except ValueError:
        return None, "Indiquez un nombre de points (par exemple 7 ou 7,5)."


def probleme_points(points, maximum):
    """None when `points` is a whole or half point between 0 and `maximum`; otherwise the French reason."""
    if points < 0 or points > maximum:
        return f"Les points vont de 0 à {nombre_fr(maximum)} pour ce critère."
    if (points * 2) != (points * 2).to_integral_value():
        return "Notez en points entiers ou en demi-points (par exemple 7 ou 7,5)."
    return None


def commentaire_requis(points, maximum):
    """A comment explains any score below half the criterion's maximum."""
    return points is not None and points * 2 < maximum


def verifier_feuille(grille, points, commentaires, avis, *, soumission):
    """The problems of a score sheet, field by field. A draft may be incomplete (only the values given are
    checked); a submission needs every criterion, its comments and the overall opinion."""
    erreurs = []
    for critere in grille:
        valeur = points.get(critere.code)
        champ = f"points-{critere.code}"
        if valeur is None:
            if soumission:
                erreurs.append(Erreur(champ, "points_manquants", f"Notez le critère « {critere.libelle} »."))
            continue
        probleme = probleme_points(valeur, critere.maximum)
        if probleme:
            erreurs.append(Erreur(champ, "points_invalides", probleme))
            continue
        if soumission and commentaire_requis(valeur, critere.maximum) and not (commentaires.get(critere.code) or "").strip():
            erreurs.append(
                Erreur(
                    f"commentaire-{critere.code}",
                    "commentaire_requis",
                    f"Expliquez en commentaire une note inférieure à la moitié du maximum "
                    f"({nombre_fr(critere.maximum / 2)} sur {nombre_fr(critere.maximum)}).",
                )
            )
    if soumission and not avis:
        erreurs.append(Erreur("avis", "avis_manquant", "Donnez votre avis global : favorable, réservé ou défavorable."))
    return erreurs


def total(points):
    """The sum of the criteria given (a draft's blanks count for nothing)."""
    return sum((p for p in points if p is not None), ZERO)


# --- Agrégation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeuilleSoumise:
    """A submitted sheet as the aggregation reads it."""

    membre_id: int
    dossier_id: int
    points: Mapping[str, Decimal]
    avis: str | None = None


@dataclass(frozen=True)
class StatCritere:
    code: str
    groupe: str
    libelle: str
    maximum: Decimal
    moyenne: Decimal | None
    mediane: Decimal | None
    minimum: Decimal | None
    plus_haute: Decimal | None
    ecart_type: Decimal | None
    desaccord: bool

    @property
    def ecart(self):
        return None if self.minimum is None else self.plus_haute - self.minimum


@dataclass(frozen=True)
class StatGroupe:
    groupe: str
    maximum: Decimal
    moyenne: Decimal | None


@dataclass(frozen=True)
class AgregatDossier:
    dossier_id: int
    recues: int
    attendues: int
    moyenne: Decimal | None
    mediane: Decimal | None
    ecart_type: Decimal | None
    minimum: Decimal | None
    plus_haute: Decimal | None
    criteres: tuple
    groupes: tuple
    avis: Mapping[str, int]
    normalise: Decimal | None = None

    @property
    def desaccords(self):
        return [c for c in self.criteres if c.desaccord]

    @property
    def complet(self):
        return self.recues >= self.attendues


def _decimal(valeur):
    if valeur is None or (isinstance(valeur, float) and math.isnan(valeur)):
        return None
    return _centiemes(float(valeur) + 0.0)  # -0.0 + 0.0 = 0.0 : un seul zéro dans le cache


def _exact(valeur):
    """A min/max/median of half-points: exact as a float, kept exact."""
    if valeur is None or (isinstance(valeur, float) and math.isnan(valeur)):
        return None
    return _exact_centiemes(float(valeur) + 0.0)


# Un classement de 200 dossiers convertit 10 000 statistiques, qui se répètent beaucoup (des demi-points).
@lru_cache(maxsize=4096)
def _centiemes(valeur):
    return Decimal(valeur).quantize(CENTIEME, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=4096)
def _exact_centiemes(valeur):
    return Decimal(repr(valeur)).quantize(CENTIEME)


def _tableau(grille, feuilles, deportes):
    """One row per counted sheet: member, dossier, one column per criterion (float half-points), total."""
    codes = [c.code for c in grille]
    lignes = [
        {"membre": f.membre_id, "dossier": f.dossier_id, **{code: float(f.points[code]) for code in codes}}
        for f in feuilles
        if (f.membre_id, f.dossier_id) not in deportes and all(f.points.get(code) is not None for code in codes)
    ]
    tableau = pd.DataFrame(lignes, columns=["membre", "dossier", *codes])
    tableau["total"] = tableau[codes].sum(axis=1) if codes else 0.0
    return tableau


def normalisation(tableau):
    """Per member, z-score of each total over the session (how far above or below his own mean, in his
    own standard deviations); per dossier, the mean of its members' z-scores. A member who scored fewer
    than two dossiers, or gave every dossier the same total, has no z-score."""
    if tableau.empty:
        return {}
    par_membre = tableau.groupby("membre")["total"]
    moyennes = par_membre.transform("mean")
    ecarts = par_membre.transform(lambda t: t.std(ddof=0))
    nombres = par_membre.transform("count")
    valides = (nombres >= 2) & (ecarts > 0)
    z = ((tableau["total"] - moyennes) / ecarts).where(valides)
    return {dossier: valeur for dossier, valeur in z.groupby(tableau["dossier"]).mean().items() if not math.isnan(valeur)}


def agreger(grille, feuilles, attendues, deportes=frozenset(), seuil=SEUIL_DESACCORD_DEFAUT):
    """The aggregated scores of each dossier of a session.

    `feuilles`: submitted sheets (`FeuilleSoumise`); `attendues`: {dossier_id: number of members expected
    to score it (members not recused)}; `deportes`: {(membre_id, dossier_id)} whose sheets never count;
    `seuil`: share of a criterion's maximum beyond which members' scores disagree.
    """
    tableau = _tableau(grille, feuilles, deportes)
    normalises = normalisation(tableau)
    avis_par_dossier = {}
    for f in feuilles:
        if (f.membre_id, f.dossier_id) not in deportes and f.avis:
            compte = avis_par_dossier.setdefault(f.dossier_id, {})
            compte[f.avis] = compte.get(f.avis, 0) + 1
    par_groupe = groupes(grille)
    for nom, criteres in par_groupe.items():
        tableau[("groupe", nom)] = tableau[[c.code for c in criteres]].sum(axis=1)
    stats = _stats_par_dossier(tableau, [c.code for c in grille] + ["total"] + [("groupe", nom) for nom in par_groupe])

    def stat(nom, colonne, dossier_id):
        return stats[nom][colonne].get(dossier_id) if stats else None

    resultat = {}
    for dossier_id, nombre_attendu in attendues.items():
        stats_criteres = []
        for critere in grille:
            minimum = _exact(stat("min", critere.code, dossier_id))
            plus_haute = _exact(stat("max", critere.code, dossier_id))
            stats_criteres.append(
                StatCritere(
                    code=critere.code,
                    groupe=critere.groupe,
                    libelle=critere.libelle,
                    maximum=critere.maximum,
                    moyenne=_decimal(stat("mean", critere.code, dossier_id)),
                    mediane=_exact(stat("median", critere.code, dossier_id)),
                    minimum=minimum,
                    plus_haute=plus_haute,
                    ecart_type=_decimal(stat("std", critere.code, dossier_id)),
                    desaccord=minimum is not None and (plus_haute - minimum) > seuil * critere.maximum,
                )
            )
        stats_groupes = [
            StatGroupe(
                groupe=nom,
                maximum=sum((c.maximum for c in criteres), ZERO),
                moyenne=_decimal(stat("mean", ("groupe", nom), dossier_id)),
            )
            for nom, criteres in par_groupe.items()
        ]
        resultat[dossier_id] = AgregatDossier(
            dossier_id=dossier_id,
            recues=stats["size"].get(dossier_id, 0) if stats else 0,
            attendues=nombre_attendu,
            moyenne=_decimal(stat("mean", "total", dossier_id)),
            mediane=_exact(stat("median", "total", dossier_id)),
            ecart_type=_decimal(stat("std", "total", dossier_id)),
            minimum=_exact(stat("min", "total", dossier_id)),
            plus_haute=_exact(stat("max", "total", dossier_id)),
            criteres=tuple(stats_criteres),
            groupes=tuple(stats_groupes),
            avis=avis_par_dossier.get(dossier_id, {}),
            normalise=_decimal(normalises.get(dossier_id)),
        )
    return resultat


def _stats_par_dossier(tableau, colonnes):
    """Each statistic of each column for every dossier at once: {stat: {column: {dossier: value}}} and
    {"size": {dossier: rows}}. One grouped pass per statistic, whatever the number of dossiers (a session
    of 200 dossiers × 8 members costs the same handful of pandas calls as one of 2)."""
    if tableau.empty:
        return {}
    groupe = tableau.groupby("dossier")[colonnes]
    return {
        "mean": groupe.mean().to_dict(),
        "median": groupe.median().to_dict(),
        "min": groupe.min().to_dict(),
        "max": groupe.max().to_dict(),
        "std": groupe.std(ddof=0).to_dict(),
        "size": tableau.groupby("dossier").size().to_dict(),
    }


EXPLICATION_NORMALISATION = (
    "Note normalisée : moyenne, pour chaque membre, de l'écart entre son total et sa propre moyenne de la séance, "
    "en écarts-types ; elle corrige les notateurs plus sévères ou plus généreux et ne remplace pas la moyenne brute."
)


# --- Classement et enveloppe -----------------------------------------------------------------------


class Enveloppe(EnumFr):
    DANS = "dans", "Dans l'enveloppe", "success"
    A_DEPARTAGER = "a_departager", "Ex aequo à départager", "warning"
    HORS = "hors", "Hors enveloppe", "error"
    NON_NOTE = "non_note", "Pas encore noté"


DANS, A_DEPARTAGER, HORS, NON_NOTE = Enveloppe


@dataclass(frozen=True)
class Candidat:
    dossier_id: int
    cle: str  # numéro du dossier : ordre stable d'affichage entre ex aequo
    moyenne: Decimal | None
    montant_demande: Decimal


@dataclass(frozen=True)
class LigneClassement:
    dossier_id: int
    rang: int | None
    ex_aequo: bool
    moyenne: Decimal | None
    montant_demande: Decimal
    cumul: Decimal | None
    enveloppe: Enveloppe
    derniere_dans_enveloppe: bool = False


def classement(candidats, disponible):
    """Dossiers by mean total, best first, with the cumulative amount asked and where the envelope line
    falls: a dossier is within the envelope when the cumulative amount up to it fits in `disponible` (to
    the cent). Equal means share a rank; when the line falls inside a tie, those of the tie that could
    still fit are "à départager" (the COPIL chooses). Dossiers without any score come last, unranked."""
    notes = sorted((c for c in candidats if c.moyenne is not None), key=lambda c: (-c.moyenne, c.cle))
    non_notes = sorted((c for c in candidats if c.moyenne is None), key=lambda c: c.cle)
    lignes, cumul, i = [], ZERO, 0
    while i < len(notes):
        j = i
        while j < len(notes) and notes[j].moyenne == notes[i].moyenne:
            j += 1
        groupe = notes[i:j]
        avant = cumul
        fin = avant + sum((c.montant_demande for c in groupe), ZERO)
        for candidat in groupe:
            cumul += candidat.montant_demande
            if fin <= disponible:
                enveloppe = DANS
            elif avant + candidat.montant_demande <= disponible and len(groupe) > 1:
                enveloppe = A_DEPARTAGER
            else:
                enveloppe = HORS
            lignes.append(
                LigneClassement(
                    dossier_id=candidat.dossier_id,
                    rang=i + 1,
                    ex_aequo=len(groupe) > 1,
                    moyenne=candidat.moyenne,
                    montant_demande=candidat.montant_demande,
                    cumul=cumul,
                    enveloppe=enveloppe,
                )
            )
        i = j
    dernieres = [k for k, ligne in enumerate(lignes) if ligne.enveloppe == DANS]
    if dernieres:
        k = dernieres[-1]
        lignes[k] = LigneClassement(**{**lignes[k].__dict__, "derniere_dans_enveloppe": True})
    for candidat in non_notes:
        lignes.append(LigneClassement(candidat.dossier_id, None, False, None, candidat.montant_demande, None, NON_NOTE))
    return lignes


def credits_restants(credits, montants_accordes):
    """The campaign's envelope minus what retenu decisions already granted."""
    return credits - sum((Decimal(m) for m in montants_accordes), ZERO)


# --- Décisions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demande:
    """What the dossier asked: the amount (year 1), the ETP per post, the year-1 cost of the filed budget and the
    State's cap rate for it (§B.2-3, from the filing)."""

    montant: Decimal
    etp_facilitateur: Decimal
    etp_coordinateur: Decimal
    cout: Decimal
    taux: Decimal

    @property
    def etp_total(self):
        return self.etp_facilitateur + self.etp_coordinateur


@dataclass(frozen=True)
class PlafondDecision:
    """The most a decision may grant: the cap rate of the cost of what is funded."""

    maximum: Decimal
    cout_finance: Decimal
    revise: bool


def plafond_decision(demande, etp_accordes, cout_retenu=None):
    """AAP §B.2-3: the State funds at most its cap rate of the cost of the ETP it funds. That cost is a revised
    budget entered with the decision, or else the filed year-1 cost prorated to the ETP granted (rounded down to
    the cent: granting 0,5 of 1,0 ETP asked funds half the cost)."""
    if cout_retenu is not None:
        return PlafondDecision((demande.taux * cout_retenu).quantize(CENTIME, rounding=ROUND_DOWN), cout_retenu, True)
    if demande.etp_total <= 0:
        return PlafondDecision(ZERO, ZERO, False)
    part = Decimal(etp_accordes) / demande.etp_total
    return PlafondDecision(
        (demande.taux * demande.cout * part).quantize(CENTIME, rounding=ROUND_DOWN),
        (demande.cout * part).quantize(CENTIME, rounding=ROUND_DOWN),
        False,
    )


def message_plafond(plafond, demande, etp_accordes, annee=1, sujet="Le montant accordé"):
    """The French message naming the maximum and where it comes from. `annee`: the budget year whose cost is
    funded (1 for a decision, 2 or 3 for an avenant)."""
    if plafond.revise:
        origine = f"{euros(plafond.cout_finance)} selon le budget révisé"
    elif etp_accordes == demande.etp_total:
        origine = f"{euros(plafond.cout_finance)} en année {annee} selon le budget déposé"
    else:
        origine = (
            f"{euros(plafond.cout_finance)} : {euros(demande.cout)} de coût en année {annee} pour "
            f"{pluriel(demande.etp_total, 'ETP demandé', 'ETP demandés')}, ramenés à "
            f"{pluriel(etp_accordes, 'ETP accordé', 'ETP accordés')}"
        )
    return (
        f"{sujet} ne peut pas dépasser {euros(plafond.maximum)} : {pourcentage(demande.taux)} du coût de ce "
        f"qui est financé ({origine}, AAP §B.2-3). Réduisez le montant, ou indiquez le budget révisé de l'action."
    )


def _multiple(valeur, pas):
    return (valeur / pas) == (valeur / pas).to_integral_value()


def verifier_decision(
    nature,
    demande,
    disponible,
    *,
    montant_accorde=None,
    etp_facilitateur=ZERO,
    etp_coordinateur=ZERO,
    cout_retenu=None,
    motif="",
    etp_minimum=DEMI,
):
    """The problems of a decision, field by field. `disponible`: the campaign's year-1 credits left for this dossier
    (its own previous grant, if any, already given back); `cout_retenu`: a revised budget of what is funded."""
    erreurs = []
    if nature == "retenu":
        montant_lisible = False
        if montant_accorde is None:
            erreurs.append(Erreur("montant_accorde", "montant_manquant", "Indiquez le montant accordé."))
        elif montant_accorde <= 0:
            erreurs.append(Erreur("montant_accorde", "montant_invalide", "Le montant accordé doit être positif."))
        elif not _multiple(montant_accorde, CENTIME):
            erreurs.append(Erreur("montant_accorde", "montant_invalide", "Le montant s'exprime en euros et centimes."))
        elif montant_accorde > demande.montant:
            erreurs.append(
                Erreur(
                    "montant_accorde",
                    "superieur_a_la_demande",
                    f"Le montant accordé ne peut pas dépasser le montant demandé ({euros(demande.montant)}).",
                )
            )
        else:
            montant_lisible = True
        if cout_retenu is not None and (cout_retenu <= 0 or not _multiple(cout_retenu, CENTIME)):
            erreurs.append(Erreur("cout_retenu", "montant_invalide", "Le budget révisé s'exprime en euros et centimes, positif."))
            montant_lisible = False
        for champ, valeur, demande_poste, libelle in (
            ("etp_facilitateur", etp_facilitateur, demande.etp_facilitateur, "facilitateur"),
            ("etp_coordinateur", etp_coordinateur, demande.etp_coordinateur, "coordinateur régional"),
        ):
            if valeur < 0 or not _multiple(valeur, PAS_ETP):
                erreurs.append(Erreur(champ, "etp_invalide", "Les ETP s'expriment par pas de 0,05 (par exemple 0,5 ou 0,75)."))
            elif valeur > demande_poste:
                erreurs.append(
                    Erreur(
                        champ,
                        "etp_superieur_a_la_demande",
                        f"Pas plus d'ETP de {libelle} que demandé ({nombre_fr(demande_poste)} ETP).",
                    )
                )
        etp_lisibles = not any(e.champ in ("etp_facilitateur", "etp_coordinateur") for e in erreurs)
        if etp_lisibles and etp_facilitateur + etp_coordinateur < etp_minimum:
            erreurs.append(
                Erreur(
                    "etp_facilitateur",
                    "etp_minimum",
                    f"Un projet finance au moins {nombre_fr(etp_minimum)} ETP (AAP §B.2-1).",
                )
            )
        if montant_lisible and etp_lisibles:
            etp_accordes = etp_facilitateur + etp_coordinateur
            plafond = plafond_decision(demande, etp_accordes, cout_retenu)
            if montant_accorde > plafond.maximum:
                erreurs.append(Erreur("montant_accorde", "plafond_depasse", message_plafond(plafond, demande, etp_accordes)))
            elif montant_accorde > disponible:
                erreurs.append(
                    Erreur(
                        "montant_accorde",
                        "credits_insuffisants",
                        f"Crédits insuffisants : il reste {euros(max(disponible, ZERO))} sur les crédits de l'année 1 "
                        f"de la campagne, le montant accordé ({euros(montant_accorde)}) les dépasserait de "
                        f"{euros(montant_accorde - disponible)}. Réduisez le montant ou ajournez le dossier.",
                    )
                )
    elif nature in ("ajourne", "rejete"):
        if not (motif or "").strip():
            quoi = "l'ajournement" if nature == "ajourne" else "le rejet"
            erreurs.append(Erreur("motif", "motif_manquant", f"Indiquez le motif de {quoi} : il figure dans la lettre."))
    else:
        erreurs.append(Erreur("nature", "nature_invalide", "Choisissez : retenu, ajourné ou rejeté."))
    return erreurs


# --- Séances -------------------------------------------------------------------------------------


def trimestre_de(instant, fuseau):
    """(year, quarter) of an instant, judged in the service's time zone."""
    local = instant.astimezone(ZoneInfo(fuseau))
    return local.year, (local.month - 1) // 3 + 1


def rappel_du(tenue_le, instant, fuseau, delais=RAPPELS_JOURS_DEFAUT):
    """Which reminder is due now (its number of days before the session), or None: the smallest delay
    not yet passed, so that a reminder missed by a day is not sent after a later one."""
    zone = ZoneInfo(fuseau)
    jours = (tenue_le.astimezone(zone).date() - instant.astimezone(zone).date()).days
    if jours < 0:
        return None
    dus = [n for n in delais if jours <= n]
    return min(dus) if dus else None


@dataclass(frozen=True)
class EtatSeance:
    """What the phase changes need to know about a session."""

    phase: str
    dossiers: int
    membres: int
    sans_decision: tuple = field(default_factory=tuple)


SUIVANTE = {"preparation": "notation", "notation": "deliberation", "deliberation": "close"}


def probleme_transition(etat, vers):
    """None when the session may move to phase `vers`; otherwise the French reason."""
    if SUIVANTE.get(etat.phase) != vers:
        libelles = {
            "preparation": "en préparation",
            "notation": "en notation",
            "deliberation": "en délibération",
            "close": "close",
        }
        return f"La séance est {libelles.get(etat.phase, etat.phase)} : ce changement de phase n'est pas possible."
    if vers == "notation":
        if etat.dossiers == 0:
            return "Inscrivez au moins un dossier à l'ordre du jour avant d'ouvrir la notation."
        if etat.membres == 0:
            return "Invitez au moins un membre avant d'ouvrir la notation."
    if vers == "close" and etat.sans_decision:
        return (
            "Chaque dossier de l'ordre du jour doit avoir sa décision avant la clôture ; il manque : "
            + ", ".join(etat.sans_decision)
            + "."
        )
    return None


def probleme_avant_la_date(tenue_le, instant, vers, motif, fuseau):
    """None when the session may deliberate or close now; otherwise the French reason. Before the session's day
    (in the service's time zone) it may only with a reason, which the minutes print: the minutes and the letters
    must not report a meeting that has not happened."""
    zone = ZoneInfo(fuseau)
    jour, seance_le = instant.astimezone(zone).date(), tenue_le.astimezone(zone).date()
    if jour >= seance_le or (motif or "").strip():
        return None
    quoi = "délibérer" if vers == "deliberation" else "être close"
    return (
        f"La séance est prévue le {_date_fr(seance_le)} : elle ne peut pas {quoi} avant sa date. Si elle s'est tenue "
        "plus tôt, corrigez sa date ; sinon indiquez le motif, qui figurera au procès-verbal."
    )


def message_notes_manquantes(manquantes):
    """`manquantes`: [(name, number of dossiers not scored)]. The confirmation asked before closing."""
    noms = ", ".join(f"{nom} ({n} dossier{'s' if n > 1 else ''})" for nom, n in manquantes)
    return (
        f"Des notes manquent : {noms} n'{'a' if len(manquantes) == 1 else 'ont'} pas soumis toutes "
        f"{'ses' if len(manquantes) == 1 else 'leurs'} notes. Après "
        "la clôture, plus aucune note ne pourra être remise ; confirmez la clôture pour clore quand même (les notes "
        "manquantes figureront au procès-verbal)."
    )


def trimestre_precedent(jour):
    """(year, quarter, first day, last day) of the calendar quarter before the one of `jour`."""
    annee, trimestre = (jour.year, (jour.month - 1) // 3) if jour.month > 3 else (jour.year - 1, 4)
    debut = date(annee, 3 * (trimestre - 1) + 1, 1)
    fin = (date(annee + 1, 1, 1) if trimestre == 4 else date(annee, 3 * trimestre + 1, 1)) - timedelta(days=1)
    return annee, trimestre, debut, fin


@dataclass(frozen=True)
class TrimestreSansCopil:
    """AAP §C.2 (« a minima une fois par trimestre »): a calendar quarter ended with recevable dossiers waiting and
    no COPIL session held."""

    annee: int
    trimestre: int
    fin: date
    dossiers: int

    @property
    def libelle(self):
        ordinal = "1er" if self.trimestre == 1 else f"{self.trimestre}e"
        return (
            f"Aucun COPIL ne s'est tenu au {ordinal} trimestre {self.annee} alors que {self.dossiers} dossier"
            f"{'s' if self.dossiers > 1 else ''} recevable{'s' if self.dossiers > 1 else ''} attend"
            f"{'ent' if self.dossiers > 1 else ''} (AAP §C.2 : a minima une fois par trimestre) : réunissez le COPIL."
        )


def trimestre_sans_copil(jour, dossiers_en_attente, trimestres_tenus):
    """The last ended quarter if it ended with dossiers waiting (`dossiers_en_attente`: the recevable dates of the
    dossiers still waiting) and no session held in it (`trimestres_tenus`: {(year, quarter)}), else None."""
    annee, trimestre, _, fin = trimestre_precedent(jour)
    attendent = sum(1 for recevable_le in dossiers_en_attente if recevable_le is not None and recevable_le <= fin)
    if attendent == 0 or (annee, trimestre) in trimestres_tenus:
        return None
    return TrimestreSansCopil(annee, trimestre, fin, attendent)


def est_https(url):
    return url.startswith("https://") and len(url) > len("https://") and not any(c.isspace() for c in url)


def verifier_seance(tenue_le, lieu, lien_visio, instant: datetime | None = None):
    erreurs = []
    if not (lieu or "").strip() and not (lien_visio or "").strip():
        erreurs.append(Erreur("lieu", "lieu_manquant", "Indiquez un lieu ou un lien de visioconférence."))
    if (lien_visio or "").strip() and not est_https(lien_visio.strip()):
        erreurs.append(Erreur("lien_visio", "lien_invalide", "Le lien de visioconférence commence par https:// (sans espace)."))
    if tenue_le is not None and not 2000 <= tenue_le.year <= 2199:
        erreurs.append(Erreur("tenue_le", "date_invalide", "Indiquez une date de séance entre 2000 et 2199."))
    elif instant is not None and tenue_le is not None and tenue_le < instant:
        erreurs.append(Erreur("tenue_le", "date_passee", "La date de la séance est passée : choisissez une date à venir."))
    return erreurs
