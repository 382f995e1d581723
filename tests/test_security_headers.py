"""Security headers on every response (pages, error pages, JSON, static files), and templates a strict
Content-Security-Policy can serve: no inline scripts, no style blocks, no style attributes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.config import DEFAULT_CSP, load_config

from .test_access_matrix import MATRIX, ROLES, _client, _csrf, people  # noqa: F401  (people: a fixture)

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    "Content-Security-Policy": DEFAULT_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _assert_headers(response: Any, what: str, hsts: bool = False) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{what}: {name}"
    assert ("Strict-Transport-Security" in response.headers) is hsts, what


def test_the_policy_is_strict() -> None:
    directives = dict(d.strip().split(" ", 1) for d in DEFAULT_CSP.split(";"))
    assert directives["script-src"] == directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'" and directives["img-src"] == "'self' data:"
    assert "unsafe" not in DEFAULT_CSP


def test_every_route_carries_the_headers(app: Flask, people: dict[str, Any]) -> None:  # noqa: F811
    """Each route of the access matrix, as the first role that gets a 200 there (anonymous visitors for
    routes that answer nobody with a 200)."""
    app.config["WTF_CSRF_ENABLED"] = True
    clients: dict[str, FlaskClient] = {}
    for (endpoint, method), expected in MATRIX.items():
        role = next((r for r in ROLES if expected[r] == 200), "anonymous")
        if role not in clients:
            clients[role] = _client(app, role, people)
        client = clients[role]
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        with app.test_request_context():
            url = app.url_for(endpoint, **{k: people["params"][k] for k in rule.arguments})
        url = url.replace("http://localhost", "")
        if method == "GET":
            response = client.get(url)
        else:  # routes that act on an empty form (signing out, pausing) have no 200: anonymous tries them
            response = client.post(url, data={"csrf_token": _csrf(client)})
        assert response.status_code == expected[role], f"{role} {method} {url}"
        _assert_headers(response, f"{role} {method} {url}")


def test_error_pages_json_and_static_files_carry_them_too(app: Flask, client: FlaskClient) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    answers = {
        "page not found": client.get("/no-such-page"),
        "JSON error": client.get("/api/v1/organizations/no-such-slug"),
        "method not allowed": client.delete("/"),
        "server error": client.get("/boom"),
        "static file": client.get("/static/css/site.css"),
        "CSRF refusal": None,
    }
    app.config["WTF_CSRF_ENABLED"] = True
    answers["CSRF refusal"] = client.post("/login", data={"email": "x@example.org", "password": "x"})
    statuses = {what: response.status_code for what, response in answers.items()}
    assert statuses == {
        "page not found": 404,
        "JSON error": 404,
        "method not allowed": 405,
        "server error": 500,
        "static file": 200,
        "CSRF refusal": 400,
    }
    for what, response in answers.items():
        response.close()  # a static file is streamed from an open file
        _assert_headers(response, what)


def test_hsts_only_when_the_cookie_is_secure(app: Flask, client: FlaskClient) -> None:
    _assert_headers(client.get("/"), "plain HTTP")
    app.config["SESSION_COOKIE_SECURE"] = True
    for url in ("/", "/api/v1/organizations", "/no-such-page", "/static/css/site.css"):
        response = client.get(url)
        response.close()  # a static file is streamed from an open file
        _assert_headers(response, url, hsts=True)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_deployment_sets_the_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTENT_SECURITY_POLICY", "default-src 'self'; img-src 'self' https://tiles.example")
    monkeypatch.setenv("REFERRER_POLICY", "no-referrer")
    monkeypatch.setenv("STRICT_TRANSPORT_SECURITY", "max-age=63072000; includeSubDomains")
    config = load_config(tmp_path)
    assert config["CONTENT_SECURITY_POLICY"].endswith("https://tiles.example")
    assert config["REFERRER_POLICY"] == "no-referrer"
    assert config["STRICT_TRANSPORT_SECURITY"] == "max-age=63072000; includeSubDomains"


INLINE = {
    "a <script> without src": re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "a <style> block": re.compile(r"<style\b", re.IGNORECASE),
    "a style attribute": re.compile(r"\bstyle\s*=", re.IGNORECASE),
    "an inline event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_needs_inline_scripts_or_styles() -> None:
    """The CSP would block them: scripts and styles live in static files."""
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 20
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_template_check_catches_what_the_policy_blocks() -> None:
    caught = {
        "<script>alert(1)</script>": "a <script> without src",
        "<SCRIPT type='module'>x()</SCRIPT>": "a <script> without src",
        "<style>p{}</style>": "a <style> block",
        '<p style="color: red">': "a style attribute",
        '<button onclick="go()">': "an inline event handler",
        '<a href="javascript:go()">': "a javascript: URL",
    }
    for markup, what in caught.items():
        assert INLINE[what].search(markup), markup
    allowed = '<script src="/static/js/map.js" defer></script><link rel="stylesheet" href="/s.css">'
    assert not any(pattern.search(allowed) for pattern in INLINE.values())
