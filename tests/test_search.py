"""Search through the JSON API: filters, facets, proximity, sorting, pagination and visibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.extensions import db
from directory.organizations.models import ListingStatus, Organization
from directory.public_reads import public_data_changed_at
from tests.conftest import ON_POSTGRESQL


def api(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/organizations", query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def names(answer: dict[str, Any]) -> list[str]:
    return [r["name"] for r in answer["results"]]


def facet(answer: dict[str, Any], dim: str) -> dict[str, int]:
    return {item["value"]: item["count"] for item in answer["facets"][dim]}


@pytest.fixture
def world(make_org: Callable[..., Organization]) -> None:
    make_org(
        name="Bafoussam Enterprise Circle",
        country_code="CM",
        city="Bafoussam",
        focus=["micro-finance", "entrepreneurship"],
        models=["survivor-founded"],
        trafficking=["sex", "labor"],
        services=["training"],
        languages=["fr", "en"],
        serves=["CM", "GA"],
    )
    make_org(
        name="Lagos Market Women",
        country_code="NG",
        city="Lagos",
        focus=["micro-finance"],
        models=["cooperative"],
        trafficking=["sex"],
        languages=["en", "yo"],
        serves=["NG", "CM"],
    )
    make_org(
        name="Gulf Builders Voice",
        country_code="QA",
        city="Doha",
        focus=["policy-advocacy"],
        models=["survivor-led-board"],
        trafficking=["labor"],
        services=["consulting"],
        languages=["ar", "en"],
    )
    make_org(
        name="Sihanoukville Deckhands",
        country_code="KH",
        city="Sihanoukville",
        focus=["job-training"],
        models=["peer-mentorship"],
        trafficking=["labor"],
        services=["training"],
        languages=["km"],
    )
    make_org(
        name="Draft Not Public",
        country_code="CM",
        city="Douala",
        focus=["micro-finance"],
        status=ListingStatus.PENDING,
    )


def test_only_approved_listings_are_public(client: FlaskClient, world: None) -> None:
    answer = api(client)
    assert answer["total"] == 4
    assert "Draft Not Public" not in names(answer)
    assert client.get("/api/v1/organizations/draft-not-public").status_code == 404
    assert client.get("/organizations/draft-not-public").status_code == 404


def test_one_filter_with_several_values_means_any(client: FlaskClient, world: None) -> None:
    answer = api(client, country=["CM", "NG"], sort="name")
    assert names(answer) == ["Bafoussam Enterprise Circle", "Lagos Market Women"]


def test_different_filters_all_apply(client: FlaskClient, world: None) -> None:
    assert names(api(client, focus="micro-finance", trafficking="labor")) == ["Bafoussam Enterprise Circle"]
    assert api(client, country="KH", focus="micro-finance")["total"] == 0


def test_facets_leave_out_their_own_selection(client: FlaskClient, world: None) -> None:
    answer = api(client, country="CM", focus="micro-finance")
    # the country facet ignores country=CM, so Nigeria is still counted
    assert facet(answer, "country") == {"CM": 1, "NG": 1}
    # the focus facet ignores focus=micro-finance, but not country=CM
    assert facet(answer, "focus") == {"micro-finance": 1, "entrepreneurship": 1}
    # other facets apply both filters
    assert facet(answer, "model") == {"survivor-founded": 1}
    selected = [i for i in answer["facets"]["country"] if i["selected"]]
    assert [i["value"] for i in selected] == ["CM"]


def test_a_selected_value_with_no_matches_is_still_listed(client: FlaskClient, world: None) -> None:
    answer = api(client, country="KH", focus="housing")
    assert {"value": "housing", "label": "Housing", "count": 0, "selected": True} in answer["facets"]["focus"]


def test_region_takes_a_continent_or_a_subregion(client: FlaskClient, world: None) -> None:
    assert sorted(names(api(client, region="africa"))) == [
        "Bafoussam Enterprise Circle",
        "Lagos Market Women",
    ]
    assert names(api(client, region="middle-africa")) == ["Bafoussam Enterprise Circle"]
    assert names(api(client, region="south-eastern-asia")) == ["Sihanoukville Deckhands"]
    regions = facet(api(client), "region")
    assert regions["africa"] == 2 and regions["western-africa"] == 1 and regions["asia"] == 2


def test_serves_filters_on_countries_served(client: FlaskClient, world: None) -> None:
    assert sorted(names(api(client, serves="CM"))) == [
        "Bafoussam Enterprise Circle",
        "Lagos Market Women",
    ]
    assert names(api(client, serves="GA")) == ["Bafoussam Enterprise Circle"]


def test_language_model_and_service_filters(client: FlaskClient, world: None) -> None:
    assert names(api(client, language="km")) == ["Sihanoukville Deckhands"]
    assert names(api(client, model="cooperative")) == ["Lagos Market Women"]
    assert sorted(names(api(client, service="training"))) == [
        "Bafoussam Enterprise Circle",
        "Sihanoukville Deckhands",
    ]
    assert facet(api(client), "language")["en"] == 3


def test_near_gives_distances_and_sorts_by_them(client: FlaskClient, world: None) -> None:
    answer = api(client, near="Douala", radius_km=1000)
    assert names(answer) == ["Bafoussam Enterprise Circle", "Lagos Market Women"]
    distances = [r["distance_km"] for r in answer["results"]]
    assert distances == sorted(distances)
    assert 150 < distances[0] < 250 and 700 < distances[1] < 900
    assert answer["near"]["name"] == "Douala, Cameroon"
    assert answer["sort"] == "distance"
    assert api(client, near="Douala", radius_km=100)["total"] == 0


def test_sort_by_name_and_updated(client: FlaskClient, world: None) -> None:
    assert names(api(client, sort="name"))[0] == "Bafoussam Enterprise Circle"
    from dataclasses import replace

    from directory.geo import get_geo
    from directory.organizations.editing import input_from_org
    from directory.organizations.services import apply_input

    org = db.session.scalar(db.select(Organization).filter_by(name="Gulf Builders Voice"))
    apply_input(org, replace(input_from_org(org), summary="Now with a summary."), get_geo().gazetteer)
    db.session.commit()
    assert names(api(client, sort="updated"))[0] == "Gulf Builders Voice"


def test_pagination(client: FlaskClient, world: None) -> None:
    first = api(client, sort="name", per_page=3)
    second = api(client, sort="name", per_page=3, page=2)
    assert first["total"] == second["total"] == 4
    assert first["pages"] == 2
    assert len(first["results"]) == 3 and len(second["results"]) == 1
    assert not set(names(first)) & set(names(second))
    assert api(client, page=5)["results"] == []


def test_a_suspended_listing_disappears_at_once(client: FlaskClient, world: None) -> None:
    assert api(client, country="QA")["total"] == 1  # the index is now cached in this process
    org = db.session.scalar(db.select(Organization).filter_by(name="Gulf Builders Voice"))
    org.status = ListingStatus.SUSPENDED
    db.session.commit()
    assert api(client, country="QA")["total"] == 0
    assert api(client, q="gulf")["total"] == 0


def test_cached_place_and_text_answers_do_not_outlive_a_change(client: FlaskClient, world: None) -> None:
    assert api(client, near="Doha", radius_km=50)["total"] == 1
    assert api(client, q="builders")["total"] == 1
    org = db.session.scalar(db.select(Organization).filter_by(name="Gulf Builders Voice"))
    org.status = ListingStatus.SUSPENDED
    db.session.commit()
    assert api(client, near="Doha", radius_km=50)["total"] == 0
    assert api(client, q="builders")["total"] == 0


def test_only_changes_the_public_sees_make_processes_rebuild(
    client: FlaskClient, world: None, make_user
) -> None:
    from directory.search.index import current_generation

    org = db.session.scalar(db.select(Organization).filter_by(name="Gulf Builders Voice"))
    before = current_generation(db.session)
    org.edit_version += 1
    org.review_message = "A note for the members."
    db.session.commit()
    assert current_generation(db.session) == before  # nothing public changed
    org.summary = "Changed words."
    db.session.commit()
    assert current_generation(db.session) == before + 1
    assert api(client, q="changed words")["total"] == 1  # and the full text followed


def test_a_change_made_by_another_process_is_seen(
    client: FlaskClient, world: None, make_org: Callable[..., Organization]
) -> None:
    """The generation in the database, not this process's memory, decides when the index is stale."""
    assert api(client, country="KE")["total"] == 0
    # As another worker would: plain SQL, none of this process's ORM events.
    db.session.execute(db.text("UPDATE organization SET status = 'approved'"))
    db.session.execute(db.text("UPDATE search_state SET generation = generation + 1"))
    db.session.commit()
    assert api(client)["total"] == 5


