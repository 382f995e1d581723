"""Search benchmark: generate N organizations, import them with the real CLI, time the JSON API.

    python bench/search_bench.py --rows 100000        # the figures in bench/RESULTS.md
    python bench/search_bench.py --rows 1000 --repeat 3  # CI smoke test: no timing assertions

Steps: generate the CSV (bench/generate.py; a tenth of the rows without coordinates), build a fresh
SQLite database with ``flask db upgrade``, time ``flask import-orgs --approve`` as a separate process,
then, in this process, run each fixed query through the Flask test client (the real view, JSON and all
facets). For every query it prints the first ("cold") time after the search index is built, and p50 /
p95 / max over the repeats ("warm": the same query again; nothing but the index is kept between
requests). These are repeated queries; bench/distinct_bench.py measures distinct ones over HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

QUERIES = [
    "q=micro-finance",
    "country=KH",
    "region=africa&trafficking=labor",
    "q=fishing industry&country=TH",
    "q=entrepren",
    "q=survivors",
    "q=traffiking",
    "region=south-eastern-asia&service=training&sort=name",
    "q=training&near=Nairobi&radius_km=1000",
]


def flask(*args: str, env: dict[str, str]) -> float:
    """Run a flask CLI command in its own process; return its wall time in seconds (its output is shown
    only when it fails)."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse an existing imported database")
    args = parser.parse_args()

    from bench.generate import generate

    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"orgs-{args.rows}.csv"
    db_path = OUT / f"bench-{args.rows}.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}"}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")

    if not (args.keep and db_path.exists()):
        started = time.perf_counter()
        generate(csv_path, args.rows)
        print(f"generate {args.rows} rows: {time.perf_counter() - started:.1f} s")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        flask("db", "upgrade", env=env)
        seconds = flask("import-orgs", "--approve", str(csv_path), env=env)
        print(f"import {args.rows} rows (flask import-orgs --approve): {seconds:.1f} s")

    os.environ["DATABASE_URL"] = env["DATABASE_URL"]
    from directory import create_app

    app = create_app({"SEARCH_PER_PAGE": 20})
    client = app.test_client()
    with app.app_context():
        started = time.perf_counter()
        client.get("/api/v1/organizations?per_page=1")
        print(f"build the search index: {(time.perf_counter() - started) * 1000:.0f} ms")
        client.get("/api/v1/organizations?near=Nairobi&per_page=1")  # geocoder and gazetteer warm

        rows = []
        header = f"{'query':58} {'total':>7} {'cold':>7} {'warm p50':>9} {'p95':>7} {'max':>7}"
        print(header)
        for query in QUERIES:
            url = "/api/v1/organizations?" + query
            started = time.perf_counter()
            response = client.get(url)
            cold = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{query}: {response.status_code} {response.json}")
            total = response.json["total"]
            warm = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                client.get(url)
                warm.append((time.perf_counter() - started) * 1000)
            result = {
                "query": query,
                "total": total,
                "cold_ms": cold,
                "warm_p50_ms": statistics.median(warm),
                "warm_p95_ms": percentile(warm, 95),
                "warm_max_ms": max(warm),
            }
            rows.append(result)
            print(
                f"{query:58} {total:7d} {cold:7.1f} {result['warm_p50_ms']:9.1f} "
                f"{result['warm_p95_ms']:7.1f} {result['warm_max_ms']:7.1f}"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")
    (OUT / f"results-{args.rows}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
