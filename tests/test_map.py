"""The map: TopoJSON conversion, the country outlines' build, the GeoJSON of a search (public points only,
all matches, capped), the pages' map containers, the tile server setting and the vendored files."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from directory import create_app
from directory.config import DEFAULT_CSP
from directory.geo import Point, get_geo
from directory.maps.outlines import country_outlines, outlines_path, source_path, unwrap_ring
from directory.maps.tiles import TileURLError, tile_origin
from directory.maps.topojson import TopologyError, to_feature_collection
from directory.organizations.models import Organization
from directory.security_headers import allow_images_from

ROOT = Path(__file__).resolve().parent.parent

# --- TopoJSON to GeoJSON ------------------------------------------------------------------------------

#: Two arcs around a unit square (shared by two polygons, one walking them backwards), quantized and
#: delta-encoded: x = 10 + 0.5 * qx, y = 20 + 0.25 * qy.
TOPOLOGY: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [10, 20]},
    "arcs": [
        [[0, 0], [2, 0], [0, 4]],  # (10, 20) -> (11, 20) -> (11, 21)
        [[2, 4], [-2, 0], [0, -4]],  # (11, 21) -> (10, 21) -> (10, 20)
    ],
    "objects": {
        "shapes": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "id": "A", "properties": {"name": "Square"}},
                {"type": "Polygon", "arcs": [[-2, -1]], "id": "B"},  # ~1, ~0: both reversed
                {"type": "MultiPolygon", "arcs": [[[0, 1]]]},
                {"type": "LineString", "arcs": [0]},
                {"type": "MultiLineString", "arcs": [[0], [1]]},
                {"type": "Point", "coordinates": [4, 8]},
                {"type": "MultiPoint", "coordinates": [[0, 0], [2, 4]]},
                {"type": None, "id": "nothing"},
            ],
        }
    },
}
SQUARE = [[10.0, 20.0], [11.0, 20.0], [11.0, 21.0], [10.0, 21.0], [10.0, 20.0]]


def test_topojson_arcs_are_decoded_joined_reversed_and_closed() -> None:
    features = to_feature_collection(TOPOLOGY, "shapes")["features"]
    geometries = [f["geometry"] for f in features]
    assert features[0]["id"] == "A" and features[0]["properties"] == {"name": "Square"}
    assert geometries[0] == {"type": "Polygon", "coordinates": [SQUARE]}
    assert geometries[1]["coordinates"] == [
        [[10.0, 20.0], [10.0, 21.0], [11.0, 21.0], [11.0, 20.0], [10.0, 20.0]]
    ]
    assert geometries[2] == {"type": "MultiPolygon", "coordinates": [[SQUARE]]}
    assert geometries[3] == {"type": "LineString", "coordinates": SQUARE[:3]}
    assert geometries[4]["coordinates"] == [SQUARE[:3], SQUARE[2:]]
    assert geometries[5] == {"type": "Point", "coordinates": [12.0, 22.0]}  # points: transformed, not deltas
    assert geometries[6]["coordinates"] == [[10.0, 20.0], [11.0, 21.0]]
    assert geometries[7] is None and features[7]["id"] == "nothing"


def test_topojson_without_a_transform_and_with_rounding() -> None:
    topology = {
        "type": "Topology",
        "arcs": [[[0.123456, 1.0], [2.0, 1.987654], [0.123456, 1.0]]],
        "objects": {"ring": {"type": "Polygon", "arcs": [[0]]}},
    }
    collection = to_feature_collection(topology, "ring", digits=2)
    assert collection["features"][0]["geometry"]["coordinates"] == [[[0.12, 1.0], [2.0, 1.99], [0.12, 1.0]]]


@pytest.mark.parametrize(
    ("topology", "name"),
    [
        ({"type": "FeatureCollection", "features": []}, "shapes"),
        (TOPOLOGY, "missing"),
        ({**TOPOLOGY, "objects": {"bad": {"type": "Polygon", "arcs": [[7]]}}}, "bad"),
        ({**TOPOLOGY, "objects": {"bad": {"type": "Sphere"}}}, "bad"),
    ],
    ids=["not-a-topology", "no-such-object", "arc-out-of-range", "unknown-type"],
)
def test_topojson_errors_are_named(topology: dict[str, Any], name: str) -> None:
    with pytest.raises(TopologyError):
        to_feature_collection(topology, name)


def test_rings_across_the_antimeridian_are_unwrapped() -> None:
    ring = [[179.0, -16.0], [-179.0, -17.0], [-179.5, -18.0], [179.0, -16.0]]
    assert unwrap_ring(ring) == [[179.0, -16.0], [181.0, -17.0], [180.5, -18.0], [179.0, -16.0]]
    assert unwrap_ring([[-179.0, 60.0], [179.0, 61.0]]) == [[-179.0, 60.0], [-181.0, 61.0]]
    assert unwrap_ring(SQUARE) == SQUARE
    around_the_pole = [[-180.0, -80.0], [0.0, -70.0], [180.0, -80.0], [-180.0, -80.0]]
    assert unwrap_ring(around_the_pole) == [
        [-180.0, -80.0],
        [0.0, -70.0],
        [180.0, -80.0],
        [180.0, -80.0],
        [180.0, -90.0],
        [-180.0, -90.0],
        [-180.0, -80.0],
    ]


def test_the_vendored_natural_earth_countries_convert_with_their_codes() -> None:
    from directory.geo import country_codes_by_iso_numeric

    topology = json.loads((ROOT / "static/vendor/world-atlas/countries-110m.json").read_text())
    collection = country_outlines(topology, country_codes_by_iso_numeric())
    features = collection["features"]
    assert len(features) == 177
    by_code = {f["properties"]["country"]: f for f in features}
    assert by_code["CM"]["properties"]["name"] == "Cameroon"
    assert {"BR", "FR", "TH", "XK"} <= set(by_code)
    lons = [p[0] for p in _positions(by_code["CM"]["geometry"])]
    lats = [p[1] for p in _positions(by_code["CM"]["geometry"])]
    assert 8 < min(lons) < max(lons) < 17 and 1 < min(lats) < max(lats) < 14
    for feature in features:
        for ring in _rings(feature["geometry"]):
            assert ring[0] == ring[-1]
            for a, b in zip(ring, ring[1:], strict=False):  # no jump across the map, but along a pole
                assert abs(a[0] - b[0]) < 180 or abs(a[1]) == abs(b[1]) == 90


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


def _positions(geometry: dict[str, Any]) -> list[list[float]]:
    return [p for ring in _rings(geometry) for p in ring]


# --- The build step and the base layer ----------------------------------------------------------------


def test_geo_build_builds_the_outlines_and_the_site_serves_them(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    app.config["MAP_OUTLINES_PATH"] = str(tmp_path / "outlines.geojson")
    target = outlines_path(app)
    result = runner.invoke(args=["geo", "build"])
    assert result.exit_code == 0, result.output
    assert f"Built {target}" in result.output
    assert json.loads(target.read_text())["type"] == "FeatureCollection"
    again = runner.invoke(args=["geo", "build"])
    assert f"Country outlines ready: {target}" in again.output
    os.utime(target, (0, 0))  # older than the vendored file: a refresh of it is built again
    assert f"Built {target}" in runner.invoke(args=["geo", "build"]).output

    response = client.get("/map/countries.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.data == target.read_bytes()
    assert (
        client.get("/map/countries.geojson", headers={"If-None-Match": response.headers["ETag"]}).status_code
        == 304
    )


def test_the_outlines_are_built_on_first_request_when_geo_build_has_not_run(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    app.config["MAP_OUTLINES_PATH"] = str(tmp_path / "never-built" / "outlines.geojson")
    response = client.get("/map/countries.geojson")
    assert response.status_code == 200
    assert len(response.json["features"]) == 177
    assert source_path(app).name == "countries-110m.json"


# --- The GeoJSON of a search --------------------------------------------------------------------------

# True points near Douala, one per listing, none of them the city centre; only the exact one is public.
EXACT = Point(4.06113, 9.78607)
CITY = Point(4.07229, 9.73318)
COUNTRY = Point(4.08337, 9.74429)
HIDDEN = Point(4.09441, 9.75531)


def _geojson(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/organizations.geojson", query_string=params)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/geo+json"
    return response.json


def _digits(point: Point) -> list[str]:
    """How a point's latitude and longitude would appear in a page (to 3 decimals and more)."""
    return [f"{point.latitude:.3f}", f"{point.longitude:.3f}"]


