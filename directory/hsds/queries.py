"""Which public listings an HSDS request is about, and loading them a page at a time.

Organizations are found by the directory's own search (:func:`directory.search.search_all`), so the HSDS
API lists exactly the listings, in the order, the public directory shows; the rest narrows that list.
Services are derived (one per offering of each listing), so a page of services is found from the
(listing, offering) pairs of the matching listings, and only the listings on the page are loaded, with
their related rows in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..organizations.models import (
    ListingStatus,
    Location,
    LocationPrecision,
    Organization,
    TaxonomyTerm,
    organization_term,
)
from ..search import SearchParams, search_all


@dataclass(frozen=True)
class Selection:
    """A checked HSDS query: the search text and page (as the directory search reads them), the terms a
    listing must have (any of them, per taxonomy), and the other narrowing filters."""

    params: SearchParams
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    organization_uuid: str | None = None
    modified_after: datetime | None = None


def matching_ids(selection: Selection) -> list[int]:
    """The ids of the public listings the selection matches, in the directory search's order."""
    params = replace(selection.params, filters=dict(selection.terms), page=1)
    found = search_all(params).ids
    if selection.organization_uuid is not None:
        wanted = db.session.scalar(
            sa.select(Organization.id).where(Organization.uuid == selection.organization_uuid.lower())
        )
        found = [i for i in found if i == wanted]
    if selection.modified_after is not None:
        recent = set(
            db.session.scalars(
                sa.select(Organization.id).where(
                    Organization.status == ListingStatus.APPROVED,
                    Organization.updated_at >= selection.modified_after,
                )
            )
        )
        found = [i for i in found if i in recent]
    return found


def load(org_ids: Iterable[int], related: bool = True) -> list[Organization]:
    """These listings, in this order, with everything the mapping reads (one query per relation); without
    ``related``, only their own columns (all a brief organization reads)."""
    wanted = list(dict.fromkeys(org_ids))
    if not wanted:
        return []
    query = sa.select(Organization).where(Organization.id.in_(wanted))
    if not related:
        query = query.options(sa.orm.lazyload("*"))
    found = {o.id: o for o in db.session.scalars(query)}
    return [found[i] for i in wanted if i in found]


def offerings(
    org_ids: list[int], codes: tuple[str, ...] | None = None, located: bool = False
) -> list[tuple[int, str]]:
    """(listing id, offering slug) of the listings ``org_ids``, in their order and, within a listing, in
    vocabulary order: one per HSDS service. ``codes`` keeps only those offerings; ``located`` only
    listings with a public location (one service at a location each)."""
    query = (
        sa.select(organization_term.c.organization_id, TaxonomyTerm.code)
        .join(TaxonomyTerm, TaxonomyTerm.id == organization_term.c.taxonomy_term_id)
        .join(Organization, Organization.id == organization_term.c.organization_id)
        .where(TaxonomyTerm.taxonomy == "service", Organization.status == ListingStatus.APPROVED)
        .order_by(TaxonomyTerm.id)
    )
    if codes is not None:
        query = query.where(TaxonomyTerm.code.in_(codes))
    if located:
        query = query.join(Location, Location.organization_id == Organization.id).where(
            Location.location_precision != LocationPrecision.HIDDEN
        )
    by_org: dict[int, list[str]] = {}
    for org_id, code in db.session.execute(query):
        by_org.setdefault(org_id, []).append(code)
    return [(org_id, code) for org_id in org_ids for code in by_org.get(org_id, ())]


def page_envelope(contents: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    """The HSDS ``Page`` around one page of ``contents`` out of ``total``."""
    total_pages = -(-total // per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": total == 0,
        "contents": contents,
    }
