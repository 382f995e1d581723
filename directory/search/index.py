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
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

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

#: The facet dimensions, in display order.
DIMENSIONS = ("region", "country", "focus", "model", "service", "trafficking", "language", "serves")
_TERM_DIMENSIONS = ("focus", "model", "service", "trafficking")


@dataclass
class Dimension:
    """One facet field: a (document, value) pair per entry, and each value's documents."""

    values: list[str]
    entry_doc: np.ndarray  # int32, position of the document of each entry
    entry_value: np.ndarray  # int32, index into ``values`` of each entry
    postings: list[np.ndarray] = field(default_factory=list)  # per value: positions
    value_index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, pairs: list[tuple[int, str]]) -> Dimension:
        values = sorted({v for _, v in pairs})
        value_index = {v: i for i, v in enumerate(values)}
        entry_doc = np.fromiter((d for d, _ in pairs), dtype=np.int32, count=len(pairs))
        entry_value = np.fromiter((value_index[v] for _, v in pairs), dtype=np.int32, count=len(pairs))
        order = np.argsort(entry_value, kind="stable")
        bounds = np.searchsorted(entry_value[order], np.arange(len(values) + 1))
        postings = [entry_doc[order[bounds[i] : bounds[i + 1]]] for i in range(len(values))]
        return cls(values, entry_doc, entry_value, postings, value_index)

    def mask_any(self, selected: list[str], n: int) -> np.ndarray:
        """Documents having any of ``selected`` (OR within one filter)."""
        mask = np.zeros(n, dtype=bool)
        for value in selected:
            i = self.value_index.get(value)
            if i is not None:
                mask[self.postings[i]] = True
        return mask

    def counts(self, mask: np.ndarray) -> dict[str, int]:
        """How many documents in ``mask`` have each value (values with none are left out)."""
        hits = np.bincount(self.entry_value[mask[self.entry_doc]], minlength=len(self.values))
        return {self.values[i]: int(c) for i, c in enumerate(hits) if c}


@dataclass
class FacetIndex:
    """Everything search needs in memory about the public organizations."""

    generation: int
    ids: np.ndarray  # int64, organization id per position
    id_to_pos: dict[int, int]
    name_rank: np.ndarray  # int32, position's rank when sorted by name
    updated_rank: np.ndarray  # int32, position's rank when sorted by last update, newest first
    dimensions: dict[str, Dimension]

    @property
    def size(self) -> int:
        return len(self.ids)

    def positions_of(self, org_ids: np.ndarray) -> np.ndarray:
        """Positions of the given organization ids, dropping ids that are not public."""
        pos = np.fromiter(
            (self.id_to_pos.get(int(i), -1) for i in org_ids), dtype=np.int64, count=len(org_ids)
        )
        return pos

    def all(self) -> np.ndarray:
        return np.ones(self.size, dtype=bool)


def current_generation(session: Session) -> int:
    return int(session.scalar(sa.select(SearchState.generation).where(SearchState.id == 1)) or 0)


def build_index(session: Session) -> FacetIndex:
    """Read the approved organizations and their filter values into a FacetIndex."""
    generation = current_generation(session)
    approved = Organization.status == ListingStatus.APPROVED
    rows = session.execute(
        sa.select(
            Organization.id,
            Organization.name,
            Organization.updated_at,
            Location.country_code,
            Location.region,
            Location.subregion,
        )
        .join(Location, Location.organization_id == Organization.id)
        .where(approved)
        .order_by(Organization.id)
    ).all()
    ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=len(rows))
    id_to_pos = {int(i): p for p, i in enumerate(ids)}
    names = [r.name.casefold() for r in rows]
    name_order = sorted(range(len(rows)), key=names.__getitem__)
    name_rank = np.empty(len(rows), dtype=np.int32)
    name_rank[name_order] = np.arange(len(rows), dtype=np.int32)
    updated_order = sorted(range(len(rows)), key=lambda p: rows[p].updated_at, reverse=True)
    updated_rank = np.empty(len(rows), dtype=np.int32)
    updated_rank[updated_order] = np.arange(len(rows), dtype=np.int32)

    pairs: dict[str, list[tuple[int, str]]] = {d: [] for d in DIMENSIONS}
    for p, r in enumerate(rows):
        pairs["country"].append((p, r.country_code))
        pairs["region"].append((p, r.region))
        pairs["region"].append((p, r.subregion))

    def collect(dim: str, stmt: sa.Select) -> None:
        target = pairs[dim]
        for org_id, value in session.execute(stmt):
            pos = id_to_pos.get(org_id)
            if pos is not None:
                target.append((pos, value))

    term_rows = session.execute(
        sa.select(organization_term.c.organization_id, TaxonomyTerm.taxonomy, TaxonomyTerm.code)
        .join(TaxonomyTerm, TaxonomyTerm.id == organization_term.c.taxonomy_term_id)
        .where(TaxonomyTerm.taxonomy.in_(_TERM_DIMENSIONS))
    )
    for org_id, taxonomy, code in term_rows:
        pos = id_to_pos.get(org_id)
        if pos is not None:
            pairs[taxonomy].append((pos, code))
    collect("language", sa.select(Language.organization_id, Language.code))
    collect("serves", sa.select(ServiceArea.organization_id, ServiceArea.country_code))

    return FacetIndex(
        generation=generation,
        ids=ids,
        id_to_pos=id_to_pos,
        name_rank=name_rank,
        updated_rank=updated_rank,
        dimensions={d: Dimension.build(pairs[d]) for d in DIMENSIONS},
    )


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
                index = build_index(session)
                self._index = index
        return index

    def clear(self) -> None:
        self._index = None
