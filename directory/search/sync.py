"""Keeping search in step with the listings, on every flush, in the same transaction.

* The full-text table gets each organization's tokens (see :mod:`.text`) when it is added or changed,
  and loses them when it is deleted. On SQLite that table is FTS5, one column per field; on PostgreSQL
  it holds one ``tsvector`` per organization, written here from the same tokens, each field with its
  own weight (A to D), so PostgreSQL never parses or stems the text itself.
* Besides the text as written (stemmed in its language), a document holds the summary and leadership
  narrative the organization wrote in other languages (``organization_text``, each stemmed in its own),
  and one token per vocabulary term it is tagged with (:func:`.synonyms.term_token`), so a query word
  naming the term finds it.
* Any change to a listing bumps ``search_state.generation``, which tells every server process that
  its search index is stale, and records which organizations changed (``search_change``), so each
  process reads just those again (see :mod:`.index`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from ..db import now_utc
from ..organizations.models import (
    Organization,
    OrganizationText,
    SearchChange,
    SearchState,
    TaxonomyTerm,
    organization_term,
)
from .fields import INDEXED, RELATED_MODELS, SEARCHED, SHOWN, TEXT_FIELDS, TRANSLATED_FIELDS
from .synonyms import term_token
from .text import document_tokens

FTS_TABLE = "organization_fts"
#: The full-text table's columns (and a tsvector's fields).
FTS_COLUMNS = TEXT_FIELDS


#: PostgreSQL weight letters per field, strongest first; ts_rank's default weights for A, B, C, D
#: (1.0, 0.4, 0.2, 0.1) are in the same proportions as FTS5's bm25 weights (see .backends.WEIGHTS).
PG_WEIGHTS = {"name": "A", "summary": "B", "leadership_narrative": "C", "description": "D"}
#: The largest word position a tsvector keeps, and the most positions it keeps per word.
_PG_MAX_POSITION = 16383
_PG_MAX_POSITIONS_PER_WORD = 256


#: The fields an organization may also write in other languages (``organization_text``).
TRANSLATED_COLUMNS = TRANSLATED_FIELDS


def document_columns(
    texts: Mapping[str, Any],
    terms: Iterable[tuple[str, str]] = (),
    translations: Iterable[Mapping[str, Any]] = (),
) -> dict[str, str]:
    """The tokens to index for one organization, per full-text column.

    ``texts`` holds the columns and ``text_language``; ``terms`` the (taxonomy, slug) of its terms;
    ``translations`` its ``organization_text`` rows (``language``, ``summary``, ``leadership_narrative``).
    """
    language = texts.get("text_language") or "en"
    row = {col: document_tokens(texts.get(col) or "", language) for col in FTS_COLUMNS}
    for other in translations:
        for col in TRANSLATED_COLUMNS:
            extra = document_tokens(other.get(col) or "", other.get("language"))
            if extra:
                row[col] = f"{row[col]} {extra}" if row[col] else extra
    tokens = " ".join([term_token(taxonomy, code) for taxonomy, code in terms])
    if tokens:
        row["description"] = f"{row['description']} {tokens}" if row["description"] else tokens
    return row


def fts_row(
    org_id: int,
    texts: dict[str, Any],
    terms: Iterable[tuple[str, str]] = (),
    translations: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """:func:`document_columns` as the full-text table's row of organization ``org_id``."""
    return {"rowid": org_id, **document_columns(texts, terms, translations)}


