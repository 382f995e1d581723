"""What one change to a listing costs each server process's search index (issue 12's "writes" target).

    python bench/update_bench.py                    # bench/out/distinct-100000.sqlite3 (distinct_bench's)
    python bench/update_bench.py --sqlite PATH      # another SQLite database built by the import
    python bench/update_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:54329/bench_distinct_100000

The database is copied first (SQLite: the file; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``), so the
benchmark's own one never changes. In one process, as a gunicorn worker would:

1. the whole index is built (what a server starting from nothing pays once, before it forks);
2. ``--changes`` times, one public listing (chosen at random) gets a new word in its summary, through the
   ORM, and is committed, as an approved edit is; then the process brings its index up to date (what
   every worker does on its next request after the change) and a search for the new word must find it.
   The CPU time (``time.process_time``) and wall time of that update are recorded, grouped by how many
   listings the overlay holds at that point (every change since the base was built is laid over it,
   up to ``index.OVERLAY_LIMIT``, in layers: each change reads just its listings, and the newest layers
   merge now and then);
3. the update that crosses ``OVERLAY_LIMIT`` builds the whole index again: its time is shown too.

Targets: each update within 1 s and at most 50 ms of CPU per process at 100,000 listings. A worker reads
the generation on each request, so a change is visible to it from its next request on; its cost is the
update measured here (the same code, the same data).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def copy_database(args: argparse.Namespace, workdir: Path) -> tuple[str, str | None]:
    """A copy of the benchmark's database: (its URL, the PostgreSQL database to drop afterwards)."""
    if args.pg:
        source = sa.make_url(args.pg)
        name = f"{source.database}_update_copy"
        admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
        admin.dispose()
        return source.set(database=name).render_as_string(hide_password=False), name
    path = Path(args.sqlite)
    if not path.exists():
        raise SystemExit(f"{path} does not exist: run bench/distinct_bench.py --keep first, or pass --sqlite")
    copy = workdir / "update.sqlite3"
    shutil.copyfile(path, copy)
    return f"sqlite:///{copy}", None


def drop_copy(args: argparse.Namespace, name: str | None) -> None:
    if not name:
        return
    admin = sa.create_engine(sa.make_url(args.pg).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def band(size: int) -> str:
    for upper in (1, 10, 100, 500, 1000):
        if size <= upper:
            return f"≤ {upper:,}"
    return "> 1,000"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sqlite", default=str(ROOT / "bench" / "out" / "distinct-100000.sqlite3"))
    parser.add_argument("--pg", help="PostgreSQL URL of the benchmark's database (copied, never changed)")
    parser.add_argument("--changes", type=int, default=1100, help="single-listing changes, one at a time")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url, dropped = copy_database(args, Path(tmp))
        os.environ["DATABASE_URL"] = url
        try:
            run(args)
        finally:
            drop_copy(args, dropped)


def run(args: argparse.Namespace) -> None:
    from werkzeug.datastructures import MultiDict

    from directory import create_app
    from directory.extensions import db
    from directory.organizations.models import ListingStatus, Organization
    from directory.search import get_engine, parse_params
    from directory.search import index as search_index

    app = create_app()
    rng = random.Random(args.seed)
    with app.app_context():
        cache = get_engine().index_cache
        snapshot, wall, cpu = timed(lambda: cache.get(db.session))
        backend = db.engine.dialect.name
        print(f"### One change at a time, {snapshot.base.size:,} public listings, {backend}\n")
        print(
            f"Building the whole index: {wall:.2f} s wall, {cpu:.2f} s CPU "
            "(a server starting from nothing).\n"
        )
        ids = list(
            db.session.scalars(
                sa.select(Organization.id).where(Organization.status == ListingStatus.APPROVED)
            )
        )
        base = snapshot.base
        by_band: dict[str, list[tuple[float, float]]] = {}
        rebuilds: list[tuple[float, float]] = []
        for n in range(args.changes):
            org = db.session.get(Organization, rng.choice(ids))
            word = f"zqupdate{n}x"
            org.summary = f"{org.summary} {word}"[-500:]
            db.session.commit()
            snapshot, wall, cpu = timed(lambda: cache.get(db.session))
            if snapshot.base is not base:
                rebuilds.append((wall, cpu))
                base = snapshot.base
            else:
                size = snapshot.overlay_size
                by_band.setdefault(band(size), []).append((wall, cpu))
            params = parse_params(MultiDict({"q": word}), app.config)
            found = get_engine().search(db.session, params, None, generation=snapshot.generation)
            if [hit.organization.id for hit in found.hits] != [org.id]:
                raise SystemExit(f"change {n}: the search for {word!r} did not find listing {org.id}")
            db.session.expire_all()

        print(
            f"Overlay limit: {search_index.OVERLAY_LIMIT:,} listings (then the whole index is built again).\n"
        )
        print(
            "| current listings in the layers | updates | CPU ms p50 | CPU ms p95 | CPU ms max "
            "| wall ms p95 | wall ms max |"
        )
        print("|---|---|---|---|---|---|---|")
        order = ["≤ 1", "≤ 10", "≤ 100", "≤ 500", "≤ 1,000"]
        for name in order:
            rows = by_band.get(name)
            if not rows:
                continue
            cpus = sorted(c * 1000 for _, c in rows)
            walls = sorted(w * 1000 for w, _ in rows)
            print(
                f"| {name} | {len(rows)} | {statistics.median(cpus):.1f} | {pct(cpus, 95):.1f} "
                f"| {cpus[-1]:.1f} "
                f"| {pct(walls, 95):.1f} | {walls[-1]:.1f} |"
            )
        for wall, cpu in rebuilds:
            print(f"| whole index built again | 1 | {cpu * 1000:.0f} | | | | {wall * 1000:.0f} |")
        print()
        every = [c * 1000 for rows in by_band.values() for _, c in rows]
        within = sum(1 for c in every if c <= 50)
        print(
            f"Updates in place within 50 ms of CPU: {within} of {len(every)}; every changed listing was "
            "found by a search for its new word right after its update.\n"
        )


def pct(values: list[float], p: int) -> float:
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


if __name__ == "__main__":
    main()
