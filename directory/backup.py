"""Backing up and restoring the whole database (``flask backup PATH``, ``flask restore PATH``).

SQLite: the online backup API copies one consistent snapshot while the app keeps running (WAL), and
restoring copies it back page by page. PostgreSQL: ``pg_dump`` in its custom format (also one consistent
snapshot) and ``pg_restore``; both must be installed (Debian's ``postgresql-client``).

Restore goes into an empty database: one with no tables, or only what ``flask db upgrade`` itself puts
there. Anything else is refused unless ``force`` is given; then the schema is rebuilt from the backup (the
audit log's append-only triggers come back with it, and never stand in the way, since nothing is deleted
row by row).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa

#: Tables whose rows the migrations themselves write: a database holding only these is "empty".
SCHEMA_ONLY_TABLES = frozenset({"alembic_version", "taxonomy_term", "search_state"})


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def backup(engine: sa.Engine, target: Path) -> None:
    """Write a consistent copy of the whole database to ``target`` (which must not exist yet)."""
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        _sqlite_backup(_sqlite_path(engine), target)
    elif engine.dialect.name == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target)], engine.url)
    else:
        raise BackupError(f"no backup for {engine.dialect.name}")


def restore(engine: sa.Engine, source: Path, *, force: bool = False) -> None:
    """Replace the database's contents with the backup in ``source``.

    Refused when the database holds data (see :func:`holds_data`) unless ``force`` is given.
    """
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    if not force and holds_data(engine):
        raise BackupError("the database is not empty: restoring would overwrite it (use --force)")
    engine.dispose()  # no pooled connection may hold the old schema open
    if engine.dialect.name == "sqlite":
        _sqlite_restore(source, _sqlite_path(engine))
    elif engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", str(source)], engine.url)
    else:
        raise BackupError(f"no restore for {engine.dialect.name}")
    engine.dispose()


def holds_data(engine: sa.Engine) -> bool:
    """True when any table holds rows that the migrations did not put there."""
    with engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        for name in names:
            if name in SCHEMA_ONLY_TABLES or name.startswith("organization_fts_"):
                continue  # FTS5's own shadow tables follow organization_fts
            table = sa.table(name)
            if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                return True
    return False


def _sqlite_path(engine: sa.Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # one step: a consistent snapshot even while others write (WAL)


def _sqlite_restore(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        try:
            check = src.execute("PRAGMA quick_check").fetchone()
            has_schema = src.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from None
        if check != ("ok",) or not has_schema:
            raise BackupError(f"{source} is not a backup of this directory")
        with closing(sqlite3.connect(target)) as dst:
            src.backup(dst)  # replaces every page of the target, schema and triggers included


def _run(command: list[str], url: sa.URL) -> None:
    """Run a PostgreSQL client program against ``url`` (the password through the environment)."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq_url = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run(  # noqa: S603  (a fixed program and an argument list, never a shell)
        [*command, "--dbname", libpq_url], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
