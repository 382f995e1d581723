"""The in-memory index of the public listings: filter values, sort keys, public points and text.

Counting facets with one SQL ``GROUP BY`` per filter costs a scan of the matching rows per filter and
per page view. Search engines instead keep, per field, a column of values per document and count by
aggregating over a bitmap of matching documents; this module does the same with numpy, and keeps the
full-text postings (:mod:`.postings`) and the public points beside them.

Documents are the *approved* organizations, numbered 0..n-1 ("positions"); ``ids[pos]`` is the
organization id. A process searches a :class:`Snapshot`: an index built from the database (before the
server forks, so its workers share it), and layers of the listings changed since, read again when
``search_state.generation`` shows that a listing changed (in any process).
"""

from __future__ import annotations

import bisect
import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import vocab
from ..geo import sines_and_cosines
from ..organizations.models import (
    Language,
    ListingStatus,
    Location,
    Organization,
    SearchChange,
    SearchState,
    ServiceArea,
    TaxonomyTerm,
    organization_term,
)
from .backends import backend_for
from .fields import LOCATION_COLUMNS
from .params import LIST_FILTERS
from .postings import TextIndex
from .sync import OVERLAY_LIMIT

#: The facet dimensions, in display order: one per search filter.
DIMENSIONS = tuple(LIST_FILTERS)
#: Dimensions that are vocabulary terms; result cards take them from the index (see Dimension.values_of).
TERM_DIMENSIONS = tuple(name for name, taxonomy in LIST_FILTERS.items() if taxonomy is not None)


#: Dimensions with at most this many values count with bitsets; larger ones with an entry scan.
_BITSET_MAX_VALUES = 64
#: Fewer matches than the index's size over this are "few": counted through each document's own values.
_FEW = 16


