"""HTTP benchmark against a peer: our app under gunicorn, and Datasette, over the same 100,000 rows.

    python bench/http_bench.py --rows 100000                  # the figures in bench/RESULTS.md
    python bench/http_bench.py --rows 2000 --requests 80      # a quick look

Steps:

1. ``bench/generate.py`` writes the import CSV (the same one ``bench/search_bench.py`` uses).
2. Our app: a fresh database (SQLite, then PostgreSQL on a throwaway cluster started with ``.ci/pg`` with
   fsync on), ``flask db upgrade``, ``flask import-orgs --approve`` timed in its own process, then
   gunicorn with ``gunicorn.conf.py`` (two workers on this machine).
3. Datasette: the same CSV loaded into one SQLite table (list columns as JSON arrays, region and
   sub-region derived from the country as our import does), an FTS5 table with the porter tokenizer, and
   indexes on country and region; served with its facet and SQL time limits raised to a minute so it
   drops nothing.
4. This process is the load generator (the servers run in their own processes): each fixed query is
   sent over HTTP, one new connection per request, to the JSON API and the HTML page of each server: at
   concurrency 1 (each query ``--per-query`` times, 50 by default, for per-query latency) and as a
   shuffled mix at concurrency 8 (``--requests`` requests), reporting requests/s and p50/p95/p99.

Our pages always compute every facet; each Datasette query asks for one. Datasette has no proximity
search, so the ``near`` query is compared with our own SQLite figures only. With ``--no-cache`` our
per-worker result cache is turned off (``SEARCH_CACHE_MB=0``), so every request pays for its text
match: the worst case, for a directory whose visitors never repeat a search.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent  # the virtualenv running this script (`make` runs .venv/bin/python)
sys.path.insert(0, str(ROOT))

from bench.search_bench import flask, percentile  # noqa: E402
from directory import regions  # noqa: E402
from directory.organizations.importing import TRAFFICKING_FOCUS  # noqa: E402


@dataclass(frozen=True)
class Query:
    label: str
    ours: str  # our query string (JSON API and HTML page take the same)
    datasette: str | None  # the same question asked of Datasette, with one facet; None: not comparable


QUERIES = [
    Query("text, many matches", "q=micro-finance", "_search=micro-finance&_facet=region"),
    Query("country", "country=KH", "country_code=KH&_facet_array=focus"),
    Query(
        "region + trafficking",
        "region=africa&trafficking=labor",
        "region=africa&trafficking__arraycontains=labor&_facet=country_code",
    ),
    Query(
        "text + country",
        "q=fishing industry&country=TH",
        "_search=fishing industry&country_code=TH&_facet_array=focus",
    ),
    Query("prefix", "q=entrepren", "_search=entrepren*&_searchmode=raw&_facet=region"),
    Query("text, most rows", "q=survivors", "_search=survivors&_facet=region"),
    Query("text, no match", "q=traffiking", "_search=traffiking&_facet=region"),
    Query(
        "sub-region + service, by name",
        "region=south-eastern-asia&service=training&sort=name",
        "subregion=south-eastern-asia&services__arraycontains=training&_sort=name&_facet=country_code",
    ),
    Query("text + near (ours only)", "q=training&near=Nairobi&radius_km=1000", None),
]


# --- servers ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _ = fetch(url)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not answer: {url}")


def start_ours(
    database_url: str,
    no_cache: bool,
    ready: str = "/api/v1/organizations?per_page=1",
    app: str = "wsgi:app",
    root: Path = ROOT,
    **settings: str,
) -> tuple[subprocess.Popen, str]:
    """gunicorn with gunicorn.conf.py serving ``app`` on a free port (``settings``: more environment
    variables), the code of the checkout at ``root``; returns once ``ready`` answers."""
    port = free_port()
    env = {
        **os.environ,
        **({"PYTHONPATH": str(root)} if root != ROOT else {}),
        "DATABASE_URL": database_url,
        "PORT": str(port),
        **({"SEARCH_CACHE_MB": "0"} if no_cache else {}),
        "SECRET_KEY": "bench",
        **settings,
    }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(base + ready)
    return server, base


def build_datasette_db(csv_path: Path, db_path: Path) -> float:
    """The CSV as Datasette users would load it: one table, FTS5 (porter), indexes on country/region. Focus
    and trafficking are split as our import splits them (``child-trafficking`` is a focus)."""
    started = time.perf_counter()
    db_path.unlink(missing_ok=True)
    con = sqlite3.connect(db_path)
    con.execute(
        "CREATE TABLE organizations (id INTEGER PRIMARY KEY, name TEXT, description TEXT, country_code TEXT,"
        " region TEXT, subregion TEXT, city TEXT, latitude REAL, longitude REAL, focus TEXT,"
        " trafficking TEXT, models TEXT, services TEXT, languages TEXT, website TEXT, email TEXT,"
        " founded_year INTEGER)"
    )

    def rows():
        with csv_path.open(newline="", encoding="utf-8") as handle:
            for i, row in enumerate(csv.DictReader(handle), start=1):
                place = regions.region_of(row["country_code"])
                focus = row["focus_areas"].split(";")
                yield (
                    i,
                    row["name"],
                    row["description"],
                    row["country_code"],
                    place.region,
                    place.subregion,
                    row["city"],
                    float(row["latitude"]) if row["latitude"] else None,
                    float(row["longitude"]) if row["longitude"] else None,
                    json.dumps([f for f in focus if f not in TRAFFICKING_FOCUS]),
                    json.dumps([TRAFFICKING_FOCUS[f] for f in focus if f in TRAFFICKING_FOCUS]),
                    json.dumps(row["leadership_models"].split(";")),
                    json.dumps(row["services"].split(";")),
                    json.dumps(row["languages"].split(";")),
                    row["website"],
                    row["email"],
                    int(row["founded_year"]),
                )

    con.executemany(f"INSERT INTO organizations VALUES ({', '.join('?' * 17)})", rows())  # noqa: S608
    con.execute(
        "CREATE VIRTUAL TABLE organizations_fts USING fts5(name, description, content=[organizations],"
        " content_rowid=[id], tokenize='porter')"
    )
    con.execute(
        "INSERT INTO organizations_fts (rowid, name, description) "
        "SELECT id, name, description FROM organizations"
    )
    for column in ("country_code", "region", "subregion"):
        con.execute(f"CREATE INDEX idx_organizations_{column} ON organizations ({column})")
    con.execute("ANALYZE")
    con.commit()
    con.close()
    return time.perf_counter() - started


def start_datasette(db_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "datasette"),
            "serve",
            str(db_path),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--setting",
            "sql_time_limit_ms",
            "60000",
            "--setting",
            "facet_time_limit_ms",
            "60000",
            "--setting",
            "allow_facet",
            "on",
            "--setting",
            "suggest_facets",
            "off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(base + f"/{db_path.stem}.json")
    return server, base


def worker_pids(master: int) -> list[int]:
    """The children of the gunicorn master (its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(found)


def fresh_sqlite(path: Path, keep: bool) -> bool:
    """Whether the SQLite database at ``path`` must be built (then its files are deleted): always, unless
    ``keep`` and it exists."""
    if keep and path.exists():
        return False
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return True


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each child of the gunicorn master, in MB."""
    found = []
    for pid in worker_pids(master):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            continue
    return sorted(found)


def prepare_data(rows: int, keep: bool, about: str = "", ds_path: Path | None = None) -> tuple[Path, Path]:
    """Print the machine; write the import CSV of ``rows`` listings (``bench/generate.py``) and load it
    into Datasette's database (``ds_path``, named ``bench.db``: Datasette serves it at /bench/), unless
    ``keep`` and they exist. Returns (the CSV, Datasette's database)."""
    OUT.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}{about}"
    )
    from bench.generate import generate

    csv_path = OUT / f"orgs-{rows}.csv"
    if not (keep and csv_path.exists()):
        generate(csv_path, rows)
    ds_path = ds_path or OUT / "bench.db"  # Datasette names the database after the file: /bench/...
    ds_path.parent.mkdir(parents=True, exist_ok=True)
    if not (keep and ds_path.exists()):
        print(f"datasette database built in {build_datasette_db(csv_path, ds_path):.1f} s")
    return csv_path, ds_path


