"""A search as a CSV download (/organizations.csv): the search's matches on every page, public fields only,
safe to open in a spreadsheet, streamed in batches; bad searches answered like the search page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from directory.extensions import db
from directory.organizations import export
from directory.organizations.models import ListingStatus, Organization, Visibility

EN = {"Accept-Language": "en"}


def rows(response: TestResponse) -> list[dict[str, str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff"), "no byte-order mark: Excel would not read the file as UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_a_search_downloads_as_a_spreadsheet_of_every_match(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    for n in range(5):
        make_org(name=f"Housing Circle {n}", focus=["housing"])
    make_org(name="Youth Network", focus=["youth"])
    # per_page and page are the page's: the download has every match, in the search's order
    response = client.get("/organizations.csv?focus=housing&per_page=2&page=2", headers=EN)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=survivor-led-organizations-{date.today().isoformat()}.csv"
    found = rows(response)
    assert [r["name"] for r in found] == [f"Housing Circle {n}" for n in range(5)]
    assert list(found[0]) == list(export.COLUMNS)
    first = found[0]
    assert first["uri"] == "http://localhost/organizations/housing-circle-0"
    assert (first["focus_areas"], first["focus_area_labels"]) == ("housing", "Housing")
    assert (first["city"], first["country"], first["location_precision"]) == ("Douala", "CM", "city")
    assert first["is_demo"] == "false"


def test_vocabulary_comes_as_codes_and_as_labels_in_the_readers_language(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(focus=["housing", "youth"], languages=["fr"], serves=["CM", "NG"])
    [row] = rows(client.get("/organizations.csv", headers={"Accept-Language": "fr"}))
    assert row["focus_areas"] == "housing; youth"  # the same in every language: what scripts join on
    assert row["focus_area_labels"] == "Logement; Jeunesse"
    assert (row["languages"], row["language_names"]) == ("fr", "français")
    assert row["service_areas"] == "CM; NG" and row["service_area_names"].startswith("Cameroun")


def test_only_public_fields_and_public_contacts(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(
        name="Exact",
        location_precision="exact",
        latitude=-4.0512345,
        longitude=9.7012345,
        email="open@example.org",
        email_visibility=Visibility.PUBLIC,
        phone="+237 6 99 12 34 56",
        phone_visibility=Visibility.VERIFIED_AGENCIES,
    )
    make_org(name="Hidden", location_precision="hidden", phone="+237 1", phone_visibility=Visibility.PUBLIC)
    make_org(name="Draft", status=ListingStatus.DRAFT)
    by_name = {r["name"]: r for r in rows(client.get("/organizations.csv", headers=EN))}
    assert set(by_name) == {"Exact", "Hidden"}
    exact, hidden = by_name["Exact"], by_name["Hidden"]
    assert (exact["latitude"], exact["longitude"]) == ("-4.05123", "9.70123")  # a minus sign kept
    assert (exact["email"], exact["phone"]) == ("open@example.org", "")
    assert hidden["phone"] == "+237 1"  # a phone's plus sign kept
    assert (hidden["city"], hidden["latitude"], hidden["longitude"]) == ("", "", "")
    assert hidden["country"] == "CM"


def test_cells_a_spreadsheet_would_run_are_written_as_text(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name='=HYPERLINK("http://example.org/x","Click")', summary="@SUM(1+1)")
    [row] = rows(client.get("/organizations.csv", headers=EN))
    assert row["name"] == '\'=HYPERLINK("http://example.org/x","Click")'
    assert row["summary"] == "'@SUM(1+1)"


def test_output_for_many_rows_comes_batch_by_batch(
    app: Flask, make_org: Callable[..., Organization], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"Organization {n:02d}" for n in range(23)]
    for name in names:
        make_org(name=name)
    ids = [o.id for o in db.session.scalars(db.select(Organization).order_by(Organization.name))]
    unpublished = make_org(name="Organization 99", status=ListingStatus.PENDING).id
    with app.test_request_context(headers=EN):
        pieces = list(export.csv_chunks(export.published_batches([*ids, unpublished], size=5), "en"))
    assert len(pieces) == 1 + 5  # the header, then one piece per statement of at most 5 listings
    found = list(csv.DictReader(io.StringIO("".join(pieces)[1:], newline="")))
    assert [r["name"] for r in found] == names  # all of them, in order, and never the pending one

    monkeypatch.setattr(export, "BATCH_SIZE", 4)
    client = app.test_client()
    response = client.get("/organizations.csv", headers=EN)
    assert response.is_streamed
    assert len(list(response.response)) == 1 + 6  # streamed as it is read: 23 listings, 4 at a time
    assert [r["name"] for r in rows(client.get("/organizations.csv", headers=EN))] == names


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("focus=nope", "Unknown focus: nope."),
        ("radius_km=abc", "radius_km must be a number of kilometres."),
        ("near=Nowhereville%20Xyzzy", "We could not find the place"),
    ],
)
def test_a_bad_search_gets_the_search_page_with_its_error(
    client: FlaskClient, query: str, message: str
) -> None:
    response = client.get(f"/organizations.csv?{query}", headers=EN)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert message in response.get_data(as_text=True)


def test_distance_without_a_place_downloads_in_the_usual_order(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="B")
    make_org(name="A")
    response = client.get("/organizations.csv?sort=distance", headers=EN)
    assert [r["name"] for r in rows(response)] == ["A", "B"]


def test_the_results_page_links_to_the_download_of_the_same_search(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Housing Circle", focus=["housing"])
    page = client.get("/organizations?q=circle&focus=housing&page=1&per_page=5", headers=EN)
    text = page.get_data(as_text=True)
    link = 'href="/organizations.csv?q=circle&amp;focus=housing" download>Download these results (CSV)'
    assert link in text
    nothing = client.get("/organizations?q=zzzqqq", headers=EN).get_data(as_text=True)
    assert "Download these results" not in nothing  # no link to an empty file


def test_downloads_are_rate_limited_per_address_and_the_search_is_not(
    app: Flask, client: FlaskClient
) -> None:
    app.config["RATELIMIT_EXPORTS"] = "2 per hour"
    assert [client.get("/organizations.csv", headers=EN).status_code for _ in range(3)] == [200, 200, 429]
    other = client.get("/organizations.csv", headers=EN, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
    assert client.get("/organizations", headers=EN).status_code == 200
