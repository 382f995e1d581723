"""Keeping search in step with the listings, on every flush, in the same transaction.

* The full-text table gets each organization's tokens (see :mod:`.text`) when it is added or changed,
  and loses them when it is deleted. On SQLite that table is FTS5, one column per field; on PostgreSQL
  it holds one ``tsvector`` per organization, written here from the same tokens, each field with its
  own weight (A to D), so PostgreSQL never parses or stems the text itself.
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


#: PostgreSQL weight letters per field, strongest first; ts_rank's default weights for A, B, C, D
#: (1.0, 0.4, 0.2, 0.1) are in the same proportions as FTS5's bm25 weights (see .backends.WEIGHTS).
PG_WEIGHTS = {"name": "A", "summary": "B", "leadership_narrative": "C", "description": "D"}
#: The largest word position a tsvector keeps, and the most positions it keeps per word.
_PG_MAX_POSITION = 16383
_PG_MAX_POSITIONS_PER_WORD = 256


def fts_row(org_id: int, texts: dict[str, Any]) -> dict[str, Any]:
    """The tokens to index for one organization, keyed like the full-text table's columns."""
    return {"rowid": org_id, **{col: document_tokens(texts.get(col) or "") for col in FTS_COLUMNS}}


def tsvector_literal(row: dict[str, Any]) -> str:
    """The PostgreSQL tsvector text for a row from :func:`fts_row`: ``'word':1A,7A 'other':2B ...``.

    Positions run on across the fields in a fixed order; tokens hold only letters and digits (see
    :mod:`.text`), so quoting them is all the escaping they need. (This runs for every row of a bulk
    import, hence the plain loops.)
    """
    marks: dict[str, list[str]] = {}
    position = 0
    for column in FTS_COLUMNS:
        tokens = row[column].split()
        weight = PG_WEIGHTS[column]
        for offset, token in enumerate(tokens, position + 1):
            mark = f"{offset if offset < _PG_MAX_POSITION else _PG_MAX_POSITION}{weight}"
            found = marks.get(token)
            if found is None:
                marks[token] = [mark]
            elif len(found) < _PG_MAX_POSITIONS_PER_WORD:
                found.append(mark)
        position += len(tokens)
    return " ".join([f"'{token}':{','.join(found)}" for token, found in marks.items()])


_DELETE = {
    "sqlite": sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :rowid"),  # noqa: S608 (constant)
    "postgresql": sa.text(f"DELETE FROM {FTS_TABLE} WHERE organization_id = :rowid"),  # noqa: S608
}
_INSERT = {
    "sqlite": sa.text(
        f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) "  # noqa: S608 (constants)
        f"VALUES (:rowid, {', '.join(':' + c for c in FTS_COLUMNS)})"
    ),
    "postgresql": sa.text(
        f"INSERT INTO {FTS_TABLE} (organization_id, document) "  # noqa: S608 (constant)
        "VALUES (:rowid, CAST(:document AS tsvector))"
    ),
}


def index_documents(connection: Connection, rows: list[dict[str, Any]], *, replace: bool) -> None:
    """Write full-text rows (from :func:`fts_row`); with ``replace``, drop their old rows first."""
    dialect = connection.dialect.name
    if dialect not in _INSERT or not rows:
        return
    if replace:
        connection.execute(_DELETE[dialect], [{"rowid": r["rowid"]} for r in rows])
    if dialect == "postgresql":
        rows = [{"rowid": r["rowid"], "document": tsvector_literal(r)} for r in rows]
    connection.execute(_INSERT[dialect], rows)


def unindex_documents(connection: Connection, org_ids: list[int]) -> None:
    dialect = connection.dialect.name
    if dialect in _DELETE and org_ids:
        connection.execute(_DELETE[dialect], [{"rowid": i} for i in org_ids])


def bump_generation(connection: Connection) -> None:
    """Tell every process that listings changed (their search index is stale)."""
    state = SearchState.__table__
    connection.execute(sa.update(state).where(state.c.id == 1).values(generation=state.c.generation + 1))


#: Organization attributes that change what search shows or how it sorts. Others (the edit version, the
#: admin's message, reminder dates) leave every process's index valid.
_SEARCHED_ATTRIBUTES = (*FTS_COLUMNS, "status", "slug", "updated_at", "terms")


def _changed(obj: Organization, names: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    new_orgs = [o for o in session.new if isinstance(o, Organization)]
    dirty_orgs = [o for o in session.dirty if isinstance(o, Organization)]
    deleted_orgs = [o for o in session.deleted if isinstance(o, Organization)]
    others = any(
        isinstance(obj, _LISTING_MODELS) and not isinstance(obj, Organization)
        for obj in (*session.new, *session.dirty, *session.deleted)
    )
    reindex = new_orgs + [o for o in dirty_orgs if _changed(o, FTS_COLUMNS)]
    relevant = (
        others or new_orgs or deleted_orgs or any(_changed(o, _SEARCHED_ATTRIBUTES) for o in dirty_orgs)
    )
    if not relevant:
        return
    connection = session.connection()
    index_documents(
        connection, [fts_row(o.id, {c: getattr(o, c) for c in FTS_COLUMNS}) for o in reindex], replace=True
    )
    unindex_documents(connection, [o.id for o in deleted_orgs])
    bump_generation(connection)
