"""Import benchmark: ``flask import-orgs --approve`` of a generated CSV, timed in its own process.

    python bench/import_bench.py --rows 100000                       # SQLite and PostgreSQL
    python bench/import_bench.py --rows 300000 --databases sqlite
    python bench/import_bench.py --rows 1000 --pg-url postgresql+psycopg://postgres@127.0.0.1:54329

For each database: a fresh, empty database built by ``flask db upgrade``, then the import of
``bench/generate.py``'s CSV (``bench/out/orgs-<rows>.csv``, written when missing) in a child process. It
prints the rows in the file, the listings kept, the wall time, the child's CPU time (user + system: what
the import itself cost, whatever else the machine was doing), and its peak resident memory (its
``ru_maxrss``, read with ``os.wait4`` for that one process, so the ``db upgrade`` before it does not count).

SQLite gets a file in ``bench/out``; PostgreSQL a database ``<prefix>_<rows>`` on the server of
``--pg-url`` (created, then dropped at the end unless ``--keep``).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


def run_flask(*args: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``flask <args>`` in a child process; (wall seconds, its CPU seconds (user + system), its peak
    resident memory in MB)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = child.stderr.read() if child.stderr else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{stderr[-4000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss: KB on Linux


def count_listings(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text("SELECT count(*) FROM organization")) or 0)
    finally:
        engine.dispose()


def sqlite_url(rows: int) -> str:
    path = OUT / f"import-{rows}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def postgres_database(server: str, name: str, *, drop_only: bool = False) -> str:
    """(Re)create database ``name`` on ``server`` (a URL without database); its URL."""
    admin = sa.create_engine(sa.make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not drop_only:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:54329")
    parser.add_argument("--db-prefix", default="import_bench", help="PostgreSQL database name prefix")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    args = parser.parse_args()

    from bench.generate import generate

    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"orgs-{args.rows}.csv"
    if not csv_path.exists():
        generate(csv_path, args.rows)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'database':12} {'rows':>8} {'kept':>8} {'seconds':>8} {'CPU s':>8} {'peak MB':>8}")
    for database in args.databases.split(","):
        name = f"{args.db_prefix}_{args.rows}"
        url = sqlite_url(args.rows) if database == "sqlite" else postgres_database(args.pg_url, name)
        env = {**os.environ, "DATABASE_URL": url}
        try:
            run_flask("db", "upgrade", env=env)
            seconds, cpu, peak_mb = run_flask("import-orgs", "--approve", str(csv_path), env=env)
            kept = count_listings(url)
        finally:
            if database != "sqlite" and not args.keep:
                postgres_database(args.pg_url, name, drop_only=True)
        row = f"{database:12} {args.rows:>8} {kept:>8} {seconds:>8.1f} {cpu:>8.1f} {peak_mb:>8.0f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
