"""Reading an import CSV: its columns, and its rows streamed one at a time with their line numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

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


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (e.g. missing columns)."""


def _unreadable(exc: Exception) -> ImportFileError:
    return ImportFileError(f"the file cannot be read as UTF-8 CSV ({exc})")


def read_csv(handle: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file, read as they are asked for; raises ImportFileError when
    columns are missing or the file is not UTF-8 CSV.

    Each row maps every column of the header to its value: a missing value is "", and values beyond the
    header are dropped (as ``csv.DictReader`` would give them, with None keys). Read with the plain
    reader, in C: the import's main process reads the whole file while its writer and checkers work.
    """
    reader = csv.reader(handle)
    try:
        fieldnames = next(reader, [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(exc) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in fieldnames]
    if missing:
        raise ImportFileError(f"missing column(s): {', '.join(missing)}")
    width = len(fieldnames)
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:  # not UTF-8 text, or not CSV: stop here
            raise _unreadable(exc) from None
        if not values:  # a blank line, which DictReader skipped too
            start = reader.line_num + 1
            continue
        if len(values) < width:
            values += [""] * (width - len(values))
        # The line the row starts on: a quoted value may hold line breaks, and line_num is where it ends.
        yield start, dict(zip(fieldnames, values))  # noqa: B905 (longer rows: extra values dropped)
        start = reader.line_num + 1


def count_rows(handle: IO[str]) -> int | None:
    """How many rows the file holds (for a progress bar), read once through and rewound; None when the
    file cannot be rewound (a pipe).

    Reading it through first also means a file that is not UTF-8 CSV somewhere far down stops the import
    (ImportFileError) before any row is written, as a file that is unreadable from the start does.
    """
    if not handle.seekable():
        return None
    start = handle.tell()
    count = -1  # the header
    try:
        for _ in csv.reader(handle):
            count += 1
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(exc) from None
    handle.seek(start)
    return max(count, 0)
