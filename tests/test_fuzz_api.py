"""The API tried from its document (/api/v1/openapi.json) by schemathesis, with all of its checks, in its examples,
coverage, fuzzing and stateful phases, as each role (a token per role made by `flask --app aap api-token`), on one
copy of the demo world: no failure of any check, every refusal a 4xx in the French error format that wrote nothing
(row counts of every table before and after).

And it proves its reach: each operation answers a 2xx at least once to each role allowed to act on it (REACH),
whether a generated request or an explicit one found it (EXPLICITES: ids and versions of the demo world, files).

Every request runs in its own context (its own `g`, hence its own Flask-Login user), as in production: the
fixture's application context does not leak into them (it did, and every request with a token answered 401)."""

import contextvars
import os
from collections import Counter, defaultdict

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.transport.wsgi import WSGITransport
from sqlalchemy import func, literal, select, table, union_all
from sqlalchemy import inspect as inspecter

from aap.extensions import db
from aap.pdf import pdf_minimal
from conventions import documents

from .conftest import application_de_test, copie_du_monde_demo
from .explicites_api import COMPTES, REACH, Explicites
from .fabrique_conventions import _DOCX
from .factories import Fabrique

EXEMPLES = int(os.environ.get("FUZZ_EXEMPLES", "2"))  # par opération, rôle et mode (positif, négatif)
PAS = int(os.environ.get("FUZZ_PAS", "6"))  # au plus, par scénario de la phase à états
GRAINE = int(os.environ.get("FUZZ_GRAINE", "1"))  # make fuzz : une graine au hasard
PROFOND = os.environ.get("FUZZ_COUVERTURE") == "tous"  # make fuzz : couverture entière, pour chaque rôle
ROLES = [*COMPTES, "anonyme"]


@pytest.fixture(scope="module")
def app_fuzz(monde_demo, tmp_path_factory, serveur_smtp):
    """One copy of the demo world for the whole module (generated ids meet real objects of every kind);
    the fuzzed operations share it, as requests share a running service."""
    dossier = tmp_path_factory.mktemp("fuzz")
    url, base_pg = copie_du_monde_demo(monde_demo, dossier)
    with application_de_test(url, dossier / "fichiers", serveur_smtp, base_pg_a_supprimer=base_pg) as application:
        yield application


@pytest.fixture(scope="module", autouse=True)
def reglages_du_module():
    """schemathesis 4.32.5's ignored_auth check probes a WSGI app without a session, yet hands werkzeug the
    session's settings (max_redirects, verify, cert): they mean nothing in-process, and they made every probe
    fail (an error that ended the operation's coverage phase). And the conventions' documents take one page."""
    envoyer = WSGITransport.send

    def send(self, case, *, session=None, **kwargs):
        if session is None:
            for reglage in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(reglage, None)
        return envoyer(self, case, session=session, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WSGITransport, "send", send)
        # Les documents ne sont pas l'objet de ce test (tests/test_pdf.py…) : une page au lieu d'une seconde de WeasyPrint.
        patch.setattr(documents, "pdf", lambda annee: pdf_minimal(f"{annee.intitule} {annee.convention.numero}"))
        patch.setattr(documents, "docx_", lambda annee: _DOCX)
        yield


@pytest.fixture(scope="module")
def jetons(app_fuzz):
    """One token per role, from the command."""
    jetons = {"anonyme": None}
    for role, email in COMPTES.items():
        resultat = app_fuzz.test_cli_runner().invoke(args=["api-token", email])
        assert resultat.exit_code == 0, resultat.output
        jetons[role] = resultat.output.strip()
    return jetons


