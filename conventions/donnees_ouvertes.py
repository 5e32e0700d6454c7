"""Open data of the grants (décret n° 2017-779, loi n° 2000-321 art. 10): one line per signed year above 23 000 €,
in the SCDL « subventions » 2.1.1 schema; the agents' export and each service's public page."""

import csv
import io
from datetime import date

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from aap.exports import cellule_csv
from candidatures.models import Dossier

from . import lecture, regles
from .models import AnneeConvention, Convention
from .tableau import _perimetre

COLONNES_SCDL = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]


OBJET_MAX = 255  # SCDL : « limitée à 256 caractères » ; 255 tient dans tout champ VARCHAR(255) qui le reçoit
LICENCE = ("Licence Ouverte / Open Licence version 2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/")


def _tronque(texte, longueur):
    if len(texte) <= longueur:
        return texte
    return texte[: longueur - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"


def _objet(convention, annee):
    """The grant's purpose, within the schema's length: the project's title is shortened, never the year."""
    suite = f" — {annee.intitule.lower()}, année {annee.rang}"
    titre = convention.dossier.titre
    # Une apostrophe précède un texte qui commencerait par = + - @ : elle compte dans la longueur.
    place = OBJET_MAX - len(suite) - (1 if cellule_csv(titre) != titre else 0)
    return cellule_csv(_tronque(titre, place) + suite)


def lignes_scdl(conventions):
    """One line per signed year (the convention, then each avenant) whose grant is above 23 000 € (décret
    n° 2017-779, art. 1er), in the SCDL « subventions » schema (2.1.1)."""
    lignes = []
    for convention in conventions:
        for annee in convention.annees:
            if annee.signee_le is None or annee.montant <= regles.SEUIL_DONNEES_OUVERTES:
                continue
            lignes.append(
                {
                    "nomAttribuant": convention.service.nom,
                    "idAttribuant": convention.service.siret,
                    "dateConvention": annee.signee_le.isoformat(),
                    "referenceDecision": convention.numero if annee.rang == 1 else f"{convention.numero}-A{annee.rang - 1}",
                    "nomBeneficiaire": cellule_csv(convention.beneficiaire.raison_sociale),
                    "idBeneficiaire": convention.beneficiaire.siret,
                    "rnaBeneficiaire": "",
                    "objet": _objet(convention, annee),
                    "montant": f"{annee.montant:.2f}",
                    "nature": "aide en numéraire",
                    "conditionsVersement": "échelonné",
                    # Versement échelonné : la période, deux dates ISO 8601 séparées par une barre oblique.
                    "datesPeriodeVersement": f"{annee.debut.isoformat()}/{annee.fin.isoformat()}",
                    "idRAE": "",
                    "notificationUE": "non",
                    # La part du bénéficiaire dans la subvention : il est seul (et non la part de l'État dans le coût).
                    "pourcentageSubvention": "1.00",
                    # Identifiant du schéma des dispositifs d'aide (data.gouv.fr) : l'appel à projets n'y est pas inscrit.
                    "dispositifAide": "",
                }
            )
    return lignes


def _conventions_scdl(service_ids):
    requete = select(Convention).options(
        joinedload(Convention.dossier).selectinload(Dossier.depots),
        selectinload(Convention.annees).selectinload(AnneeConvention.bilans),
    )
    if service_ids is not None:
        requete = requete.where(Convention.service_id.in_(service_ids))
    return lecture.conventions_de(requete)


def csv_scdl(lignes):
    sortie = io.StringIO()
    ecrivain = csv.DictWriter(sortie, fieldnames=COLONNES_SCDL, lineterminator="\n")
    ecrivain.writeheader()
    ecrivain.writerows(lignes)
    return sortie.getvalue().encode("utf-8")


def reponse_csv(contenu, nom):
    reponse = Response(contenu, mimetype="text/csv")
    reponse.headers["Content-Disposition"] = f'attachment; filename="{nom}"'
    reponse.headers["X-Content-Type-Options"] = "nosniff"
    return reponse


def donnees_ouvertes(utilisateur, service_id=None):
    lignes = lignes_scdl(_conventions_scdl(_perimetre(utilisateur, service_id)))
    return reponse_csv(csv_scdl(lignes), "subventions-conventions.csv")


def publication(service):
    """What a service publishes (décret n° 2017-779): its lines, and the day they last changed (the latest
    signature they carry)."""
    lignes = lignes_scdl(_conventions_scdl([service.id]))
    mise_a_jour = max((date.fromisoformat(ligne["dateConvention"]) for ligne in lignes), default=None)
    return lignes, mise_a_jour
