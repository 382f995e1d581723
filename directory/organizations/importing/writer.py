"""The bulk writer: batches of checked rows become listings, each batch in one transaction.

For each batch, in its transaction: the rows whose organization is already in the directory (same
normalized name and country, including rows of earlier batches) are dropped, the others get free slugs,
and every table is written with bulk statements (the unit of work is too slow at 100,000 listings):
``COPY`` on PostgreSQL, ``executemany`` on SQLite. Search learns of them through
:func:`directory.search.bulk.write_documents`, from the documents the checks made.

The checks (in the checking workers) already turn each listing into plain rows (:class:`RowMaker`): the
column defaults filled in, each value as the driver takes it, the search document made. What crosses
from the worker is then tuples and dicts of plain values, cheap to pass; the writer only adds the ids
and slugs it alone can choose.

Duplicate detection asks the database about each batch's names (both columns are indexed), so an import
holds no set of every organization, whatever the size of the file or of the directory.

A batch is written on a background thread while the caller checks the next one: the database's own work
(``COPY`` on the server, SQLite's B-trees and full-text index in C, without the GIL) then overlaps the
checking. The caller touches the database only between batches, after the previous write has finished,
so the connection is never used by two threads at once.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from ...extensions import db
from ...search.bulk import Document, prepare_document, write_documents
from ..models import (
    Language,
    ListingStatus,
    Location,
    Organization,
    OrganizationText,
    ServiceArea,
    organization_term,
)
from ..services import ListingValues, free_slug

#: How many slugs ``<base>-2``, ``<base>-3`` ... are looked up at once when ``<base>`` is taken.
_SLUG_PROBE = 20


class ListingRows(NamedTuple):
    """One new listing as the rows to write, without its organization id (nor its slug, chosen when
    written)."""

    organization: dict[str, object]  # every column but id and slug, with the defaults, as stored
    location: dict[str, object]  # every column but organization_id
    term_ids: tuple[int, ...]
    languages: tuple[str, ...]
    serves: tuple[str, ...]
    texts: tuple[tuple[str, str, str], ...]  # (language, summary, leadership_narrative)
    document: Document  # its search document, made with the checks


@dataclass
class Checked:
    """A row that passed the checks, or failed only in a way that matters if it is new (``error``)."""

    line: int
    key: tuple[str, str]  # (normalized name, country code): "the same organization"
    slug: str  # the slug its name makes (made unique when written)
    demoted: bool  # asked to be approved without --approve
    rows: ListingRows | None
    error: str | None = None


class RowMaker:
    """Turns a checked listing into :class:`ListingRows` (its search document included) for the
    database of ``dialect``: made before the checking workers are forked, which then use it."""

    def __init__(self, dialect: sa.Dialect, term_ids: dict[tuple[str, str], int], is_demo: bool) -> None:
        self.dialect = dialect
        self.term_ids = term_ids
        self.is_demo = is_demo
        self._fills: dict[tuple[str, ...], Callable[[dict[str, Any]], dict[str, object]]] = {}

    def rows(self, values: ListingValues, status: ListingStatus) -> ListingRows:
        """The rows of one listing, its search document included."""
        # No assured_date, even with --approve: publishing a file is not checking each listing, so
        # imported listings show "not yet verified" until an admin re-verifies them.
        given = {**values.organization, "status": status, "is_demo": self.is_demo}
        names = tuple(given)
        fill = self._fills.get(names)
        if fill is None:
            fill = self._fills[names] = _with_defaults(Organization.__table__, names, self.dialect)
        return ListingRows(
            fill(given),
            {name: _plain(value) for name, value in values.location.items()},
            tuple([self.term_ids[key] for key in values.term_keys]),
            tuple(values.languages),
            tuple(values.serves),
            tuple([(t["language"], t["summary"], t["leadership_narrative"]) for t in values.translations]),
            prepare_document(
                values.organization, values.term_keys, values.translations, dialect=self.dialect.name
            ),
        )


@dataclass
class Outcome:
    """What writing one batch did."""

    created: int = 0
    skipped_existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    demoted: bool = False


class BatchWriter:
    """Writes batches with :func:`write_batch` on a background thread, each committed on its own."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self._pending: Future[Outcome] | None = None

    def write(self, batch: list[Checked]) -> Outcome:
        """Start writing ``batch``; returns what the write before it did (once committed)."""
        done = self.finish()
        connection = db.session.connection()
        self._pending = self._executor.submit(write_batch, connection, batch)
        return done

    def finish(self) -> Outcome:
        """Wait for the write in progress and commit it (or roll it back and raise its error)."""
        if self._pending is None:
            return Outcome()
        pending, self._pending = self._pending, None
        try:
            done = pending.result()
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return done

    def close(self) -> None:
        """Stop the thread; a write still in progress (after an error elsewhere) is rolled back."""
        if self._pending is not None:
            self._pending.exception()  # wait for it, whatever it did
            self._pending = None
            db.session.rollback()
        self._executor.shutdown(wait=True)


