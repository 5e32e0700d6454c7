"""The grid of annexe 4 and the scores a member enters: points from 0 to each criterion's maximum, in whole or half
points; a comment below half the maximum; an overall opinion; the total is the sum of the criteria (100 at most)."""

from dataclasses import dataclass
from decimal import Decimal

from aap.entrees import lire_decimal
from aap.formats import nombre_fr

from .communs import ZERO, Erreur

TOTAL_MAX = Decimal("100")


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
