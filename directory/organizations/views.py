"""Public pages of the directory: search results (also as a CSV download) and organization profiles."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from .. import regions
from ..db import now_utc
from ..extensions import db
from ..geo import GeocoderUnavailableError, PlaceNotFoundError
from ..i18n import shown_language
from ..public_reads import mark_private, public_read
from ..ratelimits import limit_exports
from ..search import (
    DistanceWithoutPlaceError,
    SearchParamError,
    SearchParams,
    SearchResults,
    parse_params,
    search,
    search_all,
)
from .export import csv_chunks, published_batches
from .public import profile_for, public_coordinates

bp = Blueprint("organizations", __name__)


#: What a search may raise about its query string: shown beside the form.
_SEARCH_PROBLEMS = (SearchParamError, PlaceNotFoundError, GeocoderUnavailableError)


def _parse(args: MultiDict[str, str]) -> tuple[SearchParams, MultiDict[str, str], str | None]:
    """The checked search, the arguments it was read from, and a notice; raises on a bad parameter.

    ``sort=distance`` without a place is not worth a page of nothing: the results come in their usual
    order, and the notice says what to do instead."""
    try:
        return parse_params(args, current_app.config), args, None
    except DistanceWithoutPlaceError:
        notice = _(
            "Sorting by distance needs a place: type a city or country in “Near”. "
            "Until then, the results are in their usual order."
        )
        args = args.copy()
        args.poplist("sort")
        return parse_params(args, current_app.config), args, notice


def _problem(exc: Exception) -> tuple[dict[str, str], list[str]]:
    """The message beside the form for a search that could not run, and any places it may have meant."""
    if isinstance(exc, SearchParamError):
        return {"param": exc.param, "message": exc.message}, []
    if isinstance(exc, PlaceNotFoundError):
        message = _("We could not find the place “%(place)s”.", place=exc.query)
        return {"param": "near", "message": message}, exc.suggestions
    return {"param": "near", "message": _("The place search is unavailable; try again later.")}, []


def _search_page(
    params: SearchParams | None,
    results: SearchResults | None,
    args: MultiDict[str, str],
    notice: str | None = None,
    error: dict[str, str] | None = None,
    suggestions: list[str] | None = None,
) -> tuple[str, int]:
    return (
        render_template(
            "organizations/search_page.html",
            params=params or SearchParams(),
            results=results,
            error=error,
            suggestions=suggestions or [],
            notice=notice,
            args=args,
            continents=regions.regions(),
        ),
        400 if error else 200,
    )


@bp.get("/organizations")
def search_page() -> tuple[str, int]:
    """Search with filters, facet counts and pagination; errors are shown beside the form."""
    args, params, notice = request.args, None, None
    try:
        params, args, notice = _parse(args)
        results = search(params)
    except _SEARCH_PROBLEMS as exc:
        return _search_page(params, None, args, notice, *_problem(exc))
    return _search_page(params, results, args, notice)


@bp.get("/organizations.csv")
@limit_exports
def search_csv() -> Response | tuple[str, int]:
    """Every match of a search (all pages) as a CSV download of public fields; a bad search gets the
    search page with its error, as /organizations would answer."""
    args, params, notice = request.args, None, None
    try:
        params, args, notice = _parse(args)
        found = search_all(params)
    except _SEARCH_PROBLEMS as exc:
        return _search_page(params, None, args, notice, *_problem(exc))
    chunks = csv_chunks(published_batches(found.ids), shown_language())
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.mimetype_params["charset"] = "utf-8"
    filename = f"survivor-led-organizations-{now_utc().date().isoformat()}.csv"
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


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