def _gather(offsets: np.ndarray, by_doc: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The values stored for the documents at ``positions`` (CSR ``offsets``/``by_doc``), one document's
    after another."""
    starts = offsets[positions].astype(np.int64)
    lengths = offsets[positions + 1] - starts
    ends = np.cumsum(lengths)
    entries = np.repeat(starts - ends + lengths, lengths) + np.arange(int(ends[-1]) if len(ends) else 0)
    return by_doc[entries]


@dataclass
class Dimension:
    """One facet field: which documents have which values, laid out for fast counting.

    Every (document, value) pair is an *entry*. Fields with few values (focus, models, ...) also keep
    one packed bitset per value, so counting is an AND and a popcount per value; fields with many
    values (countries, languages) count by gathering the entries of the matching documents.
    """

    values: list[str]
    value_index: dict[str, int]
    entry_doc: np.ndarray  # int32: the document of each entry
    entry_value: np.ndarray  # int32: the value of each entry
    size: int
    bits: np.ndarray | None = None  # uint8 [len(values), ceil(size / 8)], packed per value
    # Stored values per document (CSR): the values of document d are by_doc[offsets[d]:offsets[d + 1]].
    by_doc: np.ndarray | None = None
    offsets: np.ndarray | None = None

    def store_per_document(self, order: list[str] | None = None) -> None:
        """Keep each document's values for result cards, in ``order`` (else alphabetical)."""
        rank = np.arange(len(self.values), dtype=np.int32)
        if order is not None:
            position = {value: i for i, value in enumerate(order)}
            rank = np.array([position.get(v, len(order)) for v in self.values], dtype=np.int32)
        sort = np.lexsort((rank[self.entry_value], self.entry_doc))
        self.by_doc = self.entry_value[sort]
        docs = self.entry_doc[sort]
        self.offsets = np.searchsorted(docs, np.arange(self.size + 1)).astype(np.int32)

    def values_of(self, position: int) -> list[str]:
        """The stored values of one document (see :meth:`store_per_document`)."""
        if self.by_doc is None or self.offsets is None:
            raise RuntimeError("this dimension keeps no values per document")
        start, end = self.offsets[position], self.offsets[position + 1]
        return [self.values[i] for i in self.by_doc[start:end]]

    @classmethod
    def build(cls, docs: np.ndarray, labels: list[str], size: int) -> Dimension:
        """From parallel sequences of document positions and value strings."""
        found: dict[str, int] = {}
        codes = np.fromiter(
            (found.setdefault(label, len(found)) for label in labels), dtype=np.int32, count=len(labels)
        )
        return cls.from_codes(docs, codes, list(found), size)

    @classmethod
    def from_codes(cls, docs: np.ndarray, codes: np.ndarray, values: list[str], size: int) -> Dimension:
        """From document positions and, for each, an index into ``values`` (in any order)."""
        order = sorted(range(len(values)), key=values.__getitem__)  # values are kept alphabetical
        remap = np.empty(len(values), dtype=np.int32)
        remap[order] = np.arange(len(values), dtype=np.int32)
        ordered = [values[i] for i in order]
        dim = cls(
            values=ordered,
            value_index={v: i for i, v in enumerate(ordered)},
            entry_doc=np.asarray(docs, dtype=np.int32),
            entry_value=remap[codes] if len(codes) else np.zeros(0, dtype=np.int32),
            size=size,
        )
        if len(ordered) <= _BITSET_MAX_VALUES:
            dense = np.zeros((len(ordered), size), dtype=bool)
            dense[dim.entry_value, dim.entry_doc] = True
            dim.bits = np.packbits(dense, axis=1, bitorder="little")
        return dim

    def mask_any(self, selected: list[str]) -> np.ndarray:
        """Documents having any of ``selected`` (OR within one filter)."""
        wanted = [self.value_index[v] for v in selected if v in self.value_index]
        if self.bits is not None and wanted:
            union = np.bitwise_or.reduce(self.bits[wanted], axis=0)
            return np.unpackbits(union, count=self.size, bitorder="little").astype(bool)
        mask = np.zeros(self.size, dtype=bool)
        for value in wanted:
            mask[self.entry_doc[self.entry_value == value]] = True
        return mask

    def counts(self, matches: Matches | np.ndarray) -> dict[str, int]:
        """How many of the matching documents have each value (values with none are left out).

        Few matching documents are counted through their own values; many through each value's bits, or
        a scan of every (document, value) entry for fields with many values.
        """
        if not isinstance(matches, Matches):
            matches = Matches(matches)
        if matches.count == 0:
            return {}
        if self.by_doc is not None and self.offsets is not None and matches.count * _FEW < self.size:
            found = _gather(self.offsets, self.by_doc, matches.positions)
            hits = np.bincount(found, minlength=len(self.values))
        elif self.bits is not None:
            hits = np.bitwise_count(self.bits & matches.packed).sum(axis=1, dtype=np.int64)
        else:
            hits = np.bincount(self.entry_value[matches.mask[self.entry_doc]], minlength=len(self.values))
        return {self.values[i]: int(hits[i]) for i in np.flatnonzero(hits)}


class Matches:
    """A mask of matching documents, with what counting needs of it (how many, their positions, the
    packed bits) each worked out once, when first asked: every facet without a filter of its own counts
    over the same matches."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask

    @cached_property
    def count(self) -> int:
        return int(np.count_nonzero(self.mask))

    @cached_property
    def positions(self) -> np.ndarray:
        return np.flatnonzero(self.mask)

    @cached_property
    def packed(self) -> np.ndarray:
        return np.packbits(self.mask, bitorder="little")


@dataclass
class DocumentValues:
    """Every dimension's values per document in one table (CSR over global value numbers): a search that
    matches few documents counts all the facets without a filter of their own in one pass over their
    values, rather than one pass per facet."""

    by_doc: np.ndarray  # int32: the values of document d are by_doc[offsets[d]:offsets[d + 1]]
    offsets: np.ndarray  # int64, size + 1
    ranges: dict[str, tuple[int, int]]  # dimension -> its values' numbers [first, end)
    count: int  # how many values there are, in all dimensions

    @classmethod
    def build(cls, dimensions: dict[str, Dimension], size: int) -> DocumentValues:
        """From the dimensions' own values per document (see :meth:`Dimension.store_per_document`)."""
        docs, values, ranges, first = [], [], {}, 0
        for name, dim in dimensions.items():
            if dim.by_doc is None or dim.offsets is None:
                raise RuntimeError(f"the dimension {name} keeps no values per document")
            docs.append(np.repeat(np.arange(size, dtype=np.int32), np.diff(dim.offsets)))
            values.append(dim.by_doc + first)
            ranges[name] = (first, first + len(dim.values))
            first += len(dim.values)
        doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        order = np.argsort(doc, kind="stable")
        offsets = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc, minlength=size), out=offsets[1:])
        by_doc = np.concatenate(values)[order].astype(np.int32) if values else doc
        return cls(by_doc=by_doc, offsets=offsets, ranges=ranges, count=first)

    def counts(self, matches: Matches, dimensions: dict[str, Dimension]) -> dict[str, dict[str, int]]:
        """How many matching documents have each value, for each of ``dimensions`` (values with none
        are left out)."""
        hits = np.bincount(_gather(self.offsets, self.by_doc, matches.positions), minlength=self.count)
        counted = {}
        for name, dim in dimensions.items():
            first, end = self.ranges[name]
            part = hits[first:end]
            counted[name] = {dim.values[i]: int(part[i]) for i in np.flatnonzero(part)}
        return counted


