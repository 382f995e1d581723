"""The OpenAPI 3.1 description of the directory's JSON APIs, served at ``/api/openapi.json``.

Built from Python rather than kept as a JSON file, so that each fact stays in one place: the filters and
their valid values come from the search's own parameter list and vocabularies (``LIST_FILTERS``,
``vocab.TAXONOMIES``, ``regions``, ``SORTS``), the limits from the configuration (``SEARCH_MAX_PER_PAGE``,
``SEARCH_MAX_RADIUS_KM``). A new vocabulary term or a changed limit is then described without anyone
remembering to edit a second file; ``tests/test_openapi.py`` validates the result with
``openapi-spec-validator`` and schemathesis checks the app's answers against it.

The document is written in English: it is a contract for programmers (names, types, limits), like the
parameter names themselves. The reference page (``/api/docs``) shows it with its own headings translated.

Adding the HSDS API (``/hsds/...``): write a function returning ``(paths, schemas)`` (its operations under
``/hsds/...`` and the component schemas they ``$ref``) and add it to :data:`SECTIONS` with a tag; use
``ERROR_RESPONSES`` / ``error_response`` for its errors, which share the one ``Error`` schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from .. import regions, vocab
from ..organizations.models import LocationPrecision
from ..search.params import LIST_FILTERS, MAX_PAGE, SORTS

JSON = "application/json"
Schema = dict[str, Any]
#: A section of the document: (paths, component schemas).
Section = tuple[dict[str, Any], dict[str, Schema]]

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null (OpenAPI 3.1 is JSON Schema 2020-12: a list of types)."""
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def error_response(description: str) -> dict[str, Any]:
    """A response whose body is the one ``Error`` shape."""
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


#: The errors any operation may answer, whatever its parameters.
ERROR_RESPONSES = {
    "405": error_response("The method is not allowed here (the `Allow` header lists those that are)."),
    "429": error_response("Too many requests; the `Retry-After` header says how many seconds to wait."),
    "500": error_response("Something went wrong on our side (logged); the body never holds a stack trace."),
}

_CACHE_HEADERS = {
    "ETag": {
        "description": "Changes whenever the body or its language does; send it back in `If-None-Match`.",
        "schema": {"type": "string"},
    },
    "Last-Modified": {
        "description": "When the public's view of the directory last changed (or the server was updated).",
        "schema": {"type": "string"},
    },
    "Access-Control-Allow-Origin": {
        "description": "`*`: any web page may read this answer (never with credentials).",
        "schema": {"type": "string"},
    },
}

NOT_MODIFIED = {
    "description": "Not modified: the `ETag` in `If-None-Match` (or the date in `If-Modified-Since`) is "
    "still current. No body.",
    "headers": {"ETag": _CACHE_HEADERS["ETag"]},
}

CONDITIONAL_PARAMETERS = [
    {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "An `ETag` received before: the answer is 304 without a body if it is still current.",
        "schema": {"type": "string"},
    },
]

LANG_PARAMETER = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "The language of labels, messages and (where the organization wrote one) summaries. "
    "Without it: the `lang` cookie, the signed-in person's choice, then `Accept-Language`.",
    "schema": {"type": "string"},
}


def ok(description: str, schema: Schema, media_type: str = JSON) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _CACHE_HEADERS,
        "content": {media_type: {"schema": schema}},
    }


# --- /api/v1 ----------------------------------------------------------------------------------------


def _list_parameter(name: str, description: str, items: Schema) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description + " Repeat it for any of several values (`a,b` works too).",
        "schema": {"type": "array", "items": items},
        "style": "form",
        "explode": True,
    }


