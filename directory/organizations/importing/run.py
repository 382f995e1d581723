"""One import run: rows are checked as they are read, gathered in batches, written, and reported.

Only one batch of checked rows is held at a time (plus the one being written), so memory does not grow
with the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from ...extensions import db
from ...geo import Gazetteer, normalize_name
from ..models import ListingStatus
from ..services import ListingValidationError, listing_values, terms_by_code, validate_input
from .rows import RowError, row_to_input
from .writer import BatchWriter, Checked, Outcome

#: Rows per batch: each batch is one transaction.
BATCH = 2000


@dataclass
class ImportReport:
    created: int = 0
    skipped_existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        """Count what one written batch did."""
        self.created += outcome.created
        self.skipped_existing += outcome.skipped_existing
        self.errors.extend(outcome.errors)
        if outcome.demoted and "approved-without-flag" not in self.notes:
            self.notes.append("approved-without-flag")


def import_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    gazetteer: Gazetteer,
    *,
    approve: bool = False,
    is_demo: bool = False,
    on_row: Callable[[], None] | None = None,
    batch_size: int | None = None,
) -> ImportReport:
    """Import (line number, row) pairs; commits in batches (of ``batch_size``, default :data:`BATCH`
    rows) so a long import keeps its progress. Errors are reported in line order."""
    report = ImportReport()
    if db.session.get_bind().dialect.name == "sqlite":
        # A larger page cache for this connection: index pages stay in memory while the tables grow.
        db.session.execute(sa.text("PRAGMA cache_size = -65536"))
    term_ids = {key: term.id for key, term in terms_by_code().items()}
    writer = BatchWriter(term_ids, is_demo)
    try:
        for batch in _checked_batches(rows, gazetteer, approve, report, on_row, batch_size or BATCH):
            report.add(writer.write(batch))
        report.add(writer.finish())
    finally:
        writer.close()
    report.errors.sort(key=lambda error: error[0])
    if report.created:
        refresh_statistics(db.session.connection())
        db.session.commit()
    return report


def _checked_batches(
    rows: Iterable[tuple[int, dict[str, str]]],
    gazetteer: Gazetteer,
    approve: bool,
    report: ImportReport,
    on_row: Callable[[], None] | None,
    batch_size: int,
) -> Iterator[list[Checked]]:
    """Lists of up to ``batch_size`` checked rows; rows with errors go to ``report``."""
    batch: list[Checked] = []
    for line, row in rows:
        if on_row:
            on_row()
        try:
            checked = check_row(line, row, gazetteer, approve)
        except (RowError, ListingValidationError) as exc:
            report.errors.append((line, str(exc)))
            continue
        batch.append(checked)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_row(line: int, row: dict[str, str], gazetteer: Gazetteer, approve: bool) -> Checked:
    """One row, checked and turned into column values; raises RowError or ListingValidationError.

    A row without coordinates whose city is unknown is an error only if its organization is new (a row
    already in the directory is skipped, whatever it holds): that error travels with the row.
    """
    data, requested = row_to_input(row, gazetteer)
    validate_input(data)
    key = (normalize_name(data.name), data.country_code)
    status, demoted = _status_for(requested, approve)
    if data.latitude is None and gazetteer.city_point(data.city, data.country_code) is None:
        error = f"no coordinates, and the city {data.city!r} was not found in {data.country_code}"
        return Checked(line, key, data.name, status, demoted, None, error)
    return Checked(line, key, data.name, status, demoted, listing_values(data, gazetteer))


def _status_for(requested: str | None, approve: bool) -> tuple[ListingStatus, bool]:
    """The status a row gets, and whether it asked to be approved without ``--approve``."""
    if requested is None:
        return (ListingStatus.APPROVED if approve else ListingStatus.PENDING), False
    status = ListingStatus(requested)
    if status is ListingStatus.APPROVED and not approve:
        return ListingStatus.PENDING, True
    return status, False


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