def start_postgresql() -> tuple[dict[str, str], str]:
    """A throwaway PostgreSQL cluster (``.ci/pg start``, fsync on) on port 54339; returns (its
    environment, for :func:`stop_postgresql`; its URL)."""
    pg_env = {
        **os.environ,
        "PG_DIR": tempfile.mkdtemp(prefix="directory-bench-pg-"),
        "PG_PORT": "54339",
        "PG_DB": "bench",
        "PG_DURABLE": "1",
    }
    url = subprocess.run(
        [str(ROOT / ".ci" / "pg"), "start"], env=pg_env, check=True, capture_output=True, text=True
    ).stdout.strip()
    return pg_env, url


def stop_postgresql(pg_env: dict[str, str]) -> None:
    subprocess.run([str(ROOT / ".ci" / "pg"), "stop"], env=pg_env, check=False)


# --- load ------------------------------------------------------------------------------------------


def fetch(url: str) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Run:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def all(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]

    def rate(self) -> float:
        return len(self.all()) / self.seconds if self.seconds else 0.0


def drive(urls: list[tuple[str, str]], concurrency: int) -> Run:
    """Send every (label, url) once, ``concurrency`` at a time; latencies in ms per label."""
    run = Run()
    queue = list(reversed(urls))
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                label, url = queue.pop()
            started = time.perf_counter()
            status, _ = fetch(url)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status != 200:
                    failures.append(f"{status} {url}")
                run.latencies.setdefault(label, []).append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return run


