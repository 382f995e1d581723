"""Choosing a language: ``?lang=`` remembered in a cookie, the account's saved preference, the browser's
``Accept-Language``; the chooser on every page, ``hreflang`` alternates, ``Vary``; and email written in its
recipient's language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.extensions import db
from directory.mail.models import MailMessage

from .conftest import PASSWORD

ALL = ["en", "fr", "es", "pt"]


@pytest.fixture(autouse=True)
def four_languages(app: Flask) -> None:
    app.config["LANGUAGES"] = ALL
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF itself is tested in test_accounts.py


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def _sign_in(client: FlaskClient, user: User) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_lang_parameter_shows_the_language_and_a_cookie_remembers_it(client: FlaskClient) -> None:
    response = client.get("/?lang=fr")
    assert _lang(response) == "fr"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=fr;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert _lang(client.get("/organizations")) == "fr"  # no parameter: the cookie
    assert _lang(client.get("/organizations?lang=pt")) == "pt"  # a new choice wins, and is remembered
    assert _lang(client.get("/")) == "pt"


def test_unknown_languages_are_ignored(client: FlaskClient) -> None:
    response = client.get("/?lang=xx")
    assert _lang(response) == "en"
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]
    client.set_cookie("lang", "de")
    assert _lang(client.get("/")) == "en"


def test_the_default_comes_from_accept_language(client: FlaskClient) -> None:
    assert _lang(client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})) == "es"
    assert _lang(client.get("/", headers={"Accept-Language": "de-DE,pt;q=0.8"})) == "pt"
    assert _lang(client.get("/", headers={"Accept-Language": "de-DE"})) == "en"
    # A remembered choice outranks the browser.
    client.get("/?lang=fr")
    assert _lang(client.get("/", headers={"Accept-Language": "es"})) == "fr"


def test_every_response_varies_on_the_cookie_and_accept_language(client: FlaskClient) -> None:
    for path in ("/", "/organizations?q=training", "/login", "/api/v1/organizations", "/no-such-page"):
        vary = {v.strip() for v in client.get(path).headers.get("Vary", "").split(",")}
        assert {"Cookie", "Accept-Language"} <= vary, path


def test_the_chooser_links_to_this_page_in_each_language(client: FlaskClient) -> None:
    page = client.get("/organizations?q=training&country=KE&lang=es").get_data(as_text=True)
    chooser = re.search(r'<nav class="language-chooser".*?</nav>', page, re.S).group(0)
    links = re.findall(
        r'<a href="([^"]+)" hreflang="(\w+)" lang="(\w+)"( aria-current="true")?>([^<]+)</a>', chooser
    )
    assert [(code, name) for _href, code, _lang_attr, _current, name in links] == [
        ("en", "English"),
        ("fr", "Français"),
        ("es", "Español"),
        ("pt", "Português"),
    ]
    current = [code for _href, code, _l, mark, _n in links if mark]
    assert current == ["es"]
    french = next(href for href, code, *_ in links if code == "fr").replace("&amp;", "&")
    assert "q=training" in french and "country=KE" in french
    assert "lang=fr" in french and "lang=es" not in french
    assert _lang(client.get(french)) == "fr"  # a plain link: no script needed


def test_public_pages_have_hreflang_alternates_and_private_ones_do_not(
    client: FlaskClient, make_user, make_org
) -> None:
    page = client.get("/organizations?q=training").get_data(as_text=True)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)">', page))
    assert set(alternates) == {*ALL, "x-default"}
    assert alternates["pt"] == "http://localhost/organizations?q=training&amp;lang=pt"
    assert alternates["x-default"] == "http://localhost/organizations?q=training"
    user = make_user("org_member", email="member@example.org", organization=make_org(name="Alternates Org"))
    _sign_in(client, user)
    assert 'hreflang="fr" href=' not in client.get("/account").get_data(as_text=True).split("</head>")[0]


def test_a_signed_in_person_saves_their_language_with_a_post(
    client: FlaskClient, make_user, make_org
) -> None:
    user = make_user("org_member", email="member@example.org", organization=make_org(name="Preference Org"))
    _sign_in(client, user)
    assert db.session.get(User, user.id).locale == "en"  # the language they signed in with
    # Looking at pages in another language never changes the saved preference (a GET changes nothing).
    client.get("/account?lang=pt")
    client.delete_cookie("lang")
    assert db.session.get(User, user.id).locale == "en"

    response = client.post("/account/language", data={"language-language": "fr"})
    assert response.status_code == 302
    assert "lang=fr" in response.headers["Set-Cookie"]
    assert db.session.get(User, user.id).locale == "fr"
    # In a browser without the cookie, the saved preference decides.
    client.delete_cookie("lang")
    page = client.get("/account", headers={"Accept-Language": "es"})
    assert _lang(page) == "fr"
    checked = re.findall(r'<input checked[^>]*value="(\w+)"', page.get_data(as_text=True))
    assert checked == ["fr"]


def test_an_unknown_language_is_refused_at_the_field(client: FlaskClient, make_user, make_org) -> None:
    user = make_user("org_member", email="member@example.org", organization=make_org(name="Refused Org"))
    _sign_in(client, user)
    response = client.post("/account/language", data={"language-language": "xx"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Error:" in page and 'id="language-language-error"' in page
    assert db.session.get(User, user.id).locale == "en"


def test_signing_in_keeps_a_chosen_language(client: FlaskClient, make_user, make_org) -> None:
    user = make_user("org_member", email="member@example.org", organization=make_org(name="Kept Org"))
    db.session.execute(sa.update(User).where(User.id == user.id).values(locale="pt"))
    db.session.commit()
    client.get("/?lang=es")
    _sign_in(client, user)
    assert db.session.get(User, user.id).locale == "pt"  # signing in in Spanish does not overwrite it


def test_mail_is_written_in_the_recipients_language(
    app: Flask, client: FlaskClient, make_user, make_org
) -> None:
    """An English-speaking admin rejects a listing; its French-speaking member's email is French."""
    org = make_org(name="Groupe de Douala")
    member = make_user("org_member", email="membre@example.org", organization=org)
    other = make_user("org_member", email="member2@example.org", organization=org)
    db.session.execute(sa.update(User).where(User.id == member.id).values(locale="fr"))
    db.session.execute(sa.update(User).where(User.id == other.id).values(locale="es"))
    db.session.commit()
    from directory.admin.views import _tell_members

    with app.test_request_context("/?lang=en"):
        _tell_members(db.session.get(type(org), org.id), "reject", "Merci")
    mails = {m.to_address: m for m in db.session.scalars(sa.select(MailMessage))}
    french, spanish = mails["membre@example.org"], mails["member2@example.org"]
    assert (french.locale, spanish.locale) == ("fr", "es")
    assert french.subject.startswith("Votre fiche dans l'Annuaire") and "Merci" in french.body
    assert spanish.subject.startswith("Acerca de su ficha en el Directorio")


