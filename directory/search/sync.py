"""Keeping search in step with the listings, on every flush, in the same transaction.

* The full-text table gets each organization's tokens (see :mod:`.text`) when it is added or changed,
  and loses them when it is deleted.
* Any change to a listing bumps ``search_state.generation``, which tells every server process that
  its cached search index is stale (see :mod:`.index`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from ..organizations.models import Language, Location, Organization, SearchState, ServiceArea
from .text import document_tokens

_LISTING_MODELS = (Organization, Location, ServiceArea, Language)

FTS_TABLE = "organization_fts"
FTS_COLUMNS = ("name", "summary", "description", "leadership_narrative")


def fts_row(org_id: int, texts: dict[str, Any]) -> dict[str, Any]:
    """The tokens to index for one organization, keyed like the full-text table's columns."""
    return {"rowid": org_id, **{col: document_tokens(texts.get(col) or "") for col in FTS_COLUMNS}}


_DELETE = sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :rowid")  # noqa: S608 (constant)
_INSERT = sa.text(
    f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) "  # noqa: S608 (constants)
    f"VALUES (:rowid, {', '.join(':' + c for c in FTS_COLUMNS)})"
)


def index_documents(connection: Connection, rows: list[dict[str, Any]], *, replace: bool) -> None:
    """Write full-text rows (from :func:`fts_row`); with ``replace``, drop their old rows first."""
    if connection.dialect.name != "sqlite" or not rows:
        return
    if replace:
        connection.execute(_DELETE, [{"rowid": r["rowid"]} for r in rows])
    connection.execute(_INSERT, rows)


def unindex_documents(connection: Connection, org_ids: list[int]) -> None:
    if connection.dialect.name == "sqlite" and org_ids:
        connection.execute(_DELETE, [{"rowid": i} for i in org_ids])


def bump_generation(connection: Connection) -> None:
    """Tell every process that listings changed (their search index is stale)."""
    state = SearchState.__table__
    connection.execute(sa.update(state).where(state.c.id == 1).values(generation=state.c.generation + 1))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, _LISTING_MODELS) for obj in changed):
        return
    connection = session.connection()
    fresh = [o for o in (*session.new, *session.dirty) if isinstance(o, Organization)]
    index_documents(
        connection, [fts_row(o.id, {c: getattr(o, c) for c in FTS_COLUMNS}) for o in fresh], replace=True
    )
    unindex_documents(connection, [o.id for o in session.deleted if isinstance(o, Organization)])
    bump_generation(connection)
