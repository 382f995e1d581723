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

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from ..geo import Point, ResolvedPlace, bounding_box, great_circle_km
from ..organizations.cards import Card, load_cards, load_cards_and_state
from .index import DIMENSIONS, TERM_DIMENSIONS, FacetIndex, IndexCache, Matches, Snapshot
from .params import SearchParams
from .postings import ResolvedQuery
from .text import TextQuery, parse_query


@dataclass(frozen=True)
class Hit:
    """One result: the organization's card (what a result shows, not the mapped Organization) and how
    far it is from the place searched near, if any."""

    organization: Card
    distance_km: float | None


@dataclass(frozen=True)
class State:
    """The search generation, and when anything the public may read last changed (None: unknown)."""

    generation: int
    changed_at: datetime | None


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

    def _selections(
        self,
        snapshot: Snapshot,
        params: SearchParams,
        near: ResolvedPlace | None,
        language: str,
        terms: Callable[[str], frozenset[str]] | None,
    ) -> list[_Selection]:
        """What matches ``params`` in each index of ``snapshot`` (see :class:`.index.Snapshot`);
        ``language`` is the reader's (its stemmer applies to the query, with English) and ``terms`` finds
        the vocabulary terms a query names (see :func:`.text.parse_query`)."""
        query = parse_query(params.q, language, terms) if params.q else None
        return [self._select(index, live, params, near, query) for index, live in snapshot.segments()]

    def _select(
        self,
        index: FacetIndex,
        live: np.ndarray | None,
        params: SearchParams,
        near: ResolvedPlace | None,
        query: TextQuery | None,
    ) -> _Selection:
        """Which positions of one index match (text, place and filters), and what orders them."""
        resolved = None
        if params.q and query is None:
            base = np.zeros(index.size, dtype=bool)  # text with no word in it ("?!") matches nothing
        elif query is not None:
            resolved = index.text.resolve(query.groups, query.prefix)
            base = index.text.match(resolved)  # a new mask, this search's own
            if live is not None:
                base &= live
        else:
            base = live.copy() if live is not None else np.ones(index.size, dtype=bool)
        distances = None
        if near is not None:
            distances = self._near(index, near.point, params.radius_km)
            base &= np.isfinite(distances)
        filter_masks = {
            name: self._filter_mask(index, name, values) for name, values in params.filters.items() if values
        }
        matches = base.copy() if filter_masks else base  # neither is written to after this
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
        generation: int | None = None,
    ) -> SearchResults:
        """One page of results for ``params``, with the facets (``language`` and ``terms``: see
        _selections), on the index at ``generation`` (read from the database when None)."""
        snapshot = self.index_cache.get(session, generation)
        return self._search(snapshot, session, params, near, language, terms, with_state=False)[0]

    def search_with_state(
        self,
        session: Session,
        params: SearchParams,
        near: ResolvedPlace | None,
        language: str,
        terms: Callable[[str], frozenset[str]] | None,
        read_state: Callable[[], State],
    ) -> tuple[SearchResults, State]:
        """:meth:`search` on the index this process holds, and the database's search state, read in the
        statement that reads the page's cards (by ``read_state`` when the page has none): one statement
        fewer than reading the state first. When the state shows that the index is behind, it is
        brought up to date and the search runs again."""
        held = self.index_cache.current
        if held is None:
            state = read_state()
        else:
            results, read = self._search(held, session, params, near, language, terms, with_state=True)
            state = read or read_state()
            if state.generation == held.generation:
                return results, state
        snapshot = self.index_cache.get(session, state.generation)
        return self._search(snapshot, session, params, near, language, terms, with_state=False)[0], state

    def _search(
        self,
        snapshot: Snapshot,
        session: Session,
        params: SearchParams,
        near: ResolvedPlace | None,
        language: str,
        terms: Callable[[str], frozenset[str]] | None,
        with_state: bool,
    ) -> tuple[SearchResults, State | None]:
        """One page of results on ``snapshot``, and the search state when ``with_state`` asks for it
        to be read with the page's cards (None when the page is empty)."""
        selections = self._selections(snapshot, params, near, language, terms)
        sort = params.effective_sort
        facets: dict[str, Counter[str]] = {dim: Counter() for dim in DIMENSIONS}
        for selection in selections:
            # A facet counts the matches of every other filter: for the facets without a filter of
            # their own, that is every match, whose positions or bits are found once.
            matches = Matches(selection.matches)
            unfiltered = [dim for dim in DIMENSIONS if dim not in selection.filter_masks]
            together = selection.index.counts_few(matches, unfiltered)
            for dim in DIMENSIONS:
                dimension = selection.index.dimensions[dim]
                if dim in selection.filter_masks:
                    others = selection.base.copy()
                    for name, mask in selection.filter_masks.items():
                        if name != dim:
                            others &= mask
                    facets[dim].update(dimension.counts(others))
                elif together is not None:
                    facets[dim].update(together[dim])
                else:
                    facets[dim].update(dimension.counts(matches))
        start = (params.page - 1) * params.per_page
        page = self._merged(selections, sort, start + params.per_page)[start:]
        hits, state = self._load(session, page, language, with_state)
        results = SearchResults(
            params=params,
            total=sum(int(np.count_nonzero(s.matches)) for s in selections),
            hits=hits,
            facets={dim: dict(counted) for dim, counted in facets.items()},
            near=near,
            sort=sort,
        )
        return results, state

    def matching_ids(
        self,
        session: Session,
        params: SearchParams,
        near: ResolvedPlace | None,
        language: str = "en",
        terms: Callable[[str], frozenset[str]] | None = None,
        generation: int | None = None,
    ) -> list[int]:
        """The ids of every match of ``params``, in the search's order (all pages; no facets)."""
        snapshot = self.index_cache.get(session, generation)
        selections = self._selections(snapshot, params, near, language, terms)
        return [int(s.index.ids[p]) for s, p in self._merged(selections, params.effective_sort, None)]

    def _merged(
        self, selections: list[_Selection], sort: str, first: int | None
    ) -> list[tuple[_Selection, int]]:
        """The ``first`` matches (all with None) of every index, in the order of ``sort``."""
        tops = [(s, self._order(s, sort, first)) for s in selections]
        if len(tops) == 1:
            selection, positions = tops[0]
            return [(selection, int(p)) for p in positions]
        primary = np.concatenate([self._primary(s, p, sort) for s, p in tops])
        names = np.concatenate([s.index.name_key[p] for s, p in tops])
        owners = [(s, int(p)) for s, positions in tops for p in positions]
        order = np.lexsort((names, primary))
        return [owners[i] for i in order[:first]]

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
        km = great_circle_km(center, index.trig[:, band])
        close = km <= radius_km
        distances = np.full(index.size, np.inf)
        distances[index.by_latitude[band[close]]] = km[close]
        return distances

    def _primary(self, selection: _Selection, positions: np.ndarray, sort: str) -> np.ndarray:
        """What ``sort`` orders ``positions`` by, lowest first (names break ties)."""
        index = selection.index
        if sort == "relevance" and selection.text is not None:
            return -index.text.scores(selection.text, positions)
        if sort == "distance" and selection.distances is not None:
            return selection.distances[positions]
        if sort == "updated":
            return index.updated_key[positions]
        return index.name_key[positions]

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
        primary = self._primary(selection, positions, sort)
        if 0 < first < len(positions):
            # Only the top of the order is shown: select it (keeping ties) before sorting it.
            kth = np.partition(primary, first - 1)[first - 1]
            keep = primary <= kth
            positions, primary = positions[keep], primary[keep]
        order = np.lexsort((index.name_key[positions], primary))
        return positions[order[:first]]

    def _load(
        self, session: Session, page: list[tuple[_Selection, int]], language: str, with_state: bool
    ) -> tuple[list[Hit], State | None]:
        """The result cards of a page in ``language`` (their term slugs come from the index), and the
        search state read with them when asked (None when not asked, or when no card was read)."""
        if not page:
            return [], None
        ids = [int(selection.index.ids[pos]) for selection, pos in page]
        terms = {
            org_id: {dim: selection.index.dimensions[dim].values_of(pos) for dim in TERM_DIMENSIONS}
            for (selection, pos), org_id in zip(page, ids, strict=True)
        }
        state = None
        if with_state:
            cards, read = load_cards_and_state(session, terms, language)
            state = State(*read) if read is not None else None
        else:
            cards = load_cards(session, terms, language)
        hits = []
        for (selection, pos), org_id in zip(page, ids, strict=True):
            card = cards.get(org_id)
            if card is None:  # deleted since the index was built
                continue
            distances = selection.distances
            hits.append(Hit(card, float(distances[pos]) if distances is not None else None))
        return hits, state
