"""Security of every response: headers, CSP without unsafe-inline, cookies, CSRF on every form."""

import pytest

from aap.securite import CSP

from .conftest import connecter


def test_entetes_de_securite(client):
    reponse = client.get("/")
    assert reponse.headers["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert reponse.headers["X-Content-Type-Options"] == "nosniff"
    assert reponse.headers["X-Frame-Options"] == "DENY"
    assert reponse.headers["Referrer-Policy"] == "same-origin"


def test_pages_personnelles_jamais_en_cache(client_de, fab):
    reponse = client_de(fab.utilisateur("agent")).get("/profil")
    assert reponse.headers["Cache-Control"] == "no-store"


def test_cookie_de_session_httponly_et_samesite(client, fab):
    reponse = connecter(client, fab.utilisateur("agent"))
    cookie = reponse.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_en_production_cookie_secure_et_hsts(fab, app):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    reponse = connecter(client, fab.utilisateur("agent"))
    assert "Secure" in reponse.headers["Set-Cookie"]
    assert "max-age" in client.get("/").headers["Strict-Transport-Security"]


def test_en_production_la_configuration_incomplete_refuse_de_demarrer(monkeypatch):
    from aap import create_app
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_en_production_sans_url_publique_l_application_refuse_de_demarrer(monkeypatch):
    """Its links would otherwise lead to http://127.0.0.1:5000, the default of development only."""
    from aap import create_app
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "une clé")
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    monkeypatch.setattr(ProductionConfig, "URL_PUBLIQUE", None)
    with pytest.raises(RuntimeError, match="URL_PUBLIQUE"):
        create_app("production")
    monkeypatch.setattr(ProductionConfig, "URL_PUBLIQUE", "https://aap.deets.gouv.fr")
    assert create_app("production").config["URL_PUBLIQUE"] == "https://aap.deets.gouv.fr"
