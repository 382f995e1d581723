"""Database-specific parts of search: full-text matching. SQLite uses FTS5 (PostgreSQL comes later).

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


class SqliteFts5:
    """Full text through the FTS5 table kept by :mod:`.sync`."""

    _scored = sa.text(
        f"SELECT rowid, bm25({FTS_TABLE}, {', '.join(str(w) for w in WEIGHTS.values())}) "  # noqa: S608
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q"
    )
    _plain = sa.text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q")  # noqa: S608

    def match(
        self, session: Session, query: TextQuery, with_score: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if with_score:
            rows = session.execute(self._scored, {"q": query.fts5()}).all()
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            scores = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
            return ids, scores
        found = session.execute(self._plain, {"q": query.fts5()}).scalars().all()
        return np.fromiter(found, dtype=np.int64, count=len(found)), None


def backend_for(dialect: str) -> TextBackend:
    if dialect == "sqlite":
        return SqliteFts5()
    raise NotImplementedError(f"full-text search is not available on {dialect} yet")
