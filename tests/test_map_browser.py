"""The map in Chromium. With JavaScript on (and reduced motion, so the map is still when it says it is
ready): a marker for every match with a public point, none for a hidden listing, whose point is nowhere in
the page or the GeoJSON; the near circle; the message when capped; the profile maps. With JavaScript off:
the list and the profile as before. No page may violate the Content-Security-Policy (``new_context``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from directory.extensions import db
from directory.geo import get_geo
from directory.organizations.models import ListingStatus, LocationPrecision
from directory.organizations.services import OrganizationInput, create_organization

from .browser_support import live_app

# The live server, the browser and the CSP watch come from tests/browser_support.py (live_server uses
# the app_for_live below).

pytestmark = pytest.mark.browser

#: (name, country, city, precision, true point): two Douala listings share a point and cluster.
LISTINGS = [
    ("Wouri Savings Circle", "CM", "Douala", "city", None),
    ("Bonaberi Trainers", "CM", "Douala", "city", None),
    ("Yaounde Peer Mentors", "CM", "Yaoundé", "exact", (3.86671, 11.51672)),
    ("Cameroon Survivor Advisers", "CM", "Bamenda", "country", (5.95973, 10.14591)),
    ("Kumba Quiet Refuge", "CM", "Kumba", "hidden", (4.63637, 9.44693)),
    ("Recife Survivor Voices", "BR", "Recife", "city", None),
    ("Lyon Peer Network", "FR", "Lyon", "exact", (45.76402, 4.83566)),
]
HIDDEN = "Kumba Quiet Refuge"


@pytest.fixture(scope="module")
def app_for_live(
    databases: Any,
    tmp_path_factory: pytest.TempPathFactory,
    app_config: Callable[[str, Path], dict[str, Any]],
) -> Flask:
    app = live_app(databases, tmp_path_factory.mktemp("live-map"), app_config)
    with app.app_context():
        gazetteer = get_geo().gazetteer
        for name, country, city, precision, point in LISTINGS:
            data = OrganizationInput(
                name=name,
                country_code=country,
                city=city,
                location_precision=LocationPrecision(precision),
                latitude=point[0] if point else None,
                longitude=point[1] if point else None,
            )
            create_organization(data, gazetteer, status=ListingStatus.APPROVED)
        db.session.commit()
        kumba = gazetteer.city_point("Kumba", "CM")
        assert kumba is not None
        app.config["TEST_HIDDEN_POINTS"] = [(4.63637, 9.44693), (kumba.latitude, kumba.longitude)]
        db.session.remove()
    return app


def _markers(page: Any) -> tuple[int, list[str]]:
    """How many listings the map shows (each cluster counts its members), and the single markers' names."""
    page.wait_for_selector(".map[data-state=ready]")
    clusters = [int(text) for text in page.locator(".marker-cluster span").all_text_contents()]
    singles = page.locator(".leaflet-marker-icon:not(.marker-cluster)")
    names = [singles.nth(i).get_attribute("alt") or "" for i in range(singles.count())]
    return sum(clusters) + len(names), names


def _coordinates_absent(text: str, points: list[tuple[float, float]]) -> None:
    for lat, lon in points:
        for digits in (f"{lat:.3f}", f"{lon:.3f}"):
            assert digits not in text, digits


def test_the_search_map_shows_every_public_point_and_nothing_of_a_hidden_listing(
    new_context: Callable[..., Any],  # noqa: F811
    live_server: str,  # noqa: F811
    app_for_live: Flask,
) -> None:
    page = new_context(
        java_script_enabled=True, reduced_motion="reduce", viewport={"width": 1280, "height": 900}
    ).new_page()
    with page.expect_response(lambda response: "/organizations.geojson?" in response.url) as answer:
        page.goto(live_server + "/organizations?region=africa&region=americas&region=europe")
    geojson = answer.value.text()
    total, names = _markers(page)
    assert page.text_content("#results-heading").split()[0] == str(len(LISTINGS))  # the list has them all
    assert total == len(LISTINGS) - 1  # every listing with a public point, the hidden one excepted
    assert HIDDEN not in names and "Lyon Peer Network" in names
    assert HIDDEN in page.text_content(".results")  # listed, but not on the map
    assert page.is_visible(".results-map") and page.locator("path.map-land").count() > 100
    assert '"shown": 6' in geojson and HIDDEN not in geojson
    hidden_points = app_for_live.config["TEST_HIDDEN_POINTS"]
    _coordinates_absent(page.content(), hidden_points)
    _coordinates_absent(geojson, hidden_points)

    # A popup links to the profile.
    page.locator('.leaflet-marker-icon[alt="Lyon Peer Network"]').click()
    assert page.get_attribute(".leaflet-popup-close-button", "aria-label") == "Close"  # ours, translated
    link = page.locator(".leaflet-popup a", has_text="Lyon Peer Network")
    assert link.get_attribute("href", timeout=5000).endswith("/organizations/lyon-peer-network")
    # The popup pans the map into view as it opens: a pointer click can land where the link was a moment
    # before (seen once on a loaded machine), so the click is sent to the link itself.
    link.dispatch_event("click")
    page.wait_for_url("**/organizations/lyon-peer-network")
    assert page.is_visible(".profile-map") and page.locator(".profile-map .leaflet-marker-icon").count() == 1


def test_the_near_place_and_radius_are_drawn_and_a_capped_map_says_so(
    new_context: Callable[..., Any],  # noqa: F811
    live_server: str,  # noqa: F811
    app_for_live: Flask,
) -> None:
    page = new_context(java_script_enabled=True, reduced_motion="reduce").new_page()
    page.goto(live_server + "/organizations?near=Douala&radius_km=300")
    total, _names = _markers(page)
    assert total == 4  # both Douala listings, Yaoundé and the country point; Kumba is hidden
    assert page.locator("path.map-near").count() == 1
    assert page.text_content(".map-message") == ""
    app_for_live.config["MAP_MAX_FEATURES"] = 2
    try:
        page.goto(live_server + "/organizations")
        total, _names = _markers(page)
    finally:
        app_for_live.config["MAP_MAX_FEATURES"] = 5000
    assert total == 2
    assert page.is_visible(".map-message")
    assert "The map shows the first 2 of the 7 organizations found." in page.text_content(".map-message")


def test_profile_maps_show_the_country_or_nothing(
    new_context: Callable[..., Any],  # noqa: F811
    live_server: str,  # noqa: F811
    app_for_live: Flask,
) -> None:
    page = new_context(java_script_enabled=True, reduced_motion="reduce").new_page()
    page.goto(live_server + "/organizations/cameroon-survivor-advisers")
    page.wait_for_selector(".map[data-state=ready]")
    assert page.locator("path.map-country").count() == 1  # the country outlined, no pin
    assert page.locator(".profile-map .leaflet-marker-icon").count() == 0
    page.goto(live_server + "/organizations/kumba-quiet-refuge")
    assert page.locator(".map, .leaflet-container, [data-map]").count() == 0
    _coordinates_absent(page.content(), app_for_live.config["TEST_HIDDEN_POINTS"])


def test_without_javascript_the_pages_are_the_list_and_the_profile(
    new_context: Callable[..., Any],  # noqa: F811
    live_server: str,  # noqa: F811
) -> None:
    page = new_context().new_page()  # JavaScript off
    page.goto(live_server + "/organizations?near=Douala&radius_km=300")
    assert not page.is_visible(".results-map") and page.locator("article.card").count() == 4
    page.goto(live_server + "/organizations/lyon-peer-network")
    assert not page.is_visible(".profile-map") and page.is_visible("section.leadership")
