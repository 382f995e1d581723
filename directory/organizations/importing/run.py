"""One import run: rows are read in batches, checked, written, and reported.

A large file's batches are checked in worker processes (forked, so they start at once and share the
vocabularies and code), one per core up to :data:`MAX_WORKERS`, while this process writes the batches
before them; a small file is checked here. Checking costs more CPU than writing, so on two cores two
workers and the writer share both (one worker left a core idle part of the time). At most one batch
per worker, and one more, are being checked while one is written, so memory does not grow with the file.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

import sqlalchemy as sa

from ...extensions import db
from ...geo import Gazetteer, normalize_name
from ..models import ListingStatus
from ..services import ListingValidationError, listing_values, slugify, terms_by_code, validate_input
from .rows import RowError, row_to_input
from .writer import BatchWriter, Checked, Outcome, RowMaker

#: Rows per batch: each batch is one transaction.
BATCH = 2000
#: The most checking workers.
MAX_WORKERS = 4

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
    ``expected_rows`` above one batch, worker processes check the rows while this one writes."""
    report = ImportReport()
    size = batch_size or BATCH
    dialect = db.session.get_bind().dialect
    if dialect.name == "sqlite":
        # A larger page cache for this connection: index pages stay in memory while the tables grow.
        db.session.execute(sa.text("PRAGMA cache_size = -32768"))
    term_ids = {key: term.id for key, term in terms_by_code().items()}
    # The workers are forked before the writer starts its thread (a fork copies only the calling thread).
    maker = RowMaker(dialect, term_ids, is_demo)
    checker = _Checker(gazetteer, approve, maker, parallel=(expected_rows or 0) > size)
    writer = BatchWriter()
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
    """Checks batches of rows, here or in worker processes, and hands them back in order."""

    def __init__(self, gazetteer: Gazetteer, approve: bool, maker: RowMaker, *, parallel: bool) -> None:
        self.gazetteer = gazetteer
        self.approve = approve
        self.maker = maker
        self.pool: ProcessPoolExecutor | None = None
        self.ahead = 0
        if parallel and "fork" in multiprocessing.get_all_start_methods():
            workers = max(1, min(MAX_WORKERS, _cores()))
            self.ahead = workers + 1  # batches being checked while one is written
            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(gazetteer.path, maker),
            )
            self.pool.submit(int).result()  # the workers start now, before any other thread does

    def batches(self, raw: Iterable[list[Row]]) -> Iterator[tuple[list[Checked], list[tuple[int, str]]]]:
        if self.pool is None:
            for batch in raw:
                yield check_rows(batch, self.gazetteer, self.approve, self.maker)
            return
        ahead: deque[Future[tuple[list[Checked], list[tuple[int, str]]]]] = deque()
        for batch in raw:
            ahead.append(self.pool.submit(_check_in_worker, batch, self.approve))
            if len(ahead) > self.ahead:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_worker: tuple[Gazetteer, RowMaker] | None = None


def _start_worker(path: object, maker: RowMaker) -> None:
    """In the worker: a gazetteer of its own (a connection is never shared across a fork), and the
    row maker of the import (inherited with the fork, not passed)."""
    global _worker
    _worker = (Gazetteer(path), maker)  # type: ignore[arg-type]


def _check_in_worker(batch: list[Row], approve: bool) -> tuple[list[Checked], list[tuple[int, str]]]:
    if _worker is None:
        raise RuntimeError("the worker was not started with _start_worker")
    gazetteer, maker = _worker
    return check_rows(batch, gazetteer, approve, maker)


def check_rows(
    batch: list[Row], gazetteer: Gazetteer, approve: bool, maker: RowMaker
) -> tuple[list[Checked], list[tuple[int, str]]]:
    """The rows of ``batch`` that pass the checks, and (line, reason) for the others; each good row
    as the rows ``maker`` makes (its search document included)."""
    checked: list[Checked] = []
    errors: list[tuple[int, str]] = []
    for line, row in batch:
        try:
            checked.append(check_row(line, row, gazetteer, approve, maker))
        except (RowError, ListingValidationError) as exc:
            errors.append((line, str(exc)))
    return checked, errors


def check_row(
    line: int, row: dict[str, str], gazetteer: Gazetteer, approve: bool, maker: RowMaker
) -> Checked:
    """One row, checked and turned into column values; raises RowError or ListingValidationError.

    A row without coordinates whose city is unknown is an error only if its organization is new (a row
    already in the directory is skipped, whatever it holds): that error travels with the row.
    """
    data, requested = row_to_input(row, gazetteer)
    validate_input(data)
    key, slug = (normalize_name(data.name), data.country_code), slugify(data.name)
    status, demoted = _status_for(requested, approve)
    if data.latitude is None and gazetteer.city_point(data.city, data.country_code) is None:
        error = f"no coordinates, and the city {data.city!r} was not found in {data.country_code}"
        return Checked(line, key, slug, demoted, None, error)
    return Checked(line, key, slug, demoted, maker.rows(listing_values(data, gazetteer), status))


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