def url_for(server: str, base: str, query: Query, page: str) -> str | None:
    if server == "datasette":
        if query.datasette is None:
            return None
        suffix = ".json" if page == "json" else ""
        return f"{base}/bench/organizations{suffix}?{quote(query.datasette)}&_size=20"
    path = "/api/v1/organizations" if page == "json" else "/organizations"
    return f"{base}{path}?{quote(query.ours)}"


def quote(query: str) -> str:
    return urllib.parse.urlencode(urllib.parse.parse_qsl(query))


def total_of(server: str, body: bytes) -> int | None:
    data = json.loads(body)
    return data.get("filtered_table_rows_count") if server == "datasette" else data.get("total")


def measure(server: str, base: str, args: argparse.Namespace, rng: random.Random) -> dict:
    result: dict = {"server": server}
    for page in ("json", "html"):
        queries = [(q.label, url_for(server, base, q, page)) for q in QUERIES]
        queries = [(label, url) for label, url in queries if url]
        # warm-up: every worker builds its index and every query has run
        drive(queries * 4, concurrency=8)
        single = drive([(label, url) for label, url in queries for _ in range(args.per_query)], 1)
        mix_queries = [(label, url) for label, url in queries if not label.endswith("(ours only)")]
        mixed = [mix_queries[i % len(mix_queries)] for i in range(args.requests)]
        rng.shuffle(mixed)
        mix1 = drive(mixed[: max(len(mix_queries), args.requests // 3)], 1)
        mix8 = drive(mixed, 8)
        result[page] = {
            "per_query": {
                label: {"p50": statistics.median(v), "p95": percentile(v, 95)}
                for label, v in single.latencies.items()
            },
            "mix_c1": summary(mix1),
            "mix_c8": summary(mix8),
        }
        if page == "json":
            result["totals"] = {label: total_of(server, fetch(url)[1]) for label, url in queries}
    return result


def summary(run: Run) -> dict:
    values = run.all()
    return {
        "rps": run.rate(),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values),
        "requests": len(values),
    }


# --- report ----------------------------------------------------------------------------------------


def report(ours: dict, peer: dict, title: str) -> None:
    print(f"\n### {title}")
    for page in ("json", "html"):
        print(f"\n{page.upper()}  ({'API' if page == 'json' else 'search page'})")
        print(
            f"{'query':32} {'ours p50':>9} {'p95':>7} {'ds p50':>8} {'p95':>7} {'p95 ratio':>9}"
            f" {'ours total':>10} {'ds total':>9}"
        )
        for q in QUERIES:
            mine = ours[page]["per_query"][q.label]
            theirs = peer[page]["per_query"].get(q.label) if peer else None
            ratio = f"{mine['p95'] / theirs['p95']:.2f}" if theirs else "-"
            line = f"{q.label:32} {mine['p50']:9.1f} {mine['p95']:7.1f} "
            line += f"{theirs['p50']:8.1f} {theirs['p95']:7.1f}" if theirs else f"{'-':>8} {'-':>7}"
            ds_total = peer.get("totals", {}).get(q.label) if peer else None
            print(f"{line} {ratio:>9} {ours['totals'][q.label]!s:>10} {ds_total!s:>9}")
        for mix in ("mix_c1", "mix_c8"):
            mine, theirs = ours[page][mix], peer[page][mix] if peer else None
            print(
                f"{mix} ours: {mine['rps']:.1f} req/s, p50 {mine['p50']:.1f}, p95 {mine['p95']:.1f}, "
                f"p99 {mine['p99']:.1f}, max {mine['max']:.0f} ms",
                end="",
            )
            if theirs:
                print(
                    f" | datasette: {theirs['rps']:.1f} req/s, p50 {theirs['p50']:.1f}, p95 "
                    f"{theirs['p95']:.1f}, p99 {theirs['p99']:.1f}, max {theirs['max']:.0f} ms | throughput x"
                    f"{mine['rps'] / theirs['rps']:.2f}, p95 x{mine['p95'] / theirs['p95']:.2f}"
                )
            else:
                print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="requests in each concurrency-8 mix")
    parser.add_argument("--per-query", type=int, default=50, help="requests per query at concurrency 1")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-cache", action="store_true", help="run our app with SEARCH_CACHE_MB=0")
    parser.add_argument("--keep", action="store_true", help="reuse an existing CSV and SQLite databases")
    args = parser.parse_args()
    rng = random.Random(1)
    csv_path, ds_path = prepare_data(args.rows, args.keep)

    results: dict = {"rows": args.rows, "cache": not args.no_cache}
    server, base = start_datasette(ds_path)
    try:
        results["datasette"] = measure("datasette", base, args, rng)
    finally:
        server.terminate()
        server.wait()

    for backend in args.backends.split(","):
        pg = None
        if backend == "sqlite":
            db_path = OUT / f"http-{args.rows}.sqlite3"
            url = f"sqlite:///{db_path}"
            fresh = fresh_sqlite(db_path, args.keep)
        else:
            pg, url = start_postgresql()
            fresh = True
        try:
            env = {**os.environ, "DATABASE_URL": url}
            entry: dict = {}
            if fresh:
                flask("db", "upgrade", env=env)
                entry["import_s"] = flask("import-orgs", "--approve", str(csv_path), env=env)
                print(f"{backend}: import {args.rows} rows in {entry['import_s']:.1f} s")
            server, base = start_ours(url, args.no_cache)
            try:
                entry.update(measure(backend, base, args, rng))
                entry["worker_rss_mb"] = worker_rss_mb(server.pid)
            finally:
                server.terminate()
                server.wait()
            results[backend] = entry
            report(entry, results["datasette"], f"ours on {backend} vs Datasette (SQLite)")
            print(f"gunicorn worker memory after the benchmark: {entry['worker_rss_mb']} MB")
        finally:
            if pg:
                stop_postgresql(pg)
    name = f"http-results-{args.rows}{'-nocache' if args.no_cache else ''}.json"
    (OUT / name).write_text(json.dumps(results, indent=1))
    print(f"\nwritten: bench/out/{name}")


if __name__ == "__main__":
    main()
