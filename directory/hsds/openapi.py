"""The HSDS 3.0 API (``/hsds``) in the OpenAPI document: its operations, and the official HSDS schemas its
answers follow, embedded so that the document is self-contained.

The schemas are read from the copies in ``schema/`` (one source of truth, the same files the tests validate
with): each ``x.json`` becomes the component ``HSDS_x`` and each relative ``"$ref": "x.json"`` the local
``#/components/schemas/HSDS_x``; only the schemas the answers reach are included. The keywords of the HSDS
files that are not JSON Schema (``datapackage_metadata``, ``constraints``, ``core``, ...) are left out.

``compiled/organization.json`` and ``compiled/service.json`` are the raw schemas with every reference copied
in, which makes them very large: they are described here as the raw schema plus the fields only the compiled
one has (an organization's ``services``), by reference, which accepts the same objects in a small fraction of
the size.
The small ``compiled/*_list.json`` (the one-to-one fields of a list) are embedded as they are.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from flask import current_app

from .. import vocab
from ..api.openapi import (
    CONDITIONAL_PARAMETERS,
    ERROR_RESPONSES,
    LANG_PARAMETER,
    NOT_MODIFIED,
    Schema,
    Section,
    error_response,
    ok,
    ref,
)
from ..search.params import MAX_PAGE
from . import SCHEMA_DIR, ids, mapping

PREFIX = "HSDS_"

#: Keywords of the HSDS files that are data-package or documentation metadata, not JSON Schema.
_NOT_JSON_SCHEMA = frozenset(
    {
        "name",
        "path",
        "datapackage_metadata",
        "datapackage_type",
        "constraints",
        "example",
        "core",
        "tabular_required",
        "$schema",
    }
)
#: Keywords whose value is a map of names to schemas (whose keys are property names, not keywords).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


def component_name(file_name: str) -> str:
    """``"attribute.json"`` -> ``"HSDS_attribute"``, ``"compiled/service_list.json"`` ->
    ``"HSDS_compiled_service_list"``."""
    return PREFIX + file_name.removesuffix(".json").replace("/", "_")


def _clean(node: Any, found: set[str]) -> Any:
    """A copy of schema ``node`` with local references and JSON Schema keywords only; the files it refers
    to are added to ``found``."""
    if isinstance(node, list):
        return [_clean(item, found) for item in node]
    if not isinstance(node, dict):
        return node
    cleaned: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NOT_JSON_SCHEMA:
            continue
        if key == "$ref":
            if not re.fullmatch(r"[a-z_]+\.json", value):
                raise ValueError(f"an HSDS schema refers to {value!r}, which is not a local file")
            found.add(value)
            cleaned[key] = f"#/components/schemas/{component_name(value)}"
        elif key in _SCHEMA_MAPS:
            cleaned[key] = {name: _clean(sub, found) for name, sub in value.items()}
        else:
            cleaned[key] = _clean(value, found)
    return cleaned


def _load(file_name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))


def _compiled_as_references(name: str) -> Schema:
    """``compiled/<name>.json`` as the raw ``<name>.json`` plus, by reference, the properties only the
    compiled one has (each is, or is an array of, one of the raw schemas, named by its ``name``)."""
    compiled, raw = _load(f"compiled/{name}.json"), _load(f"{name}.json")
    extra: dict[str, Schema] = {}
    for prop, sub in compiled["properties"].items():
        if prop in raw["properties"]:
            continue
        target = sub.get("items", sub)
        if not (SCHEMA_DIR / f"{target.get('name')}.json").is_file():
            raise ValueError(f"compiled/{name}.json: {prop} is not one of the HSDS schemas")
        linked = {"$ref": f"{target['name']}.json"}
        extra[prop] = {"type": "array", "items": linked} if "items" in sub else linked
    return {
        "description": compiled.get("description", ""),
        "allOf": [{"$ref": f"{name}.json"}],
        "type": "object",
        "required": compiled.get("required", []),
        "properties": extra,
    }


@cache
def hsds_schemas() -> dict[str, Schema]:
    """The component schemas: the answers' schemas and every schema they refer to, by name."""
    roots: dict[str, Schema] = {
        "compiled/organization.json": _compiled_as_references("organization"),
        "compiled/service.json": _compiled_as_references("service"),
    }
    for file_name in (
        "api_info.json",
        "page.json",
        "compiled/organization_list.json",
        "compiled/service_list.json",
        "service_at_location.json",
        "taxonomy.json",
        "taxonomy_term.json",
    ):
        roots[file_name] = _load(file_name)
    schemas: dict[str, Schema] = {}
    pending = dict(roots)
    while pending:
        file_name, contents = pending.popitem()
        found: set[str] = set()
        schemas[component_name(file_name)] = _clean(contents, found)
        for linked in found:
            if component_name(linked) not in schemas and linked not in pending:
                pending[linked] = _load(linked)
    return dict(sorted(schemas.items()))


