"""Property-based fuzzing of every HTML form of the product: each POST page of the URL map (found in
`tests/table_autorisations.py`, so a new one is fuzzed as soon as it has its line) receives random values for
its own fields (read from its page, or from the form classes its view uses) and for unknown ones: long text,
unicode, NUL, negative and huge numbers, wrong types, several values for one field. Sent by an actor let in,
in the world of the authorization table.

No answer is a 500; a refusal (4xx) writes nothing: the row count of every table, the audit log included, is
the same before and after it. A refusal that re-renders the form says why, in French.
"""

import inspect
import os
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, table, union_all
from sqlalchemy import inspect as inspecter

from aap import forms as forms_socle
from aap.campagnes import forms as forms_campagnes
from aap.extensions import db, limiter
from candidatures import forms as forms_candidatures
from conventions import forms as forms_conventions
from notation import forms as forms_notation

from .monde_autorisations import construire
from .table_autorisations import TABLE
from .test_autorisations_routes import _sessions, _url

EXEMPLES = int(os.environ.get("FUZZ_EXEMPLES_FORMULAIRE", "8"))  # par formulaire ; plus en local : FUZZ_EXEMPLES_FORMULAIRE=50
NON_FUZZES = {"comptes.deconnexion"}  # sans champ : elle ne fait que fermer la session
# Une page publique est éprouvée par un visiteur anonyme ; les autres par le premier acteur admis.
ORDRE_DES_ACTEURS = ["anonyme", "porteur_a", "agent", "admin", "membre", "deporte", "national"]
# Un dépôt réussi ferme le brouillon : il passe en dernier (les étapes sont aussi éprouvées par
# tests/test_entrees_hostiles_candidatures.py).
EN_DERNIER = {"candidatures.depot"}
MESSAGES_FRANCAIS = re.compile(
    r"(Ce champ|Saisissez|Choisissez|Indiquez|invalide|obligatoire|caractères|doit|"
    r"n'est pas|Renseignez|au plus|au moins|entre|Vérifiez|format|nombre|date)",
    re.I,
)

valeur_hostile = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "-1",
            "-999999999999",
            "1e309",
            "NaN",
            "Infinity",
            "0,05",
            "9" * 40,
            "１２",
            "2022-13-45",
            "31/02/2024",
            "25:61",
            "true",
            "on",
            "None",
            "null",
            "[]",
            "{}",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            '=HYPERLINK("x")',
            "\u202e",
            "' OR 1=1 --",
            "ǅ" * 300,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet=string.digits + ",.- ", max_size=25),
)


def _champs_des_classes():
    """Field names of every form class of the product, by class name."""
    champs = {}
    for module in (forms_socle, forms_campagnes, forms_candidatures, forms_notation, forms_conventions):
        for nom, classe in vars(module).items():
            if inspect.isclass(classe) and nom.endswith("Form"):
                champs[nom] = [c for c in dir(classe) if not c.startswith("_") and hasattr(getattr(classe, c), "field_class")]
    return champs


