"""Property-based fuzzing of every API operation (schemathesis, from /api/v1/openapi.json), with a token per
role made by `flask --app aap api-token`: never a 500, every refusal a 4xx in the French error format,
nothing written by a refused request (row counts of every table before and after)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from aap.extensions import db

from .conftest import application_de_test, copie_du_monde_demo

EXEMPLES = int(os.environ.get("FUZZ_EXEMPLES", "20"))  # par opération, rôle tiré au hasard pour chacun
COMPTES = {
    "porteur": "porteur@exemple.fr",
    "copil": "copil@exemple.fr",
    "agent": "agent@exemple.fr",
    "admin": "admin@exemple.fr",
    "national": "national@exemple.fr",
}


def _operations():
    """Every operation of the OpenAPI document, read once at collection: a new endpoint is fuzzed at once."""
    from aap import create_app

    application = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    paths = application.test_client().get("/api/v1/openapi.json").json["paths"]
    return [(chemin, methode.upper()) for chemin, ops in paths.items() for methode in ops if methode != "parameters"]


@pytest.fixture(scope="module")
def app_fuzz(monde_demo, tmp_path_factory, serveur_smtp):
    """One copy of the demo world for the whole module (generated ids meet real objects of every kind);
    the fuzzed operations share it, as requests share a running service."""
    dossier = tmp_path_factory.mktemp("fuzz")
    url, base_pg = copie_du_monde_demo(monde_demo, dossier)
    with application_de_test(url, dossier / "fichiers", serveur_smtp, base_pg_a_supprimer=base_pg) as application:
        yield application


@pytest.fixture(scope="module")
def jetons(app_fuzz):
    """One token per role, from the command."""
    jetons = {"anonyme": None}
    for role, email in COMPTES.items():
        resultat = app_fuzz.test_cli_runner().invoke(args=["api-token", email])
        assert resultat.exit_code == 0, resultat.output
        jetons[role] = resultat.output.strip()
    return jetons


def compter_lignes():
    with db.engine.connect() as connexion:
        return {
            table: connexion.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
            for table in inspect(db.engine).get_table_names()
            if table != "jetons_api"  # la date de dernier usage d'un jeton n'est pas une écriture métier
        }


def verifier_format_d_erreur(reponse):
    corps = reponse.json()
    assert set(corps) == {"errors"} and corps["errors"], corps
    for erreur in corps["errors"]:
        assert set(erreur) == {"field", "code", "message"}, erreur
        assert erreur["message"] and erreur["code"], erreur
        assert not any(mot in erreur["message"] for mot in ("Not a valid", "Missing data", "Unknown field")), erreur


@pytest.mark.parametrize(("chemin", "methode"), _operations())
def test_aucune_entree_ne_provoque_d_erreur_serveur(app_fuzz, jetons, chemin, methode):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app_fuzz)[chemin][methode]

    # Des données conformes au schéma et des données qui ne le sont pas, mêlées.
    cas = st.one_of(operation.as_strategy(mode) for mode in schemathesis.GenerationMode)

    @given(case=cas, role=st.sampled_from(sorted(jetons)))
    @settings(max_examples=EXEMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def essayer(case, role):
        jeton = jetons[role]
        avant = compter_lignes()
        reponse = case.call(headers={"Authorization": f"Bearer {jeton}"} if jeton else {})
        assert reponse.status_code < 500, f"{role} : {case.method} {case.formatted_path} → {reponse.status_code}"
        if reponse.status_code >= 400:
            verifier_format_d_erreur(reponse)
            assert compter_lignes() == avant, f"{role} : une requête refusée a écrit en base"
        case.validate_response(reponse, excluded_checks=[schemathesis.checks.positive_data_acceptance])

    essayer()
