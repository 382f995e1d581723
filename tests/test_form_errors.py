"""Forms shown again with errors: the title starts with "Error:", a summary at the top links to every
field with an error, each field keeps its own message, and groups of choices are fieldsets with a legend."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.organizations.models import ListingStatus, Organization

from .conftest import PASSWORD


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def summary_links(page: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary, "no error summary"
    return re.findall(r'<a href="#([\w-]+)">([^<]*)</a>', summary.group(1))


def test_a_form_with_errors_is_summed_up_at_the_top_and_each_error_stays_at_its_field(
    client: FlaskClient,
) -> None:
    page = client.post(
        "/register/organization", data={"org_name": "Circle", "email": "not-an-email", "password": "short"}
    ).get_data(as_text=True)
    assert re.search(r"<title>Error: ", page)
    links = dict(summary_links(page))
    assert {"email", "display_name", "country_code"} <= set(links)
    assert links["email"].startswith("Email address: ")
    assert page.index('class="error-summary"') < page.index("<form")  # before anything else on the page
    assert 'id="email-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Circle"' in page  # what was typed is kept


def test_a_page_without_errors_has_no_summary_and_a_plain_title(client: FlaskClient) -> None:
    page = client.get("/register/organization").get_data(as_text=True)
    assert "error-summary" not in page and "<title>Error:" not in page


def test_choices_are_fieldsets_named_by_a_legend_and_a_group_error_is_summed_up(
    app: Flask, make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> None:
    org = make_org(name="Group Circle", status=ListingStatus.DRAFT)
    make_user("org_member", email="ama@example.org", organization_id=org.id)
    client = app.test_client()
    client.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    for section, legend in (
        ("leadership", "Leadership models"),
        ("offer", "Focus areas"),
        ("contacts", "Who may see the email address"),
    ):
        page = client.get(f"/my/organization/edit/{section}").get_data(as_text=True)
        assert re.search(rf"<fieldset[^>]*>\s*<legend>{legend}</legend>", page), legend
        assert "<title>Error:" not in page
    # a radio group left unanswered (the precision), and an unknown country: both at the top
    refused = client.post("/my/organization/edit/where", data={"country_code": "ZZ"})
    links = dict(summary_links(refused.get_data(as_text=True)))
    assert {"location_precision", "country_code"} <= set(links)
