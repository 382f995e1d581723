"""Public reads (directory/public_reads.py): ETag, Last-Modified and 304 on the public GETs, cross-origin
reads, and private answers for what a signed-in agency sees beyond the public; errors under /api in one
JSON shape."""

from __future__ import annotations

from typing import Any

import pytest

from directory.organizations.models import Visibility

from .test_access_matrix import _client, people  # noqa: F401  (people: a fixture)

API_READS = [
    "/api/v1/organizations",
    "/api/v1/organizations?q=health&focus=housing&trafficking=labor",
    "/api/v1/organizations.geojson",
    "/api/v1/languages",
]


@pytest.fixture
def listed(make_org: Any) -> Any:
    return make_org(
        name="Harbor Light",
        email="hello@harbor.example",
        email_visibility=Visibility.VERIFIED_AGENCIES,
        phone="+237 600 000 000",
        phone_visibility=Visibility.PUBLIC,
    )


@pytest.mark.parametrize("path", [*API_READS, "/api/v1/organizations/{slug}", "/organizations/{slug}"])
def test_public_reads_validate_and_answer_304(client: Any, listed: Any, path: str) -> None:
    path = path.format(slug=listed.slug)
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["ETag"].startswith('"')
    assert first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    assert {"Cookie", "Accept-Language"} <= set(first.vary)

    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]

    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_a_cross_origin_script_may_ask_conditionally(client: Any) -> None:
    """A script on another site that sends If-None-Match itself needs a preflight, and reads the ETag."""
    preflight = client.open(
        "/api/v1/organizations",
        method="OPTIONS",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" not in preflight.headers["Access-Control-Allow-Methods"]
    answer = client.get("/api/v1/organizations", headers={"Origin": "https://elsewhere.example"})
    assert "ETag" in answer.headers["Access-Control-Expose-Headers"]
    signed_in_route = client.open(
        "/account", method="OPTIONS", headers={"Origin": "https://elsewhere.example"}
    )
    assert "Access-Control-Allow-Origin" not in signed_in_route.headers


def test_etag_follows_language_and_content(client: Any, listed: Any, make_org: Any) -> None:
    english = client.get("/api/v1/organizations")
    french = client.get("/api/v1/organizations", headers={"Accept-Language": "fr"})
    assert english.headers["ETag"] != french.headers["ETag"]
    # The French answer is not the English one, even to a client that holds the English ETag.
    asked = client.get(
        "/api/v1/organizations",
        headers={"Accept-Language": "fr", "If-None-Match": english.headers["ETag"]},
    )
    assert asked.status_code == 200

    make_org(name="Another Listing")
    after = client.get(
        "/api/v1/organizations",
        headers={
            "If-None-Match": english.headers["ETag"],
            "If-Modified-Since": english.headers["Last-Modified"],
        },
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != english.headers["ETag"]


def test_last_modified_moves_when_a_public_field_changes(app: Any, client: Any, listed: Any) -> None:
    """A change that search does not read (the website) still moves Last-Modified: a client asking with
    If-Modified-Since alone gets the new profile."""
    from directory.extensions import db
    from directory.organizations.models import SearchState

    path = f"/api/v1/organizations/{listed.slug}"
    first = client.get(path)
    # Pretend the last change was long ago, so this one is visibly later (HTTP dates count seconds).
    state = db.session.get(SearchState, 1)
    state.changed_at = state.changed_at.replace(year=2020)
    db.session.commit()
    import directory.public_reads as public_reads

    old_start = public_reads.STARTED_AT
    public_reads.STARTED_AT = old_start.replace(year=2020)
    try:
        before = client.get(path)
        assert before.headers["Last-Modified"] != first.headers["Last-Modified"]
        listed.website = "https://harbor.example/new"
        db.session.commit()
        after = client.get(path, headers={"If-Modified-Since": before.headers["Last-Modified"]})
        assert after.status_code == 200
        assert after.json["website"] == "https://harbor.example/new"
    finally:
        public_reads.STARTED_AT = old_start


def test_restricted_contacts_are_private_without_etag(app: Any, people: Any) -> None:  # noqa: F811
    """The verified agency sees org_a's restricted email: private, no validators, no CORS."""
    agency = _client(app, "agency_verified", people)
    slug = people["params"]["slug"]
    for path in (f"/api/v1/organizations/{slug}", f"/organizations/{slug}"):
        answer = agency.get(path)
        assert answer.status_code == 200
        assert b"office@example.org" in answer.data
        assert "private" in answer.headers["Cache-Control"]
        assert "public" not in answer.headers["Cache-Control"]
        for name in ("ETag", "Last-Modified", "Access-Control-Allow-Origin"):
            assert name not in answer.headers, (path, name)
        assert agency.get(path, headers={"If-None-Match": "*"}).status_code == 200
    public = app.test_client().get(f"/api/v1/organizations/{slug}")
    assert b"office@example.org" not in public.data
    assert "ETag" in public.headers


def test_only_public_reads_opt_in(app: Any, people: Any) -> None:  # noqa: F811
    """The opted-in routes are exactly these GETs; a signed-in page never gets CORS or an ETag."""
    from directory.public_reads import is_public_read

    marked = set()
    for rule in app.url_map.iter_rules():
        with app.test_request_context(rule.rule.replace("<slug>", "x")):
            from flask import request

            request.url_rule, request.view_args = rule, {}
            if "GET" in (rule.methods or ()) and is_public_read():
                marked.add(rule.endpoint)
    assert marked == {
        "api.organizations",
        "api.organizations_geojson",
        "api.organization",
        "api.languages",
        "api_docs.openapi",
        "api_docs.reference",
        "organizations.profile",
    } | {e for e in marked if e.startswith("hsds.")}
    member = _client(app, "org_a", people)
    for path in ("/my/organization", "/account", f"/organizations/{people['params']['slug']}"):
        answer = member.get(path)
        assert "Access-Control-Allow-Origin" not in answer.headers, path
        assert "ETag" not in answer.headers, path


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nowhere", 404),
        ("GET", "/api/nothing/here", 404),
        ("GET", "/api/v1/organizations/no-such-listing", 404),
        ("POST", "/api/v1/organizations", 405),
        ("DELETE", "/api/v1/languages", 405),
        ("GET", "/api/v1/organizations?page=0", 400),
        ("GET", "/api/v1/organizations?sort=sideways", 400),
    ],
)
def test_errors_are_one_json_shape(client: Any, method: str, path: str, status: int) -> None:
    answer = client.open(path, method=method)
    assert answer.status_code == status
    assert answer.mimetype == "application/json"
    body = answer.json
    assert isinstance(body["error"], str) and body["error"]
    assert set(body) <= {"error", "param", "suggestions"}
    if status == 405:
        assert "GET" in answer.headers["Allow"]


def test_throttled_api_answers_json_429(app: Any, client: Any) -> None:
    from werkzeug.exceptions import TooManyRequests

    @app.get("/api/v1/test-throttled")
    def throttled() -> None:
        raise TooManyRequests(retry_after=30)

    answer = client.get("/api/v1/test-throttled")
    assert answer.status_code == 429
    assert answer.json == {"error": "Too many requests; please wait a moment and try again."}
    assert answer.headers["Retry-After"] == "30"


def test_a_blueprint_opts_in_with_one_line(app: Any) -> None:
    """What the HSDS API does: ``public_blueprint(bp)``; its errors are JSON under /hsds/ too."""
    from flask import Blueprint

    from directory.public_reads import public_blueprint

    bp = Blueprint("hsds_probe", __name__)
    public_blueprint(bp)

    @bp.get("/probe")
    def probe() -> dict[str, bool]:
        return {"ok": True}

    app.register_blueprint(bp, url_prefix="/hsds")
    client = app.test_client()
    first = client.get("/hsds/probe")
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/hsds/probe", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    missing = client.get("/hsds/nothing")
    assert missing.status_code == 404
    assert missing.json == {"error": "We could not find that page."}
