"""Bulk import of organizations from CSV (``flask import-orgs``) and the demo data (``flask seed-demo``).

The key for "same organization" is the normalized name plus the country: a row whose organization is
already in the directory is skipped, so importing a file twice creates nothing new, and a profile an
organization has since edited is never overwritten. Bad rows are reported with their line number and
reason and skipped; good rows are imported.
"""

from __future__ import annotations

import csv
import enum
import json
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from typing import IO, Any
from uuid import uuid4

import sqlalchemy as sa

from .. import regions
from ..db import now_utc
from ..extensions import db
from ..geo import Gazetteer, normalize_name
from ..search.sync import FTS_TABLE, bump_generation, fts_row, index_documents, tsvector_literal
from .models import Language as OrgLanguage
from .models import (
    ListingStatus,
    Location,
    LocationPrecision,
    Organization,
    OrganizationText,
    ServiceArea,
    Visibility,
    organization_term,
)
from .services import (
    ListingValidationError,
    ListingValues,
    OrganizationInput,
    listing_values,
    slugify,
    terms_by_code,
    unique_slug,
    validate_input,
)

REQUIRED_COLUMNS = (
    "name",
    "description",
    "country_code",
    "country",
    "region",
    "city",
    "latitude",
    "longitude",
    "focus_areas",
    "leadership_models",
    "services",
    "languages",
    "website",
    "email",
    "founded_year",
)
OPTIONAL_COLUMNS = ("location_precision", "status")
#: Focus slugs in the CSV that really name a trafficking type.
TRAFFICKING_FOCUS = {"sex-trafficking": "sex", "labor-trafficking": "labor"}
BATCH = 2000


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (e.g. missing columns)."""


@dataclass
class ImportReport:
    created: int = 0
    skipped_existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class RowError(ValueError):
    pass


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _float(value: str, name: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise RowError(f"{name} {value!r} is not a number") from None


def summary_from(description: str, limit: int = 200) -> str:
    """The first sentence of a description, cut at a word boundary to ``limit`` characters."""
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[: limit - 1].rsplit(" ", 1)[0] + "…"


def row_to_input(row: dict[str, str], gazetteer: Gazetteer) -> tuple[OrganizationInput, str | None]:
    """Turn one CSV row into OrganizationInput and its status; raise RowError with the reason."""
    cc = (row.get("country_code") or "").strip().upper()
    if not regions.is_country(cc):
        raise RowError(f"country_code {cc!r} is not an ISO 3166-1 alpha-2 code")
    country = (row.get("country") or "").strip()
    if country:
        named = gazetteer.country_code_for(country)
        if named is not None and named != cc:
            raise RowError(f"country {country!r} is {named}, not {cc}")
    region = (row.get("region") or "").strip()
    if region:
        derived = regions.region_of(cc)
        given = slugify(region)
        if given not in (derived.region, derived.subregion):
            raise RowError(
                f"region {region!r} does not match {cc}, which is in {derived.region} / {derived.subregion}"
            )
    focus, trafficking = [], []
    for slug in _split(row.get("focus_areas") or ""):
        if slug in TRAFFICKING_FOCUS:
            trafficking.append(TRAFFICKING_FOCUS[slug])
        else:
            focus.append(slug)
    year = (row.get("founded_year") or "").strip()
    if year and not (year.isascii() and year.isdigit() and len(year) <= 4):
        raise RowError(f"founded_year {year!r} is not a year")
    precision_raw = (row.get("location_precision") or "").strip().lower() or "city"
    try:
        precision = LocationPrecision(precision_raw)
    except ValueError:
        valid = ", ".join(p.value for p in LocationPrecision)
        raise RowError(f"location_precision {precision_raw!r} is not one of {valid}") from None
    description = (row.get("description") or "").strip()
    data = OrganizationInput(
        name=row.get("name") or "",
        country_code=cc,
        city=row.get("city") or "",
        summary=summary_from(description),
        description=description,
        year_incorporated=int(year) if year else None,
        website=(row.get("website") or "").strip() or None,
        email=(row.get("email") or "").strip() or None,
        latitude=_float(row.get("latitude") or "", "latitude"),
        longitude=_float(row.get("longitude") or "", "longitude"),
        location_precision=precision,
        trafficking=trafficking,
        focus=focus,
        models=_split(row.get("leadership_models") or ""),
        services=_split(row.get("services") or ""),
        languages=_split(row.get("languages") or ""),
    )
    status = (row.get("status") or "").strip().lower() or None
    if status is not None and status not in {s.value for s in ListingStatus}:
        valid = ", ".join(s.value for s in ListingStatus)
        raise RowError(f"status {status!r} is not one of {valid}")
    return data, status


def _status_for(requested: str | None, approve: bool, report: ImportReport) -> ListingStatus:
    if requested is None:
        return ListingStatus.APPROVED if approve else ListingStatus.PENDING
    status = ListingStatus(requested)
    if status is ListingStatus.APPROVED and not approve:
        if "approved-without-flag" not in report.notes:
            report.notes.append("approved-without-flag")
        return ListingStatus.PENDING
    return status


def import_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    gazetteer: Gazetteer,
    *,
    approve: bool = False,
    is_demo: bool = False,
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    """Import (line number, row) pairs; commits in batches so a long import keeps its progress."""
    report = ImportReport()
    if db.session.get_bind().dialect.name == "sqlite":
        # A larger page cache for this connection: index pages stay in memory while the tables grow.
        db.session.execute(sa.text("PRAGMA cache_size = -65536"))
    term_ids = {key: term.id for key, term in terms_by_code().items()}
    existing: set[tuple[str, str]] = {
        (name, country)
        for name, country in db.session.execute(
            sa.select(Organization.normalized_name, Location.country_code).join(Location)
        )
    }
    taken_slugs = set(db.session.scalars(sa.select(Organization.slug)))
    writer = _BatchWriter(term_ids, is_demo)
    try:
        _read_rows(rows, gazetteer, writer, report, existing, taken_slugs, approve, on_row)
    finally:
        writer.close()
    if report.created:
        refresh_statistics(db.session.connection())
        db.session.commit()
    return report


def _read_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    gazetteer: Gazetteer,
    writer: _BatchWriter,
    report: ImportReport,
    existing: set[tuple[str, str]],
    taken_slugs: set[str],
    approve: bool,
    on_row: Callable[[], None] | None,
) -> None:
    batch: list[tuple[str, ListingStatus, ListingValues]] = []
    for line, row in rows:
        if on_row:
            on_row()
        try:
            data, requested = row_to_input(row, gazetteer)
            validate_input(data)
            key = (normalize_name(data.name), data.country_code)
            if key in existing:
                report.skipped_existing += 1
                continue
            status = _status_for(requested, approve, report)
            if data.latitude is None and gazetteer.city_point(data.city, data.country_code) is None:
                raise RowError(
                    f"no coordinates, and the city {data.city!r} was not found in {data.country_code}"
                )
        except (RowError, ListingValidationError) as exc:
            report.errors.append((line, str(exc)))
            continue
        existing.add(key)
        batch.append((unique_slug(data.name, taken_slugs), status, listing_values(data, gazetteer)))
        if len(batch) >= BATCH:
            report.created += writer.write(batch)
            batch = []
    if batch:
        report.created += writer.write(batch)
    report.created += writer.finish()


def refresh_statistics(connection: sa.Connection) -> None:
    """After a bulk import, let the query planner see the tables as they now are.

    On PostgreSQL: merge the full-text index's pending list (bulk inserts go there first, and the
    planner avoids a GIN index with a long one) and ANALYZE the listing tables. On SQLite: ANALYZE.
    """
    tables = ["organization", "location", "organization_term", "language", "service_area"]
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT gin_clean_pending_list('ix_organization_fts_document')"))
        tables.append("organization_fts")
    for table in tables:
        connection.execute(sa.text(f"ANALYZE {table}"))  # constant names, never user input


class _BatchWriter:
    """Writes batches of new listings, each committed on its own.

    On PostgreSQL a batch is written on a background thread while the caller validates and prepares the
    next one: the server's work (COPY, index and foreign-key upkeep) then overlaps ours, which halves a
    large import on two cores. The caller touches the database only between batches, after the previous
    write has finished, so the connection is never used by two threads at once.
    """

    def __init__(self, term_ids: dict[tuple[str, str], int], is_demo: bool) -> None:
        self.term_ids = term_ids
        self.is_demo = is_demo
        self.background = db.session.get_bind().dialect.name == "postgresql"  # COPY and tsvectors too
        self._executor = ThreadPoolExecutor(max_workers=1) if self.background else None
        self._pending: Future[int] | None = None

    def write(self, batch: list[tuple[str, ListingStatus, ListingValues]]) -> int:
        """Write one batch; returns how many listings earlier writes have finished."""
        rows = _prepare_batch(batch, self.term_ids, self.is_demo, self.background)  # overlaps the write
        done = self.finish()
        connection = db.session.connection()
        if self._executor is None:
            try:
                done += _insert_batch(connection, rows)
            except BaseException:
                db.session.rollback()
                raise
            db.session.commit()
        else:
            self._pending = self._executor.submit(_insert_batch, connection, rows)
        return done

    def finish(self) -> int:
        """Wait for the write in progress, commit it, and return how many listings it added."""
        if self._pending is None:
            return 0
        pending, self._pending = self._pending, None
        try:
            done = pending.result()
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return done

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)


@dataclass
class _BatchRows:
    """One batch as rows for the database; ``index`` columns point into ``organizations``."""

    organizations: list[dict[str, object]]
    location_columns: tuple[str, ...]
    locations: list[tuple[object, ...]]  # (index, *location values)
    terms: list[tuple[int, int]]  # (index, taxonomy_term id)
    languages: list[tuple[int, str]]
    serves: list[tuple[int, str]]
    texts: list[tuple[int, str, str, str]]  # (index, language, summary, leadership narrative)
    documents: list[dict[str, Any]]  # fts_row()s, rowid = index (SQLite)
    tsvectors: list[tuple[int, str]]  # (index, tsvector text) (PostgreSQL)


def _prepare_batch(
    batch: list[tuple[str, ListingStatus, ListingValues]],
    term_ids: dict[tuple[str, str], int],
    is_demo: bool,
    postgres: bool,
) -> _BatchRows:
    """Everything of a batch that needs no database: the rows, their tokens (the slow part in Python)."""
    now = now_utc()
    values_list = [values for _, _, values in batch]
    documents = [
        fts_row(i, values.organization, values.term_keys, values.translations)
        for i, values in enumerate(values_list)
    ]
    return _BatchRows(
        organizations=[
            # No assured_date, even with --approve: publishing a file is not checking each listing, so
            # imported listings show "not yet verified" until an admin re-verifies them.
            {**values.organization, "slug": slug, "status": status, "is_demo": is_demo}
            | {"created_at": now, "updated_at": now, "uuid": str(uuid4())}  # each its own stable id
            for slug, status, values in batch
        ],
        location_columns=("organization_id", *values_list[0].location),
        locations=[
            (i, *(_plain(v) for v in values.location.values())) for i, values in enumerate(values_list)
        ],
        terms=[(i, term_ids[key]) for i, values in enumerate(values_list) for key in values.term_keys],
        languages=[(i, code) for i, values in enumerate(values_list) for code in values.languages],
        serves=[(i, code) for i, values in enumerate(values_list) for code in values.serves],
        texts=[
            (i, t["language"], t["summary"], t["leadership_narrative"])
            for i, values in enumerate(values_list)
            for t in values.translations
        ],
        documents=[] if postgres else documents,
        tsvectors=[(row["rowid"], tsvector_literal(row)) for row in documents] if postgres else [],
    )


def _insert_batch(connection: sa.Connection, rows: _BatchRows) -> int:
    """Insert a prepared batch with bulk statements (the unit of work is too slow at 100,000).

    Bulk statements do not flush objects, so the full-text rows and the search generation are written
    here with the same functions the flush listener uses. On PostgreSQL every table is loaded with COPY.
    """
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        ids = _copy_organizations(connection, rows.organizations)
    else:
        org_table = Organization.__table__
        # Core inserts (not ORM-enabled ones): no per-row unit-of-work bookkeeping.
        ids = list(
            connection.execute(
                org_table.insert().returning(org_table.c.id, sort_by_parameter_order=True), rows.organizations
            ).scalars()
        )

    def linked(items: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [(ids[index], *rest) for index, *rest in items]

    _insert_plain(connection, Location.__tablename__, rows.location_columns, linked(rows.locations))
    _insert_plain(
        connection, organization_term.name, ("organization_id", "taxonomy_term_id"), linked(rows.terms)
    )
    _insert_plain(connection, OrgLanguage.__tablename__, ("organization_id", "code"), linked(rows.languages))
    _insert_plain(
        connection, ServiceArea.__tablename__, ("organization_id", "country_code"), linked(rows.serves)
    )
    _insert_plain(
        connection,
        OrganizationText.__tablename__,
        ("organization_id", "language", "summary", "leadership_narrative"),
        linked(rows.texts),
    )
    if postgres:
        _insert_plain(connection, FTS_TABLE, ("organization_id", "document"), linked(rows.tsvectors))
    else:
        documents = [{**row, "rowid": ids[row["rowid"]]} for row in rows.documents]
        index_documents(connection, documents, replace=False)
    bump_generation(connection)
    return len(ids)


def _copy_organizations(connection: sa.Connection, rows: list[dict[str, object]]) -> list[int]:
    """COPY organization rows (PostgreSQL); their ids are taken from the table's sequence first."""
    table = Organization.__table__
    ids = list(
        connection.execute(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence('organization', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(rows)},
        ).scalars()
    )
    defaults = _column_defaults(table)
    columns = [c.name for c in table.columns]
    _insert_plain(
        connection,
        table.name,
        tuple(columns),
        [
            tuple(
                _plain(org_id if name == "id" else row[name] if name in row else defaults.get(name))
                for name in columns
            )
            for org_id, row in zip(ids, rows, strict=True)
        ],
    )
    return ids