@dataclass
class FacetIndex:
    """Everything search needs in memory about the public organizations."""

    generation: int
    ids: np.ndarray  # int64, organization id per position, ascending
    name_key: np.ndarray  # float64: names sort in this order (see _name_keys)
    updated_key: np.ndarray  # float64: minus the last update's timestamp, so the newest sorts first
    dimensions: dict[str, Dimension]
    text: TextIndex
    by_latitude: np.ndarray  # int32, the positions with a public point, southernmost first
    latitudes: np.ndarray  # float64, their latitudes (ascending)
    longitudes: np.ndarray  # float64, their longitudes
    trig: np.ndarray  # float64 (4, n): their sines and cosines (geo.sines_and_cosines), for distances
    names: list[str] | None = None  # a base's folded names in order (where added listings sort)
    values: DocumentValues | None = None  # every dimension's values per document, together

    def counts_few(self, matches: Matches, names: list[str]) -> dict[str, dict[str, int]] | None:
        """The counts of the dimensions ``names`` in one pass when few documents match (a sixteenth of
        the index or fewer: beyond, each dimension's bits count faster); None otherwise."""
        if self.values is None or matches.count * _FEW >= self.size:
            return None
        return self.values.counts(matches, {name: self.dimensions[name] for name in names})

    @property
    def size(self) -> int:
        return len(self.ids)

    def positions_of(self, org_ids: np.ndarray) -> np.ndarray:
        """Positions of the given organization ids; -1 for ids that are not public."""
        pos, found = _locate(self.ids, np.asarray(org_ids, dtype=np.int64))
        return np.where(found, pos, -1)


