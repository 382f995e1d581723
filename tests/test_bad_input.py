"""Bad search parameters: a 400 with {"error": ...} in JSON, a friendly message on the page."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

BAD = [
    ({"near": "Douala", "radius_km": "-5"}, "radius_km"),
    ({"near": "Douala", "radius_km": "0"}, "radius_km"),
    ({"near": "Douala", "radius_km": "far"}, "radius_km"),
    ({"near": "Douala", "radius_km": "nan"}, "radius_km"),
    ({"near": "Douala", "radius_km": "1e9"}, "radius_km"),
    ({"page": "abc"}, "page"),
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"per_page": "101"}, "per_page"),
    ({"per_page": "1.5"}, "per_page"),
    ({"focus": "micro-financing"}, "focus"),
    ({"model": "survivor"}, "model"),
    ({"service": "everything"}, "service"),
    ({"trafficking": "organ"}, "trafficking"),
    ({"engagement": "volunteer"}, "engagement"),
    ({"region": "atlantis"}, "region"),
    ({"country": "XX"}, "country"),
    ({"country": "Cameroon"}, "country"),
    ({"serves": "ZZ"}, "serves"),
    ({"language": "elvish"}, "language"),
    ({"q": "x" * 10_000}, "q"),
    ({"near": "y" * 500}, "near"),
    ({"sort": "popularity"}, "sort"),
    ({"sort": "distance"}, "sort"),
    ({"near": "Xqzvbnm"}, "near"),
]


@pytest.mark.parametrize(("params", "param"), BAD, ids=[str(b[0])[:40] for b in BAD])
def test_json_api_answers_400_with_an_error(client: FlaskClient, params: dict, param: str) -> None:
    response = client.get("/api/v1/organizations", query_string=params)
    assert response.status_code == 400
    body = response.json
    assert isinstance(body["error"], str) and body["error"]
    assert body["param"] == param


#: On the page, sorting by distance without a place is no error: the results come in their usual order
#: with a word on what to do (tests/test_journey.py).
PAGE_BAD = [b for b in BAD if b[0] != {"sort": "distance"}]


@pytest.mark.parametrize(("params", "param"), PAGE_BAD, ids=[str(b[0])[:40] for b in PAGE_BAD])
def test_search_page_shows_a_friendly_message(client: FlaskClient, params: dict, param: str) -> None:
    response = client.get("/organizations", query_string=params)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page
    assert "Traceback" not in page
    # what the person typed is still in the form
    for key in ("q", "near"):
        if key in params and len(params[key]) < 300:
            assert f'value="{params[key]}"' in page


def test_unknown_slug_lists_the_valid_ones(client: FlaskClient) -> None:
    body = client.get("/api/v1/organizations", query_string={"focus": "finance"}).json
    assert "micro-finance" in body["error"] and "economic-empowerment" in body["error"]


def test_unknown_place_suggests_alternatives(client: FlaskClient) -> None:
    body = client.get("/api/v1/organizations", query_string={"near": "Doualla"}).json
    assert "Douala, Cameroon" in body["suggestions"]
    page = client.get("/organizations", query_string={"near": "Doualla"}).get_data(as_text=True)
    assert "Did you mean" in page and "Douala, Cameroon" in page


def test_unknown_profile_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/organizations/no-such-org")
    assert response.status_code == 404
    assert "error" in response.json


def test_unknown_api_path_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json == {"error": "We could not find that page."}


def test_unknown_page_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "We could not find that page." in response.get_data(as_text=True)


def test_radius_without_a_place_is_ignored(client: FlaskClient) -> None:
    # the HTML form always sends a radius; without a place it has no effect
    assert client.get("/api/v1/organizations", query_string={"radius_km": "500"}).status_code == 200
