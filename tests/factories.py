"""Factories for every model: each call creates valid rows (overridable field by field) and commits."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from werkzeug.security import generate_password_hash

from aap import aap2022
from aap.demo import siret_valide
from aap.models import Campagne, Courriel, JetonApi, Service, Utilisateur
from aap.securite import empreinte_jeton, generer_jeton_api, nouveau_jeton_session
from aap.types import maintenant
from candidatures.models import Structure

from .fabrique_candidatures import FabriqueCandidatures
from .fabrique_conventions import FabriqueConventions
from .fabrique_notation import FabriqueNotation

MOT_DE_PASSE = "une phrase de passe pour les tests"
_HASH = generate_password_hash(MOT_DE_PASSE, method="pbkdf2:sha256:1000")
# À partir de 100 : les comptes fabriqués ne prennent pas les adresses du monde de démonstration (porteur2@…, copil2@…).
_compteur = itertools.count(100)


# Deux services complets : ce que l'un règle ne doit jamais paraître dans les documents de l'autre.
SERVICES = {
    "976": {
        "intitule_officiel": "Préfet de Mayotte",
        "prefet": "préfet de Mayotte",
        "departements": "976",
        "fuseau": "Indian/Mayotte",
        "adresse": "Rue de l'Hôpital, BP 1003",
        "code_postal": "97600",
        "commune": "Mamoudzou",
        "telephone": "02 69 61 00 00",
        "lieu_signature": "Mamoudzou",
        "signataire_prenom": "Ahmed",
        "signataire_nom": "Soilihi",
        "signataire_qualite": "directeur de l'économie, de l'emploi, du travail et des solidarités",
        "tribunal": "tribunal administratif de Mayotte",
        "siret": "13000976400015",
    },
    "974": {
        "nom": "DEETS de La Réunion",
        "intitule_officiel": "Préfet de La Réunion",
        "prefet": "préfet de La Réunion",
        "departements": "974",
        "fuseau": "Indian/Reunion",
        "adresse": "112, rue de la République",
        "code_postal": "97488",
        "commune": "Saint-Denis Cedex",
        "telephone": "02 62 94 07 07",
        "lieu_signature": "Saint-Denis",
        "signataire_prenom": "Marie",
        "signataire_nom": "Hoarau",
        "signataire_qualite": "directrice de l'économie, de l'emploi, du travail et des solidarités",
        "tribunal": "tribunal administratif de La Réunion",
        "siret": "13000974900016",
    },
}


def siret_unique():
    return siret_valide(f"{30_000_000 + next(_compteur):08d}")


class Fabrique(FabriqueCandidatures, FabriqueNotation, FabriqueConventions):
    """`fab.utilisateur(...)`, `fab.campagne(...)`…: one method per model; each domain adds its own
    in `tests/fabrique_<domaine>.py`."""

    def __init__(self, session):
        self.session = session

    def _ajouter(self, objet):
        # Validé tout de suite : l'application servie (autre connexion) doit voir ce que le test prépare.
        self.session.add(objet)
        self.session.commit()
        return objet

    def service(self, code="976", **champs):
        existant = self.session.query(Service).filter_by(code=code).one_or_none()
        if existant:
            return existant
        valeurs = {"nom": f"DEETS {code}", "courriel": f"contact-{code}@deets.gouv.fr"} | SERVICES.get(code, SERVICES["976"])
        return self._ajouter(Service(code=code, **(valeurs | champs)))

    def structure(self, service=None, **champs):
        service = service or self.service()
        valeurs = {
            "siret": siret_unique(),
            "raison_sociale": f"Structure {next(_compteur)}",
            "statut_juridique": "association",
            "emergente": False,
        }
        return self._ajouter(Structure(service_id=service.id, **(valeurs | champs)))

    def utilisateur(self, role="porteur", service=None, structure=None, **champs):
        if role != "national":
            service = service or (structure.service if structure else self.service())
        if role == "porteur" and structure is None:
            structure = self.structure(service=service)
        numero = next(_compteur)
        valeurs = {
            "email": f"{role}.{numero}@exemple.fr",  # jamais celle d'un compte de la démonstration (porteur3@…)
            "prenom": "Prénom",
            "nom": f"Nom{numero}",
            "mot_de_passe_hash": _HASH,
            "email_confirme_le": maintenant(),
            "rattachement_valide": structure is not None,
            "actif": True,
        }
        return self._ajouter(
            Utilisateur(
                role=role,
                service_id=service.id if service and role != "national" else None,
                structure_id=structure.id if structure else None,
                jeton_session=nouveau_jeton_session(),
                **(valeurs | champs),
            )
        )

    def campagne(self, service=None, etat="ouverte", **champs):
        """A campaign seeded like the 2022 call; `etat` places today inside or after its calendar."""
        service = service or self.service()
        instant = maintenant()
        ouverture, cloture = {
            "ouverte": (instant - timedelta(days=30), instant + timedelta(days=60)),
            "cloturee": (instant - timedelta(days=200), instant - timedelta(days=100)),
            "a_venir": (instant + timedelta(days=10), instant + timedelta(days=100)),
        }[etat]
        valeurs = {
            "titre": aap2022.TITRE,
            "annee": ouverture.year,
            "presentation": aap2022.PRESENTATION,
            "ouverture_le": ouverture.replace(microsecond=0),
            "cloture_le": cloture.replace(second=0, microsecond=0),
            "credits": Decimal("150000.00"),
            "courriel_contact": service.courriel,
        }
        valeurs |= champs
        # Les crédits des années 2 et 3 : ceux de l'année 1, sauf mention contraire.
        valeurs = {"credits_annee2": valeurs["credits"], "credits_annee3": valeurs["credits"]} | valeurs
        return self._ajouter(aap2022.garnir(Campagne(service_id=service.id, **valeurs)))

    def jeton(self, utilisateur, expire_le=None, revoque_le=None):
        """Returns (token in clear, its row)."""
        clair = generer_jeton_api()
        jeton = JetonApi(
            utilisateur_id=utilisateur.id,
            nom="jeton de test",
            prefixe=clair[:12],
            empreinte=empreinte_jeton(clair),
            expire_le=expire_le or maintenant() + timedelta(days=30),
            revoque_le=revoque_le,
        )
        return clair, self._ajouter(jeton)

    def courriel(self, service=None, destinataire="destinataire@exemple.fr", **champs):
        """A message in the outbox (about `service`), as `aap.courriels.mettre_en_file` writes it."""
        valeurs = {"sujet": "Sujet de test", "texte": "Bonjour,\n\nTexte de test."}
        service_id = service.id if service else None
        return self._ajouter(Courriel(destinataire=destinataire, service_id=service_id, **(valeurs | champs)))


def a_mayotte(annee, mois, jour, heure=0, minute=0, seconde=0):
    return datetime(annee, mois, jour, heure, minute, seconde, tzinfo=aap2022.MAYOTTE)