def search_parameters() -> list[dict[str, Any]]:
    """The query string of a search, shared by ``/organizations`` and ``/organizations.geojson``."""
    config = current_app.config
    country = {"type": "string", "enum": regions.country_codes()}
    described = {
        "region": (
            "A continent or UN M49 sub-region.",
            {"type": "string", "enum": sorted(regions.region_slugs())},
        ),
        "country": ("Where the organization is (ISO 3166-1 alpha-2).", country),
        "serves": ("A country the organization serves (ISO 3166-1 alpha-2).", country),
        "language": (
            "A language the organization works in: an ISO 639 code, or its name in English or `lang`.",
            {"type": "string", "minLength": 1, "maxLength": 100},
        ),
    }
    for name, taxonomy in LIST_FILTERS.items():
        if taxonomy is not None:
            described[name] = (
                f"A term of the `{taxonomy}` vocabulary.",
                {"type": "string", "enum": list(vocab.TAXONOMIES[taxonomy])},
            )
    filters = [_list_parameter(name, *described[name]) for name in LIST_FILTERS]
    return [
        {
            "name": "q",
            "in": "query",
            "required": False,
            "description": "Words to look for (the last one also as the start of a word).",
            "schema": {"type": "string", "maxLength": config["SEARCH_MAX_QUERY_LENGTH"]},
        },
        *filters,
        {
            "name": "near",
            "in": "query",
            "required": False,
            "description": "A place name or `latitude,longitude`; only listings within `radius_km` of it.",
            "schema": {"type": "string", "maxLength": 200},
        },
        {
            "name": "radius_km",
            "in": "query",
            "required": False,
            "description": "How far from `near`, in kilometres.",
            "schema": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": config["SEARCH_MAX_RADIUS_KM"],
                "default": config["SEARCH_DEFAULT_RADIUS_KM"],
            },
        },
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": "The order: by default relevance with words, distance with a place, else name. "
            "`distance` needs `near`.",
            "schema": {"type": "string", "enum": list(SORTS)},
        },
        {
            "name": "page",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        },
        {
            "name": "per_page",
            "in": "query",
            "required": False,
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": config["SEARCH_MAX_PER_PAGE"],
                "default": config["SEARCH_PER_PAGE"],
            },
        },
        LANG_PARAMETER,
        *CONDITIONAL_PARAMETERS,
    ]