def _page_of(items: Schema, description: str) -> Schema:
    return {
        "description": description,
        "allOf": [ref("HSDS_page")],
        "type": "object",
        "properties": {"contents": {"type": "array", "items": items}},
    }


def page_schemas() -> dict[str, Schema]:
    """The ``Page`` envelope of each list, with what its ``contents`` are."""
    return {
        "HSDSOrganizationPage": _page_of(
            {"anyOf": [ref("HSDS_compiled_organization_list"), ref("HSDS_compiled_organization")]},
            "A page of organizations: their one-to-one fields (`compiled/organization_list.json`), or "
            "whole (`compiled/organization.json`) with `full` or `full_service`.",
        ),
        "HSDSServicePage": _page_of(
            {"anyOf": [ref("HSDS_compiled_service_list"), ref("HSDS_compiled_service")]},
            "A page of services: their one-to-one fields (`compiled/service_list.json`), or whole "
            "(`compiled/service.json`) with `full`.",
        ),
        "HSDSServiceAtLocationPage": _page_of(
            ref("HSDS_service_at_location"), "A page of services at locations."
        ),
        "HSDSTaxonomyPage": _page_of(ref("HSDS_taxonomy"), "A page of taxonomies."),
        "HSDSTaxonomyTermPage": _page_of(ref("HSDS_taxonomy_term"), "A page of taxonomy terms."),
    }


# --- parameters -----------------------------------------------------------------------------------


def _query(name: str, description: str, schema: Schema) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_UUID = {"type": "string", "format": "uuid"}
_FLAG = {"type": "boolean", "default": False}


def _id_parameter(what: str) -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "description": f"The {what}'s id (a UUID).",
        "schema": {"type": "string", "minLength": 1},
    }


def _paging() -> list[dict[str, Any]]:
    config = current_app.config
    return [
        _query(
            "search",
            "Words to look for.",
            {"type": "string", "maxLength": config["SEARCH_MAX_QUERY_LENGTH"]},
        ),
        _query(
            "page", "The page number.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}
        ),
        _query(
            "per_page",
            "How many items a page holds.",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": config["SEARCH_MAX_PER_PAGE"],
                "default": config["SEARCH_PER_PAGE"],
            },
        ),
        _query(
            "format",
            "Only `json` is served (a tabular form: `/hsds/export.zip`).",
            {"type": "string", "enum": ["json"]},
        ),
    ]


def _term_filters() -> list[dict[str, Any]]:
    """``taxonomy_term_id`` and ``taxonomy_id``, whose values are the ids of our own terms and taxonomies
    (any other id is answered with 400)."""
    return [
        _query(
            "taxonomy_term_id",
            "Only those classified by this taxonomy term (one of `/hsds/taxonomy_terms`).",
            {**_UUID, "enum": [ids.taxonomy_term_id(name, code) for name, code in mapping.taxonomy_terms()]},
        ),
        _query(
            "taxonomy_id",
            "Only those classified by a term of this taxonomy (one of `/hsds/taxonomies`).",
            {**_UUID, "enum": [ids.taxonomy_id(name) for name in vocab.TAXONOMIES]},
        ),
    ]


#: Parameters of the specification that do not apply here: an empty value is ignored, any other is 400.
_REFUSED = [
    _query(name, "Not supported here: a value gives 400.", schema)
    for name, schema in (
        ("postcode", {"type": "string", "maxLength": 0}),
        ("proximity", {"type": "string", "maxLength": 0}),
        ("minimal", {"type": "boolean", "enum": [False]}),
    )
]

_OFFERING_FILTERS = [
    _query("organization_id", "Only the services of this organization.", _UUID),
    _query(
        "modified_after",
        "Only the services whose public view changed at or after this time (ISO 8601; UTC without an "
        "offset).",
        {"type": "string", "format": "date-time"},
    ),
]

_COMMON = [LANG_PARAMETER, *CONDITIONAL_PARAMETERS]


def _bad_parameter() -> dict[str, Any]:
    return error_response("A parameter is not valid (`param` names it).")


def _list(operation_id: str, summary: str, description: str, parameters: list[Any], page: str) -> Any:
    return {
        "get": {
            "operationId": operation_id,
            "tags": ["hsds"],
            "summary": summary,
            "description": description,
            "parameters": [*parameters, *_COMMON],
            "responses": {
                "200": ok("A page.", ref(page)),
                "304": NOT_MODIFIED,
                "400": _bad_parameter(),
                **ERROR_RESPONSES,
            },
        }
    }


