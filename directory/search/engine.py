"""Running a search: text, filters, proximity, facets, sorting and one page of results.

Everything but the page of results itself is answered from the in-memory index of the public
listings (:mod:`.index`), kept per process and rebuilt when a listing changes:

1. The text matches come from the postings (:mod:`.postings`): every group of the query must match.
2. Each filter is a mask over the public organizations; several values of one filter are OR-ed,
   different filters AND-ed.
3. ``near`` keeps the organizations whose *public* point is within the radius: the latitude band of the
   bounding box, then the exact great-circle distance. Hidden locations have no public point and so
   never appear.
4. Each facet is counted over the matches of every other filter, so a chosen value does not hide the
   others of its own filter.
5. Relevance (BM25F, :mod:`.scoring`) ranks only as deep as the page asks for; other sorts select the
   top of their order before sorting it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from ..geo import EARTH_RADIUS_KM, Point, ResolvedPlace, bounding_box
from ..organizations.models import Organization
from .index import DIMENSIONS, TERM_DIMENSIONS, FacetIndex, IndexCache
from .params import SearchParams
from .postings import ResolvedQuery
from .text import parse_query


@dataclass(frozen=True)
class Hit:
    organization: Organization
    distance_km: float | None


@dataclass(frozen=True)
class SearchResults:
    params: SearchParams
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    near: ResolvedPlace | None
    sort: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.params.per_page))


def great_circle_km(center: Point, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances from ``center``: geopy's ``great_circle`` formula (same radius), over arrays."""
    lat1, lon1 = np.radians(center.latitude), np.radians(center.longitude)
    lat2, lon2 = np.radians(lats), np.radians(lons)
    sin_lat1, cos_lat1 = np.sin(lat1), np.cos(lat1)
    sin_lat2, cos_lat2 = np.sin(lat2), np.cos(lat2)
    delta = lon2 - lon1
    cos_delta, sin_delta = np.cos(delta), np.sin(delta)
    d = np.arctan2(
        np.sqrt((cos_lat2 * sin_delta) ** 2 + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta) ** 2),
        sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta,
    )
    return EARTH_RADIUS_KM * d


@dataclass(frozen=True)
class _Selection:
    """The matches of one search before ordering: what both a page of results and the map start from."""

    index: FacetIndex
    base: np.ndarray  # text and place only (facets count over it with the other filters)
    filter_masks: dict[str, np.ndarray]
    matches: np.ndarray  # bool mask: every match
    text: ResolvedQuery | None  # the text query, in token ids (relevance reads it)
    distances: np.ndarray | None  # km from the place, over all positions (inf where not near)


