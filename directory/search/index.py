"""The per-process facet index: which public organization has which filter value, as arrays.

Counting facets with one SQL ``GROUP BY`` per filter costs a scan of the matching rows per filter and
per page view. Search engines instead keep, per field, a column of values per document and count by
aggregating over a bitmap of matching documents; this module does the same with numpy. The index is
built from the database, cached per process, and rebuilt when ``search_state.generation`` shows that a
listing changed (in any process).

Documents are the *approved* organizations, numbered 0..n-1 ("positions"); ``ids[pos]`` is the
organization id.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import vocab
from ..organizations.models import (
    Language,
    ListingStatus,
    Location,
    Organization,
    SearchState,
    ServiceArea,
    TaxonomyTerm,
    organization_term,
)
from .backends import backend_for
from .params import LIST_FILTERS
from .postings import TextIndex

#: The facet dimensions, in display order: one per search filter.
DIMENSIONS = tuple(LIST_FILTERS)
#: Dimensions that are vocabulary terms; result cards take them from the index (see Dimension.values_of).
TERM_DIMENSIONS = tuple(name for name, taxonomy in LIST_FILTERS.items() if taxonomy is not None)


#: Dimensions with at most this many values count with bitsets; larger ones with an entry scan.
_BITSET_MAX_VALUES = 64


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

    def counts(self, mask: np.ndarray) -> dict[str, int]:
        """How many documents in ``mask`` have each value (values with none are left out)."""
        if self.bits is not None:
            packed = np.packbits(mask, bitorder="little")
            hits = np.bitwise_count(self.bits & packed).sum(axis=1, dtype=np.int64)
        else:
            hits = np.bincount(self.entry_value[mask[self.entry_doc]], minlength=len(self.values))
        return {self.values[i]: int(hits[i]) for i in np.flatnonzero(hits)}


@dataclass
class FacetIndex:
    """Everything search needs in memory about the public organizations."""

    generation: int
    ids: np.ndarray  # int64, organization id per position, ascending
    name_rank: np.ndarray  # int32, position's rank when sorted by name
    updated_rank: np.ndarray  # int32, position's rank when sorted by last update, newest first
    dimensions: dict[str, Dimension]
    text: TextIndex
    by_latitude: np.ndarray  # int32, the positions with a public point, southernmost first
    latitudes: np.ndarray  # float64, their latitudes (ascending)
    longitudes: np.ndarray  # float64, their longitudes

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
    session: Session, key: sa.ColumnElement, org_id: sa.ColumnElement
) -> tuple[np.ndarray, np.ndarray, list]:
    """(organization ids, key index of each, the keys) of a link table, one aggregated string per key.

    A million (id, key) rows cost seconds through the driver; a few hundred rows of comma-joined ids
    cost a fraction of that.
    """
    rows = (
        session.connection()
        .execute(sa.select(key, sa.func.aggregate_strings(sa.cast(org_id, sa.String), ",")).group_by(key))
        .all()
    )
    id_parts, code_parts, keys = [], [], []
    for code, (value, joined) in enumerate(rows):
        found = np.array(joined.split(","), dtype=np.int64)
        id_parts.append(found)
        code_parts.append(np.full(len(found), code, dtype=np.int32))
        keys.append(value)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), []
    return np.concatenate(id_parts), np.concatenate(code_parts), keys


def _rank(order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return rank


def build_index(session: Session) -> FacetIndex:
    """Read the approved organizations and their filter values into a FacetIndex."""
    generation = current_generation(session)
    approved = Organization.status == ListingStatus.APPROVED
    # Core statements on the session's connection: the ORM's row handling cost a second at 100,000.
    connection = session.connection()
    rows = connection.execute(
        sa.select(
            Organization.id,
            Organization.name,
            Location.country_code,
            Location.region,
            Location.subregion,
            Location.public_latitude,
            Location.public_longitude,
        )
        .join(Location, Location.organization_id == Organization.id)
        .where(approved)
        .order_by(Organization.id)
    ).all()
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    names = [r[1].casefold() for r in rows]
    name_rank = _rank(np.array(sorted(range(n), key=names.__getitem__), dtype=np.int64))
    newest = np.fromiter(
        connection.execute(
            sa.select(Organization.id)
            .where(approved)
            .order_by(Organization.updated_at.desc(), Organization.id)
        ).scalars(),
        dtype=np.int64,
    )
    updated_rank = _rank(np.searchsorted(ids, newest))
    everyone = np.arange(n)
    dimensions = {
        "country": Dimension.build(everyone, [r[2] for r in rows], n),
        "region": Dimension.build(
            np.concatenate([everyone, everyone]), [r[3] for r in rows] + [r[4] for r in rows], n
        ),
    }

    term_org, term_key, term_ids = _grouped(
        session, organization_term.c.taxonomy_term_id, organization_term.c.organization_id
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
        org_ids, codes, keys = _grouped(session, column, column.class_.organization_id)
        pos, keep = _locate(ids, org_ids)
        dimensions[dim] = Dimension.from_codes(pos[keep], codes[keep], [str(k) for k in keys], n)
    latitudes = np.array([r[5] if r[5] is not None else np.nan for r in rows], dtype=np.float64)
    longitudes = np.array([r[6] if r[6] is not None else np.nan for r in rows], dtype=np.float64)
    placed = np.flatnonzero(~np.isnan(latitudes) & ~np.isnan(longitudes))
    by_latitude = placed[np.argsort(latitudes[placed], kind="stable")].astype(np.int32)
    return FacetIndex(
        generation=generation,
        ids=ids,
        name_rank=name_rank,
        updated_rank=updated_rank,
        dimensions={d: dimensions[d] for d in DIMENSIONS},
        text=_build_text(connection, ids, name_rank),
        by_latitude=by_latitude,
        latitudes=latitudes[by_latitude],
        longitudes=longitudes[by_latitude],
    )


def _build_text(connection: sa.Connection, ids: np.ndarray, name_rank: np.ndarray) -> TextIndex:
    """The full-text postings of the public organizations, from the documents the database keeps."""

    def position_of(org_ids: np.ndarray) -> np.ndarray:
        pos, found = _locate(ids, org_ids)
        return np.where(found, pos, -1)

    return TextIndex.build(backend_for(connection.dialect.name).entries(connection, position_of), name_rank)


class IndexCache:
    """One FacetIndex per process, rebuilt when the database's generation moves on."""

    def __init__(self) -> None:
        self._index: FacetIndex | None = None
        self._lock = threading.Lock()

    def get(self, session: Session) -> FacetIndex:
        generation = current_generation(session)
        index = self._index
        if index is not None and index.generation == generation:
            return index
        with self._lock:
            index = self._index
            if index is None or index.generation != generation:
                self._index = None  # let the old index go before the new one is built
                index = build_index(session)
                self._index = index
        return index

    def clear(self) -> None:
        self._index = None