def test_a_requests_findings_are_shown_in_the_readers_language(app: Flask) -> None:
    """Findings are kept as a code and numbers, so each reader sees them in their own language; one kept
    with words only (before codes carried numbers) keeps its words."""
    from flask_babel import force_locale

    from directory.partnerships.checks import stored_wording

    kept = {"code": "short_response_time", "severity": "concern", "params": {"n": 3, "min": 10}}
    with app.test_request_context("/"):
        with force_locale("en"):
            assert stored_wording(kept)[0] == "3 working days to respond (at least 10 are fair)."
        with force_locale("fr"):
            message, practice = stored_wording(kept)
            assert "3" in message and "10" in message and "jours ouvrés" in message
            assert (
                practice
                and practice != "Avoid tight time constraints that impair the quality of survivor input."
            )
        legacy = {"code": "short_response_time", "message": "2 working days to respond", "practice": "P"}
        with force_locale("fr"):
            assert stored_wording(legacy) == ("2 working days to respond", "P")
            assert stored_wording({"code": "unpaid"})[0] != "The request is unpaid."


def test_the_count_of_organizations_found_is_written_in_the_readers_language(
    client: FlaskClient, make_org: Callable[..., Any]
) -> None:
    make_org(name="Counted Org")
    assert '<h2 id="results-heading">\n      1 organisation' in client.get("/organizations?lang=fr").text
    make_org(name="Second Org")
    assert "2 organizações" in client.get("/organizations?lang=pt").text