def write_batch(connection: sa.Connection, batch: list[Checked]) -> Outcome:
    """Write the new listings of ``batch``; report the rows already in the directory and the bad ones."""
    outcome = Outcome()
    new = _new_rows(connection, batch, outcome)
    listings = [row.rows for row in new if row.rows is not None]
    if not listings:
        return outcome
    slugs = _free_slugs(connection, [row.slug for row in new])
    ids = _insert_organizations(connection, listings, slugs)
    _insert_links(connection, ids, listings)
    outcome.created = write_documents(connection, zip(ids, [r.document for r in listings], strict=True))
    return outcome


def _new_rows(connection: sa.Connection, batch: list[Checked], outcome: Outcome) -> list[Checked]:
    """The rows of ``batch`` whose organization is neither in the directory nor earlier in the batch;
    the others count as skipped. A row with an error is reported only if it is new."""
    org, location = Organization.__table__, Location.__table__
    known = set(
        connection.execute(
            sa.select(org.c.normalized_name, location.c.country_code)
            .join(location, location.c.organization_id == org.c.id)
            .where(_one_of(connection, org.c.normalized_name, {row.key[0] for row in batch}))
        ).tuples()
    )
    new = []
    for row in batch:
        if row.key in known:
            outcome.skipped_existing += 1
        elif row.error is not None:
            outcome.errors.append((row.line, row.error))
        else:
            known.add(row.key)
            outcome.demoted |= row.demoted
            new.append(row)
    return new


def _one_of(
    connection: sa.Connection, column: sa.Column[str], values: Iterable[str]
) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``: one parameter, so the statement's text
    is the same for every batch and the driver converts it once, not once per batch with a parameter
    per name."""
    if connection.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _taken_slugs(connection: sa.Connection, slugs: Iterable[str]) -> set[str]:
    org = Organization.__table__
    return set(
        connection.execute(sa.select(org.c.slug).where(_one_of(connection, org.c.slug, set(slugs)))).scalars()
    )


def _free_slugs(connection: sa.Connection, bases: list[str]) -> list[str]:
    """A slug no organization uses for each slug ``bases`` gives (see :func:`free_slug`), asking the
    database only about the slugs they could take."""
    wanted_of = Counter(bases)
    taken = _taken_slugs(connection, wanted_of)
    for base, wanted in wanted_of.items():
        # Enough free "<base>-<n>" for the names that cannot have <base> itself.
        needed, start = wanted - (base not in taken), 2
        while needed > 0:
            window = [f"{base}-{n}" for n in range(start, start + _SLUG_PROBE)]
            used = _taken_slugs(connection, window)
            taken |= used
            needed -= len(window) - len(used)
            start += _SLUG_PROBE
    return [free_slug(base, taken) for base in bases]


def _insert_organizations(
    connection: sa.Connection, listings: list[ListingRows], slugs: list[str]
) -> list[int]:
    """Insert the listings' organization rows with their slugs; their ids, in order."""
    table = Organization.__table__
    columns = (*_same_keys([r.organization for r in listings]), "slug")
    rows = [(*r.organization.values(), slug) for r, slug in zip(listings, slugs, strict=True)]
    if connection.dialect.name != "postgresql":
        insert_plain(connection, table.name, columns, rows)
        found = connection.execute(sa.select(table.c.slug, table.c.id).where(table.c.slug.in_(slugs)))
        ids = {slug: org_id for slug, org_id in found}
        return [ids[slug] for slug in slugs]
    ids = list(
        connection.execute(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence('organization', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(rows)},
        ).scalars()
    )
    insert_plain(
        connection, table.name, ("id", *columns), [(i, *row) for i, row in zip(ids, rows, strict=True)]
    )
    return ids


