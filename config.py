"""Configuration: one class per environment, every setting overridable by an environment variable.

`AAP_ENV` chooses the class (`development` by default, `production`, `test`). Each setting below
reads the environment variable of the same name; the README lists them all.
"""

import os
from pathlib import Path

RACINE = Path(__file__).resolve().parent


def env(nom, defaut=None):
    return os.environ.get(nom, defaut)


def env_int(nom, defaut):
    return int(os.environ.get(nom, defaut))


def env_bool(nom, defaut):
    valeur = os.environ.get(nom)
    if valeur is None:
        return defaut
    return valeur.strip().lower() in {"1", "true", "oui", "yes", "on"}


def url_base_de_donnees(url):
    """Accepts the usual `postgres://` URLs of hosting platforms and picks the psycopg 3 driver."""
    if url and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = url_base_de_donnees(env("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Où sont rangés les fichiers déposés (pièces, bilans, conventions signées) et les sauvegardes.
    FICHIERS_DIR = env("FICHIERS_DIR", str(RACINE / "instance" / "fichiers"))
    # `local` (FICHIERS_DIR) ou la classe d'un autre magasin, `module:Classe` (voir aap/fichiers.py, docs/production.md).
    FICHIERS_STOCKAGE = env("FICHIERS_STOCKAGE", "local")
    TAILLE_MAX_PIECE = env_int("TAILLE_MAX_PIECE", 20 * 1024 * 1024)
    # Un peu de marge au-dessus d'une pièce pour les autres champs du formulaire.
    MAX_CONTENT_LENGTH = TAILLE_MAX_PIECE + 1024 * 1024

    # Pour les pages sans service (accueil, pages publiques) ; une page, un courriel ou un document d'un service
    # s'affiche dans le fuseau de ce service (Service.fuseau).
    FUSEAU = env("FUSEAU", "Indian/Mayotte")
    # Nom et bloc-marque de la plateforme dans l'en-tête des pages (ceux de chaque service sur ses documents).
    PLATEFORME_SERVICE = env("PLATEFORME_SERVICE", "DEETS de Mayotte")
    PLATEFORME_BLOC_MARQUE = env("PLATEFORME_BLOC_MARQUE", "Préfet de Mayotte")
    PLATEFORME_COURRIEL = env("PLATEFORME_COURRIEL", "976.insertion@deets.gouv.fr")  # contact des mentions légales
    SERVICE_PAR_DEFAUT = env("SERVICE_PAR_DEFAUT", "976")
    URL_PUBLIQUE = env("URL_PUBLIQUE")
    DSFR_DIST = env("DSFR_DIST", str(RACINE / "node_modules" / "@gouvfr" / "dsfr" / "dist"))
    # Les fichiers statiques construits par `make assets` (aap/actifs.py) : précompressés, noms à empreinte.
    ACTIFS_DIR = env("ACTIFS_DIR", str(RACINE / "build" / "actifs"))
    REFERENTIEL_DIR = env("REFERENTIEL_DIR", str(RACINE / "node_modules" / "@etalab" / "decoupage-administratif" / "data"))

    # Courriels : tout passe par la table `courriels` (outbox), puis part par SMTP ou la console, envoyé par
    # le travailleur `flask courriels travailler`, jamais pendant une requête.
    COURRIEL_TRANSPORT = env("COURRIEL_TRANSPORT", "smtp")  # smtp | console
    COURRIEL_EXPEDITEUR = env("COURRIEL_EXPEDITEUR", "DEETS de Mayotte <ne-pas-repondre@deets.gouv.fr>")
    SMTP_HOTE = env("SMTP_HOTE", "localhost")
    SMTP_PORT = env_int("SMTP_PORT", 25)
    SMTP_UTILISATEUR = env("SMTP_UTILISATEUR")
    SMTP_MOT_DE_PASSE = env("SMTP_MOT_DE_PASSE")
    SMTP_STARTTLS = env_bool("SMTP_STARTTLS", False)
    SMTP_DELAI = env_int("SMTP_DELAI", 10)

    # Comptes
    HACHAGE_MOT_DE_PASSE = env("HACHAGE_MOT_DE_PASSE", "scrypt")
    # Échecs de connexion comptés par adresse électronique et par appareil (cookie d'un appareil déjà connecté,
    # sinon adresse IP) : au-delà, cet appareil attend ; le titulaire, depuis le sien, n'est pas bloqué.
    CONNEXION_ECHECS_MAX = env_int("CONNEXION_ECHECS_MAX", 5)
    CONNEXION_BLOCAGE_MINUTES = env_int("CONNEXION_BLOCAGE_MINUTES", 15)
    CONNEXION_LIMITE_ADRESSE = env("CONNEXION_LIMITE_ADRESSE", "20 per 10 minutes")  # par adresse IP
    # Inscriptions, demandes de mot de passe et de lien de confirmation pour une même adresse électronique.
    CONNEXION_LIMITE_COURRIEL = env("CONNEXION_LIMITE_COURRIEL", "5 per hour")
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LIEN_VALIDITE_HEURES = env_int("LIEN_VALIDITE_HEURES", 48)
    JETON_API_VALIDITE_JOURS = env_int("JETON_API_VALIDITE_JOURS", 365)
    SESSION_INACTIVITE_MINUTES = env_int("SESSION_INACTIVITE_MINUTES", 30)
    # Agents, administrateurs et lecteurs nationaux confirment chaque nouvel appareil (lien ou code TOTP).
    APPAREIL_CONFIRMATION = env_bool("APPAREIL_CONFIRMATION", False)
    APPAREIL_VALIDITE_JOURS = env_int("APPAREIL_VALIDITE_JOURS", 90)
    APPAREIL_LIEN_MINUTES = env_int("APPAREIL_LIEN_MINUTES", 15)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # le jeton suit la session : un brouillon ouvert longtemps reste enregistrable
    WTF_I18N_ENABLED = False  # messages de WTForms en français via Meta.locales, sans Flask-Babel

    # API (flask-smorest) : le document OpenAPI est produit à partir du code.
    API_TITLE = "Appels à projets DEETS — API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Derrière un reverse proxy : nombre de proxys dont on croit X-Forwarded-For et X-Forwarded-Proto.
    NOMBRE_DE_PROXYS = env_int("NOMBRE_DE_PROXYS", 0)

    DEMO_PASSWORD = env("DEMO_PASSWORD")
    PAR_PAGE = env_int("PAR_PAGE", 25)
    RAPPELS_COPIL_JOURS = env("RAPPELS_COPIL_JOURS", "7,2")  # jours avant la séance où relancer les membres
    # Banc d'essai (`make bench`) : nombre de requêtes SQL de chaque réponse dans l'en-tête X-Requetes.
    COMPTE_REQUETES = env_bool("COMPTE_REQUETES", False)


class DevelopmentConfig(Config):
    SECRET_KEY = env("SECRET_KEY", "dev-uniquement-ne-pas-utiliser-en-production")
    URL_PUBLIQUE = env("URL_PUBLIQUE", "http://127.0.0.1:5000")
    SQLALCHEMY_DATABASE_URI = url_base_de_donnees(env("DATABASE_URL", f"sqlite:///{RACINE / 'instance' / 'aap.sqlite'}"))
    COURRIEL_TRANSPORT = env("COURRIEL_TRANSPORT", "console")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "cle-de-test"  # noqa: S105 — configuration de test uniquement
    HACHAGE_MOT_DE_PASSE = "pbkdf2:sha256:1000"  # rapide : les tests se connectent des centaines de fois
    RATELIMIT_ENABLED = True
    URL_PUBLIQUE = "http://localhost"


class ProductionConfig(Config):
    APPAREIL_CONFIRMATION = env_bool("APPAREIL_CONFIRMATION", True)
    NOMBRE_DE_PROXYS = env_int("NOMBRE_DE_PROXYS", 1)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    # Sans URL_PUBLIQUE, les liens des courriels mèneraient à http://127.0.0.1:5000.
    REQUIRED = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "URL_PUBLIQUE")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