def load_rows(connection: Connection, org_ids: list[int]) -> list[dict[str, Any]]:
    """:func:`fts_row` for each of ``org_ids``, read from the database (three queries in all)."""
    if not org_ids:
        return []
    org = Organization.__table__
    text = OrganizationText.__table__
    term = TaxonomyTerm.__table__
    columns = [org.c[c] for c in (*FTS_COLUMNS, "text_language")]
    found = connection.execute(sa.select(org.c.id, *columns).where(org.c.id.in_(org_ids))).all()
    terms: dict[int, list[tuple[str, str]]] = {}
    for org_id, taxonomy, code in connection.execute(
        sa.select(organization_term.c.organization_id, term.c.taxonomy, term.c.code)
        .join(term, term.c.id == organization_term.c.taxonomy_term_id)
        .where(organization_term.c.organization_id.in_(org_ids))
        .order_by(organization_term.c.organization_id, term.c.id)
    ):
        terms.setdefault(org_id, []).append((taxonomy, code))
    translations: dict[int, list[dict[str, Any]]] = {}
    for row in connection.execute(
        sa.select(text.c.organization_id, text.c.language, *(text.c[c] for c in TRANSLATED_COLUMNS))
        .where(text.c.organization_id.in_(org_ids))
        .order_by(text.c.organization_id, text.c.language)
    ).mappings():
        translations.setdefault(row["organization_id"], []).append(dict(row))
    return [fts_row(r.id, dict(r._mapping), terms.get(r.id, ()), translations.get(r.id, ())) for r in found]


def reindex_all(connection: Connection, batch: int = 1000) -> None:
    """Write every organization's full-text row again (after the word rules changed)."""
    org = Organization.__table__
    ids = list(connection.execute(sa.select(org.c.id).order_by(org.c.id)).scalars())
    for start in range(0, len(ids), batch):
        index_documents(connection, load_rows(connection, ids[start : start + batch]), replace=True)


def tsvector_literal(row: dict[str, Any]) -> str:
    """The PostgreSQL tsvector text for a row from :func:`fts_row` or :func:`document_columns`:
    ``'word':1A,7A 'other':2B ...``.

    Positions run on across the fields in a fixed order; tokens hold only letters and digits (see
    :mod:`.text`), so quoting them is all the escaping they need. (This runs for every row of a bulk
    import, hence the plain loops.)
    """
    marks: dict[str, list[str]] = {}
    at_last: set[str] = set()  # words already given the last position
    position = 0
    for column in FTS_COLUMNS:
        tokens = row[column].split()
        weight = PG_WEIGHTS[column]
        own = max(0, min(len(tokens), _PG_MAX_POSITION - 1 - position))  # tokens with a position of their own
        for offset, token in enumerate(tokens[:own], position + 1):
            found = marks.get(token)
            if found is None:
                marks[token] = [f"{offset}{weight}"]
            elif len(found) < _PG_MAX_POSITIONS_PER_WORD:
                found.append(f"{offset}{weight}")
        for token in tokens[own:]:
            # Later positions all become the last one: keep a word's first only (PostgreSQL would keep
            # one of them, which one depending on its sort), so the stored weight is certain.
            if token not in at_last:
                at_last.add(token)
                found = marks.setdefault(token, [])
                if len(found) < _PG_MAX_POSITIONS_PER_WORD:
                    found.append(f"{_PG_MAX_POSITION}{weight}")
        position += len(tokens)
    return " ".join([f"'{token}':{','.join(found)}" for token, found in marks.items()])


_DELETE = {
    "sqlite": sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :rowid"),  # noqa: S608 (constant)
    "postgresql": sa.text(f"DELETE FROM {FTS_TABLE} WHERE organization_id = :rowid"),  # noqa: S608
}
_INSERT_POSTGRESQL = sa.text(
    f"INSERT INTO {FTS_TABLE} (organization_id, document) "  # noqa: S608 (constant)
    "VALUES (:rowid, CAST(:document AS tsvector))"
)
_INSERT_SQLITE = (
    f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) "  # noqa: S608 (constants)
    f"VALUES ({', '.join('?' * (len(FTS_COLUMNS) + 1))})"
)


def index_documents(connection: Connection, rows: list[dict[str, Any]], *, replace: bool) -> None:
    """Write full-text rows (from :func:`fts_row`); with ``replace``, drop their old rows first."""
    dialect = connection.dialect.name
    if dialect not in _DELETE or not rows:
        return
    if replace:
        connection.execute(_DELETE[dialect], [{"rowid": r["rowid"]} for r in rows])
    if dialect == "postgresql":
        connection.execute(
            _INSERT_POSTGRESQL, [{"rowid": r["rowid"], "document": tsvector_literal(r)} for r in rows]
        )
    else:
        insert_sqlite_documents(connection, [(r["rowid"], *[r[c] for c in FTS_COLUMNS]) for r in rows])


