"""What search needs for listings written in bulk (``flask import-orgs``).

A bulk insert bypasses the ORM, so the flush listener in :mod:`.sync` never sees the new listings. The
import makes each listing's search document with :func:`prepare_document` while it checks the row (in
its checking workers, before the listing has an id: the tokens are the same :mod:`.sync` writes), and
:func:`write_documents` writes the documents in the writer's transaction and records which listings
changed, on either database, with the driver's bulk statements (``COPY`` of the ``tsvector``\\ s on
PostgreSQL, an ``executemany`` on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from .sync import (
    FTS_COLUMNS,
    FTS_TABLE,
    bump_generation,
    document_columns,
    insert_sqlite_documents,
    tsvector_literal,
)

#: A new listing's search document as :func:`write_documents` writes it: on SQLite its tokens per
#: full-text column (in ``FTS_COLUMNS`` order), on PostgreSQL the ``tsvector`` text made from them.
Document = tuple[str, ...] | str


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
    if dialect == "postgresql":
        return tsvector_literal(columns)
    return tuple([columns[column] for column in FTS_COLUMNS])


def write_documents(connection: Connection, documents: Iterable[tuple[int, Document]]) -> int:
    """Make new listings findable: write each (organization id, document) of this connection's
    database, and record that those listings changed (every process's search index then reads them).
    Returns how many were written."""
    pairs = list(documents)
    if not pairs:
        return 0
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {FTS_TABLE} (organization_id, document) FROM STDIN") as copy:
            for org_id, document in pairs:
                copy.write_row((org_id, document))  # the text form is what tsvector reads: no cast
    else:
        insert_sqlite_documents(connection, [(org_id, *document) for org_id, document in pairs])
    bump_generation(connection, [org_id for org_id, _ in pairs])
    return len(pairs)
