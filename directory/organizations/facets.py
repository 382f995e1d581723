"""Facet values as readers see them: label and count (the JSON API), plus the toggle link (the page).

A results page shows several hundred facet values (every country, every language...), each with a link
to the same search with that value switched on or off. Building each link through ``url_for`` and a
copy of the search parameters cost more than the search itself, so the parts of the query string that
do not change are encoded once per facet and only the facet's own values per link. The links are the
same as ``search_url(**params.toggled(dim, value))`` (pinned by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote_plus, urlencode

from flask_babel import get_locale

from ..labels import facet_label
from ..search import SearchResults
from ..search.params import LIST_FILTERS
from .links import QUERY_SAFE, search_url


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class FacetItem(FacetValue):
    url: str


def facet_values(results: SearchResults, dim: str, locale: str | None = None) -> list[FacetValue]:
    """The values of facet ``dim`` (counted ones, and chosen ones even at 0), most common first."""
    locale = locale or str(get_locale() or "en")
    counts = results.facets[dim]
    chosen = results.params.selected(dim)
    values = [
        FacetValue(value, facet_label(dim, value, locale), counts.get(value, 0), value in chosen)
        for value in dict.fromkeys([*counts, *chosen])
    ]
    values.sort(key=lambda item: (-item.count, item.label))
    return values


def _encode(items: list[tuple[str, object]]) -> str:
    return urlencode(items, safe=QUERY_SAFE)


@lru_cache(maxsize=4096)
def _pair(name: str, value: str) -> str:
    """``name=value`` encoded as urlencode encodes it (facet values repeat on every page)."""
    return f"{quote_plus(name, safe=QUERY_SAFE)}={quote_plus(value, safe=QUERY_SAFE)}"


def facet_items(results: SearchResults, dim: str, locale: str | None = None) -> list[FacetItem]:
    """:func:`facet_values` with, for each, the link to this search with the value switched."""
    params = results.params
    chosen = params.selected(dim)
    base = search_url()
    # The query string without this facet, split where this facet's values go (as to_args orders them).
    args = params.to_args(page=1, **{dim: []})
    later = set(list(LIST_FILTERS)[list(LIST_FILTERS).index(dim) + 1 :]) | {
        "near",
        "radius_km",
        "sort",
        "page",
        "per_page",
    }
    flat = [(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])]
    before = _encode([(k, v) for k, v in flat if k not in later])
    after = _encode([(k, v) for k, v in flat if k in later])
    items = []
    for found in facet_values(results, dim, locale):
        new = [v for v in chosen if v != found.value] if found.selected else [*chosen, found.value]
        query = "&".join(part for part in (before, *(_pair(dim, v) for v in new), after) if part)
        items.append(
            FacetItem(
                found.value, found.label, found.count, found.selected, f"{base}?{query}" if query else base
            )
        )
    return items