def api_v1_schemas() -> dict[str, Schema]:
    string_list = {"type": "array", "items": {"type": "string"}}
    organization_properties: dict[str, Schema] = {
        "id": {"type": "string"},
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "text_language": {"type": "string"},
        "summary": {"type": "string"},
        "summary_language": {"type": "string"},
        "description": {"type": "string"},
        "leadership_narrative": {"type": "string"},
        "leadership_narrative_language": {"type": "string"},
        "translations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["language", "summary", "leadership_narrative"],
                "properties": {
                    "language": {"type": "string"},
                    "summary": {"type": "string"},
                    "leadership_narrative": {"type": "string"},
                },
            },
        },
        "survivor_attestation": {"type": "string"},
        "leadership_models": string_list,
        "focus_areas": string_list,
        "trafficking_types": string_list,
        "services": string_list,
        "engagement_types": string_list,
        "languages": string_list,
        "service_areas": string_list,
        "year_incorporated": nullable({"type": "integer"}),
        "website": nullable({"type": "string"}),
        "email": nullable({"type": "string"}),
        "phone": nullable({"type": "string"}),
        "verified_on": nullable({"type": "string", "format": "date"}),
        "location": ref("Location"),
        "is_demo": {"type": "boolean"},
        "updated_at": {"type": "string", "format": "date-time"},
    }
    return {
        "Location": {
            "description": "Where the organization is, as the public may see it: never the true point. "
            "Empty when the organization gave no location.",
            "type": "object",
            "properties": {
                "locality": nullable(
                    {"type": "string", "description": "The city, with `exact` or `city` precision only."}
                ),
                "country": {"type": "string", "description": "ISO 3166-1 alpha-2."},
                "country_name": {"type": "string"},
                "region": {"type": "string"},
                "subregion": {"type": "string"},
                "precision": {"type": "string", "enum": [p.value for p in LocationPrecision]},
                "latitude": nullable({"type": "number", "minimum": -90, "maximum": 90}),
                "longitude": nullable({"type": "number", "minimum": -180, "maximum": 180}),
            },
            "dependentRequired": {
                "country": [
                    "locality",
                    "country_name",
                    "region",
                    "subregion",
                    "precision",
                    "latitude",
                    "longitude",
                ]
            },
        },
        "OrganizationSummary": {
            "description": "A search result.",
            "type": "object",
            "required": [
                "slug",
                "name",
                "text_language",
                "summary",
                "summary_language",
                "location",
                "focus",
                "models",
                "trafficking",
                "is_demo",
            ],
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "text_language": {
                    "type": "string",
                    "description": "The language the organization writes in.",
                },
                "summary": {"type": "string"},
                "summary_language": {"type": "string"},
                "location": ref("Location"),
                "focus": string_list,
                "models": string_list,
                "trafficking": string_list,
                "is_demo": {
                    "type": "boolean",
                    "description": "A fictional listing of the demonstration data.",
                },
                "distance_km": {"type": "number", "description": "From `near`, when the search has one."},
            },
        },
        "Facet": {
            "type": "object",
            "required": ["value", "label", "count", "selected"],
            "properties": {
                "value": {"type": "string"},
                "label": {"type": "string"},
                "count": {"type": "integer", "minimum": 0},
                "selected": {"type": "boolean"},
            },
        },
        "Near": {
            "description": "The place the search measured from.",
            "type": "object",
            "required": ["name", "latitude", "longitude", "radius_km"],
            "properties": {
                "query": {"type": "string"},
                "name": {"type": "string"},
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
                "radius_km": {"type": "number"},
            },
        },
        "SearchResults": {
            "type": "object",
            "required": ["total", "page", "per_page", "pages", "sort", "results", "facets", "near"],
            "properties": {
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 0},
                "sort": {"type": "string", "enum": list(SORTS)},
                "results": {"type": "array", "items": ref("OrganizationSummary")},
                "facets": {
                    "description": "For each filter, its values with the number of matches (leaving out "
                    "that filter's own selection).",
                    "type": "object",
                    "propertyNames": {"enum": list(LIST_FILTERS)},
                    "additionalProperties": {"type": "array", "items": ref("Facet")},
                },
                "near": nullable(ref("Near")),
            },
        },
        "Organization": {
            "description": "A public profile. Contact details are only those the reader may see.",
            "type": "object",
            "required": list(organization_properties),
            "properties": organization_properties,
        },
        "MapFeatures": {
            "description": "A GeoJSON FeatureCollection: one point per listing at its public point.",
            "type": "object",
            "required": ["type", "features", "total", "shown", "capped", "message", "near"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "geometry", "properties"],
                        "properties": {
                            "type": {"const": "Feature"},
                            "geometry": {
                                "type": "object",
                                "required": ["type", "coordinates"],
                                "properties": {
                                    "type": {"const": "Point"},
                                    "coordinates": {
                                        "description": "[longitude, latitude]",
                                        "type": "array",
                                        "items": {"type": "number"},
                                        "minItems": 2,
                                        "maxItems": 2,
                                    },
                                },
                            },
                            "properties": {
                                "type": "object",
                                "required": ["name", "url", "place"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "url": {"type": "string", "description": "The profile page."},
                                    "place": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "total": {"type": "integer", "minimum": 0, "description": "Matches of the search."},
                "shown": {"type": "integer", "minimum": 0},
                "capped": {"type": "boolean", "description": "More matches have a point than are shown."},
                "message": nullable({"type": "string"}),
                "near": nullable(ref("Near")),
            },
        },
        "Languages": {
            "type": "object",
            "required": ["languages"],
            "properties": {
                "languages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name"],
                        "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                    },
                }
            },
        },
    }