def _champs(app, client, route, url, classes):
    """The route's own fields: those of its page's forms, or of the form classes its view builds."""
    noms = set()
    if "GET" in next(r for r in app.url_map.iter_rules(route.endpoint)).methods:
        page = client.get(url).get_data(as_text=True)
        noms |= set(re.findall(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', page)) - {"csrf_token"}
    source = inspect.getsource(inspect.unwrap(app.view_functions[route.endpoint]))
    for classe in re.findall(r"(\w+Form)\b", source):
        noms |= set(classes.get(classe, []))
    noms |= set(re.findall(r'request\.form\.get\("(\w+)"', source))
    return sorted(noms)


def _compteur():
    """One query that counts the rows of every table (the audit log included)."""
    tables = inspecter(db.engine).get_table_names()
    requete = union_all(*(select(literal(nom), func.count()).select_from(table(nom)) for nom in tables))

    def compter():
        return dict(db.session.execute(requete).all())

    return compter


def _routes_a_fuzzer():
    vues = {}
    for route in TABLE:
        if route.api or route.methode != "POST" or route.endpoint in NON_FUZZES or route.endpoint in vues:
            continue
        acteur = next((a for a in ORDRE_DES_ACTEURS if route.attendus[a] == "ok"), None)
        if acteur is not None:
            vues[route.endpoint] = (route, acteur)
    return sorted(vues.values(), key=lambda v: v[0].endpoint in EN_DERNIER)


@pytest.fixture
def sans_limite_de_debit():
    limiter.enabled = False
    yield
    limiter.enabled = True


def _fuzzer(client, route, acteur, url, champs, compter):
    """Sends EXEMPLES random submissions of the form; returns their statuses."""
    statuts, etat = [], {"lignes": compter()}

    @settings(
        max_examples=EXEMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(donnees=st.data())
    def envoyer(donnees):
        noms = donnees.draw(st.lists(st.sampled_from([*champs, "champ_inconnu"]), max_size=10, unique=True))
        saisie = {}
        for nom in noms:
            plusieurs = nom in champs[:3] and donnees.draw(st.booleans())
            saisie[nom] = donnees.draw(st.lists(valeur_hostile, min_size=2, max_size=3) if plusieurs else valeur_hostile)
        avant = etat["lignes"]
        reponse = client.post(url, data=saisie)
        statut = reponse.status_code
        statuts.append(statut)
        assert statut < 500, f"{route.endpoint} ({acteur}) {saisie!r} : {reponse.get_data(as_text=True)[:500]}"
        apres = etat["lignes"] = compter()
        if statut >= 400:
            ecarts = {t: (avant[t], apres[t]) for t in avant if avant[t] != apres[t]}
            assert not ecarts, f"{route.endpoint} : refus ({statut}) mais écritures {ecarts} pour {saisie!r}"
            if statut == 422 and reponse.mimetype == "text/html":
                assert MESSAGES_FRANCAIS.search(reponse.get_data(as_text=True)), f"{route.endpoint} : {saisie!r}"

    envoyer()
    return statuts


# Trois parts, que pytest-xdist fait tourner côte à côte.
PARTS = {
    "dossiers et structures": ("candidatures.", "structures."),
    "conventions": ("conventions.",),
    "comptes, campagnes et COPIL": None,  # le reste
}


def _dans_la_part(endpoint, part):
    if PARTS[part] is not None:
        return endpoint.startswith(PARTS[part])
    return not any(endpoint.startswith(p) for prefixes in PARTS.values() if prefixes for p in prefixes)


def test_chaque_formulaire_est_fuzze():
    assert len(_routes_a_fuzzer()) >= 40  # toutes les routes POST des pages, prises dans la table des accès


@pytest.mark.parametrize("part", list(PARTS))
def test_aucun_formulaire_ne_casse_ni_n_ecrit_a_moitie(app, fab, sans_limite_de_debit, part):
    acteurs, ids = construire(fab)
    sessions = _sessions(app, fab, acteurs)
    classes = _champs_des_classes()
    routes = [(r, a) for r, a in _routes_a_fuzzer() if _dans_la_part(r.endpoint, part)]
    compter = _compteur()
    bilan = {}
    for route, acteur in routes:
        client = sessions[acteur][0]
        url = _url(app, route, ids)
        champs = _champs(app, client, route, url, classes)
        if not champs:
            continue  # sans formulaire (retirer, supprimer, prolonger la session…) : la table des accès y suffit
        statuts = _fuzzer(client, route, acteur, url, champs, compter)
        bilan[route.endpoint] = statuts
    # Chaque formulaire des conventions a ses champs (lus sur sa page ou dans ses classes) : aucun n'est sauté.
    minimum = len([r for r, _ in routes if "retirer" not in r.endpoint]) if part == "conventions" else 10
    assert len(bilan) >= minimum and all(len(s) == EXEMPLES for s in bilan.values()), sorted(bilan)


def test_un_nul_colle_dans_un_champ_est_retire_et_non_une_erreur(client_de, fab):
    """PostgreSQL refuses NUL in text: once, the token form answered 500 there (found by the fuzzing above)."""
    from aap.models import JetonApi

    porteur = fab.utilisateur("porteur")
    reponse = client_de(porteur).post("/profil/jetons", data={"nom": "tableur\x00 de suivi"})
    assert reponse.status_code == 302
    assert db.session.scalars(select(JetonApi.nom).where(JetonApi.utilisateur_id == porteur.id)).all() == ["tableur de suivi"]