def _locate(ids: np.ndarray, org_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``org_ids`` in the sorted ``ids``, and whether each is there at all."""
    if len(ids) == 0:
        return np.zeros(len(org_ids), dtype=np.int64), np.zeros(len(org_ids), dtype=bool)
    pos = np.searchsorted(ids, org_ids)
    pos[pos >= len(ids)] = 0
    return pos, ids[pos] == org_ids


def current_generation(session: Session) -> int:
    return int(session.scalar(sa.select(SearchState.generation).where(SearchState.id == 1)) or 0)


def _grouped(
    session: Session, key: sa.ColumnElement, org_id: sa.ColumnElement, only: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray, list]:
    """(organization ids, key index of each, the keys) of a link table, one aggregated string per key.

    A million (id, key) rows cost seconds through the driver; a few hundred rows of comma-joined ids
    cost a fraction of that.
    """
    statement = sa.select(key, sa.func.aggregate_strings(sa.cast(org_id, sa.String), ",")).group_by(key)
    if only is not None:
        statement = statement.where(org_id.in_(only))
    rows = session.connection().execute(statement).all()
    id_parts, code_parts, keys = [], [], []
    for code, (value, joined) in enumerate(rows):
        found = np.array(joined.split(","), dtype=np.int64)
        id_parts.append(found)
        code_parts.append(np.full(len(found), code, dtype=np.int32))
        keys.append(value)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), []
    return np.concatenate(id_parts), np.concatenate(code_parts), keys


def _name_keys(names: list[str], base: FacetIndex | None) -> tuple[np.ndarray, list[str]]:
    """Sort keys for folded ``names``, and the names in order.

    A base's keys are ranks 0..n-1. Listings added on top of a base (see :class:`Snapshot`) get keys
    between the ranks of the base names around theirs, so both sort together by name.
    """
    order = sorted(range(len(names)), key=names.__getitem__)
    keys = np.empty(len(names), dtype=np.float64)
    if base is None or base.names is None:
        keys[order] = np.arange(len(names), dtype=np.float64)
        return keys, [names[i] for i in order]
    slots = [bisect.bisect_left(base.names, names[i]) for i in order]
    for slot, group in itertools.groupby(range(len(order)), key=slots.__getitem__):
        members = list(group)
        for j, i in enumerate(members):
            keys[order[i]] = slot - 1 + (j + 1) / (len(members) + 1)
    return keys, [names[i] for i in order]


def build_index(
    session: Session, only: list[int] | None = None, base: FacetIndex | None = None
) -> FacetIndex:
    """Read the approved organizations and their filter values into a FacetIndex; with ``only``, just
    those organizations, ranked and scored as additions to ``base``."""
    generation = current_generation(session)
    approved = Organization.status == ListingStatus.APPROVED
    # Core statements on the session's connection: the ORM's row handling cost a second at 100,000.
    connection = session.connection()
    place = [getattr(Location, column) for column in LOCATION_COLUMNS]
    statement = (
        sa.select(Organization.id, Organization.name, Organization.updated_at, *place)
        .join(Location, Location.organization_id == Organization.id)
        .where(approved)
        .order_by(Organization.id)
    )
    if only is not None:
        statement = statement.where(Organization.id.in_(only))
    rows = connection.execute(statement).all()
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    name_key, names = _name_keys([r[1].casefold() for r in rows], base)
    updated_key = -np.array([_timestamp(r[2]) for r in rows], dtype=np.float64)
    located = [dict(zip(LOCATION_COLUMNS, r[3:], strict=True)) for r in rows]
    everyone = np.arange(n)
    dimensions = {
        "country": Dimension.build(everyone, [p["country_code"] for p in located], n),
        "region": Dimension.build(
            np.concatenate([everyone, everyone]),
            [p["region"] for p in located] + [p["subregion"] for p in located],
            n,
        ),
    }

    term_org, term_key, term_ids = _grouped(
        session, organization_term.c.taxonomy_term_id, organization_term.c.organization_id, only
    )
    terms = {t.id: (t.taxonomy, t.code) for t in session.scalars(sa.select(TaxonomyTerm))}
    term_pos, term_keep = _locate(ids, term_org)
    for dim in TERM_DIMENSIONS:
        taxonomy = LIST_FILTERS[dim]
        # This taxonomy's terms only (a code such as "peer-support" can belong to two taxonomies).
        mine = [k for k, term_id in enumerate(term_ids) if terms[term_id][0] == taxonomy]
        local = np.full(len(term_ids), -1, dtype=np.int32)
        local[mine] = np.arange(len(mine), dtype=np.int32)
        codes = local[term_key]
        chosen = term_keep & (codes >= 0)
        values = [terms[term_ids[k]][1] for k in mine]
        dimensions[dim] = Dimension.from_codes(term_pos[chosen], codes[chosen], values, n)
        # Result cards show these terms: kept per document, in vocabulary order, so loading a page of
        # results needs no query for them.
        dimensions[dim].store_per_document(list(vocab.TAXONOMIES.get(str(taxonomy), {})))
    for dim, column in (("language", Language.code), ("serves", ServiceArea.country_code)):
        org_ids, codes, keys = _grouped(session, column, column.class_.organization_id, only)
        pos, keep = _locate(ids, org_ids)
        dimensions[dim] = Dimension.from_codes(pos[keep], codes[keep], [str(k) for k in keys], n)
    for dim in ("country", "region", "language", "serves"):  # counted through documents when few match
        dimensions[dim].store_per_document()
    latitudes = np.array([_or_nan(p["public_latitude"]) for p in located], dtype=np.float64)
    longitudes = np.array([_or_nan(p["public_longitude"]) for p in located], dtype=np.float64)
    placed = np.flatnonzero(~np.isnan(latitudes) & ~np.isnan(longitudes))
    by_latitude = placed[np.argsort(latitudes[placed], kind="stable")].astype(np.int32)

    def position_of(org_ids: np.ndarray) -> np.ndarray:
        pos, found = _locate(ids, org_ids)
        return np.where(found, pos, -1)

    entries = backend_for(connection.dialect.name).entries(connection, position_of, only)
    ordered = {d: dimensions[d] for d in DIMENSIONS}
    return FacetIndex(
        generation=generation,
        ids=ids,
        name_key=name_key,
        updated_key=updated_key,
        dimensions=ordered,
        values=DocumentValues.build(ordered, n),
        text=TextIndex.build(entries, name_key, base.text if base is not None else None),
        by_latitude=by_latitude,
        latitudes=latitudes[by_latitude],
        longitudes=longitudes[by_latitude],
        trig=sines_and_cosines(latitudes[by_latitude], longitudes[by_latitude]),
        names=names if base is None else None,
    )


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else value


def _timestamp(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite hands back naive datetimes, stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def changes_since(session: Session, generation: int, current: int) -> set[int] | None:
    """The organizations changed after ``generation`` up to ``current``; None when that is not known
    (a generation without its change rows, or one that may have changed any organization)."""
    if current <= generation:
        return set()
    change = SearchChange.__table__
    rows = (
        session.connection()
        .execute(
            sa.select(change.c.generation, change.c.organization_id).where(
                change.c.generation > generation, change.c.generation <= current
            )
        )
        .all()
    )
    if len({g for g, _ in rows}) != current - generation or any(org_id is None for _, org_id in rows):
        return None
    return {org_id for _, org_id in rows}


@dataclass(frozen=True)
class Layer:
    """The listings read again after one or more changes: their index, the organizations read into it
    (one no longer public has no entry), and which of its entries a later layer has not replaced."""

    index: FacetIndex
    ids: frozenset[int]
    live: np.ndarray | None = None  # bool per position (None: all)


@dataclass(frozen=True)
class Snapshot:
    """What one process searches: an index of every public listing as of some generation (the base),
    and layers of the listings changed since, each replacing the older entries of its listings.

    A change to a few listings thus costs each process a read of those listings, not a new index; and the
    base, built before the server's workers were forked, stays shared between them (see wsgi.py). Each
    change adds a small layer; the newest layers are merged when they grow as large as the one before
    them, so a process keeps few layers and an update reads about as many listings as changed.
    """

    generation: int
    base: FacetIndex
    live: np.ndarray | None = None  # bool per base position: not replaced by a layer (None: all)
    layers: tuple[Layer, ...] = ()

    @cached_property
    def changed(self) -> frozenset[int]:
        """The organizations read into the layers (some no longer public)."""
        return frozenset().union(*(layer.ids for layer in self.layers))

    @property
    def overlay_size(self) -> int:
        """How many current entries the layers hold."""
        return sum(layer.index.size if layer.live is None else int(layer.live.sum()) for layer in self.layers)

    def segments(self) -> list[tuple[FacetIndex, np.ndarray | None]]:
        """Each index to search, with the mask of its entries still current."""
        return [(self.base, self.live), *((layer.index, layer.live) for layer in self.layers)]

    def updated(self, session: Session, changed: set[int], generation: int) -> Snapshot:
        """This snapshot with the listings ``changed`` read again."""
        kept = list(self.layers)
        new = frozenset(changed)
        # Merge the newest layers while the newest is at least half the size of the one before it (by
        # listings read): a binary counter's carries, so there are few layers and merges stay rare.
        while kept and 2 * len(new) >= len(kept[-1].ids):
            new |= kept.pop().ids
        # The entries of the changed listings in the base and the layers kept are no longer current (the
        # merged layers are read again whole).
        ids = np.fromiter(changed, dtype=np.int64, count=len(changed))
        layers = [Layer(lay.index, lay.ids, _masked(lay.index, lay.live, ids)) for lay in kept]
        layers.append(Layer(build_index(session, only=sorted(new), base=self.base), new))
        return Snapshot(generation, self.base, _masked(self.base, self.live, ids), tuple(layers))


def _masked(index: FacetIndex, live: np.ndarray | None, org_ids: np.ndarray) -> np.ndarray | None:
    """``live`` (None: all) without the entries of ``org_ids``; the same array when none are there."""
    positions = index.positions_of(org_ids)
    positions = positions[positions >= 0]
    if not len(positions):
        return live
    masked = np.ones(index.size, dtype=bool) if live is None else live.copy()
    masked[positions] = False
    return masked


class IndexCache:
    """This process's :class:`Snapshot`, brought up to the database's generation when it moves on: by
    reading the few listings that changed, or (after many changes, or changes of unknown extent) by
    building the whole index again."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Snapshot | None:
        """The snapshot this process holds, whatever its generation (None before the first build)."""
        return self._snapshot

    def get(self, session: Session, generation: int | None = None) -> Snapshot:
        """The snapshot at the database's generation (``generation`` when the caller has read it)."""
        if generation is None:
            generation = current_generation(session)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.generation == generation:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and snapshot.generation == generation:
                return snapshot
            if snapshot is not None and snapshot.generation < generation:
                changed = changes_since(session, snapshot.generation, generation)
                if changed is not None and len(changed | snapshot.changed) <= OVERLAY_LIMIT:
                    self._snapshot = snapshot.updated(session, changed, generation)
                    return self._snapshot
            self._snapshot = None  # let the old index go before the new one is built
            base = build_index(session)
            self._snapshot = Snapshot(base.generation, base)
        return self._snapshot
