"""JSON API of the conventions domain."""

from aap.api import blueprint_api

bp = blueprint_api("api_conventions", "Conventions, versements, bilans, avenants, tableau de bord.")