class Temoin:
    """The WSGI app as schemathesis reaches it: each request in a fresh context, row counts of every table before
    and after it; a refusal (4xx) that wrote anything is recorded."""

    def __init__(self, app):
        self.app, self.ecritures = app, []
        tables = [t for t in inspecter(db.engine).get_table_names() if t != "jetons_api"]  # dernier usage d'un jeton
        self.requete = union_all(*(select(literal(nom), func.count()).select_from(table(nom)) for nom in tables))

    def compter(self):
        with self.app.app_context():
            return dict(db.session.execute(self.requete).all())

    def __call__(self, environ, start_response):
        return contextvars.Context().run(self._appeler, environ, start_response)

    def _appeler(self, environ, start_response):
        statut = []

        def retenir(etat, entetes, *args):
            statut.append(int(etat.split()[0]))
            return start_response(etat, entetes, *args)

        avant = self.compter()
        reponse = self.app(environ, retenir)
        if statut and statut[0] >= 400:
            apres = self.compter()
            if apres != avant:
                ecarts = {t: (avant[t], apres[t]) for t in avant if avant[t] != apres[t]}
                self.ecritures.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} → {statut[0]} : {ecarts}")
        return reponse


@schemathesis.check
def erreurs_en_francais(ctx, response, case):
    """A refusal says why, in French, in the error format: never marshmallow's or webargs' English."""
    if response.status_code < 400:
        return None
    erreurs = response.json()["errors"]
    assert erreurs, "une erreur sans explication"
    for erreur in erreurs:
        assert set(erreur) == {"field", "code", "message"}, erreur
        assert erreur["message"] and erreur["code"], erreur
        assert not any(mot in erreur["message"] for mot in ("Not a valid", "Missing data", "Unknown field")), erreur
    return None


@schemathesis.check
def donnees_valides_lues(ctx, response, case):
    """Data the document calls valid passes the API's validation: a 422 it gets comes from a rule of the call
    (its own code: campaign closed, amount above the request…), never from reading the request (code `invalide`)."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    if case.media_type == "multipart/form-data":
        return None  # tout y devient texte : un null généré arrive en "null", que le document refuse aussi
    lues = [e for e in response.json()["errors"] if e["code"] == "invalide"]
    assert not lues, f"Requête conforme au document refusée à la lecture ({case.meta.phase.name}) : {lues}"
    return None


def configuration(jeton, phases):
    """Every check, in the given phases."""
    phases = {nom: {"enabled": nom in phases} for nom in ("examples", "coverage", "fuzzing", "stateful")}
    phases["stateful"]["max-steps"] = PAS
    # Les cas négatifs de couverture coûtent peu (refusés à la lecture) ; les positifs exécutent l'opération.
    phases["coverage"]["generation"] = {"mode": "all" if PROFOND else "negative"}
    return SchemathesisConfig.from_dict(
        {
            "seed": GRAINE,
            "cache": {"enabled": False},
            "headers": {"Authorization": f"Bearer {jeton}"} if jeton else {},
            "generation": {"max-examples": EXEMPLES, "database": "none"},
            "phases": phases,
            # Une règle de l'appel (campagne close, crédits épuisés…) refuse en 422 des données conformes au
            # document : admis ici, et donnees_valides_lues vérifie que ce n'est jamais la lecture qui refuse.
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}},
            "warnings": False,
        }
    )


def _echec(role, nom, etiquette, echec, echange):
    requete = echange.request if echange is not None else None
    return (
        f"[{role}] {nom} — {etiquette} : {echec.title if echec else ''}\n  {(echec.message if echec else '')[:500]}\n"
        f"  {requete.method} {requete.uri} {str(requete.body)[:300]}"
        if requete
        else ""
    )


def essayer(temoin, role, jeton, phases, operations=None):
    """Runs schemathesis' engine as `role`; returns ({operationId: Counter of statuses}, [failures])."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", temoin, config=configuration(jeton, phases))
    if operations is not None:
        schema = schema.include(operation_id=sorted(operations))
    statuts, echecs = defaultdict(Counter), []
    for evenement in from_schema(schema).execute():
        if isinstance(evenement, events.ScenarioFinished):
            enregistrement = evenement.recorder
            for ident, echange in enregistrement.interactions.items():
                cas = enregistrement.cases.get(ident)
                # Les méthodes non documentées (OPTIONS, TRACE…) de la phase de couverture ne comptent pas.
                if (
                    echange.response is not None
                    and cas is not None
                    and echange.request.method == cas.value.operation.method.upper()
                ):
                    statuts[cas.value.operation.definition.raw["operationId"]][echange.response.status_code] += 1
            for ident, verifications in enregistrement.checks.items():
                for verification in verifications:
                    if verification.status == Status.FAILURE:
                        echec = verification.failure_info.failure if verification.failure_info else None
                        echange = enregistrement.interactions.get(ident)
                        echecs.append(_echec(role, verification.name, enregistrement.label, echec, echange))
        elif isinstance(evenement, events.NonFatalError):
            echecs.append(f"[{role}] erreur ({evenement.phase}) — {evenement.label} : {str(evenement.value)[:500]}")
        elif isinstance(evenement, events.FatalError):
            echecs.append(f"[{role}] erreur fatale : {evenement.exception}")
    return statuts, echecs


