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
    columns are missing or the file is not UTF-8 CSV."""
    reader = csv.DictReader(handle)
    try:
        fieldnames = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(exc) from None
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
            raise _unreadable(exc) from None
        # The line the row starts on: a quoted value may hold line breaks, and line_num is where it ends.
        yield start, {k: (v or "") for k, v in row.items() if k is not None}
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
