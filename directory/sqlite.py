"""SQLite connection settings: WAL, a busy timeout and enforced foreign keys on every connection.

How transactions begin matters for concurrent writes, and is left as Python's sqlite3 module does it
(``isolation_level=""``, the legacy mode): reads run outside any transaction, and a deferred ``BEGIN`` is
sent just before the first INSERT, UPDATE or DELETE. So a write transaction's first statement is always
a write: when another process holds the write lock, SQLite waits for it (the busy timeout) and then takes
a fresh snapshot. A transaction that had read first and then wanted to write after another writer
committed would get SQLITE_BUSY_SNAPSHOT ("database is locked") at once, without waiting. Services that
check and write (an edit's version, a state move) therefore do it in one conditional UPDATE, the first
write of their transaction, and read what they need again after it (``tests/test_races.py``). Do not
switch to ``autocommit=False`` or a ``BEGIN`` on first read without revisiting that.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    """Set the pragmas on each new SQLite connection (no-op for other databases)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # WAL lets readers run while one writer writes; the busy timeout makes a second writer
            # wait instead of failing with "database is locked".
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA busy_timeout = 10000")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()
