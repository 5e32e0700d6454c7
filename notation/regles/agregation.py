"""Aggregation (pandas): scores received/expected, mean and median total, mean per criterion and per group, standard
deviation, disagreement per criterion, optional per-member normalisation. Only submitted sheets of members who are
not recused count.

Points are Decimal multiples of 0.5 — exact as floats — so pandas' sums, minima and maxima are exact; means and
deviations are rounded to the hundredth when they come back as Decimal.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import pandas as pd

from .communs import CENTIEME, ZERO
from .notes import groupes

SEUIL_DESACCORD_DEFAUT = Decimal("0.40")


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
    avis = _avis_par_dossier(feuilles, deportes)
    par_groupe = groupes(grille)
    for nom, criteres in par_groupe.items():
        tableau[("groupe", nom)] = tableau[[c.code for c in criteres]].sum(axis=1)
    stats = _stats_par_dossier(tableau, [c.code for c in grille] + ["total"] + [("groupe", nom) for nom in par_groupe])
    resultat = {}
    for dossier_id, nombre_attendu in attendues.items():

        def stat(nom, colonne, dossier_id=dossier_id):
            return stats[nom][colonne].get(dossier_id) if stats else None

        resultat[dossier_id] = AgregatDossier(
            dossier_id=dossier_id,
            recues=stats["size"].get(dossier_id, 0) if stats else 0,
            attendues=nombre_attendu,
            moyenne=_decimal(stat("mean", "total")),
            mediane=_exact(stat("median", "total")),
            ecart_type=_decimal(stat("std", "total")),
            minimum=_exact(stat("min", "total")),
            plus_haute=_exact(stat("max", "total")),
            criteres=tuple(_stat_critere(critere, stat, seuil) for critere in grille),
            groupes=tuple(
                StatGroupe(
                    groupe=nom,
                    maximum=sum((c.maximum for c in criteres), ZERO),
                    moyenne=_decimal(stat("mean", ("groupe", nom))),
                )
                for nom, criteres in par_groupe.items()
            ),
            avis=avis.get(dossier_id, {}),
            normalise=_decimal(normalises.get(dossier_id)),
        )
    return resultat


def _avis_par_dossier(feuilles, deportes):
    """{dossier_id: {opinion: number of counted sheets giving it}}."""
    resultat = {}
    for f in feuilles:
        if (f.membre_id, f.dossier_id) not in deportes and f.avis:
            compte = resultat.setdefault(f.dossier_id, {})
            compte[f.avis] = compte.get(f.avis, 0) + 1
    return resultat


def _stat_critere(critere, stat, seuil):
    """One criterion's statistics for a dossier (`stat(name, column)` reads them); members disagree when their
    scores lie further apart than `seuil` of its maximum."""
    minimum = _exact(stat("min", critere.code))
    plus_haute = _exact(stat("max", critere.code))
    return StatCritere(
        code=critere.code,
        groupe=critere.groupe,
        libelle=critere.libelle,
        maximum=critere.maximum,
        moyenne=_decimal(stat("mean", critere.code)),
        mediane=_exact(stat("median", critere.code)),
        minimum=minimum,
        plus_haute=plus_haute,
        ecart_type=_decimal(stat("std", critere.code)),
        desaccord=minimum is not None and (plus_haute - minimum) > seuil * critere.maximum,
    )


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
