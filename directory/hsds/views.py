"""The HSDS 3.0 API (``/hsds``): the public directory as Open Referral organizations, services, services at
locations, taxonomies and taxonomy terms, in the specification's ``Page`` envelope.

Only published listings, as the public sees them, whoever asks (no signed-in view). Bad parameters are
``{"error": ..., "param": ...}`` with 400, unknown ids ``{"error": ...}`` with 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import vocab
from ..api.views import SEARCH_ERRORS, error, search_error
from ..organizations.public import public_organization_with_uuid
from ..public_reads import public_blueprint
from ..ratelimits import limit_exports
from ..search import SearchParamError, SearchParams, parse_params
from . import exporting, ids, lookup, mapping, queries

bp = Blueprint("hsds", __name__)
public_blueprint(bp)  # ETag, Last-Modified, 304 and CORS for every GET (directory/public_reads.py)

# The routes' ``<id>`` is the specification's own name for the path parameter.

_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


def _flag(name: str) -> bool:
    raw = request.args.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SearchParamError(name, _("%(name)s must be true or false.", name=name))


def _uuid_param(name: str) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not ids.is_uuid(raw):
        raise SearchParamError(name, _("%(name)s must be an id (a UUID).", name=name))
    return raw.lower()


def _unsupported(*names: str) -> None:
    """Parameters of the specification that do not apply here: said so, rather than ignored."""
    for name in names:
        if request.args.get(name, "").strip() and not (name == "format" and request.args[name] == "json"):
            raise SearchParamError(name, _("%(name)s is not supported here.", name=name))
    if "minimal" in names and _flag("minimal"):
        raise SearchParamError("minimal", _("%(name)s is not supported here.", name="minimal"))


def _base_params() -> SearchParams:
    """``search``, ``page`` and ``per_page``, checked as the directory search checks them."""
    args = MultiDict(
        {"q": request.args.get("search", ""), **{k: request.args.get(k, "") for k in ("page", "per_page")}}
    )
    try:
        return parse_params(args, current_app.config)
    except SearchParamError as exc:
        if exc.param == "q":
            raise SearchParamError("search", exc.message) from None
        raise


def _term_filter() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...] | None]:
    """The listings' terms asked for (``taxonomy_term_id``, ``taxonomy_id``) as search filters, and the
    offerings a service must be (None: any)."""
    filters: dict[str, tuple[str, ...]] = {}
    codes: tuple[str, ...] | None = None
    taxonomy_uuid = _uuid_param("taxonomy_id")
    if taxonomy_uuid is not None:
        name = mapping.taxonomies_by_id().get(taxonomy_uuid)
        if name is None:
            raise SearchParamError("taxonomy_id", _("No taxonomy has the id “%(id)s”.", id=taxonomy_uuid))
        filters[name] = tuple(vocab.TAXONOMIES[name])
    term_uuid = _uuid_param("taxonomy_term_id")
    if term_uuid is not None:
        found = mapping.terms_by_id().get(term_uuid)
        if found is None:
            raise SearchParamError(
                "taxonomy_term_id", _("No taxonomy term has the id “%(id)s”.", id=term_uuid)
            )
        filters[found[0]] = (found[1],)
        if found[0] == "service":
            codes = (found[1],)
    return filters, codes


def _modified_after() -> datetime | None:
    raw = request.args.get("modified_after", "").strip()
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.upper())  # RFC 3339 allows a lowercase "t" and "z"
    except ValueError:
        raise SearchParamError(
            "modified_after",
            _("%(name)s must be a date and time such as 2026-01-31T00:00:00Z.", name="modified_after"),
        ) from None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 or 9999-12-31T23:59-01:00: beyond what UTC can hold
        return None if when.year == 1 else datetime.max.replace(tzinfo=UTC)


def _profile_url(slug: str) -> str:
    return url_for("organizations.profile", slug=slug, _external=True)


def _answer(build: Callable[[], Any]) -> Response | tuple[Response, int]:
    """``build()`` as JSON, or the 400 (or 503) its parameters deserve."""
    try:
        return jsonify(build())
    except SEARCH_ERRORS as exc:
        return search_error(exc)


def _page(items: list[Any], params: SearchParams) -> tuple[list[Any], int]:
    start = (params.page - 1) * params.per_page
    return items[start : start + params.per_page], len(items)


@bp.get("/")
def index() -> Response:
    """What this API is: HSDS 3.0."""
    return jsonify({"version": mapping.HSDS_VERSION})


@bp.get("/organizations")
def organizations() -> Response | tuple[Response, int]:
    """A page of public organizations (one-to-one fields, or whole with ``full``)."""

    def build() -> dict[str, Any]:
        _unsupported("format")
        params, (filters, _codes) = _base_params(), _term_filter()
        full_service = _flag("full_service")
        full = _flag("full") or full_service  # whole services come inside whole organizations
        page_ids, total = _page(queries.matching_ids(queries.Selection(params, filters)), params)
        contents = [
            mapping.organization(org, full=full, full_service=full_service, profile_url=_profile_url)
            for org in queries.load(page_ids, related=full)
        ]
        return queries.page_envelope(contents, total, params.page, params.per_page)

    return _answer(build)


@bp.get("/organizations/<id>")
def organization(id: str) -> Response | tuple[Response, int]:
    """One public organization, fully nested (services whole with ``full_service``)."""
    org = public_organization_with_uuid(id) if ids.is_uuid(id) else None
    if org is None:
        return error(404, _("No public organization has the id “%(id)s”.", id=id))
    return _answer(
        lambda: mapping.organization(org, full_service=_flag("full_service"), profile_url=_profile_url)
    )


def _offering_page(located: bool) -> tuple[list[tuple[Any, str]], int, SearchParams]:
    """A page of (listing, offering) for /services and /service_at_locations, and the total."""
    _unsupported("format", "postcode", "proximity", "minimal")
    params, (filters, codes) = _base_params(), _term_filter()
    selection = queries.Selection(
        params, filters, organization_uuid=_uuid_param("organization_id"), modified_after=_modified_after()
    )
    pairs, total = _page(queries.offerings(queries.matching_ids(selection), codes, located), params)
    orgs = {org.id: org for org in queries.load(org_id for org_id, _code in pairs)}
    return [(orgs[org_id], code) for org_id, code in pairs if org_id in orgs], total, params


@bp.get("/services")
def services() -> Response | tuple[Response, int]:
    """A page of the public organizations' services (one-to-one fields, or whole with ``full``)."""

    def build() -> dict[str, Any]:
        found, total, params = _offering_page(located=False)
        full = _flag("full")
        contents = [mapping.service(org, code, full=full, profile_url=_profile_url) for org, code in found]
        return queries.page_envelope(contents, total, params.page, params.per_page)

    return _answer(build)