def insert_sqlite_documents(connection: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert SQLite full-text rows given as (rowid, then one text per :data:`FTS_COLUMNS`), with the
    driver's ``executemany`` (no per-row work by SQLAlchemy: a bulk import writes thousands)."""
    connection.exec_driver_sql(_INSERT_SQLITE, rows)


def unindex_documents(connection: Connection, org_ids: list[int]) -> None:
    dialect = connection.dialect.name
    if dialect in _DELETE and org_ids:
        connection.execute(_DELETE[dialect], [{"rowid": i} for i in org_ids])


#: Change rows are kept for this many generations; a process further behind builds its index again.
KEPT_GENERATIONS = 2000
#: The most organizations a process lays over its index before building the whole index again. A change
#: to more (a bulk import's batch) is recorded as a change to any: one row instead of one per listing, as
#: every process builds its index again either way.
OVERLAY_LIMIT = 1000


def bump_generation(connection: Connection, org_ids: Iterable[int] | None = None) -> None:
    """Tell every process that listings changed (their search index is stale), which ones (None, or more
    than :data:`OVERLAY_LIMIT`: any of them), and when."""
    state = SearchState.__table__
    generation = connection.execute(
        sa.update(state)
        .where(state.c.id == 1)
        .values(generation=state.c.generation + 1, changed_at=now_utc())
        .returning(state.c.generation)
    ).scalar()
    if generation is None:
        return
    change = SearchChange.__table__
    ids: list[int | None] = sorted(set(org_ids)) if org_ids is not None else []
    if len(ids) > OVERLAY_LIMIT:
        ids = []
    if len(ids) > 1:  # a bulk import's batch: the driver's executemany, without SQLAlchemy's per-row work
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        connection.exec_driver_sql(
            f"INSERT INTO {change.name} (generation, organization_id) VALUES ({mark}, {mark})",  # noqa: S608 (constants)
            [(generation, i) for i in ids],  # type: ignore[arg-type]
        )
    else:
        connection.execute(
            sa.insert(change), {"generation": generation, "organization_id": ids[0] if ids else None}
        )
    connection.execute(sa.delete(change).where(change.c.generation <= generation - KEPT_GENERATIONS))


def mark_public_change(connection: Connection) -> None:
    """Note that what the public sees changed without changing what search finds (a public read's
    Last-Modified moves on; every process's search index stays valid)."""
    state = SearchState.__table__
    connection.execute(sa.update(state).where(state.c.id == 1).values(changed_at=now_utc()))


#: Organization attributes that change what search finds or how it sorts. Others (the edit version, the
#: admin's message, reminder dates) leave every process's index valid.
_SEARCHED_ATTRIBUTES = (*INDEXED, *SEARCHED)


def _changed(obj: Organization, names: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    new_orgs = [o for o in session.new if isinstance(o, Organization)]
    dirty_orgs = [o for o in session.dirty if isinstance(o, Organization)]
    deleted_orgs = [o for o in session.deleted if isinstance(o, Organization)]
    changed = (*session.new, *session.dirty, *session.deleted)
    deleted_ids = {o.id for o in deleted_orgs}
    reindex = {o.id for o in new_orgs} | {o.id for o in dirty_orgs if _changed(o, INDEXED)}
    reindex |= {
        obj.organization_id
        for obj in changed
        if isinstance(obj, OrganizationText) and obj.organization_id is not None
    }
    # The organizations whose search entry changed (None: a related row not linked to one yet).
    affected = {o.id for o in (*new_orgs, *deleted_orgs)}
    affected |= {o.id for o in dirty_orgs if _changed(o, _SEARCHED_ATTRIBUTES)}
    affected |= {obj.organization_id for obj in changed if isinstance(obj, RELATED_MODELS)}
    if not affected:
        if any(_changed(o, SHOWN) for o in dirty_orgs):
            mark_public_change(session.connection())
        return
    connection = session.connection()
    index_documents(connection, load_rows(connection, sorted(reindex - deleted_ids)), replace=True)
    unindex_documents(connection, sorted(deleted_ids))
    bump_generation(connection, None if None in affected else affected)
