"""Search parameters: parsing and checking the query string shared by the HTML page and the JSON API.

Every mistake becomes a :class:`SearchParamError` naming the parameter and saying what is valid, so
the API can answer 400 with ``{"error": ...}`` and the page can show the message beside the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import languages, regions, textrules, vocab

SORTS = ("relevance", "distance", "name", "updated")
MAX_PAGE = 10_000

#: Repeatable filters: parameter -> vocabulary taxonomy (None: checked otherwise).
LIST_FILTERS: dict[str, str | None] = {
    "region": None,
    "country": None,
    "focus": "focus",
    "model": "model",
    "service": "service",
    "engagement": "engagement",
    "trafficking": "trafficking",
    "language": None,
    "serves": None,
}


class SearchParamError(ValueError):
    """A bad search parameter; ``param`` names it and the message says what is valid."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        self.message = message
        super().__init__(message)


class DistanceWithoutPlaceError(SearchParamError):
    """``sort=distance`` without a place to measure from. The API answers 400; the search page shows the
    results in their usual order and says what to do instead."""


@dataclass(frozen=True)
class SearchParams:
    """A checked search request. Filters hold lists: several values of one filter mean any of them."""

    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    near: str = ""
    radius_km: float = 100.0
    sort: str | None = None
    page: int = 1
    per_page: int = 20

    def selected(self, name: str) -> tuple[str, ...]:
        return self.filters.get(name, ())

    @property
    def effective_sort(self) -> str:
        """The sort in force: the one asked for, else relevance with text, distance near a place, name."""
        if self.sort == "relevance" and not self.q.strip():
            return "distance" if self.near else "name"
        if self.sort:
            return self.sort
        if self.q.strip():
            return "relevance"
        return "distance" if self.near else "name"

    def to_args(self, **changes: Any) -> dict[str, Any]:
        """The query-string arguments for this search, with ``changes`` applied (for links)."""
        params = replace(self, **{k: v for k, v in changes.items() if k in _FIELDS})
        filters = dict(params.filters)
        for name in LIST_FILTERS:
            if name in changes:
                filters[name] = tuple(changes[name])
        args: dict[str, Any] = {}
        if params.q:
            args["q"] = params.q
        for name in LIST_FILTERS:
            if filters.get(name):
                args[name] = list(filters[name])
        if params.near:
            args["near"] = params.near
            args["radius_km"] = _format_number(params.radius_km)
        if params.sort:
            args["sort"] = params.sort
        if params.page != 1:
            args["page"] = params.page
        if params.per_page != _DEFAULT_PER_PAGE:
            args["per_page"] = params.per_page
        return args

    def all_pages_args(self) -> dict[str, Any]:
        """Arguments for every match of this search at once (a download): no page, no page size."""
        args = self.to_args(page=1)
        args.pop("per_page", None)
        return args

    def without_filters(self) -> dict[str, Any]:
        """Arguments for this search with every filter removed (back to the first page)."""
        return self.to_args(page=1, **{name: [] for name in LIST_FILTERS})

    def toggled(self, name: str, value: str) -> dict[str, Any]:
        """Arguments for this search with ``value`` of filter ``name`` switched on or off."""
        current = list(self.selected(name))
        new = [v for v in current if v != value] if value in current else [*current, value]
        return self.to_args(page=1, **{name: new})


