"""What search needs for listings written in bulk (``flask import-orgs``).

A bulk insert bypasses the ORM, so the flush listener in :mod:`.sync` never sees the new listings. The
import makes each listing's search document with :func:`prepare_document` while it checks the row (in
its checking worker, before the listing has an id: the tokens are the same :mod:`.sync` writes), and
:func:`write_documents` writes the documents in the writer's transaction and records which listings
changed, on either database. On PostgreSQL the ``tsvector``\\ s go in with ``COPY``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from .sync import FTS_TABLE, bump_generation, document_columns, index_documents, tsvector_literal


@dataclass(frozen=True, slots=True)
class Document:
    """One new listing's search document: its tokens per full-text column and, for PostgreSQL, the
    ``tsvector`` text made from them."""

    columns: dict[str, str]
    tsvector: str | None = None


def prepare_document(
    texts: Mapping[str, Any],
    terms: Sequence[tuple[str, str]],
    translations: Sequence[Mapping[str, Any]],
    *,
    dialect: str,
) -> Document:
    """The document of a listing with the columns ``texts`` (the searched texts and ``text_language``),
    the (taxonomy, slug) of its terms and its ``organization_text`` rows, for database ``dialect``."""
    columns = document_columns(texts, terms, translations)
    return Document(columns, tsvector_literal(columns) if dialect == "postgresql" else None)


def write_documents(connection: Connection, documents: Iterable[tuple[int, Document]]) -> int:
    """Make new listings findable: write each (organization id, document), and record that those
    listings changed (every process's search index then reads them). Returns how many were written."""
    pairs = list(documents)
    if not pairs:
        return 0
    if connection.dialect.name == "postgresql":
        _copy_tsvectors(connection, pairs)
    else:
        rows = [{"rowid": org_id, **doc.columns} for org_id, doc in pairs]
        index_documents(connection, rows, replace=False)
    bump_generation(connection, [org_id for org_id, _ in pairs])
    return len(pairs)


def _copy_tsvectors(connection: Connection, pairs: list[tuple[int, Document]]) -> None:
    """COPY the documents' tsvectors: the text form is what ``tsvector`` reads, so no cast is needed."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {FTS_TABLE} (organization_id, document) FROM STDIN") as copy:
        for org_id, doc in pairs:
            text = doc.tsvector if doc.tsvector is not None else tsvector_literal(doc.columns)
            copy.write_row((org_id, text))
