"""No id breaks a route: every route of the URL map with an integer id, pages and API, every method, called with
ids at the edge of the INTEGER column (2^31 - 1), just past it (2^31, PostgreSQL's overflow) and past a 64-bit
integer (2^63, SQLite's), anonymously and as an administrator of the service; and every list with a huge
`?page=`. Never a 5xx: an id out of range matches no route (404), as one that does not exist."""

import re

from aap.entrees import ID_MAX

from .conftest import connecter

IDS = (ID_MAX, 2**31, 2**63)
PAGES = ("2147483648", "9223372036854775808", "0", "-1", "abc")
METHODES_IGNOREES = {"HEAD", "OPTIONS"}


def _url(regle, valeur):
    url = re.sub(r"<id:\w+>", str(valeur), regle.rule)
    url = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", url)  # <any(emis, recouvre):etat> -> emis
    return re.sub(r"<[^>]+>", "x", url)


def test_aucun_identifiant_ni_numero_de_page_ne_provoque_d_erreur_serveur(app, fab):
    admin = fab.utilisateur("admin")
    jeton, _ = fab.jeton(admin)
    page = app.test_client()
    connecter(page, admin)
    anonyme = app.test_client()
    regles = [r for r in app.url_map.iter_rules() if "<id:" in r.rule]
    assert len(regles) >= 110  # toutes les routes à identifiant, pages et API
    sondes, erreurs = 0, []
    for regle in regles:
        api = regle.rule.startswith("/api/")
        for methode in sorted(regle.methods - METHODES_IGNOREES):
            for valeur in IDS:
                url = _url(regle, valeur)
                for client, entetes in ((anonyme, {}), (page, {"Authorization": f"Bearer {jeton}"} if api else {})):
                    reponse = client.open(url, method=methode, headers=entetes)
                    sondes += 1
                    if reponse.status_code >= 500:
                        erreurs.append(f"{methode} {url} → {reponse.status_code}")
                    elif valeur > ID_MAX:
                        assert reponse.status_code in (302, 401, 404), (methode, url, reponse.status_code)
    listes = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments]
    for regle in listes:
        for numero in PAGES:
            api = regle.rule.startswith("/api/")
            reponse = page.get(f"{regle.rule}?page={numero}", headers={"Authorization": f"Bearer {jeton}"} if api else {})
            sondes += 1
            if reponse.status_code >= 500:
                erreurs.append(f"GET {regle.rule}?page={numero} → {reponse.status_code}")
    print(f"{sondes} sondes")
    assert not erreurs, "\n".join(erreurs)
