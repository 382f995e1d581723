"""Database-specific parts of search: full-text matching. SQLite uses FTS5 (PostgreSQL comes later).

A backend answers one question: which organization ids match a :class:`~.text.TextQuery`, with a
relevance score (lower is better) when asked. Everything else (filters, facets, proximity, sorting) is
shared.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session

from .sync import FTS_TABLE
from .text import TextQuery

#: Column weights for relevance: a word in the name counts most, then summary, narrative, description.
WEIGHTS = {"name": 10.0, "summary": 4.0, "description": 1.0, "leadership_narrative": 2.0}


class TextBackend(Protocol):
    def match(
        self, session: Session, query: TextQuery, with_score: bool
    ) -> tuple[np.ndarray, np.ndarray | None]: ...


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


def backend_for(dialect: str) -> TextBackend:
    if dialect == "sqlite":
        return SqliteFts5()
    raise NotImplementedError(f"full-text search is not available on {dialect} yet")