def api_v1_paths() -> Section:
    place_unknown = error_response(
        "A parameter is not valid (`param`); for an unknown place in `near`, `suggestions` lists names "
        "that could be meant."
    )
    geocoder_down = error_response("The place search (an online geocoder) is unreachable; try again later.")
    search_responses = {
        "304": NOT_MODIFIED,
        "400": place_unknown,
        "503": geocoder_down,
        **ERROR_RESPONSES,
    }
    paths = {
        "/api/v1/organizations": {
            "get": {
                "operationId": "searchOrganizations",
                "tags": ["directory"],
                "summary": "Search the public directory",
                "description": "Words, filters, a place and a radius; facet counts for every filter. "
                "Different filters all apply; several values of one filter mean any of them.",
                "parameters": search_parameters(),
                "responses": {"200": ok("One page of results.", ref("SearchResults")), **search_responses},
            }
        },
        "/api/v1/organizations.geojson": {
            "get": {
                "operationId": "mapOrganizations",
                "tags": ["directory"],
                "summary": "Every match of a search on a map",
                "description": "Every match (all pages, `page` and `per_page` are ignored) that has a "
                "public point, as GeoJSON, up to the server's limit (`capped` and `message` say so).",
                "parameters": search_parameters(),
                "responses": {
                    "200": ok("The matches as points.", ref("MapFeatures"), "application/geo+json"),
                    **search_responses,
                },
            }
        },
        "/api/v1/organizations/{slug}": {
            "get": {
                "operationId": "getOrganization",
                "tags": ["directory"],
                "summary": "One public profile",
                "description": "A published listing. Contact details whose visibility is not public are "
                "only in the answer to those allowed to see them (that answer is `Cache-Control: private`).",
                "parameters": [
                    {
                        "name": "slug",
                        "in": "path",
                        "required": True,
                        "description": "The listing's name in its address.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 140},
                    },
                    LANG_PARAMETER,
                    *CONDITIONAL_PARAMETERS,
                ],
                "responses": {
                    "200": ok("The profile.", ref("Organization")),
                    "304": NOT_MODIFIED,
                    "404": error_response("No published listing has this slug."),
                    **ERROR_RESPONSES,
                },
            }
        },
        "/api/v1/languages": {
            "get": {
                "operationId": "listLanguages",
                "tags": ["directory"],
                "summary": "Every language by name",
                "description": "The languages a listing can name (ISO 639 codes), by name in `lang`.",
                "parameters": [LANG_PARAMETER, *CONDITIONAL_PARAMETERS],
                "responses": {
                    "200": ok("The languages.", ref("Languages")),
                    "304": NOT_MODIFIED,
                    **ERROR_RESPONSES,
                },
            }
        },
    }
    return paths, api_v1_schemas()


def hsds_paths() -> Section:
    """The HSDS API's section (built in :mod:`directory.hsds.openapi`, which uses this module's helpers)."""
    from ..hsds.openapi import hsds_paths as build

    return build()


#: The document's sections, in order: (tag, its description, the function building its paths and
#: schemas).
SECTIONS: list[tuple[str, str, Callable[[], Section]]] = [
    ("directory", "The directory's own JSON API (`/api/v1`): search, map, profiles.", api_v1_paths),
    (
        "hsds",
        "Open Referral HSDS 3.0 (`/hsds`): the same public listings as organizations, services, services "
        "at locations and taxonomy terms, in the official HSDS schemas (`HSDS_...`).",
        hsds_paths,
    ),
]


def error_schema() -> Schema:
    return {
        "description": "Every error under `/api/` and `/hsds/`, with a 4xx status (5xx for our failures). "
        "`error` is written in the reader's language.",
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong and, when it helps, what is valid."},
            "param": {"type": "string", "description": "The query parameter at fault."},
            "suggestions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "For an unknown place in `near`: place names that could be meant.",
            },
        },
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Schema] = {"Error": error_schema()}
    tags = []
    for tag, description, build in SECTIONS:
        section_paths, section_schemas = build()
        paths.update(section_paths)
        schemas.update(section_schemas)
        tags.append({"name": tag, "description": description})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Survivor-Led Partnership Directory API",
            "version": API_VERSION,
            "description": "Read-only, public JSON: what anyone may see of the directory, nothing more. "
            "Every answer carries `ETag` and `Last-Modified` (send them back for a 304) and may be read "
            "from any web page (CORS `*`). Errors are one shape, `Error`.",
        },
        "tags": tags,
        "paths": paths,
        "components": {"schemas": schemas},
    }
