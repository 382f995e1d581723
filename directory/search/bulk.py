"""What search needs for listings written in bulk (``flask import-orgs``), in the writer's transaction.

A bulk insert bypasses the ORM, so the flush listener in :mod:`.sync` never sees the new listings:
:func:`write_documents` writes their full-text rows (the same tokens :mod:`.sync` writes) and marks that
listings changed, on either database. On PostgreSQL the ``tsvector``\\ s go in with ``COPY``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from .sync import FTS_TABLE, bump_generation, fts_row, index_documents, tsvector_literal

#: One new listing: (organization id, its columns (the searched texts and ``text_language``), the
#: (taxonomy, slug) of its terms, its ``organization_text`` rows).
NewListing = tuple[int, Mapping[str, Any], Sequence[tuple[str, str]], Sequence[Mapping[str, Any]]]


def write_documents(connection: Connection, listings: Iterable[NewListing]) -> int:
    """Make new listings findable: their full-text rows, and the mark that listings changed (every
    process's search index is then stale). Returns how many listings were written."""
    documents = [
        fts_row(org_id, dict(texts), terms, [dict(t) for t in translations])
        for org_id, texts, terms, translations in listings
    ]
    if not documents:
        return 0
    if connection.dialect.name == "postgresql":
        _copy_tsvectors(connection, documents)
    else:
        index_documents(connection, documents, replace=False)
    bump_generation(connection)
    return len(documents)


def _copy_tsvectors(connection: Connection, documents: list[dict[str, Any]]) -> None:
    """COPY the documents' tsvectors: the text form is what ``tsvector`` reads, so no cast is needed."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {FTS_TABLE} (organization_id, document) FROM STDIN") as copy:
        for row in documents:
            copy.write_row((row["rowid"], tsvector_literal(row)))
