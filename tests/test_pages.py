"""The HTML pages render, link up and say what they should."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from directory.organizations.models import Organization


def test_home_has_a_search_box_and_region_and_engagement_shortcuts(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'name="q"' in page and 'name="near"' in page
    assert "/organizations?region=africa" in page
    assert "/organizations?region=south-eastern-asia" in page
    # "we want to hire survivors as staff": one link away
    assert '<a href="/organizations?engagement=staff-position">Staff position</a>' in page
    assert page.count('href="/organizations?engagement=') == 7
    assert "/static/css/site.css" in page


def test_about_explains_survivor_informed_partnership(client: FlaskClient) -> None:
    page = client.get("/about").get_data(as_text=True)
    for phrase in ("inception", "trauma-informed", "labor", "paid"):
        assert phrase.lower() in page.lower()


def test_search_page_shows_cards_filters_and_counts(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Alpha Circle", focus=["micro-finance"], summary="Loans for women.")
    make_org(name="Beta Hub", country_code="NG", city="Lagos", focus=["housing"])
    page = client.get("/organizations", query_string={"country": "CM"}).get_data(as_text=True)
    assert "Alpha Circle" in page and "Beta Hub" not in page
    assert "1 organization" in page
    assert "Loans for women." in page
    # the country facet still offers Nigeria, with its count, as a link that adds it
    assert "Nigeria" in page
    assert "country=CM&amp;country=NG" in page
    assert 'aria-current="true"' in page  # Cameroon is shown as selected


def test_no_results_page_offers_help(client: FlaskClient, make_org: Callable[..., Organization]) -> None:
    make_org(name="Alpha Circle")
    page = client.get(
        "/organizations", query_string={"q": "zebra", "near": "Douala", "radius_km": 50}
    ).get_data(as_text=True)
    assert "No organization matches this search." in page
    assert "radius_km=200" in page  # "search a wider area"


def test_pagination_links_keep_the_query(client: FlaskClient, make_org: Callable[..., Organization]) -> None:
    for i in range(3):
        make_org(name=f"Org {i}", focus=["youth"])
    page = client.get("/organizations", query_string={"focus": "youth", "per_page": 2}).get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert "focus=youth" in page and "page=2" in page


def test_profile_leads_with_the_leadership_model(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(
        name="Alpha Circle",
        models=["survivor-founded"],
        leadership_narrative="Economic independence through micro-financing.",
        survivor_attestation="Founded and led by survivors.",
        description="Longer description.",
        email="hello@alpha.example",
        email_visibility="public",
        phone="+1 555 0100",
    )
    page = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert page.index("Leadership model") < page.index("Longer description.")
    assert "Survivor-founded" in page
    assert "Economic independence through micro-financing." in page
    assert "hello@alpha.example" in page  # public email shown
    assert "+1 555 0100" not in page  # phone is for verified agencies only
    assert "only with verified agencies" in page


def test_demo_listings_are_marked(client: FlaskClient, make_org: Callable[..., Organization]) -> None:
    org = make_org(name="Demo Circle", is_demo=True)
    assert "Demo – fictional" in client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert "Demo – fictional" in client.get("/organizations").get_data(as_text=True)
    assert client.get(f"/api/v1/organizations/{org.slug}").json["is_demo"] is True


def test_contacts_follow_their_visibility(
    app, client: FlaskClient, make_org: Callable[..., Organization], make_user
) -> None:
    import re

    import sqlalchemy as sa

    from directory.agencies.models import Agency, AgencyStatus, AgencyType
    from directory.audit.models import AuditEntry
    from directory.extensions import db

    from .conftest import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    org = make_org(
        name="Contact Circle",
        email="team@circle.example",
        email_visibility="verified_agencies",
        phone="+1 555 0101",
        phone_visibility="after_accept",
    )
    verified = Agency(
        name="V", agency_type=AgencyType.GOVERNMENT, country_code="KE", status=AgencyStatus.VERIFIED
    )
    pending = Agency(name="P", agency_type=AgencyType.BUSINESS, country_code="KE")
    db.session.add_all([verified, pending])
    db.session.commit()
    make_user("agency_member", email="v@example.org", agency_id=verified.id)
    make_user("agency_member", email="p@example.org", agency_id=pending.id)

    def seen_by(email: str | None) -> str:
        viewer = app.test_client()
        if email:
            viewer.post("/login", data={"email": email, "password": PASSWORD})
        return viewer.get(f"/organizations/{org.slug}").get_data(as_text=True)

    assert "team@circle.example" not in seen_by(None)
    assert "team@circle.example" not in seen_by("p@example.org")  # not verified yet
    page = seen_by("v@example.org")
    assert "team@circle.example" in page
    assert "+1 555 0101" not in page  # only after the organization accepts a request
    views = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contact.view")).all()
    assert len(views) == 1 and views[0].target_id == org.id
    assert "Not yet verified" in page and "Verified on" not in page  # no admin has verified it
    from directory.db import now_utc

    org.assured_date = now_utc()
    db.session.commit()
    page = seen_by(None)
    assert re.search(r"Verified on \w+ \d+, \d{4}\.", page) and "Needs re-verification" not in page
    assert "Not yet verified" not in page
    org.assured_date = now_utc() - timedelta(days=400)
    db.session.commit()
    assert "Needs re-verification" in seen_by(None)


def test_search_links_are_built_as_url_for_builds_them(app: Flask) -> None:
    from flask import url_for

    from directory.organizations.links import search_url

    cases = [
        {},
        {"q": "micro finance & co", "country": ["CM", "NG"], "page": 2},
        {"q": "Yaoundé’s “best”", "near": "4.05,9.7", "radius_km": "250", "focus": []},
    ]
    with app.test_request_context("/"):
        for args in cases:
            assert search_url(**args) == url_for("organizations.search_page", **args)


def test_facet_links_toggle_one_value_and_keep_the_rest_of_the_search(
    app: Flask, client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    from directory.organizations.facets import facet_items
    from directory.organizations.links import search_url
    from directory.search import parse_params, search

    make_org(
        name="Kivu Fishers",
        country_code="CD",
        city="Goma",
        focus=["micro-finance", "youth"],
        languages=["sw"],
    )
    make_org(
        name="Douala Fishers",
        focus=["youth", "micro-finance"],
        languages=["fr"],
        serves=["CM"],
        engagements=["trainer", "staff-position"],
    )
    query = "q=fishers&country=CM&focus=youth&near=Douala&radius_km=5000&sort=name&per_page=5&page=2"
    with app.test_request_context("/organizations?" + query):
        from flask import request

        params = parse_params(request.args, app.config)
        results = search(params)
        for dim in ("region", "country", "focus", "engagement", "language", "serves"):
            items = facet_items(results, dim)
            assert items, dim
            for item in items:
                assert item.url == search_url(**params.toggled(dim, item.value)), (dim, item.value)
        countries = {item.value: item for item in facet_items(results, "country")}
        assert countries["CM"].selected and "country=CM" not in countries["CM"].url
        assert not countries["CD"].selected and "country=CM&country=CD" in countries["CD"].url
