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
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from ..geo import EARTH_RADIUS_KM, Point, ResolvedPlace, bounding_box
from ..organizations.models import Location, Organization
from .backends import backend_for
from .index import DIMENSIONS, FacetIndex, IndexCache
from .params import SearchParams
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


class _TextCache:
    """Recent full-text answers per process, keyed by generation and query (bounded in entries)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._data: OrderedDict[tuple, tuple[np.ndarray, np.ndarray | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[np.ndarray, np.ndarray | None] | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple, value: tuple[np.ndarray, np.ndarray | None]) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class SearchEngine:
    """Per-process search state (index and caches) and the search itself."""

    def __init__(self) -> None:
        self.index_cache = IndexCache()
        self.text_cache = _TextCache()

    def clear(self) -> None:
        self.index_cache.clear()
        self.text_cache.clear()

    def search(self, session: Session, params: SearchParams, near: ResolvedPlace | None) -> SearchResults:
        index = self.index_cache.get(session)
        n = index.size
        sort = params.effective_sort
        base = np.ones(n, dtype=bool)
        scores = None
        query = parse_query(params.q) if params.q else None
        if params.q and query is None:
            base[:] = False  # text with no word in it ("?!") matches nothing
        elif query is not None:
            mask, scores = self._text(session, index, query, with_score=sort == "relevance")
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
        facets = {}
        for dim in DIMENSIONS:
            others = base.copy()
            for name, mask in filter_masks.items():
                if name != dim:
                    others &= mask
            facets[dim] = index.dimensions[dim].counts(others)
        positions = np.flatnonzero(matches)
        ordered = self._order(index, positions, sort, scores, distances)
        start = (params.page - 1) * params.per_page
        page_positions = ordered[start : start + params.per_page]
        hits = self._load(session, index, page_positions, distances)
        return SearchResults(
            params=params,
            total=int(len(positions)),
            hits=hits,
            facets=facets,
            near=near,
            sort=sort,
        )

    def _filter_mask(self, index: FacetIndex, name: str, values: tuple[str, ...]) -> np.ndarray:
        return index.dimensions[name].mask_any(list(values))

    def _text(
        self, session: Session, index: FacetIndex, query: object, with_score: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        key = (index.generation, query, with_score)
        cached = self.text_cache.get(key)
        if cached is None:
            backend = backend_for(session.get_bind().dialect.name)
            ids, raw_scores = backend.match(session, query, with_score)  # type: ignore[arg-type]
            positions = index.positions_of(ids)
            keep = positions >= 0
            positions = positions[keep]
            mask = np.zeros(index.size, dtype=bool)
            mask[positions] = True
            scores = None
            if raw_scores is not None:
                scores = np.full(index.size, np.inf)
                scores[positions] = raw_scores[keep]
            cached = (mask, scores)
            self.text_cache.put(key, cached)
        return cached

    def _near(
        self, session: Session, index: FacetIndex, center: Point, radius_km: float
    ) -> tuple[np.ndarray, np.ndarray]:
        box = bounding_box(center, radius_km)
        lat, lon = Location.public_latitude, Location.public_longitude
        lon_clause = sa.or_(*(lon.between(lo, hi) for lo, hi in box.lon_ranges))
        rows = session.execute(
            sa.select(Location.organization_id, lat, lon).where(
                lat.between(box.min_lat, box.max_lat), lon_clause
            )
        ).all()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        lats = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        lons = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
        positions = index.positions_of(ids)
        km = great_circle_km(center, lats, lons)
        keep = (positions >= 0) & (km <= radius_km)
        mask = np.zeros(index.size, dtype=bool)
        mask[positions[keep]] = True
        distances = np.full(index.size, np.inf)
        distances[positions[keep]] = km[keep]
        return mask, distances

    def _order(
        self,
        index: FacetIndex,
        positions: np.ndarray,
        sort: str,
        scores: np.ndarray | None,
        distances: np.ndarray | None,
    ) -> np.ndarray:
        name_rank = index.name_rank[positions]
        if sort == "relevance" and scores is not None:
            order = np.lexsort((name_rank, scores[positions]))
        elif sort == "distance" and distances is not None:
            order = np.lexsort((name_rank, distances[positions]))
        elif sort == "updated":
            order = np.argsort(index.updated_rank[positions], kind="stable")
        else:
            order = np.argsort(name_rank, kind="stable")
        return positions[order]

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
        # Result cards need neither languages nor service areas: load those only if touched.
        query = (
            sa.select(Organization)
            .where(Organization.id.in_(ids))
            .options(lazyload(Organization.languages), lazyload(Organization.service_areas))
        )
        orgs = {o.id: o for o in session.scalars(query)}
        hits = []
        for pos, org_id in zip(positions, ids, strict=True):
            org = orgs.get(org_id)
            if org is None:  # deleted since the index was built
                continue
            distance = float(distances[pos]) if distances is not None else None
            hits.append(Hit(org, distance))
        return hits
