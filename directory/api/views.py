"""JSON endpoints: search and one profile. Errors are ``{"error": ...}`` with a 4xx status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..geo import GeocoderUnavailableError, PlaceNotFoundError
from ..i18n import shown_language
from ..organizations.facets import facet_values
from ..organizations.public import profile_for, profile_json, summary_json
from ..search import SearchParamError, SearchResults, parse_params, search

bp = Blueprint("api", __name__)


def error(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": message, **extra}), status


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


@bp.get("/organizations")
def organizations() -> Response | tuple[Response, int]:
    """Search the public directory."""
    try:
        params = parse_params(request.args, current_app.config)
        results = search(params)
    except SearchParamError as exc:
        return error(400, exc.message, param=exc.param)
    except PlaceNotFoundError as exc:
        return error(
            400,
            _("We could not find the place “%(place)s”.", place=exc.query),
            param="near",
            suggestions=exc.suggestions,
        )
    except GeocoderUnavailableError:
        return error(503, _("The place search is unavailable; try again later."), param="near")
    near = None
    if results.near is not None:
        near = {
            "query": params.near,
            "name": results.near.name,
            "latitude": round(results.near.point.latitude, 5),
            "longitude": round(results.near.point.longitude, 5),
            "radius_km": params.radius_km,
        }
    return jsonify(
        {
            "total": results.total,
            "page": params.page,
            "per_page": params.per_page,
            "pages": results.pages,
            "sort": results.sort,
            "results": [
                summary_json(hit.organization, hit.distance_km, shown_language()) for hit in results.hits
            ],
            "facets": facets_json(results),
            "near": near,
        }
    )


@bp.get("/organizations/<slug>")
def organization(slug: str) -> Response | tuple[Response, int]:
    """One public profile."""
    found = profile_for(slug, current_user)
    if found is None:
        return error(404, _("No public organization has the slug “%(slug)s”.", slug=slug))
    db.session.commit()  # a view of restricted contacts is logged
    return jsonify(profile_json(*found, language=shown_language()))
