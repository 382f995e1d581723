"""The fields a small group fills in on a phone: languages by name, countries ticked by continent, a
website without its https://, through the profile editor (and the agency form), on both databases."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory import languages
from directory.accounts.models import User
from directory.agencies.models import Agency, AgencyStatus, AgencyType
from directory.extensions import db
from directory.organizations.models import ListingStatus
from directory.websites import is_website, normalize_website

from .conftest import PASSWORD
from .test_workspace import app, form_data, member  # noqa: F401  (the editor's fixtures)

EDIT = "/my/organization/edit"


@pytest.fixture
def french(app: Flask) -> Flask:  # noqa: F811
    app.config["LANGUAGES"] = ["en", "fr"]
    return app


@pytest.mark.parametrize(
    ("typed", "locale", "codes"),
    [
        ("French, English, Duala", "en", ["fr", "en", "dua"]),
        ("français, Anglais ,douala", "fr", ["fr", "en", "dua"]),
        ("French, English", "fr", ["fr", "en"]),  # English names work on every page
        ("Swahili; swahili, SW", "en", ["sw"]),  # each language once, however it was given
        ("bkh, fra", "en", ["bkh", "fr"]),  # ISO 639-3: Bakoko (CLDR has no name for it), French
        ("", "en", []),
    ],
)
def test_languages_are_read_by_name_or_code(typed: str, locale: str, codes: list[str]) -> None:
    assert languages.parse(typed, locale) == languages.Parsed(codes, [])


def test_every_language_cldr_names_can_be_chosen_and_the_rest_is_unknown() -> None:
    assert len(languages.choices("en")) > 600
    assert ("dua", "Duala") in languages.choices("en") and ("dua", "douala") in languages.choices("fr")
    assert languages.parse("French, Elvish, xqq, English", "en") == languages.Parsed(
        ["fr", "en"], ["Elvish", "xqq"]
    )
    assert languages.name("bkh", "fr") == "Bakoko" and languages.name("dua", "fr") == "douala"


def test_the_editor_takes_languages_by_name_and_shows_them_in_the_readers_language(
    french: Flask,
    member: Callable[..., Any],  # noqa: F811
) -> None:
    org, client = member()
    response = client.post(
        f"{EDIT}/offer?lang=fr", data=form_data(org, "offer", languages="français, anglais, Duala, bkh")
    )
    assert response.status_code == 302
    saved = client.get(f"{EDIT}/offer?lang=en").text  # a published listing: the revision is shown
    assert 'value="French, English, Duala, Bakoko"' in saved
    in_french = client.get(f"{EDIT}/offer?lang=fr").get_data(as_text=True)
    assert 'value="français, anglais, douala, Bakoko"' in in_french
    assert re.search(r'data-languages="/api/v1/languages\?lang=fr"', in_french)


def test_an_unknown_language_is_named_at_the_field_and_nothing_is_saved(member: Callable[..., Any]) -> None:  # noqa: F811
    org, client = member(languages=["en"])
    version = org.edit_version
    page = client.post(f"{EDIT}/offer", data=form_data(org, "offer", languages="French, Elvish, xqq")).text
    message = "We do not know these languages: “Elvish”, “xqq”."
    assert page.count(message) == 2  # at the field, and in the summary at the top
    assert 'value="French, Elvish, xqq"' in page  # what was typed is kept
    assert page.startswith("<!doctype html>") and "<title>Error: " in page
    db.session.refresh(org)
    assert org.edit_version == version and [lang.code for lang in org.languages] == ["en"]


def test_the_languages_list_and_the_search_filter_speak_the_readers_language(
    french: Flask, client: FlaskClient, make_org: Callable[..., Any]
) -> None:
    answer = client.get("/api/v1/languages?lang=fr").json
    assert {"code": "dua", "name": "douala"} in answer["languages"]
    assert len(answer["languages"]) > 600
    make_org(name="Douala speakers", languages=["dua", "fr"])
    make_org(name="English only", languages=["en"])
    found = client.get("/api/v1/organizations?language=Duala").json
    assert [r["name"] for r in found["results"]] == ["Douala speakers"]
    page = client.get("/organizations?language=dua&lang=fr").get_data(as_text=True)
    assert "douala" in page and "Retirer le filtre « douala »" in page


def test_countries_served_are_ticked_and_shown_again_as_chosen(member: Callable[..., Any]) -> None:  # noqa: F811
    org, client = member(status=ListingStatus.DRAFT)
    response = client.post(f"{EDIT}/where", data=form_data(org, "where", serves=["NG", "CM"]))
    assert response.status_code == 302
    db.session.refresh(org)
    assert sorted(area.country_code for area in org.service_areas) == ["CM", "NG"]
    page = client.get(f"{EDIT}/where").get_data(as_text=True)
    assert re.search(r"<span data-picker-chosen[^>]*>Cameroon, Nigeria</span>", page)
    assert re.search(r'id="serves-CM" name="serves" value="CM" checked', page)
    assert not re.search(r'id="serves-GH" name="serves" value="GH" checked', page)
    assert '<details class="picker-group" open>\n        <summary>Africa' in page
    assert (
        "<legend>Countries you serve</legend>" in page
        and "<select" not in page.split('id="serves"')[1][:2000]
    )
    refused = client.post(f"{EDIT}/where", data=form_data(org, "where", serves=["CM", "XX"])).text
    assert "<title>Error: " in refused and 'href="#serves"' in refused
    db.session.refresh(org)
    assert sorted(area.country_code for area in org.service_areas) == ["CM", "NG"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.org", "https://example.org"),
        ("  www.example.org/about?x=1 ", "https://www.example.org/about?x=1"),
        ("HTTP://example.org", "http://example.org"),
        ("example.org:8080/a", "https://example.org:8080/a"),
    ],
)
def test_a_website_without_its_scheme_is_kept_as_https(
    member: Callable[..., Any],  # noqa: F811
    typed: str,
    stored: str,
) -> None:
    org, client = member(status=ListingStatus.DRAFT)
    assert client.post(f"{EDIT}/about", data=form_data(org, "about", website=typed)).status_code == 302
    db.session.refresh(org)
    assert org.website == stored


@pytest.mark.parametrize(
    "typed", ["ftp://example.org", "javascript:alert(1)", "mailto:a@example.org", "exa mple.org"]
)
def test_only_http_and_https_websites_are_accepted(member: Callable[..., Any], typed: str) -> None:  # noqa: F811
    org, client = member(status=ListingStatus.DRAFT, website="https://before.example")
    page = client.post(f"{EDIT}/about", data=form_data(org, "about", website=typed)).get_data(as_text=True)
    assert "Give a web address such as example.org (only http:// and https:// addresses)." in page
    assert 'inputmode="url"' in page and 'type="url"' not in page  # browsers would refuse "example.org"
    db.session.refresh(org)
    assert org.website == "https://before.example"


def test_the_agency_form_takes_a_website_without_its_scheme(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    agency = Agency(
        name="Ministry", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.PENDING
    )
    db.session.add(agency)
    db.session.commit()
    make_user("agency_member", email="officer@example.org", agency_id=agency.id)
    client.post("/login", data={"email": "officer@example.org", "password": PASSWORD})
    data = {"name": "Ministry", "agency_type": "government", "country_code": "KE", "description": "Work."}
    assert client.post("/my/agency", data={**data, "website": "ministry.example"}).status_code == 302
    db.session.refresh(agency)
    assert agency.website == "https://ministry.example"


def test_website_rules() -> None:
    assert normalize_website("//cdn.example/x") == "https://cdn.example/x"
    assert not is_website(normalize_website("https://"))
    assert not is_website(normalize_website("https://user@example.org"))
