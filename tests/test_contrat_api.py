"""The API's published contract, checked by the tools of the ecosystem: the document is valid OpenAPI 3.0
(openapi-spec-validator) and passes Redocly's recommended rules (`redocly lint`, the npm devDependency); and the
HTTP details its clients rely on: `Allow` on a 405, `WWW-Authenticate: Bearer` on a 401. Schemathesis tries the
operations themselves (tests/test_fuzz_api.py)."""

import json
import os
import subprocess

import pytest
from openapi_spec_validator.validation.validators import OpenAPIV30SpecValidator

from aap import create_app

from .conftest import RACINE

REDOCLY = RACINE / "node_modules" / ".bin" / "redocly"
# Avertissements admis de la règle « recommended », avec leur raison.
AVERTISSEMENTS_ADMIS = {"info-license": "la licence du document de l'API n'est pas encore décidée"}


@pytest.fixture(scope="module")
def document():
    """The document as production serves it: its `servers` is URL_PUBLIQUE (here a public address, not localhost)."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "URL_PUBLIQUE": "https://appels-a-projets.deets.fr"})
    return application.test_client().get("/api/v1/openapi.json").json


def test_le_document_est_de_l_openapi_3_valide(document):
    erreurs = [
        f"{'/'.join(map(str, e.absolute_path))} : {e.message[:300]}" for e in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    assert not erreurs, "\n".join(erreurs)
    assert document["servers"] == [{"url": "https://appels-a-projets.deets.fr", "description": "Cette plateforme."}]


def test_le_document_passe_les_regles_recommandees_de_redocly(document, tmp_path):
    chemin = tmp_path / "openapi.json"
    chemin.write_text(json.dumps(document), encoding="utf-8")
    environnement = os.environ | {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
    resultat = subprocess.run(  # noqa: S603 — l'outil du projet, sur un fichier du test
        [str(REDOCLY), "lint", "--extends", "recommended", "--format", "json", "--max-problems", "1000", str(chemin)],
        capture_output=True,
        text=True,
        env=environnement,
        timeout=120,
        check=False,
    )
    problemes = json.loads(resultat.stdout)["problems"]
    erreurs = [(p["ruleId"], p["message"], p["location"][0]["pointer"]) for p in problemes if p["severity"] == "error"]
    assert not erreurs, "\n".join(map(str, erreurs))
    avertissements = [(p["ruleId"], p["location"][0]["pointer"]) for p in problemes if p["ruleId"] not in AVERTISSEMENTS_ADMIS]
    assert not avertissements, "\n".join(map(str, avertissements))


def test_chaque_operation_a_un_nom_et_ses_erreurs_au_format_du_document(document):
    for chemin, operations in document["paths"].items():
        for methode, operation in operations.items():
            if methode == "parameters":
                continue
            assert operation["operationId"], (methode, chemin)
            erreurs = {code: reponse for code, reponse in operation["responses"].items() if code.startswith("4")}
            assert {"401", "403"} <= set(erreurs), (methode, chemin)
            for reponse in erreurs.values():
                nom = reponse["$ref"].rsplit("/", 1)[1]
                contenu = document["components"]["responses"][nom]["content"]["application/json"]
                assert contenu["schema"] == {"$ref": "#/components/schemas/Erreurs"}


def test_les_decimaux_sont_du_texte_a_motif_jamais_des_nombres(document):
    """Money, rates, ETP and points are sent and read as strings with a pattern ("35000.00"): never `number`."""
    proprietes = [
        (nom, propriete)
        for schema in document["components"]["schemas"].values()
        for nom, propriete in schema.get("properties", {}).items()
    ]
    assert not [nom for nom, p in proprietes if p.get("type") == "number"]
    motifs = {nom: p["pattern"] for nom, p in proprietes if "pattern" in p}
    assert motifs["montant_accorde"] == "^((0|[1-9][0-9]{0,7})(\\.[0-9]{1,2})?|100000000(\\.0{1,2})?)$"
    assert motifs["points"] == "^(0|[1-9][0-9]?)(\\.[05])?$"


def test_une_methode_non_permise_dit_les_methodes_permises(client):
    page = client.delete("/campagnes/1")
    assert page.status_code == 405 and set(page.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    api = client.put("/api/v1/moi")
    assert api.status_code == 405 and set(api.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert api.json["errors"][0]["code"] == "methode_non_permise"


def test_un_401_de_l_api_dit_comment_s_authentifier(client):
    sans_jeton = client.get("/api/v1/moi")
    assert sans_jeton.status_code == 401 and sans_jeton.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    mauvais = client.get("/api/v1/moi", headers={"Authorization": "Bearer aap_faux"})
    assert mauvais.status_code == 401
    assert mauvais.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
