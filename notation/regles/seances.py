"""Sessions: their quarter, their phases, the reminders before them, the quarters that passed without one."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from .communs import Erreur

RAPPELS_JOURS_DEFAUT = (7, 2)


def _date_fr(jour):
    return format_date(jour, "d MMMM y", locale="fr_FR")


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