@pytest.fixture
def four_precisions(make_org: Callable[..., Organization]) -> dict[str, Organization]:
    return {
        precision: make_org(
            name=f"Douala {precision} circle",
            city="Douala",
            latitude=point.latitude,
            longitude=point.longitude,
            location_precision=precision,
        )
        for precision, point in (("exact", EXACT), ("city", CITY), ("country", COUNTRY), ("hidden", HIDDEN))
    }


def test_each_listing_is_at_its_public_point_and_a_hidden_one_is_nowhere(
    client: FlaskClient, four_precisions: dict[str, Organization]
) -> None:
    gazetteer = get_geo().gazetteer
    douala, cameroon = gazetteer.city_point("Douala", "CM"), gazetteer.country_point("CM")
    assert douala and cameroon
    raw = client.get("/api/v1/organizations.geojson").get_data(as_text=True)
    found = json.loads(raw)
    by_name = {f["properties"]["name"]: f for f in found["features"]}
    assert set(by_name) == {"Douala exact circle", "Douala city circle", "Douala country circle"}
    expected = {"exact": EXACT, "city": douala, "country": cameroon}
    for precision, point in expected.items():
        feature = by_name[f"Douala {precision} circle"]
        assert feature["geometry"] == {
            "type": "Point",
            "coordinates": [round(point.longitude, 5), round(point.latitude, 5)],
        }
        assert set(feature["properties"]) == {"name", "url", "place"}  # public fields only
        assert feature["properties"]["url"] == f"/organizations/{four_precisions[precision].slug}"
    assert by_name["Douala city circle"]["properties"]["place"] == "Douala, Cameroon"
    assert by_name["Douala country circle"]["properties"]["place"] == "Cameroon"  # the city is not named
    assert (found["total"], found["shown"], found["capped"], found["message"]) == (4, 3, False, None)
    # No true point but the exact one's, anywhere in the answer; nothing at all of the hidden listing.
    for secret in (CITY, COUNTRY, HIDDEN):
        assert not any(digits in raw for digits in _digits(secret))
    assert "hidden" not in raw


