"""No input makes a 500: random text in every field of every step, of the decisions, of the structure, and
random JSON to the API. Every refusal is a 4xx in French; the dossier is never left half-written."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aap.extensions import db
from candidatures import regles
from candidatures.forms import FORMULAIRES_ETAPES, StructureForm

REGLAGES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
texte_hostile = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "1e309",
            "NaN",
            "Infinity",
            "0,05",
            "1,2,3",
            "１２",
            "9" * 40,
            "\x00",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            '=HYPERLINK("x")',
            "..\\..",
            "2022-13-45",
        ]
    ),
    st.text(alphabet=string.digits + ",. -", max_size=20),
)


def noms_des_champs(classe):
    formulaire_vide = [nom for nom in dir(classe) if not nom.startswith("_")]
    return [nom for nom in formulaire_vide if hasattr(getattr(classe, nom), "field_class")]


@REGLAGES
@given(donnees=st.data())
def test_les_etapes_ne_cassent_sur_aucune_saisie(client_de, fab, donnees):
    dossier = getattr(test_les_etapes_ne_cassent_sur_aucune_saisie, "dossier", None)
    if dossier is None or db.session.get(type(dossier), dossier.id) is None:
        dossier = fab.dossier(statut="brouillon")
        db.session.commit()
        test_les_etapes_ne_cassent_sur_aucune_saisie.dossier = dossier
        test_les_etapes_ne_cassent_sur_aucune_saisie.session = client_de(fab.porteur_de(dossier.structure))
    session = test_les_etapes_ne_cassent_sur_aucune_saisie.session
    rubrique = donnees.draw(st.sampled_from(list(FORMULAIRES_ETAPES)))
    champs = noms_des_champs(FORMULAIRES_ETAPES[rubrique]) + ["communes", "missions"]
    saisie = {
        nom: donnees.draw(texte_hostile) for nom in donnees.draw(st.lists(st.sampled_from(champs), max_size=8, unique=True))
    }
    saisie["version"] = donnees.draw(st.one_of(st.just(str(dossier.version)), texte_hostile))
    entetes = donnees.draw(st.sampled_from([{}, {"X-Enregistrement-Auto": "1", "Accept": "application/json"}]))
    reponse = session.post(f"/dossiers/{dossier.id}/etapes/{rubrique}", data=saisie, headers=entetes)
    assert reponse.status_code < 500, (rubrique, saisie, reponse.get_data(as_text=True)[:300])


@REGLAGES
@given(donnees=st.data())
def test_l_api_ne_casse_sur_aucun_json(client, fab, donnees):
    if not hasattr(test_l_api_ne_casse_sur_aucun_json, "jeton"):
        dossier = fab.dossier(statut="brouillon")
        jeton, _ = fab.jeton(fab.porteur_de(dossier.structure))
        db.session.commit()
        test_l_api_ne_casse_sur_aucun_json.jeton = jeton
        test_l_api_ne_casse_sur_aucun_json.dossier_id = dossier.id
    jeton, dossier_id = test_l_api_ne_casse_sur_aucun_json.jeton, test_l_api_ne_casse_sur_aucun_json.dossier_id
    valeur = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texte_hostile),
        lambda enfants: st.one_of(st.lists(enfants, max_size=3), st.dictionaries(texte_hostile, enfants, max_size=3)),
        max_leaves=6,
    )
    champs = [
        "version",
        "titre",
        "etp_facilitateur",
        "communes",
        "missions",
        "volumes",
        "budget",
        "lignes",
        "zone_blanche",
        "decision",
        "date_limite",
        *regles.CATEGORIES_BUDGET,
    ]
    corps = donnees.draw(st.dictionaries(st.sampled_from(champs), valeur, max_size=5))
    methode, chemin = donnees.draw(
        st.sampled_from(
            [
                ("PATCH", ""),
                ("PUT", "/budget"),
                ("POST", "/depot"),
                ("POST", "/decisions"),
                ("PUT", "/avis-ctn"),
            ]
        )
    )
    reponse = client.open(
        f"/api/v1/dossiers/{dossier_id}{chemin}", method=methode, json=corps, headers={"Authorization": f"Bearer {jeton}"}
    )
    assert reponse.status_code < 500, (methode, chemin, corps, reponse.get_data(as_text=True)[:300])
    if reponse.status_code >= 400:
        assert reponse.json["errors"][0]["message"]


@REGLAGES
@given(donnees=st.data())
def test_profil_et_decisions_ne_cassent_sur_aucune_saisie(client_de, fab, donnees):
    if not hasattr(test_profil_et_decisions_ne_cassent_sur_aucune_saisie, "ids"):
        dossier = fab.dossier(statut="depose")
        porteur = fab.porteur_de(dossier.structure)
        agent = fab.agent_de(dossier.campagne.service)
        db.session.commit()
        test_profil_et_decisions_ne_cassent_sur_aucune_saisie.ids = (dossier.id, client_de(porteur), client_de(agent))
    dossier_id, porteur, agent = test_profil_et_decisions_ne_cassent_sur_aucune_saisie.ids
    cible = donnees.draw(
        st.sampled_from(["structure", "financement", "recevable", "irrecevable", "complements", "avis-ctn", "liste"])
    )
    saisie = {
        nom: donnees.draw(texte_hostile)
        for nom in donnees.draw(
            st.lists(
                st.sampled_from(
                    noms_des_champs(StructureForm)
                    + [
                        "poste",
                        "financeur",
                        "nom_financeur",
                        "montant_annee_courante",
                        "recevable_le",
                        "motif",
                        "rubriques",
                        "pieces",
                        "date_limite",
                        "avis",
                        "le",
                        "q",
                        "statut",
                        "tri",
                        "page",
                        "commune",
                        "campagne",
                    ]
                ),
                max_size=8,
                unique=True,
            )
        )
    }
    if cible == "structure":
        reponse = porteur.post("/structure", data=saisie)
    elif cible == "financement":
        reponse = porteur.post("/structure/financements", data=saisie)
    elif cible == "liste":
        reponse = agent.get("/dossiers/", query_string=saisie)
    else:
        reponse = agent.post(f"/dossiers/{dossier_id}/{cible}", data=saisie)
    assert reponse.status_code < 500, (cible, saisie, reponse.get_data(as_text=True)[:300])
