"""Database-specific parts of search: reading back the full-text documents each database keeps.

:mod:`.sync` writes each organization's tokens in the same transaction as the listing: on SQLite into an
FTS5 table (one column per field), on PostgreSQL as a ``tsvector`` (one weight letter per field). A
backend reads them back as each field's token frequencies (:class:`.postings.Entries`), counted the way a
``tsvector`` keeps them (:func:`.scoring.field_counts`), so the in-memory index (:mod:`.postings`) built
from either database is the same, and so are matches, scores and order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np
import sqlalchemy as sa

from .postings import Entries
from .scoring import FIELDS, MAX_POSITIONS_PER_TOKEN, field_counts
from .sync import FTS_COLUMNS, FTS_TABLE, PG_WEIGHTS

#: Turns organization ids into index positions (-1: not public, left out).
PositionOf = Callable[[np.ndarray], np.ndarray]

# Rows are fetched in batches, so that a build never holds every stored document as text at once.
_BATCH = 5000


class DocumentReader(Protocol):
    def entries(self, connection: sa.Connection, position_of: PositionOf, only: list[int] | None) -> Entries:
        """The token frequencies of every stored document that has a position (of ``only`` those
        organizations, when given)."""
        ...


def _from_counts(documents: Iterable[tuple[int, list[Counter[str]]]]) -> Entries:
    """Entries from each document's per-field counts (one entry per token and field)."""
    tokens: list[str] = []
    counts: list[int] = []
    docs: list[int] = []
    fields: list[int] = []
    for position, per_field in documents:
        for f, counter in enumerate(per_field):
            tokens.extend(counter)
            counts.extend(counter.values())
            docs.extend([position] * len(counter))
            fields.extend([f] * len(counter))
    return Entries(
        tokens,
        np.array(counts, dtype=np.int32),
        np.array(docs, dtype=np.int32),
        np.array(fields, dtype=np.int8),
    )


class SqliteFts5:
    """FTS5 keeps each field's tokens as written: split them and count (one entry per occurrence)."""

    _all = f"SELECT rowid, {', '.join(FTS_COLUMNS)} FROM {FTS_TABLE}"  # noqa: S608 (constants)

    def entries(self, connection: sa.Connection, position_of: PositionOf, only: list[int] | None) -> Entries:
        driver = connection.connection.driver_connection
        if only is None:
            cursor = driver.execute(self._all)
        else:
            cursor = driver.execute(f"{self._all} WHERE rowid IN ({','.join('?' * len(only))})", only)
        parts = []
        while rows := cursor.fetchmany(_BATCH):
            positions = position_of(np.array([r[0] for r in rows], dtype=np.int64))
            parts.append(self._batch([r[1:] for r in rows], positions))
        return Entries.concatenate(parts)

    @staticmethod
    def _batch(rows: list[tuple[str, ...]], positions: np.ndarray) -> Entries:
        tokens: list[str] = []
        lengths: list[int] = []
        kept: list[int] = []
        long: list[tuple[int, list[Counter[str]]]] = []
        for columns, position in zip(rows, positions.tolist(), strict=True):
            if position < 0:
                continue
            split = [(column or "").split() for column in columns]
            if sum(map(len, split)) > MAX_POSITIONS_PER_TOKEN:  # may reach a tsvector's limits
                long.append((position, field_counts(split)))
                continue
            for words in split:
                tokens.extend(words)
                lengths.append(len(words))
            kept.append(position)
        per_field = np.array(lengths, dtype=np.int64)
        plain = Entries(
            tokens,
            np.ones(len(tokens), dtype=np.int32),
            np.repeat(np.repeat(np.array(kept, dtype=np.int32), len(FIELDS)), per_field),
            np.repeat(np.tile(np.arange(len(FIELDS), dtype=np.int8), len(kept)), per_field),
        )
        return Entries.concatenate([plain, _from_counts(long)]) if long else plain


# 'token':3A,7,12B  (a position without a letter has weight D)
_LEXEME = re.compile(r"'([^']*)':([0-9A-D,]+)")
_FIELD_OF_WEIGHT = {letter: FIELDS.index(field) for field, letter in PG_WEIGHTS.items()}


def tsvector_counts(text: str) -> list[Counter[str]]:
    """Each field's token frequencies in a ``tsvector``'s text form (each position counts once, in the
    field its weight letter names)."""
    counts: list[Counter[str]] = [Counter() for _ in FIELDS]
    a, b, c, d = (counts[_FIELD_OF_WEIGHT[letter]] for letter in "ABCD")
    for token, marks in _LEXEME.findall(text):
        in_a, in_b, in_c = marks.count("A"), marks.count("B"), marks.count("C")
        in_d = marks.count(",") + 1 - in_a - in_b - in_c
        if in_a:
            a[token] = in_a
        if in_b:
            b[token] = in_b
        if in_c:
            c[token] = in_c
        if in_d:
            d[token] = in_d
    return counts


class PostgresTsvector:
    """A ``tsvector`` keeps each token's positions with a weight letter per field: count them."""

    _all = f"SELECT organization_id, CAST(document AS text) FROM {FTS_TABLE}"  # noqa: S608 (constant)

    def entries(self, connection: sa.Connection, position_of: PositionOf, only: list[int] | None) -> Entries:
        parts = []
        with connection.connection.driver_connection.cursor() as cursor:
            if only is None:
                cursor.execute(self._all)
            else:
                cursor.execute(f"{self._all} WHERE organization_id = ANY(%s)", (only,))
            while rows := cursor.fetchmany(_BATCH):
                positions = position_of(np.array([r[0] for r in rows], dtype=np.int64)).tolist()
                parts.append(
                    _from_counts(
                        (position, tsvector_counts(text))
                        for (_, text), position in zip(rows, positions, strict=True)
                        if position >= 0
                    )
                )
        return Entries.concatenate(parts)


_BACKENDS: dict[str, DocumentReader] = {"sqlite": SqliteFts5(), "postgresql": PostgresTsvector()}


def backend_for(dialect: str) -> DocumentReader:
    """The reader of stored documents for a database dialect (``sqlite`` or ``postgresql``)."""
    try:
        return _BACKENDS[dialect]
    except KeyError:
        raise NotImplementedError(f"full-text search is not available on {dialect}") from None