def test_a_profile_maps_its_public_point_and_a_hidden_one_has_no_map(
    client: FlaskClient, four_precisions: dict[str, Organization]
) -> None:
    gazetteer = get_geo().gazetteer
    douala, cameroon = gazetteer.city_point("Douala", "CM"), gazetteer.country_point("CM")
    assert douala and cameroon
    public = {"exact": EXACT, "city": douala, "country": cameroon, "hidden": None}
    for precision, point in public.items():
        html = client.get(f"/organizations/{four_precisions[precision].slug}").get_data(as_text=True)
        if point is None:
            assert "data-map" not in html and "leaflet" not in html
        else:
            assert 'data-map="profile"' in html
            assert f'data-latitude="{round(point.latitude, 5)}"' in html
            assert f'data-longitude="{round(point.longitude, 5)}"' in html
            assert f'data-precision="{precision}"' in html and 'data-country="CM"' in html
        for secret in (EXACT, CITY, COUNTRY, HIDDEN, douala, cameroon):
            if secret != point:
                assert not any(digits in html for digits in _digits(secret)), (precision, secret)


def test_the_map_has_every_match_of_the_search_not_one_page(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    for n in range(3):
        make_org(name=f"Lagos savings group {n}", country_code="NG", city="Lagos", focus=["micro-finance"])
    make_org(name="Nairobi trainers", country_code="KE", city="Nairobi", focus=["job-training"])
    assert _geojson(client, per_page=1, page=2)["shown"] == 4
    nigeria = _geojson(client, country="NG", per_page=1)
    assert {f["properties"]["name"] for f in nigeria["features"]} == {
        f"Lagos savings group {n}" for n in range(3)
    }
    assert _geojson(client, q="trainers")["features"][0]["properties"]["name"] == "Nairobi trainers"
    assert _geojson(client, focus="job-training")["total"] == 1
    near = _geojson(client, near="Ibadan", radius_km=200)
    assert near["shown"] == 3
    assert near["near"]["name"].startswith("Ibadan") and near["near"]["radius_km"] == 200
    assert _geojson(client)["near"] is None


def test_the_map_is_capped_and_says_so(
    app: Flask, client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    # Sorted by name, the hidden listing comes first: it takes no place on the map.
    make_org(name="A hidden refuge", location_precision="hidden")
    for name in ("B circle", "C circle", "D circle"):
        make_org(name=name)
    app.config["MAP_MAX_FEATURES"] = 3
    exactly = _geojson(client)
    assert (exactly["shown"], exactly["capped"], exactly["message"]) == (3, False, None)
    app.config["MAP_MAX_FEATURES"] = 2
    capped = _geojson(client)
    assert [f["properties"]["name"] for f in capped["features"]] == ["B circle", "C circle"]
    assert (capped["total"], capped["shown"], capped["capped"]) == (4, 2, True)
    assert capped["message"] == (
        "The map shows the first 2 of the 4 organizations found. "
        "Narrow the search to see them all on the map."
    )


#: Bad query strings, and the parameter each answer names.
BAD_PARAMETERS = [
    ({"country": "ZZ"}, "country"),
    ({"focus": "nonsense"}, "focus"),
    ({"radius_km": "far", "near": "Douala"}, "radius_km"),
    ({"near": "Nowhere-upon-Nothing"}, "near"),
    ({"per_page": "0"}, "per_page"),
    ({"q": "a\x00b"}, "q"),
]


def test_bad_parameters_are_a_400_with_the_reason(client: FlaskClient) -> None:
    for params, param in BAD_PARAMETERS:
        response = client.get("/api/v1/organizations.geojson", query_string=params)
        assert response.status_code == 400, params
        assert response.is_json and response.json["param"] == param and response.json["error"], params


# --- The pages ----------------------------------------------------------------------------------------


def test_the_search_page_carries_a_hidden_map_container_only_with_results(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Mapped circle")
    html = client.get("/organizations?q=mapped").get_data(as_text=True)
    # Hidden until the script shows it: without JavaScript the page is the list, as before.
    assert re.search(r'<figure class="map-figure results-map" hidden>', html)
    assert 'data-map="results"' in html and 'data-geojson="/api/v1/organizations.geojson"' in html
    assert 'data-outlines="/map/countries.geojson"' in html and "data-tile-url" not in html
    assert 'src="/static/js/map.js"' in html
    for empty in ("/organizations?q=nothingmatchesthis", "/organizations?country=ZZ"):
        assert "data-map" not in client.get(empty).get_data(as_text=True)


# --- A tile server, and the Content-Security-Policy ---------------------------------------------------


def test_without_a_tile_server_the_policy_is_unchanged(client: FlaskClient) -> None:
    assert client.get("/organizations").headers["Content-Security-Policy"] == DEFAULT_CSP


def test_a_tile_server_is_allowed_for_images_and_nothing_else(
    app: Flask, client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    make_org(name="Tiled circle")
    app.config["MAP_TILE_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    app.config["MAP_TILE_ATTRIBUTION"] = '&copy; <a href="https://example.org">Example</a>'
    response = client.get("/organizations")
    policy = response.headers["Content-Security-Policy"]
    assert policy == DEFAULT_CSP.replace(
        "img-src 'self' data:", "img-src 'self' data: https://*.tiles.example.org"
    )
    html = response.get_data(as_text=True)
    assert 'data-tile-url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in html
    assert (
        'data-tile-attribution="&amp;copy; &lt;a href=&#34;https://example.org&#34;&gt;Example&lt;/a&gt;"'
        in html
    )


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("", None),
        ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ],
)
def test_tile_origin(url: str, origin: str | None) -> None:
    assert tile_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "tile.example.org/{z}/{x}/{y}.png",
        "javascript:alert(1)",
        "https://tile.example.org;script-src *",
        "https://user@tile.example.org/{z}.png",
        "https://{z}.example.org/{x}.png",
    ],
)
def test_a_bad_tile_url_is_refused(url: str) -> None:
    with pytest.raises(TileURLError):
        tile_origin(url)


def test_a_bad_tile_url_stops_the_app_at_start(tmp_path: Path) -> None:
    with pytest.raises(TileURLError):
        create_app(
            {
                "MAP_TILE_URL": "tiles/{z}/{x}/{y}.png",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            }
        )


def test_allow_images_from_edits_only_img_src() -> None:
    source = "https://tiles.example.org"
    assert allow_images_from("default-src 'self'; img-src 'self'", source) == (
        "default-src 'self'; img-src 'self' https://tiles.example.org"
    )
    assert allow_images_from("default-src 'self'", source) == "default-src 'self'; img-src 'self' " + source
    assert allow_images_from("img-src 'none'; frame-ancestors 'none'", source) == (
        "img-src https://tiles.example.org; frame-ancestors 'none'"
    )
    assert allow_images_from(f"img-src {source}", source) == f"img-src {source}"


# --- Vendored files: pinned, licensed, served from here ----------------------------------------------


def test_the_vendored_files_are_the_pinned_packages_with_their_licences() -> None:
    import runpy

    packages = runpy.run_path(str(ROOT / "tools" / "vendor.py"))["PACKAGES"]  # what `make vendor` fetches
    for name, package in packages.items():
        folder = ROOT / "static" / "vendor" / name
        present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
        assert present == set(package.files.values()), name
        assert json.loads((folder / "package.json").read_text())["version"] == package.version
        assert any("LICEN" in f for f in present), name
    # No page loads a script, a style sheet or an image from another site.
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=\"(https?:)?//", text), template
