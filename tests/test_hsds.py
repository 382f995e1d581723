"""The HSDS 3.0 API (``/hsds``), its mapping and its stable ids.

Every response is validated with jsonschema against the HSDS schemas copied into the repository (formats
checked: uuid, uri, date-time, email), for listings at every location precision and contact visibility;
each case names the schema it is checked against.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from referencing import Registry
from referencing.exceptions import Unresolvable

from directory import create_app
from directory.extensions import db
from directory.geo import get_geo
from directory.hsds import ids, mapping, schemas
from directory.organizations.editing import apply_less_showing
from directory.organizations.models import ListingStatus, Organization, TaxonomyTerm
from directory.organizations.services import OrganizationInput, create_organization

from .test_access_matrix import _client, people  # noqa: F401  (people: a fixture)

TRUE_POINT = (4.0611, 9.7867)  # near Douala; exact listings publish it, others never


@pytest.fixture
def listings(make_org: Callable[..., Organization]) -> dict[str, Organization]:
    """A listing at every location precision, with every contact visibility, and one not public."""
    common = {
        "services": ["training", "consulting"],
        "focus": ["housing"],
        "models": ["survivor-founded"],
        "trafficking": ["labor"],
        "engagements": ["trainer"],
        "languages": ["fr", "en"],
        "serves": ["CM", "NG"],
        "latitude": TRUE_POINT[0],
        "longitude": TRUE_POINT[1],
    }
    found = {
        "exact": make_org(
            name="Exact Public",
            location_precision="exact",
            description="Peer support and training in Douala.",
            website="https://exact.example.org",
            year_incorporated=2015,
            email="open@exact.example.org",
            email_visibility="public",
            phone="+237 600 000 001",
            phone_visibility="public",
            **common,
        ),
        "city": make_org(
            name="City Agencies",
            location_precision="city",
            summary="A city listing.",
            email="agencies@city.example.org",
            email_visibility="verified_agencies",
            phone="+237 600 000 002",
            phone_visibility="after_accept",
            **common,
        ),
        "country": make_org(
            name="Country Phone",
            location_precision="country",
            phone="+237 600 000 003",
            phone_visibility="public",
            email="accepted@country.example.org",
            email_visibility="after_accept",
            **common,
        ),
        "hidden": make_org(
            name="Hidden Place",
            location_precision="hidden",
            email="hidden@hidden.example.org",
            email_visibility="verified_agencies",
            **common,
        ),
        "plain": make_org(name="No Offerings", city="Yaounde"),
        "pending": make_org(name="Still Pending", status=ListingStatus.PENDING, **common),
    }
    found["exact"].assured_date = found["exact"].created_at
    db.session.commit()
    return found


RESTRICTED = (
    "office@example.org",  # organization A of the access matrix's people
    "agencies@city.example.org",
    "+237 600 000 002",
    "accepted@country.example.org",
    "hidden@hidden.example.org",
)


def _valid(client: FlaskClient, url: str, target: dict[str, Any]) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_json())
    body = response.get_json()
    problems = schemas.errors(body, target)
    assert not problems, f"{url}:\n" + "\n".join(problems)
    return body


def _ids(client: FlaskClient, url: str) -> list[str]:
    return [item["id"] for item in client.get(url).get_json()["contents"]]


# --- every endpoint, validated ----------------------------------------------------------------------


def _term(name: str, code: str) -> str:
    return ids.taxonomy_term_id(name, code)


#: (path, schema file, True when it is a page of that schema). The paths name listings by key.
PAGES = [
    ("/hsds/organizations", "compiled/organization_list.json"),
    ("/hsds/organizations?full=true", "compiled/organization.json"),
    ("/hsds/organizations?full=true&full_service=true&per_page=2&page=2", "compiled/organization.json"),
    ("/hsds/organizations?search=Douala", "compiled/organization_list.json"),
    ("/hsds/organizations?full_service=true", "compiled/organization.json"),
    (f"/hsds/organizations?taxonomy_term_id={_term('focus', 'housing')}", "compiled/organization_list.json"),
    (f"/hsds/organizations?taxonomy_id={ids.taxonomy_id('model')}&full=1", "compiled/organization.json"),
    ("/hsds/services", "compiled/service_list.json"),
    ("/hsds/services?full=true", "compiled/service.json"),
    ("/hsds/services?full=true&organization_id={hidden}", "compiled/service.json"),
    ("/hsds/services?modified_after=2000-01-01T00:00:00Z&per_page=3", "compiled/service_list.json"),
    (f"/hsds/services?taxonomy_term_id={_term('service', 'training')}", "compiled/service_list.json"),
    (f"/hsds/services?taxonomy_id={ids.taxonomy_id('trafficking')}&full=true", "compiled/service.json"),
    ("/hsds/services?search=Country", "compiled/service_list.json"),
    ("/hsds/service_at_locations", "service_at_location.json"),
    ("/hsds/service_at_locations?full=true", "service_at_location.json"),
    ("/hsds/service_at_locations?full=true&organization_id={country}", "service_at_location.json"),
    (
        f"/hsds/service_at_locations?taxonomy_term_id={_term('service', 'consulting')}",
        "service_at_location.json",
    ),
    ("/hsds/service_at_locations?modified_after=2000-01-01", "service_at_location.json"),
    ("/hsds/taxonomies", "taxonomy.json"),
    ("/hsds/taxonomies?search=trafficking", "taxonomy.json"),
    ("/hsds/taxonomy_terms", "taxonomy_term.json"),
    (f"/hsds/taxonomy_terms?taxonomy_id={ids.taxonomy_id('focus')}&top_only=true", "taxonomy_term.json"),
    ("/hsds/taxonomy_terms?search=housing&per_page=1", "taxonomy_term.json"),
]


@pytest.mark.parametrize(("path", "schema_name"), PAGES, ids=[f"{p} -> page of {s}" for p, s in PAGES])
def test_every_page_validates(
    client: FlaskClient, listings: dict[str, Organization], path: str, schema_name: str
) -> None:
    url = path.format(**{key: org.uuid for key, org in listings.items()})
    body = _valid(client, url, schemas.page_of(schema_name))
    assert body["contents"], f"{url} found nothing to validate"


def test_the_api_information_validates(client: FlaskClient) -> None:
    body = _valid(client, "/hsds/", schemas.schema("api_info.json"))
    assert body["version"] == "3.0"


@pytest.mark.parametrize("precision", ["exact", "city", "country", "hidden", "plain"])
def test_every_object_of_every_listing_validates(
    client: FlaskClient, listings: dict[str, Organization], precision: str
) -> None:
    """compiled/organization.json, compiled/service.json, service_at_location.json for each listing."""
    org = listings[precision]
    for query in ("", "?full_service=true"):
        body = _valid(
            client, f"/hsds/organizations/{org.uuid}{query}", schemas.schema("compiled/organization.json")
        )
    assert len(body["services"]) == (0 if precision == "plain" else 2)
    for item in body["services"]:
        service = _valid(client, f"/hsds/services/{item['id']}", schemas.schema("compiled/service.json"))
        assert service == item
        for place in service["service_at_locations"]:
            found = _valid(
                client,
                f"/hsds/service_at_locations/{place['id']}",
                schemas.schema("service_at_location.json"),
            )
            assert found == place


def test_every_taxonomy_and_term_validates(client: FlaskClient) -> None:
    """taxonomy.json and taxonomy_term.json, one by one: five taxonomies, every term of the vocabulary."""
    taxonomies = client.get("/hsds/taxonomies?per_page=100").get_json()["contents"]
    assert len(taxonomies) == 5
    for taxonomy in taxonomies:
        assert (
            _valid(client, f"/hsds/taxonomies/{taxonomy['id']}", schemas.schema("taxonomy.json")) == taxonomy
        )
    terms = client.get("/hsds/taxonomy_terms?per_page=100").get_json()
    assert terms["total_items"] == len(mapping.taxonomy_terms()) > 30
    for term in terms["contents"]:
        assert (
            _valid(client, f"/hsds/taxonomy_terms/{term['id']}", schemas.schema("taxonomy_term.json")) == term
        )


def test_the_schemas_resolve_locally_and_nothing_is_fetched() -> None:
    """Every $ref of every copied schema resolves in the local registry, whose retrieve function fails:
    so no remote reference is ever fetched."""
    asked: list[str] = []

    def retrieve(uri: str) -> Any:
        asked.append(uri)
        raise OSError(f"refused to fetch {uri}")

    local = Registry(retrieve=retrieve).with_resources(  # type: ignore[call-arg]
        (uri, resource) for uri, resource in schemas.registry().items()
    )
    refs = 0
    for path in sorted(schemas.SCHEMA_DIR.rglob("*.json")):
        base = schemas.BASE_URI + path.relative_to(schemas.SCHEMA_DIR).as_posix()
        resolver = local.resolver(base)
        for ref in _refs(json.loads(path.read_text(encoding="utf-8"))):
            resolver.lookup(ref)
            refs += 1
    assert refs > 50 and asked == []
    with pytest.raises(Unresolvable):
        local.resolver(schemas.BASE_URI).lookup("https://example.org/remote.json")
    assert asked == ["https://example.org/remote.json"]
    with pytest.raises(Unresolvable):  # the app's own registry refuses too
        schemas.registry().resolver(schemas.BASE_URI).lookup("https://example.org/remote.json")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_validation_is_real() -> None:
    """Guard: what the tests validate with rejects a bad uri, date-time and uuid, and a missing field."""
    bad = {
        "id": "not-a-uuid",
        "name": "X",
        "status": "active",
        "url": "no scheme",
        "last_modified": "yesterday",
        "organization": {"id": str(uuid.uuid4()), "name": "Y"},
    }
    problems = schemas.errors(bad, schemas.schema("compiled/service.json"))
    assert len(problems) == 4, problems


# --- privacy -----------------------------------------------------------------------------------------


def _everything(client: FlaskClient, org: Organization) -> str:
    """Every HSDS answer about ``org`` (alone in it, or first), as one text."""
    urls = [
        f"/hsds/organizations/{org.uuid}?full_service=true",
        f"/hsds/organizations?full=true&full_service=true&search={org.name.replace(' ', '+')}",
        f"/hsds/services?full=true&per_page=100&organization_id={org.uuid}",
        f"/hsds/service_at_locations?full=true&per_page=100&organization_id={org.uuid}",
    ]
    texts = [client.get(url).get_data(as_text=True) for url in urls]
    body = client.get(f"/hsds/organizations/{org.uuid}?full_service=true").get_json()
    for service in body["services"]:
        texts.append(client.get(f"/hsds/services/{service['id']}").get_data(as_text=True))
    return "\n".join(texts)


def test_a_hidden_listing_has_no_location_and_no_coordinate(
    client: FlaskClient, listings: dict[str, Organization]
) -> None:
    org = listings["hidden"]
    body = client.get(f"/hsds/organizations/{org.uuid}?full_service=true").get_json()
    assert body["locations"] == []
    assert all(service["service_at_locations"] == [] for service in body["services"])
    assert "latitude" not in json.dumps(body) and "Douala" not in json.dumps(body)
    assert _ids(client, f"/hsds/service_at_locations?organization_id={org.uuid}") == []
    sal = ids.service_at_location_id(ids.service_id(org.uuid, "training"))
    assert client.get(f"/hsds/service_at_locations/{sal}").status_code == 404
    text = _everything(client, org)
    assert str(TRUE_POINT[0]) not in text and "9.786" not in text


def test_country_precision_has_the_country_and_no_coordinates(
    client: FlaskClient, listings: dict[str, Organization]
) -> None:
    body = client.get(f"/hsds/organizations/{listings['country'].uuid}").get_json()
    [place] = body["locations"]
    assert place["country"] == "CM" and place["name"] == "Cameroon"
    assert not {"latitude", "longitude", "locality", "addresses"} & set(place)
    assert "Douala" not in json.dumps(body)


def test_exact_and_city_precision_publish_the_public_point(
    client: FlaskClient, listings: dict[str, Organization]
) -> None:
    exact = client.get(f"/hsds/organizations/{listings['exact'].uuid}").get_json()["locations"][0]
    assert (exact["latitude"], exact["longitude"]) == TRUE_POINT and exact["locality"] == "Douala"
    city_org = listings["city"]
    city = client.get(f"/hsds/organizations/{city_org.uuid}").get_json()["locations"][0]
    public = (round(city_org.location.public_latitude, 5), round(city_org.location.public_longitude, 5))
    assert (city["latitude"], city["longitude"]) == public != TRUE_POINT
    assert "addresses" not in city  # no street address is ever public


@pytest.mark.parametrize("role", ["anonymous", "agency_verified", "admin"])
def test_restricted_contacts_never_appear(
    app: Flask,
    listings: dict[str, Organization],
    people: dict[str, Any],  # noqa: F811
    role: str,
) -> None:
    """Not to the public, and not to a verified agency or an admin either: HSDS shows what the public sees."""
    client = _client(app, role, people)
    for org in listings.values():
        text = _everything(client, org) if org.status is ListingStatus.APPROVED else ""
        for value in RESTRICTED:
            assert value not in text, (role, org.name, value)
    exact = client.get(f"/hsds/organizations/{listings['exact'].uuid}").get_json()
    assert exact["email"] == "open@exact.example.org"
    assert [c["email"] for c in exact["contacts"]] == ["open@exact.example.org"]
    assert [p["number"] for p in exact["phones"]] == ["+237 600 000 001"]
    country = client.get(f"/hsds/organizations/{listings['country'].uuid}").get_json()
    assert "email" not in country and country["contacts"] == []
    assert [p["number"] for p in country["phones"]] == ["+237 600 000 003"]


def test_only_public_listings(client: FlaskClient, listings: dict[str, Organization]) -> None:
    pending = listings["pending"]
    assert client.get(f"/hsds/organizations/{pending.uuid}").status_code == 404
    service = ids.service_id(pending.uuid, "training")
    assert client.get(f"/hsds/services/{service}").status_code == 404
    names = {o["name"] for o in client.get("/hsds/organizations?per_page=100").get_json()["contents"]}
    assert names == {o.name for o in listings.values() if o.status is ListingStatus.APPROVED}
    assert _ids(client, f"/hsds/services?organization_id={pending.uuid}") == []


# --- the mapping -------------------------------------------------------------------------------------


def test_the_mapping(client: FlaskClient, listings: dict[str, Organization]) -> None:
    org = listings["exact"]
    body = client.get(f"/hsds/organizations/{org.uuid}?full_service=true").get_json()
    assert body["description"] == "Peer support and training in Douala."
    assert body["website"] == "https://exact.example.org" and body["year_incorporated"] == 2015
    assert body["uri"].endswith(f"/organizations/{org.slug}")
    assert {a["taxonomy_term"]["code"] for a in body["attributes"]} == {
        "housing",
        "survivor-founded",
        "labor",
        "trainer",
    }
    training = next(s for s in body["services"] if s["name"] == "Training")
    assert training["status"] == "active"
    assert training["assured_date"] == org.assured_date.date().isoformat()
    assert training["last_modified"] == org.updated_at.isoformat(timespec="seconds")
    assert [(a["name"], a["country"]) for a in training["service_areas"]] == [
        ("Cameroon", "CM"),
        ("Nigeria", "NG"),
    ]
    assert [(lang["code"], lang["name"]) for lang in training["languages"]] == [
        ("en", "English"),
        ("fr", "French"),
    ]
    assert (
        "assured_date"
        not in client.get(f"/hsds/services/{ids.service_id(listings['city'].uuid, 'training')}").get_json()
    )
    # no empty strings anywhere, to pass a schema or otherwise
    assert '""' not in client.get("/hsds/organizations?full=true&full_service=true&per_page=100").get_data(
        as_text=True
    )
    summary_only = client.get(f"/hsds/organizations/{listings['city'].uuid}").get_json()
    assert summary_only["description"] == "A city listing."
    plain = client.get(f"/hsds/organizations/{listings['plain'].uuid}").get_json()
    assert plain["description"] == "A survivor-led organization listed in this directory."


def test_filters(client: FlaskClient, listings: dict[str, Organization]) -> None:
    exact, hidden = listings["exact"], listings["hidden"]
    training = _term("service", "training")
    found = client.get(f"/hsds/services?taxonomy_term_id={training}&per_page=100").get_json()
    assert {s["name"] for s in found["contents"]} == {"Training"} and found["total_items"] == 4
    assert len(_ids(client, "/hsds/services?per_page=100")) == 8
    assert len(_ids(client, "/hsds/service_at_locations?per_page=100")) == 6  # the hidden listing has none
    assert set(_ids(client, f"/hsds/services?organization_id={hidden.uuid}")) == {
        ids.service_id(hidden.uuid, "training"),
        ids.service_id(hidden.uuid, "consulting"),
    }
    assert _ids(client, "/hsds/services?modified_after=2999-01-01T00:00:00%2B00:00") == []
    # dates at the ends of the calendar, whose offset takes them beyond it in UTC (a 500 before), and
    # RFC 3339's lowercase letters
    assert len(_ids(client, "/hsds/services?modified_after=0001-01-01T00:00:00%2B01:00&per_page=100")) == 8
    assert _ids(client, "/hsds/service_at_locations?modified_after=9999-12-31T23:59:59-01:00") == []
    assert len(_ids(client, "/hsds/services?modified_after=2000-01-01t00:00:00z&per_page=100")) == 8
    assert _ids(client, "/hsds/organizations?search=Exact") == [exact.uuid]
    [whole] = client.get("/hsds/organizations?search=Exact&full_service=true").get_json()["contents"]
    assert whole["services"][0]["service_areas"] and whole["locations"]
    [brief] = client.get("/hsds/organizations?search=Exact&full=true").get_json()["contents"]
    assert set(brief["services"][0]) == {
        "id",
        "organization_id",
        "name",
        "status",
        "last_modified",
        "assured_date",
        "organization",
    }
    focus = _ids(client, f"/hsds/organizations?taxonomy_term_id={_term('focus', 'housing')}&per_page=100")
    assert listings["plain"].uuid not in focus and len(focus) == 4
    page = client.get("/hsds/organizations?per_page=2&page=3").get_json()
    assert {
        k: page[k]
        for k in ("total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty")
    } == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 3,
        "size": 1,
        "first_page": False,
        "last_page": True,
        "empty": False,
    }
    empty = client.get("/hsds/organizations?search=nothingmatchesthis").get_json()
    assert empty["empty"] and empty["total_items"] == 0 and empty["contents"] == []
    assert _ids(client, f"/hsds/taxonomy_terms?parent_id={uuid.uuid4()}") == []
    terms = _ids(client, f"/hsds/taxonomy_terms?taxonomy_id={ids.taxonomy_id('trafficking')}")
    assert terms == [_term("trafficking", "sex"), _term("trafficking", "labor")]


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/hsds/organizations?page=0", "page"),
        ("/hsds/organizations?per_page=many", "per_page"),
        ("/hsds/organizations?full=maybe", "full"),
        ("/hsds/organizations?format=ndjson", "format"),
        ("/hsds/organizations?search=a%00b", "search"),
        ("/hsds/services?taxonomy_term_id=housing", "taxonomy_term_id"),
        (f"/hsds/services?taxonomy_term_id={uuid.UUID(int=1)}", "taxonomy_term_id"),
        (f"/hsds/service_at_locations?taxonomy_id={uuid.UUID(int=2)}", "taxonomy_id"),
        ("/hsds/services?organization_id=12", "organization_id"),
        ("/hsds/services?modified_after=yesterday", "modified_after"),
        ("/hsds/services?minimal=true", "minimal"),
        ("/hsds/service_at_locations?postcode=75001", "postcode"),
        ("/hsds/taxonomy_terms?top_only=perhaps", "top_only"),
        ("/hsds/taxonomies?per_page=1000", "per_page"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client: FlaskClient, url: str, param: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json()["param"] == param and response.get_json()["error"]


@pytest.mark.parametrize(
    "kind", ["organizations", "services", "service_at_locations", "taxonomies", "taxonomy_terms"]
)
def test_unknown_ids_are_404_json(client: FlaskClient, kind: str) -> None:
    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        response = client.get(f"/hsds/{kind}/{unknown}")
        assert response.status_code == 404 and unknown in response.get_json()["error"]
    response = client.get("/hsds/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]


def test_a_page_costs_the_same_queries_whatever_its_size(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    """No query per listing: a page of 2 and a page of 12 take as many queries."""
    for n in range(12):
        make_org(
            name=f"Listing {n}",
            services=["training", "research"],
            languages=["fr"],
            serves=["CM"],
            focus=["youth"],
        )
    client.get("/hsds/organizations")  # the search index is built once, on first use
    counts = []
    for per_page in (2, 12):
        for url in ("/hsds/organizations?full=true&full_service=true", "/hsds/services?full=true"):
            with _queries() as seen:
                assert client.get(f"{url}&per_page={per_page}").status_code == 200
            counts.append((url, len(seen)))
    assert counts[:2] == counts[2:]


class _queries:
    def __enter__(self) -> list[str]:
        self.seen: list[str] = []
        sa.event.listen(db.engine, "before_cursor_execute", self._record)
        return self.seen

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.seen.append(statement)

    def __exit__(self, *_exc: object) -> None:
        sa.event.remove(db.engine, "before_cursor_execute", self._record)


# --- stable ids --------------------------------------------------------------------------------------


def test_derived_ids_are_the_same_in_every_database(
    app: Flask,
    client: FlaskClient,
    databases: Any,
    app_config: Callable[[str, Path], dict[str, Any]],
    tmp_path: Path,
) -> None:
    """Two apps on two databases publish the same taxonomy ids, and the same listing (same UUID) gets the
    same service, location, language and service-area ids."""
    shared_uuid = "0b8f3b8e-6a55-4d38-9f4e-2c1d5a7e9f10"
    data = OrganizationInput(
        name="Same Everywhere",
        country_code="CM",
        city="Douala",
        services=["training"],
        languages=["fr"],
        serves=["CM"],
    )

    def publish(target: Flask, client_: FlaskClient) -> dict[str, Any]:
        with target.app_context():
            org = create_organization(data, get_geo().gazetteer, status=ListingStatus.APPROVED)
            org.uuid = shared_uuid
            db.session.commit()
        return {
            "terms": _ids(client_, "/hsds/taxonomy_terms?per_page=100"),
            "taxonomies": _ids(client_, "/hsds/taxonomies"),
            "organization": client_.get(f"/hsds/organizations/{shared_uuid}?full_service=true").get_json(),
        }

    def every_id(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k.endswith("id")] + every_id(list(node.values()))
        if isinstance(node, list):
            return [found for item in node for found in every_id(item)]
        return []

    here = publish(app, client)
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other = create_app(app_config(databases.create(other_folder), other_folder))
    try:
        there = publish(other, other.test_client())
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    assert (here["terms"], here["taxonomies"]) == (there["terms"], there["taxonomies"])
    # the same ids for the same listing (the times of the edits differ)
    assert every_id(here["organization"]) == every_id(there["organization"])
    assert len(here["terms"]) > 30 and len(set(every_id(here["organization"]))) > 8
    service = here["organization"]["services"][0]
    assert service["id"] == str(uuid.uuid5(ids.NAMESPACE, f"service/{shared_uuid}/training"))
    assert uuid.UUID(service["languages"][0]["id"]).version == 5


def test_an_organization_keeps_its_uuid_when_edited(
    client: FlaskClient, listings: dict[str, Organization]
) -> None:
    org = listings["exact"]
    before = org.uuid
    assert uuid.UUID(before).version == 4
    service_before = _ids(client, f"/hsds/services?organization_id={before}")
    apply_less_showing(org, {"location_precision": "country", "phone": None}, get_geo().gazetteer)
    org.name = "Exact Renamed"
    db.session.commit()
    db.session.refresh(org)
    assert org.uuid == before
    body = client.get(f"/hsds/organizations/{before}").get_json()
    assert body["name"] == "Exact Renamed" and "latitude" not in body["locations"][0]
    assert _ids(client, f"/hsds/services?organization_id={before}") == service_before
    assert len({o.uuid for o in listings.values()}) == len(listings)


def test_api_v1_keeps_slugs_and_adds_the_id(client: FlaskClient, listings: dict[str, Organization]) -> None:
    org = listings["exact"]
    [hit] = client.get("/api/v1/organizations?q=Exact").get_json()["results"]
    assert (hit["id"], hit["slug"]) == (org.uuid, org.slug)
    profile = client.get(f"/api/v1/organizations/{org.slug}").get_json()
    assert (profile["id"], profile["slug"]) == (org.uuid, org.slug)


def test_the_migration_gives_existing_listings_a_uuid(fresh_app: Flask) -> None:
    from flask_migrate import downgrade, upgrade

    downgrade(revision="e4b9c2d7a615")
    with db.engine.begin() as connection:
        for n in (1, 2):
            connection.execute(
                sa.text(
                    "INSERT INTO organization (slug, name, normalized_name, summary, description, "
                    "leadership_narrative, text_language, survivor_attestation, email_visibility, "
                    "phone_visibility, status, is_demo, accepting_requests, edit_version, review_message, "
                    "created_at, updated_at) VALUES (:slug, 'Old', 'old', '', '', '', 'en', '', "
                    "'public', 'public', 'approved', false, true, 1, '', :now, :now)"
                ),
                {"slug": f"old-{n}", "now": "2026-01-01 00:00:00"},
            )
    upgrade()
    found = db.session.scalars(sa.select(Organization.uuid).order_by(Organization.id)).all()
    assert len(found) == 2 and len(set(found)) == 2
    assert all(uuid.UUID(value).version == 4 for value in found)


def test_imported_listings_each_get_their_own_uuid(runner: Any, tmp_path: Path) -> None:
    """The bulk import writes rows without the unit of work (COPY on PostgreSQL): each still gets one."""
    from .test_import import GOOD, write_csv

    rows = [{**GOOD, "name": f"Imported {n}"} for n in range(3)]
    result = runner.invoke(args=["import-orgs", str(write_csv(tmp_path / "orgs.csv", rows))])
    assert result.exit_code == 0, result.output
    found = db.session.scalars(sa.select(Organization.uuid)).all()
    assert len(found) == 3 and len(set(found)) == 3
    assert all(uuid.UUID(value).version == 4 for value in found)


def test_a_service_is_found_by_its_id_as_soon_as_it_is_public(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    """The per-process table of service ids follows every change of the listings."""
    org = make_org(name="Growing", services=["training"])
    research = ids.service_id(org.uuid, "research")
    research_here = ids.service_at_location_id(research)
    assert client.get(f"/hsds/services/{ids.service_id(org.uuid, 'training')}").status_code == 200
    assert client.get(f"/hsds/services/{research}").status_code == 404
    org.terms.append(
        db.session.scalar(
            sa.select(TaxonomyTerm).where(TaxonomyTerm.taxonomy == "service", TaxonomyTerm.code == "research")
        )
    )
    db.session.commit()
    assert client.get(f"/hsds/services/{research}").get_json()["name"] == "Research"
    assert client.get(f"/hsds/service_at_locations/{research_here}").get_json()["service_id"] == research
    org.status = ListingStatus.SUSPENDED
    db.session.commit()
    assert client.get(f"/hsds/services/{research}").status_code == 404
    assert client.get(f"/hsds/service_at_locations/{research_here}").status_code == 404
