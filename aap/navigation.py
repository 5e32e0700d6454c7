"""The main navigation, per role: one list, read by the base layout."""

from dataclasses import dataclass

from flask import has_request_context, request, url_for
from flask_login import current_user

from .models import Role


@dataclass(frozen=True)
class Entree:
    libelle: str
    endpoint: str
    roles: frozenset
    blueprint: str


def _entree(libelle, endpoint, *roles):
    return Entree(libelle, endpoint, frozenset(str(r) for r in roles), endpoint.split(".")[0])


INSTRUCTION = (Role.AGENT, Role.ADMIN)
MENU = [
    _entree("Mes dossiers", "candidatures.index", Role.PORTEUR),
    _entree("Ma structure", "structures.structure", Role.PORTEUR),
    _entree("Dossiers", "candidatures.index", *INSTRUCTION, Role.NATIONAL),
    _entree("Séances du COPIL", "notation.index", Role.COPIL, *INSTRUCTION, Role.NATIONAL),
    _entree("Mes conventions", "conventions.index", Role.PORTEUR),
    _entree("Conventions", "conventions.index", *INSTRUCTION, Role.NATIONAL),
    _entree("À faire", "conventions.a_faire", Role.PORTEUR, *INSTRUCTION, Role.NATIONAL),
    _entree("Journal", "aap.journal", *INSTRUCTION, Role.NATIONAL),
    _entree("Campagnes", "campagnes.liste", Role.ADMIN),
    _entree("Administration", "admin.comptes", Role.ADMIN),
]


# Après la connexion, chaque rôle arrive sur sa prochaine étape, non sur la liste publique des campagnes.
ACCUEILS = {
    Role.PORTEUR: "candidatures.index",
    Role.COPIL: "notation.index",  # ce qui reste à noter, en tête de la liste des séances
    Role.AGENT: "conventions.a_faire",
    Role.ADMIN: "conventions.a_faire",
    Role.NATIONAL: "conventions.a_faire",
}


def espace_de(utilisateur):
    """This person's own starting page (the public home for a visitor)."""
    return url_for(ACCUEILS.get(utilisateur.role, "aap.accueil") if utilisateur.is_authenticated else "aap.accueil")


def accueil_de(utilisateur):
    """The page where this person's next step is: a porteur whose structure's profile lacks what every dossier
    needs completes it first."""
    if utilisateur.role == Role.PORTEUR and utilisateur.rattachement_valide and utilisateur.structure is not None:
        if utilisateur.structure.profil().profil_manquant:
            return url_for("structures.structure")
    return espace_de(utilisateur)


def menu_pour(utilisateur):
    if not utilisateur.is_authenticated:
        return []
    return [entree for entree in MENU if utilisateur.role in entree.roles]


def init_app(app):
    @app.context_processor
    def navigation():
        if not has_request_context():  # un courriel rendu par une commande ou une fabrique : pas de menu
            return {"menu": []}
        entrees = menu_pour(current_user)
        # L'entrée de la page elle-même, sinon celle de son domaine (« À faire » et « Conventions » partagent le leur).
        exacte = any(e.endpoint == request.endpoint for e in entrees)
        return {
            "menu": [
                {
                    "libelle": e.libelle,
                    "url": url_for(e.endpoint),
                    "actif": e.endpoint == request.endpoint if exacte else request.blueprint == e.blueprint,
                }
                for e in entrees
            ]
        }