def _with_defaults(
    table: sa.Table, given: Iterable[str], dialect: sa.Dialect
) -> Callable[[dict[str, Any]], dict[str, object]]:
    """A function making one row's column values from a dict holding ``given`` keys: the given ones,
    then each other column's Python-side default from the model, evaluated per row (so a callable such
    as a fresh UUID gives each row its own), each converted by its column's type as SQLAlchemy would
    (enums, UTC timestamps). Columns with neither (and the primary key) are left to the database.
    """
    names = list(given)

    def processor(name: str) -> Callable[[Any], object] | None:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    constants: dict[str, object] = {}  # scalar defaults, converted once
    per_row: list[tuple[str, Callable[[Any], Any], Callable[[Any], object] | None]] = []
    for column in table.columns:
        default = column.default
        if column.primary_key or column.name in names or default is None:
            continue
        process = processor(column.name)
        if default.is_scalar:
            constants[column.name] = process(default.arg) if process else default.arg
        elif default.is_callable:
            per_row.append((column.name, default.arg, process))
        else:
            raise TypeError(f"{table.name}.{column.name}: only scalar and callable defaults are filled in")
    converted = [(name, process) for name in names if (process := processor(name)) is not None]

    def fill(row: dict[str, Any]) -> dict[str, object]:
        values: dict[str, object] = {name: row[name] for name in names}
        for name, process in converted:
            values[name] = process(values[name])
        values.update(constants)
        for name, make, process in per_row:
            value = make(None)
            values[name] = process(value) if process else value
        return values

    return fill


def _same_keys(rows: list[dict[str, object]]) -> tuple[str, ...]:
    """The keys, in order, that every one of ``rows`` has: their values are written by position."""
    keys = tuple(rows[0])
    if any(tuple(row) != keys for row in rows):
        raise ValueError(f"rows to write have different columns from {keys}")
    return keys


def _insert_links(connection: sa.Connection, ids: list[int], listings: list[ListingRows]) -> None:
    """The rows that hang off each new organization: location, terms, languages, areas served, texts."""
    pairs = list(zip(ids, listings, strict=True))
    insert_plain(
        connection,
        Location.__tablename__,
        ("organization_id", *_same_keys([r.location for r in listings])),
        [(org_id, *r.location.values()) for org_id, r in pairs],
    )
    insert_plain(
        connection,
        organization_term.name,
        ("organization_id", "taxonomy_term_id"),
        [(org_id, term) for org_id, r in pairs for term in r.term_ids],
    )
    insert_plain(
        connection,
        Language.__tablename__,
        ("organization_id", "code"),
        [(org_id, code) for org_id, r in pairs for code in r.languages],
    )
    insert_plain(
        connection,
        ServiceArea.__tablename__,
        ("organization_id", "country_code"),
        [(org_id, code) for org_id, r in pairs for code in r.serves],
    )
    insert_plain(
        connection,
        OrganizationText.__tablename__,
        ("organization_id", "language", "summary", "leadership_narrative"),
        [(org_id, *text) for org_id, r in pairs for text in r.texts],
    )


def _plain(value: object) -> object:
    """A value as the database driver takes it (enum members as their stored strings)."""
    return value.value if isinstance(value, enum.Enum) else value


def insert_plain(
    connection: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """Rows of plain values straight to the driver: COPY on PostgreSQL, an executemany on SQLite.

    SQLAlchemy's per-row parameter processing cost more than the inserts themselves for the link
    tables (millions of rows at 100,000 organizations); these columns need no type conversion.
    """
    if not rows:
        return
    # Table and column names come from the models, never from input.
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    connection.exec_driver_sql(sql, rows)  # type: ignore[arg-type]