_FIELDS = {"q", "near", "radius_km", "sort", "page", "per_page"}
#: Every query parameter a search reads.
PARAMETERS = (*sorted(_FIELDS), *LIST_FILTERS)
_DEFAULT_PER_PAGE = 20


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _int(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SearchParamError(name, _("%(name)s must be a whole number.", name=name)) from None
    if not low <= value <= high:
        raise SearchParamError(
            name, _("%(name)s must be between %(low)d and %(high)d.", name=name, low=low, high=high)
        )
    return value


def _values(args: MultiDict[str, str], name: str) -> list[str]:
    """Every value of a repeatable parameter; commas also separate values (``focus=a,b``)."""
    out: list[str] = []
    for raw in args.getlist(name):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return list(dict.fromkeys(out))


def _check_filter(name: str, values: list[str]) -> tuple[str, ...]:
    taxonomy = LIST_FILTERS[name]
    if taxonomy is not None:
        try:
            return tuple(vocab.check_slugs(taxonomy, values))
        except vocab.UnknownSlugError as exc:
            raise SearchParamError(
                name,
                _(
                    "Unknown %(param)s: %(bad)s. Valid values: %(valid)s.",
                    param=name,
                    bad=", ".join(exc.unknown),
                    valid=", ".join(exc.valid),
                ),
            ) from None
    if name == "region":
        valid = regions.region_slugs()
        bad = [v for v in values if v not in valid]
        if bad:
            raise SearchParamError(
                name,
                _(
                    "Unknown region: %(bad)s. Valid values: %(valid)s.",
                    bad=", ".join(bad),
                    valid=", ".join(sorted(valid)),
                ),
            )
        return tuple(values)
    if name in ("country", "serves"):
        upper = [v.upper() for v in values]
        bad = [v for v in upper if not regions.is_country(v)]
        if bad:
            raise SearchParamError(
                name,
                _(
                    "Unknown country code: %(bad)s. Use ISO 3166-1 two-letter codes such as CM.",
                    bad=", ".join(bad),
                ),
            )
        return tuple(upper)
    # A language by its code ("fr") or its name in the reader's language or English ("French").
    found = [languages.find(v) for v in values]
    bad = [v for v, code in zip(values, found, strict=True) if code is None]
    if bad:
        raise SearchParamError(
            name,
            _("Unknown language code: %(bad)s. Use ISO 639 codes such as fr.", bad=", ".join(bad)),
        )
    return tuple(dict.fromkeys(code for code in found if code))


def parse_params(args: MultiDict[str, str], config: dict[str, Any]) -> SearchParams:
    """Check the query string and return SearchParams; raise SearchParamError on the first mistake."""
    q = args.get("q", "")
    for name in ("q", "near"):
        problem = textrules.problem(args.get(name, ""), textrules.Kind.SINGLE_LINE)
        if problem is not None:
            raise SearchParamError(name, problem)
    max_q = config["SEARCH_MAX_QUERY_LENGTH"]
    if len(q) > max_q:
        raise SearchParamError("q", _("The search text is too long (at most %(n)d characters).", n=max_q))
    filters = {}
    for name in LIST_FILTERS:
        values = _values(args, name)
        if values:
            filters[name] = _check_filter(name, values)
    near = " ".join(args.get("near", "").split())
    if len(near) > 200:
        raise SearchParamError("near", _("The place name is too long (at most 200 characters)."))
    radius = float(config["SEARCH_DEFAULT_RADIUS_KM"])
    raw_radius = args.get("radius_km", "").strip()
    if raw_radius:
        try:
            radius = float(raw_radius)
        except ValueError:
            raise SearchParamError("radius_km", _("radius_km must be a number of kilometres.")) from None
        max_radius = config["SEARCH_MAX_RADIUS_KM"]
        if not (radius > 0 and radius <= max_radius):  # also rejects NaN
            raise SearchParamError(
                "radius_km",
                _("radius_km must be more than 0 and at most %(max)d.", max=max_radius),
            )
    sort = args.get("sort", "").strip() or None
    if sort is not None and sort not in SORTS:
        raise SearchParamError(
            "sort",
            _(
                "Unknown sort: %(sort)s. Valid values: %(valid)s.",
                sort=sort,
                valid=", ".join(SORTS),
            ),
        )
    if sort == "distance" and not near:
        raise DistanceWithoutPlaceError("sort", _("Sorting by distance needs a place in “near”."))
    per_page = _int(args, "per_page", config["SEARCH_PER_PAGE"], 1, config["SEARCH_MAX_PER_PAGE"])
    page = _int(args, "page", 1, 1, MAX_PAGE)
    return SearchParams(
        q=q.strip(),
        filters=filters,
        near=near,
        radius_km=radius,
        sort=sort,
        page=page,
        per_page=per_page,
    )
