"""Bulk import of organizations from CSV (``flask import-orgs``) and the demo data (``flask seed-demo``).

The key for "same organization" is the normalized name plus the country: a row whose organization is
already in the directory is skipped, so importing a file twice creates nothing new, and a profile an
organization has since edited is never overwritten. Bad rows are reported with their line number and
reason and skipped; good rows are imported.

* :mod:`.reading` streams the CSV's rows with their line numbers;
* :mod:`.rows` turns one row into a checked :class:`~directory.organizations.services.OrganizationInput`;
* :mod:`.run` checks rows as they are read and hands them on in batches (:func:`import_rows`);
* :mod:`.writer` writes each batch with bulk statements, dropping the rows already in the directory;
* :mod:`.demo` holds the fictional demo organizations.
"""

from .demo import demo_inputs
from .reading import REQUIRED_COLUMNS, ImportFileError, count_rows, read_csv
from .rows import TRAFFICKING_FOCUS, RowError, row_to_input, summary_from
from .run import BATCH, ImportReport, import_rows, refresh_statistics

__all__ = [
    "BATCH",
    "REQUIRED_COLUMNS",
    "TRAFFICKING_FOCUS",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "count_rows",
    "demo_inputs",
    "import_rows",
    "read_csv",
    "refresh_statistics",
    "row_to_input",
    "summary_from",
]
