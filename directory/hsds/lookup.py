"""Finding a service (or a service at a location) by its derived id.

A derived id is a UUID 5 and cannot be read backwards, so each process keeps a small sorted table of the
ids of every public offering (the first 8 bytes of each id, with its listing and offering), built from the
database on first use and again whenever ``search_state.generation`` shows that a listing changed. A
lookup is a binary search, then the whole id is worked out again to confirm the match.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask import current_app

from .. import vocab
from ..extensions import db
from ..organizations.models import ListingStatus, Organization, TaxonomyTerm, organization_term
from ..search.index import current_generation
from . import ids

_KEY = "hsds.offerings"
_CODES = tuple(vocab.TAXONOMIES["service"])


@dataclass(frozen=True)
class _Table:
    keys: np.ndarray  # uint64, sorted: the first 8 bytes of each id
    org_ids: np.ndarray  # int64, the listing of each key
    codes: np.ndarray  # int16, the offering of each key (an index into _CODES)

    @classmethod
    def build(cls, rows: list[tuple[int, int, str]]) -> _Table:
        keys = np.fromiter((key for key, _org, _code in rows), dtype=np.uint64, count=len(rows))
        order = np.argsort(keys, kind="stable")
        org_ids = np.fromiter((org for _key, org, _code in rows), dtype=np.int64, count=len(rows))
        codes = np.fromiter((_CODES.index(c) for *_rest, c in rows), dtype=np.int16, count=len(rows))
        return cls(keys[order], org_ids[order], codes[order])

    def candidates(self, wanted: str) -> list[tuple[int, str]]:
        key = np.uint64(uuid.UUID(wanted).int >> 64)
        start = int(np.searchsorted(self.keys, key, side="left"))
        stop = int(np.searchsorted(self.keys, key, side="right"))
        return [(int(self.org_ids[i]), _CODES[int(self.codes[i])]) for i in range(start, stop)]


@dataclass(frozen=True)
class _Index:
    generation: int
    services: _Table
    service_at_locations: _Table


def _prefix(text: str) -> int:
    return uuid.UUID(text).int >> 64


def _index() -> _Index:
    generation = current_generation(db.session)
    cached: _Index | None = current_app.extensions.get(_KEY)
    if cached is not None and cached.generation == generation:
        return cached
    query = (
        sa.select(Organization.id, Organization.uuid, TaxonomyTerm.code)
        .join(organization_term, organization_term.c.organization_id == Organization.id)
        .join(TaxonomyTerm, TaxonomyTerm.id == organization_term.c.taxonomy_term_id)
        .where(TaxonomyTerm.taxonomy == "service", Organization.status == ListingStatus.APPROVED)
    )
    services, placed = [], []
    for org_id, org_uuid, code in db.session.execute(query):
        if code not in _CODES:
            continue
        sid = ids.service_id(org_uuid, code)
        services.append((_prefix(sid), org_id, code))
        placed.append((_prefix(ids.service_at_location_id(sid)), org_id, code))
    built = _Index(generation, _Table.build(services), _Table.build(placed))
    current_app.extensions[_KEY] = built
    return built


def find_offering(wanted: str, kind: str) -> tuple[Organization, str] | None:
    """The public listing and offering whose ``kind`` id (``service`` or ``service_at_location``) is
    ``wanted`` (a UUID); None when no public offering has it."""
    wanted = wanted.lower()
    index = _index()
    table = index.services if kind == "service" else index.service_at_locations
    for org_id, code in table.candidates(wanted):
        org = db.session.get(Organization, org_id)
        if org is None or not org.is_public:
            continue
        sid = ids.service_id(org.uuid, code)
        if (sid if kind == "service" else ids.service_at_location_id(sid)) == wanted:
            return org, code
    return None