def test_a_change_elsewhere_is_seen_when_the_old_index_still_finds_a_page(
    client: FlaskClient, world: None
) -> None:
    """The state read with the cards says the index is behind: the search runs again on the caught-up
    index, and a listing suspended by another process is gone from the page and the total."""
    before = api(client, country="NG")
    assert before["total"] == 1 and names(before) == ["Lagos Market Women"]
    db.session.execute(
        db.text("UPDATE organization SET status = 'suspended' WHERE name = 'Lagos Market Women'")
    )
    db.session.execute(db.text("UPDATE search_state SET generation = generation + 1"))
    db.session.commit()
    after = api(client, country="NG")
    assert after["total"] == 0 and after["results"] == []


def test_a_search_with_an_up_to_date_index_is_one_statement(client: FlaskClient, world: None) -> None:
    """The search state comes with the page's cards, and Last-Modified is the state's changed_at."""
    api(client, q="survivors")  # the index is built
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/api/v1/organizations", query_string={"country": "CM"})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200 and response.json["total"] == 1
    searches = [s for s in statements if "search_state" in s or "organization" in s.lower()]
    assert len(searches) == 1, statements
    assert response.last_modified == public_data_changed_at()  # read again, outside the request


def test_results_carry_the_public_fields(client: FlaskClient, world: None) -> None:
    result = api(client, q="bafoussam")["results"][0]
    assert set(result) == {
        "id",
        "slug",
        "name",
        "text_language",
        "summary",
        "summary_language",
        "location",
        "focus",
        "models",
        "trafficking",
        "is_demo",
    }
    assert result["location"]["country"] == "CM"
    assert result["location"]["subregion"] == "middle-africa"
    assert "true_latitude" not in str(result)


