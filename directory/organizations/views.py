"""Public pages of the directory: search results and organization profiles."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import regions
from ..extensions import db
from ..geo import GeocoderUnavailableError, PlaceNotFoundError
from ..public_reads import mark_private, public_read
from ..search import DistanceWithoutPlaceError, SearchParamError, SearchParams, parse_params, search
from .public import profile_for, public_coordinates

bp = Blueprint("organizations", __name__)


@bp.get("/organizations")
def search_page() -> tuple[str, int] | str:
    """Search with filters, facet counts and pagination; errors are shown beside the form."""
    error, suggestions, notice = None, [], None
    params: SearchParams | None = None
    results = None
    args = request.args
    try:
        try:
            params = parse_params(args, current_app.config)
        except DistanceWithoutPlaceError:
            # Not worth a page of nothing: the results in their usual order, and what to do instead.
            notice = _(
                "Sorting by distance needs a place: type a city or country in “Near”. "
                "Until then, the results are in their usual order."
            )
            args = args.copy()
            args.poplist("sort")
            params = parse_params(args, current_app.config)
        results = search(params)
    except SearchParamError as exc:
        error = {"param": exc.param, "message": exc.message}
    except PlaceNotFoundError as exc:
        error = {
            "param": "near",
            "message": _("We could not find the place “%(place)s”.", place=exc.query),
        }
        suggestions = exc.suggestions
    except GeocoderUnavailableError:
        error = {"param": "near", "message": _("The place search is unavailable; try again later.")}
    status = 400 if error else 200
    return (
        render_template(
            "organizations/search_page.html",
            params=params or SearchParams(),
            results=results,
            error=error,
            suggestions=suggestions,
            notice=notice,
            args=args,
            continents=regions.regions(),
        ),
        status,
    )


@bp.get("/organizations/<slug>")
@public_read
def profile(slug: str) -> str:
    """An organization's public profile, leadership model first."""
    found = profile_for(slug, current_user)
    if found is None:
        abort(404)
    db.session.commit()  # a view of restricted contacts is logged
    org, contacts = found
    if contacts.restricted_shown:
        mark_private()
    loc = org.location
    map_point = (
        public_coordinates(loc.location_precision, loc.public_latitude, loc.public_longitude) if loc else None
    )
    return render_template(
        "organizations/profile.html",
        org=org,
        contacts=contacts,
        stale=org.needs_reverification(),
        map_point=map_point,
    )