def _one(operation_id: str, summary: str, what: str, schema: str, parameters: list[Any] | None = None) -> Any:
    parameters = parameters or []
    return {
        "get": {
            "operationId": operation_id,
            "tags": ["hsds"],
            "summary": summary,
            "parameters": [_id_parameter(what), *parameters, *_COMMON],
            "responses": {
                "200": ok(f"The {what}.", ref(schema)),
                "304": NOT_MODIFIED,
                **({"400": _bad_parameter()} if parameters else {}),
                "404": error_response(f"No public {what} has this id."),
                **ERROR_RESPONSES,
            },
        }
    }


def hsds_paths() -> Section:
    """Every ``/hsds`` operation, and the schemas of its answers."""
    paging = _paging()
    full = _query("full", "Each item whole, with what it links to, rather than its one-to-one fields.", _FLAG)
    full_service = _query(
        "full_service", "The organization's services whole (implies `full` in a list).", _FLAG
    )
    offering_parameters = [*paging, *_term_filters(), *_OFFERING_FILTERS, full, *_REFUSED]
    paths = {
        "/hsds/": {
            "get": {
                "operationId": "hsdsInformation",
                "tags": ["hsds"],
                "summary": "What this API is",
                "description": "The HSDS version this API follows.",
                "parameters": _COMMON,
                "responses": {
                    "200": ok("The API's information.", ref("HSDS_api_info")),
                    "304": NOT_MODIFIED,
                    **ERROR_RESPONSES,
                },
            }
        },
        "/hsds/organizations": _list(
            "hsdsOrganizations",
            "A page of organizations",
            "The published listings as HSDS organizations.",
            [*paging, *_term_filters(), full, full_service],
            "HSDSOrganizationPage",
        ),
        "/hsds/organizations/{id}": _one(
            "hsdsOrganization",
            "One organization, whole",
            "organization",
            "HSDS_compiled_organization",
            [full_service],
        ),
        "/hsds/services": _list(
            "hsdsServices",
            "A page of services",
            "One service per offering of a published listing (consulting, training, ...).",
            offering_parameters,
            "HSDSServicePage",
        ),
        "/hsds/services/{id}": _one("hsdsService", "One service, whole", "service", "HSDS_compiled_service"),
        "/hsds/service_at_locations": _list(
            "hsdsServiceAtLocations",
            "A page of services at locations",
            "The services of the listings that show a public location.",
            offering_parameters,
            "HSDSServiceAtLocationPage",
        ),
        "/hsds/service_at_locations/{id}": _one(
            "hsdsServiceAtLocation",
            "One service at a location",
            "service at a location",
            "HSDS_service_at_location",
        ),
        "/hsds/taxonomies": _list(
            "hsdsTaxonomies",
            "A page of taxonomies",
            "The vocabularies listings are classified by (`search` looks in names and descriptions).",
            paging,
            "HSDSTaxonomyPage",
        ),
        "/hsds/taxonomies/{id}": _one("hsdsTaxonomy", "One taxonomy", "taxonomy", "HSDS_taxonomy"),
        "/hsds/taxonomy_terms": _list(
            "hsdsTaxonomyTerms",
            "A page of taxonomy terms",
            "The terms of our taxonomies (`search` looks in codes, names and descriptions). Our terms have "
            "no parents: `top_only` changes nothing and `parent_id` finds none.",
            [
                *paging,
                *_term_filters(),
                _query("top_only", "Only terms without a parent (all of ours).", _FLAG),
                _query("parent_id", "Only the children of this term (ours have none).", _UUID),
            ],
            "HSDSTaxonomyTermPage",
        ),
        "/hsds/taxonomy_terms/{id}": _one(
            "hsdsTaxonomyTerm", "One taxonomy term, with its taxonomy", "taxonomy term", "HSDS_taxonomy_term"
        ),
        "/hsds/export.zip": {
            "get": {
                "operationId": "hsdsExport",
                "tags": ["hsds"],
                "summary": "The whole directory in HSDS's tabular form",
                "description": "A zip of CSV tables with a `datapackage.json`, names and labels in `lang`.",
                "parameters": _COMMON,
                "responses": {
                    "200": ok(
                        "The package (an attachment).",
                        {"type": "string", "contentMediaType": "application/zip"},
                        "application/zip",
                    ),
                    "304": NOT_MODIFIED,
                    "503": error_response(
                        "The package of a large directory is built on a schedule and none is ready yet; "
                        "`Retry-After` says when to try again."
                    ),
                    **ERROR_RESPONSES,
                },
            }
        },
    }
    return paths, {**hsds_schemas(), **page_schemas()}