def test_result_cards_show_the_same_terms_as_the_profile(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    """Cards take their terms from the search index; they must be the listing's, in vocabulary order."""
    org = make_org(
        name="Ordered Terms Collective",
        focus=["youth", "economic-empowerment", "housing"],
        models=["cooperative", "survivor-founded"],
        trafficking=["labor", "sex"],
    )
    make_org(name="Other Collective", focus=["mental-health"], models=["peer-mentorship"])
    card = next(r for r in api(client, q="ordered")["results"] if r["slug"] == org.slug)
    profile = client.get(f"/api/v1/organizations/{org.slug}").json
    assert card["focus"] == profile["focus_areas"] == ["economic-empowerment", "housing", "youth"]
    assert card["models"] == profile["leadership_models"] == ["survivor-founded", "cooperative"]
    assert card["trafficking"] == profile["trafficking_types"] == ["sex", "labor"]
    page = client.get("/organizations", query_string={"q": "ordered"}).get_data(as_text=True)
    assert page.index("Economic empowerment") < page.index("Housing") < page.index("Youth")


def test_a_code_shared_by_two_vocabularies_filters_only_its_own(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    """ "peer-support" is both a service and an engagement type: the service filter means the service."""
    both = make_org(name="Both Kinds", services=["peer-support"], engagements=["peer-support"])
    make_org(name="Engagement Only", engagements=["peer-support"], services=["training"])
    found = api(client, service="peer-support")
    assert names(found) == [both.name]
    assert facet(found, "service") == {"peer-support": 1, "training": 1}


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only: set TEST_DATABASE_URL (CI does)")
def test_on_postgresql_a_search_reads_without_a_transaction_and_the_connection_comes_back_normal(
    fresh_app: Flask,
) -> None:
    """Searches skip BEGIN and ROLLBACK (two round trips); the pooled connection is transactional again."""
    from sqlalchemy import event

    from tests.conftest import IsolatedClient

    fresh_app.test_client_class = IsolatedClient
    modes: list[bool] = []
    event.listen(
        db.engine,
        "before_cursor_execute",
        lambda conn, *_: modes.append(conn.connection.dbapi_connection.autocommit),
    )
    assert fresh_app.test_client().get("/api/v1/organizations?q=harbour").status_code == 200
    assert modes and all(modes)
    modes.clear()
    db.session.execute(db.text("UPDATE search_state SET generation = generation + 100"))
    db.session.rollback()
    assert modes and not any(modes)
    assert db.session.scalar(db.text("SELECT generation FROM search_state")) < 100


def test_the_engagement_filter_finds_who_takes_survivors_on_that_way(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    """ "We want to hire survivors as staff": engagement types filter, OR within, with their own facet."""
    make_org(name="Harbour Staff Welcome", engagements=["staff-position", "trainer"], focus=["housing"])
    make_org(name="Harbour Trainers", engagements=["trainer"], focus=["housing"])
    make_org(name="Peer Service Only", services=["peer-support"], engagements=["speaker"])
    assert names(api(client, engagement="staff-position")) == ["Harbour Staff Welcome"]
    assert names(api(client, engagement="staff-position,trainer", sort="name")) == [
        "Harbour Staff Welcome",
        "Harbour Trainers",
    ]
    assert api(client, engagement="peer-support")["total"] == 0  # the service of that name does not count
    # with words (each database's full-text backend) and another filter
    assert names(api(client, q="harbour", engagement="staff-position", focus="housing")) == [
        "Harbour Staff Welcome"
    ]
    assert api(client, q="harbour", engagement="consultant")["total"] == 0
    answer = api(client, engagement="staff-position")
    assert facet(answer, "engagement") == {"staff-position": 1, "trainer": 2, "speaker": 1}
    assert facet(answer, "focus") == {"housing": 1}
    chosen = [i for i in answer["facets"]["engagement"] if i["selected"]]
    assert chosen == [{"value": "staff-position", "label": "Staff position", "count": 1, "selected": True}]
    page = client.get("/organizations", query_string={"engagement": "staff-position", "q": "harbour"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "1 organization" in html
    assert '<h3 id="facet-engagement">Engagement type</h3>' in html
    assert '<input type="hidden" name="engagement" value="staff-position">' in html  # kept by the form
    assert 'href="/organizations?q=harbour">Clear all filters' in html
    assert "/organizations?q=harbour&amp;engagement=staff-position&amp;engagement=trainer" in html
