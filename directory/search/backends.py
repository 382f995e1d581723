"""Database-specific parts of search: full-text matching, with FTS5 on SQLite and tsvector on PostgreSQL.

A backend answers one question: which organization ids match a :class:`~.text.TextQuery`, with a
relevance score (lower is better) when asked. Everything else (filters, facets, proximity, sorting) is
shared.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .sync import FTS_TABLE
from .text import TextQuery

#: Column weights for relevance: a word in the name counts most, then summary, narrative, description.
WEIGHTS = {"name": 10.0, "summary": 4.0, "description": 1.0, "leadership_narrative": 2.0}


class TextBackend(Protocol):
    def match(
        self, session: Session, query: TextQuery, with_score: bool
    ) -> tuple[np.ndarray, np.ndarray | None]: ...

    def statement(self, query: TextQuery) -> sa.TextClause:
        """The statement that finds the matching ids (for :func:`explain`)."""
        ...


class SqliteFts5:
    """Full text through the FTS5 table kept by :mod:`.sync`."""

    _scored = (
        f"SELECT rowid, bm25({FTS_TABLE}, {', '.join(str(w) for w in WEIGHTS.values())}) "  # noqa: S608
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
    )
    _plain = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"  # noqa: S608

    def match(
        self, session: Session, query: TextQuery, with_score: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        # Straight to the driver, on the session's own connection and transaction: a hundred
        # thousand matches through SQLAlchemy's result objects cost a third of the query.
        driver = session.connection().connection.driver_connection
        if with_score:
            rows = driver.execute(self._scored, (query.fts5(),)).fetchall()
            table = np.array(rows, dtype=np.float64).reshape(-1, 2)
            return table[:, 0].astype(np.int64), table[:, 1]
        rows = driver.execute(self._plain, (query.fts5(),)).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), None

    def statement(self, query: TextQuery) -> sa.TextClause:
        return sa.text(self._plain.replace("?", ":query")).bindparams(query=query.fts5())


class PostgresTsvector:
    """Full text through the ``tsvector`` column kept by :mod:`.sync`, found through its GIN index.

    The query is a ``tsquery`` written from the same tokens as FTS5's MATCH expression (quoted lexemes,
    never parsed from what the person typed); relevance is ``ts_rank`` with the field weights, negated so
    that lower is better, as with bm25.
    """

    _scored = (
        f"SELECT organization_id, -ts_rank(document, q) FROM {FTS_TABLE}, "  # noqa: S608 (constant)
        "CAST(%s AS tsquery) AS q WHERE document @@ q"
    )
    _plain = f"SELECT organization_id FROM {FTS_TABLE} WHERE document @@ CAST(%s AS tsquery)"  # noqa: S608

    def match(
        self, session: Session, query: TextQuery, with_score: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        # Straight to the driver, as on SQLite: turning 100,000 SQLAlchemy rows into arrays cost
        # seconds, the query itself under a tenth of a second.
        driver = session.connection().connection.driver_connection
        rows = driver.execute(self._scored if with_score else self._plain, (query.tsquery(),)).fetchall()
        if with_score:
            table = np.array(rows, dtype=np.float64).reshape(-1, 2)
            return table[:, 0].astype(np.int64), table[:, 1]
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), None

    def statement(self, query: TextQuery) -> sa.TextClause:
        return sa.text(self._plain.replace("%s", ":query")).bindparams(query=query.tsquery())


_BACKENDS: dict[str, TextBackend] = {"sqlite": SqliteFts5(), "postgresql": PostgresTsvector()}


def backend_for(dialect: str) -> TextBackend:
    """The full-text backend for a database dialect (``sqlite`` or ``postgresql``)."""
    try:
        return _BACKENDS[dialect]
    except KeyError:
        raise NotImplementedError(f"full-text search is not available on {dialect}") from None


def explain(session: Session, statement: sa.Executable) -> str:
    """The database's query plan for ``statement``, as text (which indexes it would use)."""
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "sqlite":
        rows = session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(str(row[-1]) for row in rows)
    return "\n".join(session.scalars(sa.text("EXPLAIN " + sql)).all())
