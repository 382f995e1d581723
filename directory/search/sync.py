"""Keeping search in step with the listings, on every flush, in the same transaction.

* The full-text table gets each organization's tokens (see :mod:`.text`) when it is added or changed,
  and loses them when it is deleted.
* Any change to a listing bumps ``search_state.generation``, which tells every server process that
  its cached search index is stale (see :mod:`.index`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..organizations.models import Language, Location, Organization, SearchState, ServiceArea
from .text import document_tokens

_LISTING_MODELS = (Organization, Location, ServiceArea, Language)

FTS_TABLE = "organization_fts"
FTS_COLUMNS = ("name", "summary", "description", "leadership_narrative")


def fts_row(org: Organization) -> dict[str, Any]:
    """The tokens to index for one organization, keyed like the full-text table's columns."""
    return {
        "rowid": org.id,
        **{col: document_tokens(getattr(org, col) or "") for col in FTS_COLUMNS},
    }


_DELETE = sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :rowid")  # noqa: S608 (constant)
_INSERT = sa.text(
    f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) "  # noqa: S608 (constants)
    f"VALUES (:rowid, {', '.join(':' + c for c in FTS_COLUMNS)})"
)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    changed_orgs = [o for o in (*session.new, *session.dirty) if isinstance(o, Organization)]
    deleted_orgs = [o for o in session.deleted if isinstance(o, Organization)]
    listing_changed = any(
        isinstance(obj, _LISTING_MODELS) for obj in (*session.new, *session.dirty, *session.deleted)
    )
    if not listing_changed:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        stale = [{"rowid": o.id} for o in (*changed_orgs, *deleted_orgs)]
        if stale:
            connection.execute(_DELETE, stale)
        fresh = [fts_row(o) for o in changed_orgs]
        if fresh:
            connection.execute(_INSERT, fresh)
    state = SearchState.__table__
    connection.execute(sa.update(state).where(state.c.id == 1).values(generation=state.c.generation + 1))