def _column_defaults(table: sa.Table) -> dict[str, object]:
    """The Python-side defaults of a table's columns (what an INSERT through SQLAlchemy would add)."""
    out: dict[str, object] = {}
    for column in table.columns:
        default = column.default
        if default is None or not getattr(default, "is_scalar", False) and not callable(default.arg):
            continue
        out[column.name] = default.arg if default.is_scalar else default.arg(None)
    return out


def _plain(value: object) -> object:
    """A value as the database driver takes it (enum members as their stored strings)."""
    return value.value if isinstance(value, enum.Enum) else value


def _insert_plain(
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


def read_csv(handle: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file; raises ImportFileError when columns are missing."""
    reader = csv.DictReader(handle)
    try:
        fieldnames = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFileError(f"the file cannot be read as UTF-8 CSV ({exc})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in fieldnames]
    if missing:
        raise ImportFileError(f"missing column(s): {', '.join(missing)}")
    start = reader.line_num + 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:  # not UTF-8 text, or not CSV: stop here
            raise ImportFileError(f"the file cannot be read as UTF-8 CSV ({exc})") from None
        # The line the row starts on: a quoted value may hold line breaks, and line_num is where it ends.
        yield start, {k: (v or "") for k, v in row.items() if k is not None}
        start = reader.line_num + 1


def demo_inputs() -> list[OrganizationInput]:
    """The bundled fictional demo organizations."""
    path = resources.files("directory") / "demo" / "organizations.json"
    with path.open("rb") as handle:
        raw: list[dict[str, Any]] = json.load(handle)
    out = []
    for item in raw:
        item = dict(item)
        item["location_precision"] = LocationPrecision(item["location_precision"])
        item["email_visibility"] = Visibility(item["email_visibility"])
        item["phone_visibility"] = Visibility(item["phone_visibility"])
        out.append(OrganizationInput(**item))
    return out
