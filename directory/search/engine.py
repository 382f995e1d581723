"""Running a search: text, filters, proximity, facets, sorting and one page of results.

1. The full-text backend returns the matching ids (cached per process and generation).
2. Each filter is a mask over the public organizations; several values of one filter are OR-ed,
   different filters AND-ed.
3. ``near`` keeps the organizations whose *public* point is within the radius: a bounding box on the
   indexed public coordinates in SQL, then the exact great-circle distance. Hidden locations have no
   public point and so never appear.
4. Each facet is counted over the matches of every other filter, so a chosen value does not hide the
   others of its own filter.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from ..geo import EARTH_RADIUS_KM, Point, ResolvedPlace, bounding_box
from ..organizations.models import Location, Organization
from .backends import backend_for
from .index import DIMENSIONS, TERM_DIMENSIONS, FacetIndex, IndexCache
from .params import SearchParams
from .text import TextQuery, parse_query


def near_statement(center: Point, radius_km: float) -> sa.Select:
    """The public points in the bounding box around ``center`` (served by ix_location_public_point)."""
    box = bounding_box(center, radius_km)
    lat, lon = Location.public_latitude, Location.public_longitude
    lon_clause = sa.or_(*(lon.between(lo, hi) for lo, hi in box.lon_ranges))
    return sa.select(Location.organization_id, lat, lon).where(
        lat.between(box.min_lat, box.max_lat), lon_clause
    )


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
class Matches:
    """Which public positions matched (text or place), with a score or distance for each."""

    positions: np.ndarray  # int64
    values: np.ndarray | None  # float64, parallel to positions

    @property
    def nbytes(self) -> int:
        return self.positions.nbytes + (self.values.nbytes if self.values is not None else 0)

    def dense(self, size: int) -> tuple[np.ndarray, np.ndarray | None]:
        """A mask over all positions, and the values spread out (inf where there is no match)."""
        mask = np.zeros(size, dtype=bool)
        mask[self.positions] = True
        if self.values is None:
            return mask, None
        spread = np.full(size, np.inf)
        spread[self.positions] = self.values
        return mask, spread


class ResultCache:
    """Recent text and place matches of this process, least recently used first out.

    Keys start with the search generation, so a change to any listing makes every entry unreachable
    (they age out). Bounded in bytes, not entries: one answer may hold 100,000 positions.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[tuple, Matches] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Matches | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple, value: Matches) -> None:
        if self.max_bytes <= 0:  # caching turned off
            return
        with self._lock:
            if key in self._data:
                self._bytes -= self._data.pop(key).nbytes
            self._data[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes and len(self._data) > 1:
                self._bytes -= self._data.popitem(last=False)[1].nbytes

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


@dataclass(frozen=True)
class _Selection:
    """The matches of one search before ordering: what both a page of results and the map start from."""

    index: FacetIndex
    base: np.ndarray  # text and place only (facets count over it with the other filters)
    filter_masks: dict[str, np.ndarray]
    positions: np.ndarray  # every match
    scores: np.ndarray | None
    distances: np.ndarray | None


class SearchEngine:
    """Per-process search state (index and caches) and the search itself."""

    def __init__(self, cache_bytes: int = 16 * 1024 * 1024) -> None:
        self.index_cache = IndexCache()
        self.cache = ResultCache(cache_bytes)

    def clear(self) -> None:
        self.index_cache.clear()
        self.cache.clear()

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
        n = index.size
        base = np.ones(n, dtype=bool)
        scores = None
        query = parse_query(params.q, language, terms) if params.q else None
        if params.q and query is None:
            base[:] = False  # text with no word in it ("?!") matches nothing
        elif query is not None:
            mask, scores = self._text(session, index, query, with_score=params.effective_sort == "relevance")
            base &= mask
        distances = None
        if near is not None:
            mask, distances = self._near(session, index, near.point, params.radius_km)
            base &= mask
        filter_masks = {
            name: self._filter_mask(index, name, values) for name, values in params.filters.items() if values
        }
        matches = base.copy()
        for mask in filter_masks.values():
            matches &= mask
        return _Selection(index, base, filter_masks, np.flatnonzero(matches), scores, distances)

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
        positions = selection.positions
        start = (params.page - 1) * params.per_page
        ordered = self._order(
            index, positions, sort, selection.scores, selection.distances, start + params.per_page
        )
        page_positions = ordered[start : start + params.per_page]
        hits = self._load(session, index, page_positions, selection.distances)
        return SearchResults(
            params=params,
            total=int(len(positions)),
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
        positions = selection.positions
        ordered = self._order(
            selection.index,
            positions,
            params.effective_sort,
            selection.scores,
            selection.distances,
            len(positions),
        )
        return selection.index.ids[ordered].tolist()  # Python ints, converted in C (not one by one)

    def _filter_mask(self, index: FacetIndex, name: str, values: tuple[str, ...]) -> np.ndarray:
        return index.dimensions[name].mask_any(list(values))

    def _text(
        self, session: Session, index: FacetIndex, query: TextQuery, with_score: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Positions matching the text (with bm25 scores when sorting by relevance)."""
        scored_key = ("text", index.generation, query, True)
        found = self.cache.get(scored_key) or (
            None if with_score else self.cache.get(("text", index.generation, query, False))
        )
        if found is None:
            backend = backend_for(session.get_bind().dialect.name)
            ids, scores = backend.match(session, query, with_score)
            positions = index.positions_of(ids)
            keep = positions >= 0
            found = Matches(positions[keep], scores[keep] if scores is not None else None)
            self.cache.put(("text", index.generation, query, with_score), found)
        return found.dense(index.size)

    def _near(
        self, session: Session, index: FacetIndex, center: Point, radius_km: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions whose public point lies within the radius, with their distances."""
        key = ("near", index.generation, center, radius_km)
        found = self.cache.get(key)
        if found is None:
            rows = session.execute(near_statement(center, radius_km)).all()
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            lats = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
            lons = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
            positions = index.positions_of(ids)
            km = great_circle_km(center, lats, lons)
            keep = (positions >= 0) & (km <= radius_km)
            found = Matches(positions[keep], km[keep])
            self.cache.put(key, found)
        mask, distances = found.dense(index.size)
        return mask, cast(np.ndarray, distances)  # places always carry distances

    def _order(
        self,
        index: FacetIndex,
        positions: np.ndarray,
        sort: str,
        scores: np.ndarray | None,
        distances: np.ndarray | None,
        first: int,
    ) -> np.ndarray:
        """The ``first`` matching positions in the order of ``sort`` (ties broken by name)."""
        if sort == "relevance" and scores is not None:
            primary = scores[positions]
        elif sort == "distance" and distances is not None:
            primary = distances[positions]
        elif sort == "updated":
            primary = index.updated_rank[positions]
        else:
            primary = index.name_rank[positions]
        if first < len(positions):
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
