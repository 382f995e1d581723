"""One import run: rows are read in batches, checked, written, and reported.

A large file's batches are checked in a worker process (forked, so it starts at once and shares the
vocabularies and code) while this process writes the batches before them; a small one is checked here.
At most :data:`_AHEAD` batches are being checked while one is written, so memory does not grow with the
file.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

import sqlalchemy as sa

from ...extensions import db
from ...geo import Gazetteer, normalize_name
from ...search.bulk import prepare_document
from ..models import ListingStatus
from ..services import ListingValidationError, listing_values, terms_by_code, validate_input
from .rows import RowError, row_to_input
from .writer import BatchWriter, Checked, Outcome

#: Rows per batch: each batch is one transaction.
BATCH = 2000
#: Batches being checked ahead of the one being written.
_AHEAD = 2

Row = tuple[int, dict[str, str]]


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
    rows: Iterable[Row],
    gazetteer: Gazetteer,
    *,
    approve: bool = False,
    is_demo: bool = False,
    on_row: Callable[[], None] | None = None,
    batch_size: int | None = None,
    expected_rows: int | None = None,
) -> ImportReport:
    """Import (line number, row) pairs; commits in batches (of ``batch_size``, default :data:`BATCH`
    rows) so a long import keeps its progress. Errors are reported in line order. With
    ``expected_rows`` above one batch, a worker process checks the rows while this one writes."""
    report = ImportReport()
    size = batch_size or BATCH
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        # A larger page cache for this connection: index pages stay in memory while the tables grow.
        db.session.execute(sa.text("PRAGMA cache_size = -32768"))
    term_ids = {key: term.id for key, term in terms_by_code().items()}
    # The worker is forked before the writer starts its thread (a fork copies only the calling thread).
    checker = _Checker(gazetteer, approve, dialect, parallel=(expected_rows or 0) > size)
    writer = BatchWriter(term_ids, is_demo)
    try:
        for checked, errors in checker.batches(_raw_batches(rows, size, on_row)):
            report.errors.extend(errors)
            report.add(writer.write(checked))
        report.add(writer.finish())
    finally:
        writer.close()
        checker.close()
    report.errors.sort(key=lambda error: error[0])
    if report.created:
        refresh_statistics(db.session.connection())
        db.session.commit()
    return report


def _raw_batches(rows: Iterable[Row], size: int, on_row: Callable[[], None] | None) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        if on_row:
            for _ in batch:
                on_row()
        yield batch


class _Checker:
    """Checks batches of rows, here or in a worker process, and hands them back in order."""

    def __init__(self, gazetteer: Gazetteer, approve: bool, dialect: str, *, parallel: bool) -> None:
        self.gazetteer = gazetteer
        self.approve = approve
        self.dialect = dialect
        self.pool: ProcessPoolExecutor | None = None
        if parallel and "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(gazetteer.path,),
            )
            self.pool.submit(int).result()  # the worker starts now, before any other thread does

    def batches(self, raw: Iterable[list[Row]]) -> Iterator[tuple[list[Checked], list[tuple[int, str]]]]:
        if self.pool is None:
            for batch in raw:
                yield check_rows(batch, self.gazetteer, self.approve, self.dialect)
            return
        ahead: deque[Future[tuple[list[Checked], list[tuple[int, str]]]]] = deque()
        for batch in raw:
            ahead.append(self.pool.submit(_check_in_worker, batch, self.approve, self.dialect))
            if len(ahead) > _AHEAD:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


_worker_gazetteer: Gazetteer | None = None


def _start_worker(path: object) -> None:
    """In the worker: a gazetteer of its own (a connection is never shared across a fork)."""
    global _worker_gazetteer
    _worker_gazetteer = Gazetteer(path)  # type: ignore[arg-type]


def _check_in_worker(
    batch: list[Row], approve: bool, dialect: str
) -> tuple[list[Checked], list[tuple[int, str]]]:
    if _worker_gazetteer is None:
        raise RuntimeError("the worker was not started with _start_worker")
    return check_rows(batch, _worker_gazetteer, approve, dialect)


def check_rows(
    batch: list[Row], gazetteer: Gazetteer, approve: bool, dialect: str
) -> tuple[list[Checked], list[tuple[int, str]]]:
    """The rows of ``batch`` that pass the checks, and (line, reason) for the others; each good row
    with its search document for database ``dialect``."""
    checked: list[Checked] = []
    errors: list[tuple[int, str]] = []
    for line, row in batch:
        try:
            checked.append(check_row(line, row, gazetteer, approve, dialect))
        except (RowError, ListingValidationError) as exc:
            errors.append((line, str(exc)))
    return checked, errors


def check_row(line: int, row: dict[str, str], gazetteer: Gazetteer, approve: bool, dialect: str) -> Checked:
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
    values = listing_values(data, gazetteer)
    document = prepare_document(values.organization, values.term_keys, values.translations, dialect=dialect)
    return Checked(line, key, data.name, status, demoted, values, document=document)


def _status_for(requested: str | None, approve: bool) -> tuple[ListingStatus, bool]:
    """The status a row gets, and whether it asked to be approved without ``--approve``."""
    if requested is None:
        return (ListingStatus.APPROVED if approve else ListingStatus.PENDING), False
    status = ListingStatus(requested)
    if status is ListingStatus.APPROVED and not approve:
        return ListingStatus.PENDING, True
    return status, False


def refresh_statistics(connection: sa.Connection) -> None:
    """After a bulk import, let the query planner see the tables as they now are: ANALYZE the listing
    tables."""
    tables = ["organization", "location", "organization_term", "language", "service_area"]
    for table in tables:
        connection.execute(sa.text(f"ANALYZE {table}"))  # constant names, never user input
