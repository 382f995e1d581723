"""Location privacy: the public point follows the chosen precision, and the true point never leaks."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from directory.extensions import db
from directory.geo import Point, get_geo
from directory.organizations.models import Location, LocationPrecision, Organization
from directory.privacy import public_point

TRUE = Point(4.0611, 9.7860)  # a fictional address in Douala, a few km from the city centre
CITY = Point(4.0483, 9.7043)
COUNTRY = Point(5.4, 11.2)


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        (LocationPrecision.EXACT, TRUE),
        (LocationPrecision.CITY, CITY),
        (LocationPrecision.COUNTRY, COUNTRY),
        (LocationPrecision.HIDDEN, None),
    ],
)
def test_public_point_rule(precision: LocationPrecision, expected: Point | None) -> None:
    assert public_point(precision, TRUE, CITY, COUNTRY) == expected


def test_unknown_coarse_points_fall_back_to_coarser_never_finer() -> None:
    assert public_point(LocationPrecision.CITY, TRUE, None, COUNTRY) == COUNTRY
    assert public_point(LocationPrecision.CITY, TRUE, None, None) is None
    assert public_point(LocationPrecision.COUNTRY, TRUE, CITY, None) is None


def test_exact_without_a_true_point_falls_back_to_the_city_then_the_country() -> None:
    assert public_point(LocationPrecision.EXACT, None, CITY, COUNTRY) == CITY
    assert public_point(LocationPrecision.EXACT, None, None, COUNTRY) == COUNTRY
    assert public_point(LocationPrecision.EXACT, None, None, None) is None
    assert public_point(LocationPrecision.EXACT, TRUE, None, None) == TRUE
    assert public_point(LocationPrecision.CITY, None, CITY, None) == CITY


def _search(client: FlaskClient, near: Point | str, radius: float) -> dict:
    where = near if isinstance(near, str) else f"{near.latitude},{near.longitude}"
    response = client.get(
        "/api/v1/organizations", query_string={"near": where, "radius_km": radius, "per_page": 100}
    )
    assert response.status_code == 200, response.json
    return response.json


def test_city_precision_is_indistinguishable_from_the_city_centre(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    """Attacker's view: a city-precision listing answers exactly like one placed at the city centre."""
    gazetteer_city = get_geo().gazetteer.city_point("Douala", "CM")
    assert gazetteer_city is not None
    secret = make_org(
        name="Shelter Alpha",
        city="Douala",
        latitude=TRUE.latitude,
        longitude=TRUE.longitude,
        location_precision="city",
    )
    decoy = make_org(
        name="Shelter Beta",
        city="Douala",
        latitude=gazetteer_city.latitude,
        longitude=gazetteer_city.longitude,
        location_precision="exact",
    )
    probes = [(TRUE, 1), (TRUE, 10), ("Yaoundé", 250), ("Buea", 100), ("Lagos", 1000)]
    for near, radius in probes:
        answer = _search(client, near, radius)
        by_slug = {r["slug"]: r for r in answer["results"]}
        assert (secret.slug in by_slug) == (decoy.slug in by_slug), (near, radius)
        if secret.slug in by_slug:
            assert by_slug[secret.slug]["distance_km"] == by_slug[decoy.slug]["distance_km"]
            assert by_slug[secret.slug]["location"]["latitude"] == pytest.approx(
                gazetteer_city.latitude, abs=1e-5
            )
    # searching 1 km around the true point finds neither: the city centre is further away
    assert _search(client, TRUE, 1)["total"] == 0


def _true_coordinates_texts(lat: float, lon: float) -> list[str]:
    return [f"{lat:.3f}", f"{lon:.3f}", str(lat), str(lon)]


@pytest.mark.parametrize("precision", ["city", "country", "hidden"])
def test_no_response_contains_the_true_coordinates(
    client: FlaskClient, make_org: Callable[..., Organization], precision: str
) -> None:
    org = make_org(
        name="Safe House Gamma",
        city="Douala",
        latitude=TRUE.latitude,
        longitude=TRUE.longitude,
        location_precision=precision,
        description="Runs a shelter.",
    )
    location = db.session.scalar(sa.select(Location).where(Location.organization_id == org.id))
    assert location.true_latitude == TRUE.latitude  # stored, privately
    bodies = [
        client.get(f"/api/v1/organizations/{org.slug}").get_data(as_text=True),
        client.get(f"/organizations/{org.slug}").get_data(as_text=True),
        client.get("/api/v1/organizations", query_string={"q": "shelter"}).get_data(as_text=True),
        client.get("/organizations", query_string={"q": "shelter"}).get_data(as_text=True),
        client.get("/api/v1/organizations", query_string={"near": "Douala", "radius_km": 2000}).get_data(
            as_text=True
        ),
        client.get("/organizations", query_string={"near": "Douala", "radius_km": 2000}).get_data(
            as_text=True
        ),
    ]
    for body in bodies:
        for text in _true_coordinates_texts(TRUE.latitude, TRUE.longitude):
            assert text not in body


def test_hidden_never_appears_near_anything_and_shows_no_city(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Hidden Refuge", city="Douala", location_precision="hidden")
    assert _search(client, "Douala", 20_000)["total"] == 0
    profile = client.get(f"/api/v1/organizations/{org.slug}").json
    assert profile["location"]["latitude"] is None and profile["location"]["locality"] is None
    assert profile["location"]["country"] == "CM"  # still findable by country
    found = client.get("/api/v1/organizations", query_string={"country": "CM"}).json
    assert [r["slug"] for r in found["results"]] == [org.slug]
    page = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert "Douala" not in page


def test_country_precision_shows_the_country_point_and_no_city(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Quiet Circle", city="Douala", location_precision="country")
    country = get_geo().gazetteer.country_point("CM")
    profile = client.get(f"/api/v1/organizations/{org.slug}").json
    assert profile["location"]["locality"] is None
    assert profile["location"]["latitude"] == pytest.approx(country.latitude, abs=1e-5)
    assert "Douala" not in json.dumps(profile)
