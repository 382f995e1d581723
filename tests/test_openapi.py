"""The OpenAPI document (/api/openapi.json): valid OpenAPI 3.1, describing every /api/v1 route; the
app's real answers match it (checked directly on both databases, and by schemathesis on SQLite); the
reference page (/api/docs) shows it without any script and is linked from every page's footer."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable
from typing import Any

import hypothesis
import jsonschema
import pytest
import schemathesis
from flask import Flask
from hypothesis import strategies as st
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from directory.organizations.models import Visibility

from .conftest import ON_POSTGRESQL


def test_the_document_is_valid_openapi_3_1(client: Any) -> None:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    doc = answer.json
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # openapi-spec-validator: raises on any mistake


def test_every_api_route_is_described(app: Flask, client: Any) -> None:
    doc = client.get("/api/openapi.json").json
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/v1/", "/hsds/"))
    }
    assert routes == set(doc["paths"])
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert {"200", "304", "405", "429", "500"} <= set(operation["responses"]), (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }, (path, status)


def _validator(doc: dict[str, Any], name: str) -> jsonschema.protocols.Validator:
    """A JSON Schema validator for component ``name`` of ``doc`` (local references only)."""
    resource = Resource(contents=doc, specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)
    return jsonschema.Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{name}"},
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


@pytest.fixture
def listings(make_org: Callable[..., Any]) -> list[Any]:
    """A listing at each location precision, with public and restricted contact details."""
    return [
        make_org(
            name=f"Listing {precision}",
            location_precision=precision,
            summary="Peer support and training.",
            email="office@example.org",
            email_visibility=Visibility.PUBLIC if precision == "exact" else Visibility.VERIFIED_AGENCIES,
            phone="+237 600 000 000",
            phone_visibility=Visibility.PUBLIC,
            website="https://example.org",
        )
        for precision in ("exact", "city", "country", "hidden")
    ]


def test_real_answers_match_the_document(client: Any, listings: list[Any]) -> None:
    """On this database: each answer, error answers included, validates against its schema."""
    doc = client.get("/api/openapi.json").json
    cases = [
        ("/api/v1/organizations?per_page=10", 200, "SearchResults"),
        ("/api/v1/organizations?near=Douala&sort=distance", 200, "SearchResults"),
        ("/api/v1/organizations.geojson", 200, "MapFeatures"),
        ("/api/v1/languages?lang=fr", 200, "Languages"),
        ("/api/v1/organizations?near=Nowhereville%20Zzz", 400, "Error"),
        ("/api/v1/organizations?focus=nothing", 400, "Error"),
        ("/api/v1/organizations/not-a-listing", 404, "Error"),
        ("/api/v1/unknown", 404, "Error"),
        *((f"/api/v1/organizations/{org.slug}", 200, "Organization") for org in listings),
    ]
    for path, status, schema in cases:
        answer = client.get(path)
        assert answer.status_code == status, path
        _validator(doc, schema).validate(answer.json)
    assert client.get("/api/v1/organizations?near=Douala").json["results"], "the search found nothing"


def test_the_reference_page_shows_every_operation_without_script(client: Any) -> None:
    doc = client.get("/api/openapi.json").json
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path, item in doc["paths"].items():
        for method in item:
            assert f"<code>{method.upper()} {path}</code>" in html
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    assert "<script" not in html.split("</head>")[-1].replace('<script src="/static/', "")
    assert "<style" not in html and " style=" not in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "everything is served from this site"
    home = client.get("/").get_data(as_text=True)
    assert 'href="/api/docs"' in home


# --- schemathesis ------------------------------------------------------------------------------------

#: Generated cases per operation and kind (valid, invalid): about 20 s alone on SQLite, 50 s in a busy
#: full run (the CI budget is a minute).
#: SCHEMATHESIS_CASES=1000 digs deeper by hand (and SCHEMATHESIS_SEED tries other cases).
CASES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_CASES", "50"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "11"))
#: What schemathesis checks on every answer.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.skipif(ON_POSTGRESQL, reason="schemathesis runs once, on SQLite (the CI budget)")
def test_the_app_keeps_its_document(app: Flask, listings: list[Any]) -> None:
    """schemathesis sends every operation the document's examples (the real listings' slugs among them)
    and generated requests, valid and invalid, with a fixed seed: no server error, and every answer
    (status, media type, headers, body) as the document describes it.

    (Schemathesis's pytest plugin cannot load a schema from a fixture under pytest 9, so the cases are
    drawn here with Hypothesis from each operation's strategies.)"""
    doc = copy.deepcopy(app.test_client().get("/api/openapi.json").json)
    for parameter in doc["paths"]["/api/v1/organizations/{slug}"]["get"]["parameters"]:
        if parameter["name"] == "slug":
            parameter["examples"] = {org.slug: {"value": org.slug} for org in listings}
    schema = schemathesis.openapi.from_dict(doc)

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        with app.app_context():  # each request in its own context, as on a server
            return list(app(environ, start_response))

    schema.app = wsgi
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in doc["paths"].values())
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
            *schema.get_strategies_from_examples(operation),
        )

        @hypothesis.given(case=strategy)
        @hypothesis.settings(
            max_examples=2 * CASES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
        )
        @hypothesis.seed(SEED)
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        check()