@bp.get("/services/<id>")
def service(id: str) -> Response | tuple[Response, int]:
    """One service, fully nested."""
    found = lookup.find_offering(id, "service") if ids.is_uuid(id) else None
    if found is None:
        return error(404, _("No service has the id “%(id)s”.", id=id))
    org, code = found
    return jsonify(mapping.service(org, code, profile_url=_profile_url))


@bp.get("/service_at_locations")
def service_at_locations() -> Response | tuple[Response, int]:
    """A page of services at the public organizations' locations (listings with a public location)."""

    def build() -> dict[str, Any]:
        found, total, params = _offering_page(located=True)
        full = _flag("full")
        contents = [mapping.service_at_location(org, code, full=full) for org, code in found]
        return queries.page_envelope(contents, total, params.page, params.per_page)

    return _answer(build)


@bp.get("/service_at_locations/<id>")
def service_at_location(id: str) -> Response | tuple[Response, int]:
    """One service at a location, with its location."""
    found = lookup.find_offering(id, "service_at_location") if ids.is_uuid(id) else None
    body = mapping.service_at_location(*found) if found else None
    if body is None:
        return error(404, _("No service at a location has the id “%(id)s”.", id=id))
    return jsonify(body)


def _matches(text: str, *fields: str) -> bool:
    return not text or any(text.casefold() in f.casefold() for f in fields)


@bp.get("/taxonomies")
def taxonomies() -> Response | tuple[Response, int]:
    """A page of the taxonomies we publish (``search`` looks in their names and descriptions)."""

    def build() -> dict[str, Any]:
        _unsupported("format")
        params = _base_params()
        found = [t for t in mapping.taxonomies() if _matches(params.q, t["name"], t["description"])]
        contents, total = _page(found, params)
        return queries.page_envelope(contents, total, params.page, params.per_page)

    return _answer(build)


@bp.get("/taxonomies/<id>")
def taxonomy(id: str) -> Response | tuple[Response, int]:
    """One taxonomy."""
    name = mapping.taxonomies_by_id().get(id.lower())
    if name is None:
        return error(404, _("No taxonomy has the id “%(id)s”.", id=id))
    return jsonify(mapping.taxonomy(name))


@bp.get("/taxonomy_terms")
def taxonomy_terms() -> Response | tuple[Response, int]:
    """A page of our taxonomy terms (``search`` looks in their codes, names and descriptions). The terms
    have no parents: ``top_only`` changes nothing and ``parent_id`` finds none."""

    def build() -> dict[str, Any]:
        _unsupported("format")
        params, (filters, _codes) = _base_params(), _term_filter()
        _flag("top_only")  # checked: every term is a top term
        parent = _uuid_param("parent_id")
        found = []
        for name, code in mapping.taxonomy_terms():
            if parent is not None or (filters and code not in filters.get(name, ())):
                continue
            term = mapping.taxonomy_term(name, code)
            if _matches(params.q, code, term["name"], term["description"]):
                found.append(term)
        contents, total = _page(found, params)
        return queries.page_envelope(contents, total, params.page, params.per_page)

    return _answer(build)


@bp.get("/taxonomy_terms/<id>")
def taxonomy_term(id: str) -> Response | tuple[Response, int]:
    """One taxonomy term, with its taxonomy."""
    found = mapping.terms_by_id().get(id.lower())
    if found is None:
        return error(404, _("No taxonomy term has the id “%(id)s”.", id=id))
    return jsonify(mapping.taxonomy_term(*found))


@bp.get("/export.zip")
@limit_exports
def export_package() -> Response | tuple[Response, int]:
    """The whole published directory in HSDS's tabular form (a zip of CSV tables with a
    ``datapackage.json``), names and labels in the reader's language, sent from disk.

    A directory of up to ``EXPORT_BUILD_LIMIT`` listings is built here when the listings have changed
    since the last package (see :func:`directory.hsds.exporting.current_package`). A larger one takes
    minutes to build, longer than a worker may take to answer: ``flask export-hsds --refresh`` builds it on
    a schedule, and this sends the newest package built (503 until there is one)."""
    locale = str(get_locale() or "en")
    if exporting.published_count() <= current_app.config["EXPORT_BUILD_LIMIT"]:
        path = exporting.current_package(locale)
    else:
        found = exporting.latest_package(locale)
        if found is None:
            response, status = error(
                503, _("The download of the whole directory is not ready yet. Please try again later.")
            )
            response.headers["Retry-After"] = "600"
            return response, status
        path = found
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"survivor-led-directory-hsds-{datetime.now(UTC).date().isoformat()}-{locale}.zip",
        conditional=True,
        max_age=0,
    )
