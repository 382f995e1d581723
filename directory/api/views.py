"""JSON endpoints: search, the search's map (GeoJSON), one profile and the language names. Errors are
``{"error": ...}`` with a 4xx status (503 while an online geocoder is unreachable). Every endpoint is a
public read (:mod:`directory.public_reads`: ETag, Last-Modified, 304, CORS); every one is described in
the OpenAPI document (:mod:`.openapi`), which the tests check the answers against."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import languages as language_list
from ..errors import json_error
from ..extensions import db
from ..geo import GeocoderUnavailableError, PlaceNotFoundError
from ..i18n import shown_language
from ..maps.features import feature_collection, map_points
from ..organizations.facets import facet_values
from ..organizations.public import profile_for, profile_json, summary_json
from ..public_reads import mark_private, public_read
from ..search import SearchParamError, SearchResults, parse_params, search

bp = Blueprint("api", __name__)


def error(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    """An error answer in the API's one shape (see :func:`directory.errors.json_error`)."""
    return json_error(status, message, **extra)


def facets_json(results: SearchResults) -> dict[str, list[dict[str, Any]]]:
    """Facet counts with labels; values chosen in the query are listed even when their count is 0."""
    locale = str(get_locale() or "en")
    return {
        dim: [
            {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
            for v in facet_values(results, dim, locale)
        ]
        for dim in results.facets
    }


#: What a search may raise about its query string (see search_error).
SEARCH_ERRORS = (SearchParamError, PlaceNotFoundError, GeocoderUnavailableError)


def search_error(exc: Exception) -> tuple[Response, int]:
    """The answer to a search that could not run: which parameter, and why."""
    if isinstance(exc, SearchParamError):
        return error(400, exc.message, param=exc.param)
    if isinstance(exc, PlaceNotFoundError):
        return error(
            400,
            _("We could not find the place “%(place)s”.", place=exc.query),
            param="near",
            suggestions=exc.suggestions,
        )
    return error(503, _("The place search is unavailable; try again later."), param="near")


@bp.get("/organizations")
@public_read
def organizations() -> Response | tuple[Response, int]:
    """Search the public directory."""
    try:
        params = parse_params(request.args, current_app.config)
        results = search(params)
    except SEARCH_ERRORS as exc:
        return search_error(exc)
    near = None
    if results.near is not None:
        near = {
            "query": params.near,
            "name": results.near.name,
            "latitude": round(results.near.point.latitude, 5),
            "longitude": round(results.near.point.longitude, 5),
            "radius_km": params.radius_km,
        }
    language = shown_language()
    return jsonify(
        {
            "total": results.total,
            "page": params.page,
            "per_page": params.per_page,
            "pages": results.pages,
            "sort": results.sort,
            "results": [summary_json(hit.organization, hit.distance_km, language) for hit in results.hits],
            "facets": facets_json(results),
            "near": near,
        }
    )


@bp.get("/organizations.geojson")
@public_read
def organizations_geojson() -> Response | tuple[Response, int]:
    """Every match of a search (all pages) at its public point, as GeoJSON, for the map."""
    limit = current_app.config["MAP_MAX_FEATURES"]
    try:
        params = parse_params(request.args, current_app.config)
        found = map_points(params, limit)
    except SEARCH_ERRORS as exc:
        return search_error(exc)
    message = None
    if found.capped:
        message = _(
            "The map shows the first %(shown)s of the %(total)s organizations found. "
            "Narrow the search to see them all on the map.",
            shown=format_number(len(found.points)),
            total=format_number(found.total),
        )
    body = feature_collection(found, params, message)
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/geo+json")


@bp.get("/organizations/<slug>")
@public_read
def organization(slug: str) -> Response | tuple[Response, int]:
    """One public profile."""
    found = profile_for(slug, current_user)
    if found is None:
        return error(404, _("No public organization has the slug “%(slug)s”.", slug=slug))
    db.session.commit()  # a view of restricted contacts is logged
    if found[1].restricted_shown:
        mark_private()
    return jsonify(profile_json(*found, language=shown_language()))


@bp.get("/languages")
@public_read
def languages() -> Response:
    """Every language that can be chosen by name, by name in the reader's language (``?lang=``): what
    the language fields suggest as people type."""
    response = jsonify(
        {"languages": [{"code": code, "name": name} for code, name in language_list.choices()]}
    )
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.vary.update(("Accept-Language", "Cookie"))
    return response