class SearchEngine:
    """Per-process search state (the index of the public listings) and the search itself."""

    def __init__(self) -> None:
        self.index_cache = IndexCache()

    def clear(self) -> None:
        self.index_cache.clear()

    def _select(
        self,
        session: Session,
        params: SearchParams,
        near: ResolvedPlace | None,
        language: str = "en",
        terms: Callable[[str], frozenset[str]] | None = None,
    ) -> _Selection:
        """Which public positions match ``params`` (text, place and filters), and what orders them;
        ``language`` is the reader's (its stemmer applies to the query, with English) and ``terms`` finds
        the vocabulary terms a query names (see :func:`.text.parse_query`)."""
        index = self.index_cache.get(session)
        base = np.ones(index.size, dtype=bool)
        query = parse_query(params.q, language, terms) if params.q else None
        resolved = None
        if params.q and query is None:
            base[:] = False  # text with no word in it ("?!") matches nothing
        elif query is not None:
            resolved = index.text.resolve(query.groups, query.prefix)
            base &= index.text.match(resolved)
        distances = None
        if near is not None:
            distances = self._near(index, near.point, params.radius_km)
            base &= np.isfinite(distances)
        filter_masks = {
            name: self._filter_mask(index, name, values) for name, values in params.filters.items() if values
        }
        matches = base.copy()
        for mask in filter_masks.values():
            matches &= mask
        return _Selection(index, base, filter_masks, matches, resolved, distances)

    def search(
        self,
        session: Session,
        params: SearchParams,
        near: ResolvedPlace | None,
        language: str = "en",
        terms: Callable[[str], frozenset[str]] | None = None,
    ) -> SearchResults:
        """One page of results for ``params``, with the facets (``language`` and ``terms``: see _select)."""
        selection = self._select(session, params, near, language, terms)
        index, base, filter_masks = selection.index, selection.base, selection.filter_masks
        sort = params.effective_sort
        facets = {}
        for dim in DIMENSIONS:
            others = base.copy()
            for name, mask in filter_masks.items():
                if name != dim:
                    others &= mask
            facets[dim] = index.dimensions[dim].counts(others)
        start = (params.page - 1) * params.per_page
        ordered = self._order(selection, sort, start + params.per_page)
        page_positions = ordered[start : start + params.per_page]
        hits = self._load(session, index, page_positions, selection.distances)
        return SearchResults(
            params=params,
            total=int(np.count_nonzero(selection.matches)),
            hits=hits,
            facets=facets,
            near=near,
            sort=sort,
        )

    def matching_ids(
        self,
        session: Session,
        params: SearchParams,
        near: ResolvedPlace | None,
        language: str = "en",
        terms: Callable[[str], frozenset[str]] | None = None,
    ) -> list[int]:
        """The ids of every match of ``params``, in the search's order (all pages; no facets)."""
        selection = self._select(session, params, near, language, terms)
        ordered = self._order(selection, params.effective_sort, None)
        return selection.index.ids[ordered].tolist()  # Python ints, converted in C (not one by one)

    def _filter_mask(self, index: FacetIndex, name: str, values: tuple[str, ...]) -> np.ndarray:
        return index.dimensions[name].mask_any(list(values))

    def _near(self, index: FacetIndex, center: Point, radius_km: float) -> np.ndarray:
        """The distance of each position whose public point lies within the radius (inf elsewhere):
        the latitude band of the bounding box, then its longitudes, then the exact distance."""
        box = bounding_box(center, radius_km)
        low = int(np.searchsorted(index.latitudes, box.min_lat, side="left"))
        high = int(np.searchsorted(index.latitudes, box.max_lat, side="right"))
        lons = index.longitudes[low:high]
        inside = np.zeros(len(lons), dtype=bool)
        for lo, hi in box.lon_ranges:
            inside |= (lons >= lo) & (lons <= hi)
        band = np.arange(low, high)[inside]
        km = great_circle_km(center, index.latitudes[band], index.longitudes[band])
        close = km <= radius_km
        distances = np.full(index.size, np.inf)
        distances[index.by_latitude[band[close]]] = km[close]
        return distances

    def _order(self, selection: _Selection, sort: str, first: int | None) -> np.ndarray:
        """The ``first`` matching positions (all with None) in the order of ``sort``, ties by name."""
        index = selection.index
        if sort == "relevance" and selection.text is not None:
            if first is None:
                return index.text.ranked(selection.text, np.flatnonzero(selection.matches))
            return index.text.top(selection.text, selection.matches, first)
        positions = np.flatnonzero(selection.matches)
        if first is None:
            first = len(positions)
        if sort == "distance" and selection.distances is not None:
            primary = selection.distances[positions]
        elif sort == "updated":
            primary = index.updated_rank[positions]
        else:
            primary = index.name_rank[positions]
        if 0 < first < len(positions):
            # Only the top of the order is shown: select it (keeping ties) before sorting it.
            kth = np.partition(primary, first - 1)[first - 1]
            keep = primary <= kth
            positions, primary = positions[keep], primary[keep]
        order = np.lexsort((index.name_rank[positions], primary))
        return positions[order[:first]]

    def _load(
        self,
        session: Session,
        index: FacetIndex,
        positions: np.ndarray,
        distances: np.ndarray | None,
    ) -> list[Hit]:
        if len(positions) == 0:
            return []
        ids = [int(i) for i in index.ids[positions]]
        # Result cards need neither languages nor service areas, and their terms come from the index
        # (loading term objects cost more than the rest of the page): load the rest only if touched.
        query = (
            sa.select(Organization)
            .where(Organization.id.in_(ids))
            .options(
                lazyload(Organization.languages),
                lazyload(Organization.service_areas),
                lazyload(Organization.terms),
            )
        )
        orgs = {o.id: o for o in session.scalars(query)}
        hits = []
        for pos, org_id in zip(positions, ids, strict=True):
            org = orgs.get(org_id)
            if org is None:  # deleted since the index was built
                continue
            org.preset_term_codes({dim: index.dimensions[dim].values_of(int(pos)) for dim in TERM_DIMENSIONS})
            distance = float(distances[pos]) if distances is not None else None
            hits.append(Hit(org, distance))
        return hits
