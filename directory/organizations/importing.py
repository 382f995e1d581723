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
from dataclasses import dataclass, field
from importlib import resources
from typing import IO, Any

import sqlalchemy as sa

from .. import regions
from ..db import now_utc
from ..extensions import db
from ..geo import Gazetteer, normalize_name
from ..search.sync import bump_generation, fts_row, index_documents
from .models import Language as OrgLanguage
from .models import (
    ListingStatus,
    Location,
    LocationPrecision,
    Organization,
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
    if year and not year.isdigit():
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
            report.created += _insert_batch(batch, term_ids, is_demo)
            db.session.commit()
            batch = []
    if batch:
        report.created += _insert_batch(batch, term_ids, is_demo)
    db.session.commit()
    if report.created:
        refresh_statistics(db.session.connection())
        db.session.commit()
    return report


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


def _insert_batch(
    batch: list[tuple[str, ListingStatus, ListingValues]],
    term_ids: dict[tuple[str, str], int],
    is_demo: bool,
) -> int:
    """Insert a batch of new listings with bulk statements (the unit of work is too slow at 100,000).

    Bulk statements do not flush objects, so the full-text rows and the search generation are written
    here with the same functions the flush listener uses.
    """
    now = now_utc()
    org_table = Organization.__table__
    # Core inserts (not ORM-enabled ones): no per-row unit-of-work bookkeeping.
    ids = db.session.scalars(
        org_table.insert().returning(org_table.c.id, sort_by_parameter_order=True),
        [
            {**values.organization, "slug": slug, "status": status, "is_demo": is_demo}
            # The admin who imports with --approve vouches for the rows: they count as verified now.
            | {
                "created_at": now,
                "updated_at": now,
                "assured_date": now if status is ListingStatus.APPROVED else None,
            }
            for slug, status, values in batch
        ],
    ).all()
    pairs = list(zip(ids, (values for _, _, values in batch), strict=True))
    connection = db.session.connection()
    location_columns = ("organization_id", *pairs[0][1].location)
    _insert_plain(
        connection,
        Location.__tablename__,
        location_columns,
        [(org_id, *(_plain(v) for v in values.location.values())) for org_id, values in pairs],
    )
    _insert_plain(
        connection,
        organization_term.name,
        ("organization_id", "taxonomy_term_id"),
        [(org_id, term_ids[key]) for org_id, values in pairs for key in values.term_keys],
    )
    _insert_plain(
        connection,
        OrgLanguage.__tablename__,
        ("organization_id", "code"),
        [(org_id, code) for org_id, values in pairs for code in values.languages],
    )
    _insert_plain(
        connection,
        ServiceArea.__tablename__,
        ("organization_id", "country_code"),
        [(org_id, code) for org_id, values in pairs for code in values.serves],
    )
    index_documents(connection, [fts_row(i, values.organization) for i, values in pairs], replace=False)
    bump_generation(connection)
    return len(pairs)


def _plain(value: object) -> object:
    """A value as the database driver takes it (enum members as their stored strings)."""
    return value.value if isinstance(value, enum.Enum) else value


def _insert_plain(
    connection: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """An executemany of plain tuples straight to the driver.

    SQLAlchemy's per-row parameter processing cost more than the inserts themselves for the link
    tables (millions of rows at 100,000 organizations); these columns need no type conversion.
    """
    if not rows:
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    # Table and column names come from the models, never from input.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    connection.exec_driver_sql(sql, rows)  # type: ignore[arg-type]


def read_csv(handle: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file; raises ImportFileError when columns are missing."""
    reader = csv.DictReader(handle)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFileError(f"missing column(s): {', '.join(missing)}")
    for row in reader:
        yield reader.line_num, {k: (v or "") for k, v in row.items() if k is not None}


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