def envoyer(schema, explicites, operation_id, role):
    """The explicit request of a pair, through schemathesis and all of its checks; None when it succeeded."""
    db.session.expire_all()
    operation = schema.find_operation_by_id(operation_id)
    requete = explicites.requete(operation, role)
    jeton, _ = explicites.fab.jeton(requete.utilisateur)
    corps = {} if requete.corps is None else {"body": requete.corps, "media_type": requete.type_}
    cas = operation.Case(path_parameters=requete.chemin, **corps)
    try:
        reponse = cas.call_and_validate(headers={"Authorization": f"Bearer {jeton}"})
    except AssertionError as echec:  # les vérifications de schemathesis
        return str(echec)[:800]
    return None if reponse.status_code < 300 else f"{reponse.status_code} {reponse.text[:300]}"


def verifier(temoin, echecs):
    assert not echecs, f"graine {GRAINE} :\n" + "\n".join(echecs[:30])
    assert not temoin.ecritures, f"graine {GRAINE} : des refus ont écrit en base :\n" + "\n".join(temoin.ecritures)


# Un test par rôle : xdist les répartit entre ses processus (d'un seul tenant, le fuzzing finissait seul).
PREMIERS = {op: next(r for r in ROLES if r in roles) for op, roles in REACH.items()}  # le premier rôle permis


@pytest.mark.parametrize("role", COMPTES if PROFOND else [r for r in COMPTES if r in PREMIERS.values()])
def test_chaque_limite_du_document(app_fuzz, jetons, role):
    """The coverage phase: every boundary of the document (and every method it does not list), once per operation,
    as the first role allowed to act on it (as every role in `make fuzz`)."""
    operations = REACH if PROFOND else {op for op, premier in PREMIERS.items() if premier == role}
    temoin = Temoin(app_fuzz)
    verifier(temoin, essayer(temoin, role, jetons[role], {"coverage"}, operations)[1])


@pytest.mark.parametrize("role", ROLES)
def test_chaque_role_atteint_chaque_operation_permise(app_fuzz, jetons, role):
    """The examples, fuzzing and stateful phases as one role, anonymous included; then the proof of reach: each
    operation open to that role in REACH answered it a 2xx, to a generated request or else to its explicit one."""
    temoin = Temoin(app_fuzz)
    statuts, echecs = essayer(temoin, role, jetons[role], {"examples", "fuzzing", "stateful"})
    verifier(temoin, echecs)
    atteintes = {op for op, compte in statuts.items() if any(200 <= s < 300 for s in compte)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", temoin)
    assert {r.ok().definition.raw["operationId"] for r in schema.get_all_operations()} == set(REACH)
    if role == "anonyme":
        assert not atteintes, "une opération a répondu 2xx sans jeton"
        return
    attendues = {op for op, roles in REACH.items() if role in roles}
    assert attendues, f"{role} n'agit sur aucune opération : la preuve ne prouverait rien"
    explicites = Explicites(Fabrique(db.session))
    manquees = [(op, envoyer(schema, explicites, op, role)) for op in sorted(attendues - atteintes)]
    manquees = [m for m in manquees if m[1] is not None]
    print(
        f"\ngraine {GRAINE} ; {role} : {len(atteintes & attendues)} opérations sur {len(attendues)} atteintes (2xx) "
        f"par les requêtes générées, {len(attendues - atteintes)} par une requête explicite"
    )
    assert not manquees, f"graine {GRAINE} : pas de 2xx pour\n" + "\n".join(map(str, manquees))
    assert not temoin.ecritures, temoin.ecritures
