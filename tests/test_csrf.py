"""CSRF on every form: enumerated from the URL map, so that a new form cannot forget it."""

import re

import pytest


@pytest.fixture
def config_supplementaire():
    return {"WTF_CSRF_ENABLED": True}


def _url(regle):
    url = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", regle.rule)  # <any(emis, recouvre):etat> -> emis
    for argument in regle.arguments:
        for motif in (f"<id:{argument}>", f"<path:{argument}>", f"<{argument}>"):
            url = url.replace(motif, "1")
    return url


def test_tout_formulaire_refuse_une_requete_sans_jeton_csrf(app, fab):
    """Every POST route of the pages (the API excepted: it takes no cookies) needs the CSRF token."""
    admin = fab.utilisateur("admin")
    session = app.test_client()
    with session.session_transaction() as s:
        s["_user_id"] = admin.get_id()
        s["_fresh"] = True
    assert session.get("/profil").status_code == 200
    routes = [r for r in app.url_map.iter_rules() if "POST" in r.methods and not r.rule.startswith("/api/")]
    assert len(routes) >= 8
    for regle in routes:
        reponse = session.post(_url(regle), data={})
        assert reponse.status_code == 400, f"{regle.rule} accepte un POST sans jeton CSRF"
        assert "Requête invalide" in reponse.get_data(as_text=True)
