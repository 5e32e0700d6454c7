"""Rules of the foundation, as plain functions: passwords, SIRET, a campaign's calendar."""

import calendar
import re
from datetime import date, timedelta

from stdnum.fr import siret as stdnum_siret
from zxcvbn import zxcvbn

from .enums import EnumFr

LONGUEUR_MIN_MOT_DE_PASSE = 12
ESSAIS_LOG10_MIN = 10  # au moins 10^10 essais estimés par zxcvbn pour le deviner


def probleme_mot_de_passe(mot_de_passe, indices=()):
    """None when the password is acceptable, otherwise the French reason."""
    if len(mot_de_passe) < LONGUEUR_MIN_MOT_DE_PASSE:
        return f"Le mot de passe doit compter au moins {LONGUEUR_MIN_MOT_DE_PASSE} caractères."
    # Chaque morceau d'une adresse ou d'un nom compte : « nassur.attoumani@… » donne nassur, attoumani…
    indices = [mot for indice in indices if indice for mot in re.split(r"\W+", indice.lower()) if len(mot) > 2]
    # zxcvbn compare aux mots de passe les plus courants, aux mots du dictionnaire et aux indices donnés ;
    # il refuse (ValueError) au-delà de 72 caractères : une phrase plus longue est jugée sur son début.
    if zxcvbn(mot_de_passe[:72], user_inputs=indices)["guesses_log10"] < ESSAIS_LOG10_MIN:
        return "Ce mot de passe est trop courant ou trop facile à deviner : allongez-le avec des mots sans lien entre eux."
    return None


def normaliser_siret(valeur):
    return stdnum_siret.compact(valeur or "")


def probleme_siret(valeur):
    numero = normaliser_siret(valeur)
    if not numero.isdigit() or len(numero) != 14:
        return "Le SIRET compte 14 chiffres."
    if not stdnum_siret.is_valid(numero):
        return "Ce SIRET n'est pas valide : vérifiez les 14 chiffres (clé de contrôle incorrecte)."
    return None


def probleme_fuseau(nom):
    from zoneinfo import available_timezones

    if nom not in available_timezones():
        return "Fuseau horaire inconnu : écrivez son nom IANA, par exemple Indian/Reunion ou Europe/Paris."
    return None


DEPARTEMENT = re.compile(r"\d{2,3}|2[AB]")


def probleme_departements(codes):
    """None when every code is a département's INSEE code (01…95, 2A, 2B, 971…976)."""
    if not codes:
        return "Indiquez au moins un département."
    fautifs = [c for c in codes if not DEPARTEMENT.fullmatch(c)]
    if fautifs:
        return f"Code de département invalide : {fautifs[0]} (deux ou trois chiffres, 2A ou 2B)."
    return None


# Conditions sous lesquelles une pièce de la campagne est exigée : l'administrateur les choisit, le domaine des
# candidatures les juge sur chaque dossier (`candidatures.regles.CONDITIONS_PIECES`, mêmes codes).
LIBELLES_CONDITIONS = {
    "toujours": "Tous les candidats",
    "association_soumise_cac": "Associations tenues d'avoir un commissaire aux comptes",
    "existante": "Structures déjà porteuses de facilitateurs ou de coordinateurs",
    "attestation_ave": "Structures existantes (hors collectivités) candidates à la coordination régionale "
    "ou à un poste de facilitateur en zone blanche",
    "coordinateur_emergente": "Structures émergentes candidates à la coordination régionale",
    "zone_blanche_emergente": "Structures émergentes candidates à un poste de facilitateur en zone blanche",
}


TOTAL_GRILLE = 100


def probleme_grille(maxima):
    """Annexe 4: the scoring grid is out of 100 points. None when its criteria's maxima add up to 100; otherwise the
    French reason."""
    total = sum(maxima)
    if total == TOTAL_GRILLE:
        return None
    return (
        f"La grille de notation totalise {total} points : les maxima de ses critères doivent faire {TOTAL_GRILLE} "
        "(annexe 4). Corrigez-la dans l'administration de la campagne."
    )


class EtatCampagne(EnumFr):
    A_VENIR = "a_venir", "À venir", "info"
    OUVERTE = "ouverte", "Ouverte", "success"
    CLOTUREE = "cloturee", "Clôturée"


def ajouter_mois(jour, mois):
    """`jour` moved by `mois` months; the day is clamped to the month's length (31 Jan + 1 month = 28/29 Feb)."""
    total = jour.year * 12 + jour.month - 1 + mois
    annee, mois_ = divmod(total, 12)
    dernier = calendar.monthrange(annee, mois_ + 1)[1]
    return date(annee, mois_ + 1, min(jour.day, dernier))


def fin_des_depots(cloture_le):
    """The closing time is a minute (31 October 23:59): files are taken until its last second."""
    return cloture_le + timedelta(minutes=1)


def etat_campagne(ouverture_le, cloture_le, instant):
    if instant < ouverture_le:
        return EtatCampagne.A_VENIR
    if instant < fin_des_depots(cloture_le):
        return EtatCampagne.OUVERTE
    return EtatCampagne.CLOTUREE
