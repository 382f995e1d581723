"""Distinct-query HTTP benchmark (issue 12): our JSON API under gunicorn against Datasette, on searches
nobody has asked before in the run (the app keeps no result cache: every answer is worked out).

    python bench/distinct_bench.py                                  # 100,000 rows, SQLite and PostgreSQL
    python bench/distinct_bench.py --rows 100000,300000 --backends sqlite   # growth
    python bench/distinct_bench.py --rows 100000,300000 --backends sqlite --load-only   # growth alone
    python bench/distinct_bench.py --keep --single-only             # concurrency 1 per kind alone
    python bench/distinct_bench.py --smoke                          # 2,000 rows, 200 queries, 1 round
    python bench/distinct_bench.py --backends sqlite,postgresql \\
        --pg postgresql+psycopg://postgres@127.0.0.1:54329/bench_distinct   # PostgreSQL on a running server
    make bench-http                                                 # N=... for another size, PG=URL

Data: ``bench/generate.py`` writes the import CSV (``--rows``); ``flask import-orgs --approve`` loads it
into a fresh database per backend (SQLite in ``bench/out``; PostgreSQL on ``--pg URL``, whose database
``<name>_<rows>`` is dropped and created again, or else on a throwaway cluster started with ``.ci/pg`` as
``bench/http_bench.py`` does), and Datasette serves the same rows from one table (``http_bench``'s build:
FTS5 with the porter tokenizer, list columns as JSON arrays). ``--keep`` reuses the CSV and databases.

The queries (``--queries``, 2,000 by default, every one different) are built from the CSV with ``--seed``:
words and word pairs of the descriptions in three bands (``text-few``: in under 1 row in 200, mostly place
names; ``text-some``; ``text-most``: in at least a tenth of the rows), ``prefix`` (the first 3 to 6
letters of a description word), ``country``, ``region`` (a continent or a sub-region), ``filter`` (one of
focus, model, service, engagement, trafficking, language, serves alone), ``filters`` (two or three
combined, or two countries), ``filters+text``, and ``near`` (a city of the data that the place search
finds, radius 10, 50, 200 or 500 km, with text, a filter, ``sort=distance`` or nothing more). Sorts by
name or last update and pages 1 to 5 are mixed in. Where Datasette can ask the same question (all but
``near``, ``engagement`` and two values of a list filter) its URL is built too (``_search=``,
``country_code=``, ``region=``/``subregion=``, ``<list>__arraycontains=``, ``country_code__in=``,
``_sort=name``, one ``_facet``/``_facet_array`` each; ``serves`` is the country, as our import sets it)
and the totals are compared. Datasette pages by keyset (``_next``), so a page-N query is sent to it as its
first page; a sort by last update has no peer and is sent unsorted. Totals are expected to differ where
the two text searches differ: Datasette's prefix ``awaren*`` looks among porter stems ("awar") and finds
nothing, and our search has its own stemming and synonyms; the table lists examples.

What is printed, as markdown tables, for each size and backend:

1. The query set: how many of each kind, how many Datasette can ask, and how many totals agree (with a
   few that differ).
2. Load at concurrency 8 over the whole list, in ``--rounds`` paired rounds: ours on the queries Datasette
   can ask, then Datasette on the same ones, then ours on every query (``near`` included). Each thread
   walks its own slice of the shuffled list, so no query repeats in a run and no two threads send the
   same one. Every run starts a new server: the gunicorn workers (``--workers``, else
   ``gunicorn.conf.py``'s default) never start warm from an earlier run. The first search after start is
   timed apart (as many searches at once as there are workers, answered how long after the workers were
   forked), then a few searches outside the list warm every worker before the clock starts.
   Throughput and p50/p95/p99 as ranges over the rounds, with the ratios per round.
3. Concurrency 1 per kind (``--per-kind`` distinct queries of each kind, not in the load list): p95 of
   ours and of Datasette, against the floor, a hello-world Flask view (``bench/hello_wsgi.py``) under the
   same gunicorn settings; the target per kind is max(½ Datasette's p95, 2 × the hello-world p95)
   (the floor only, for ``near``). The three servers run at once and take turns kind by kind (ours,
   Datasette, hello-world), so each comparison is made within seconds.
4. CPU per query of every load run: the workers' user + system time from ``/proc/<pid>/stat`` (and
   Datasette's process's) over the run, divided by the requests served.
5. Popular searches, repeated: ``http_bench.QUERIES``, the old fixed mix, after a warm-up, ``--popular``
   requests at concurrency 8 on ours and on Datasette.
6. Memory with ``--memory-workers`` (4) workers: each worker's private memory (Private_Clean +
   Private_Dirty of ``/proc/<pid>/smaps_rollup``) and RSS after a read-only run over the list, and after
   the same run with 5% writes (members of listings, signed in, saving their profile's editor as
   ``bench/mixed_bench.py`` does; on a copy of the database, so the kept one never changes); the read p95
   of both runs (the writes target: within 2×).
7. Growth, when ``--rows`` names several sizes: CPU per query and p95 at each, and the ratio.

Only HTTP and ``/proc`` are measured: nothing of the search engine is imported. The JSON API only (the
HTML page and per-query figures of the fixed mix are ``make bench-http-fixed``, ``bench/http_bench.py``).
The load generator shares the machine with the servers.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import http_bench  # noqa: E402
from bench.http_bench import OUT, fetch, start_datasette, start_ours, worker_pids  # noqa: E402
from bench.mixed_bench import Row, Vocabulary, vocabulary  # noqa: E402
from bench.race_bench import Browser, fresh_postgresql  # noqa: E402
from bench.search_bench import flask, percentile  # noqa: E402
from directory import regions, vocab  # noqa: E402

#: The search's list filters (LIST_FILTERS of directory/search/params.py; only HTTP is measured here).
LIST_FILTERS = (
    "region",
    "country",
    "focus",
    "model",
    "service",
    "engagement",
    "trafficking",
    "language",
    "serves",
)

#: Kinds of query and their share of the load list.
KINDS = {
    "text-few": 0.12,
    "text-some": 0.08,
    "text-most": 0.12,
    "prefix": 0.10,
    "country": 0.06,
    "region": 0.04,
    "filter": 0.10,
    "filters": 0.10,
    "filters+text": 0.14,
    "near": 0.14,
}
RADII = (10, 50, 200, 500)
PAGES = (1, 1, 1, 2, 3, 4, 5)
FACETS = (("_facet", "region"), ("_facet", "country_code"), ("_facet_array", "focus"))
ALONE = ("focus", "model", "service", "engagement", "trafficking", "language", "serves")
DS_LIST = {  # our list filter -> Datasette's JSON-array column
    "focus": "focus",
    "trafficking": "trafficking",
    "model": "models",
    "service": "services",
    "language": "languages",
}
CLK = os.sysconf("SC_CLK_TCK")
Args = list[tuple[str, str]]
RESERVE = 40  # warm-up and first-search queries, outside the lists


# --- the queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    kind: str
    ours: str  # query string of /api/v1/organizations
    datasette: str | None  # the same question of Datasette's table (with one facet); None: no peer


class Maker:
    """Builds queries of each kind from the words, rows and places of the generated data."""

    def __init__(self, words: Vocabulary, places: list[str], rng: random.Random) -> None:
        self.words, self.places, self.rng = words, places, rng
        texts = words.words + words.pairs
        self.text = {
            "text-few": words.rare,
            "text-some": [t for t in texts if words.counts[t] < words.total / 10],
            "text-most": [t for t in texts if words.counts[t] >= words.total / 10],
        }
        self.prefixes = sorted(
            {w[:k] for w in words.words for k in range(3, 7) if k < len(w) and w[:k].isalpha()}
        )
        self.top_regions = {regions.region_of(r.country).region for r in words.rows}

    def _ds_filter(self, name: str, value: str) -> tuple[str, str] | None:
        if name in ("country", "serves"):
            return ("country_code", value)
        if name == "region":
            return ("region" if value in self.top_regions else "subregion", value)
        if name in DS_LIST:
            return (f"{DS_LIST[name]}__arraycontains", value)
        return None  # engagement: not in the CSV, so not in Datasette's table

    def _options(self, row: Row) -> dict[str, str]:
        rng = self.rng
        place = regions.region_of(row.country)
        return {
            "country": row.country,
            "region": rng.choice([place.region, place.subregion]),
            "focus": rng.choice(row.focus or list(vocab.TAXONOMIES["focus"])),
            "trafficking": rng.choice(row.trafficking or ["sex", "labor"]),
            "model": rng.choice(row.models),
            "service": rng.choice(row.services),
            "language": rng.choice(row.languages),
            "serves": row.country,
            "engagement": rng.choice(list(vocab.TAXONOMIES["engagement"])),
        }

    def _filters(self, names: list[str]) -> list[tuple[str, str]]:
        options = self._options(self.rng.choice(self.words.rows))
        return [(name, options[name]) for name in sorted(names)]

    def _text(self, bands: tuple[str, ...]) -> tuple[str, bool]:
        band = self.rng.choice(bands)
        return self.rng.choice(self.text[band]), band != "text-few"

    def _question(self, kind: str) -> tuple[Args, Args | None, bool]:
        """Our arguments, Datasette's (None: no peer), and whether it matches many rows (has pages)."""
        rng = self.rng
        if kind.startswith("text-"):
            text, broad = self._text((kind,))
            return [("q", text)], [("_search", text)], broad
        if kind == "prefix":
            prefix = rng.choice(self.prefixes)
            return [("q", prefix)], [("_search", f"{prefix}*"), ("_searchmode", "raw")], True
        if kind in ("country", "region"):
            return self._filters([kind]), [], True
        if kind == "filter":
            return self._filters([rng.choice(ALONE)]), [], True
        if kind == "filters":
            if rng.random() < 0.2:  # two values of one filter: any of them
                a, b = rng.sample(sorted({r.country for r in self.words.rows} | {"KH", "TH"}), 2)
                return [("country", a), ("country", b)], [("country_code__in", f"{a},{b}")], True
            return self._filters(rng.sample(LIST_FILTERS, rng.randint(2, 3))), [], True
        if kind == "filters+text":
            text, broad = self._text(("text-few", "text-some", "text-most", "text-most"))
            filters = self._filters(rng.sample(LIST_FILTERS, rng.randint(1, 2)))
            return [("q", text), *filters], [("_search", text)], broad
        if kind == "near":
            ours = [("near", rng.choice(self.places)), ("radius_km", str(rng.choice(RADII)))]
            extra = rng.random()
            if extra < 0.3:
                ours.append(("q", self._text(("text-some", "text-most"))[0]))
            elif extra < 0.6:
                ours += self._filters([rng.choice(LIST_FILTERS)])
            if rng.random() < 0.3:
                ours.append(("sort", "distance"))
            return ours, None, True
        raise ValueError(kind)

    def _peer_filters(self, ours: Args, ds: Args | None) -> Args | None:
        """Datasette's arguments with our filters added; None when one of them has no peer."""
        if ds is None or any(name == "country_code__in" for name, _ in ds):
            return ds
        for name, value in ours:
            if name in LIST_FILTERS:
                mapped = self._ds_filter(name, value)
                if mapped is None:
                    return None
                ds.append(mapped)
        return ds

    def one(self, kind: str) -> Query:
        rng = self.rng
        ours, ds, broad = self._question(kind)
        ds = self._peer_filters(ours, ds)
        if not any(name == "sort" for name, _ in ours):
            pick = rng.random()
            if pick < 0.12:
                ours.append(("sort", "name"))
                if ds is not None:
                    ds.append(("_sort", "name"))
            elif pick < 0.17:
                ours.append(("sort", "updated"))  # no peer: Datasette's question is unsorted
        page = rng.choice(PAGES) if broad else 1
        if page > 1:
            ours.append(("page", str(page)))  # Datasette pages by keyset: its first page
        if ds is not None:
            ds.append(rng.choice(FACETS))
        return Query(
            kind, urllib.parse.urlencode(ours), urllib.parse.urlencode(ds) if ds is not None else None
        )


@dataclass
class QuerySet:
    load: list[Query]  # shuffled
    single: dict[str, list[Query]]  # kind -> queries for concurrency 1
    reserve: list[Query]  # warm-ups and first searches

    @property
    def comparable(self) -> list[Query]:
        return [q for q in self.load if q.datasette]


def build_queries(maker: Maker, count: int, per_kind: int) -> QuerySet:
    """``count`` distinct queries in the KINDS shares, ``per_kind`` more of each kind, and RESERVE more."""
    seen: set[str] = set()

    def distinct(kind: str, wanted: int) -> list[Query]:
        found: list[Query] = []
        for _ in range(wanted * 50):
            if len(found) == wanted:
                break
            query = maker.one(kind)
            if query.ours not in seen:
                seen.add(query.ours)
                found.append(query)
        return found

    shares = {kind: round(count * share) for kind, share in KINDS.items()}
    shares["filters+text"] += count - sum(shares.values())
    load = [q for kind, n in shares.items() for q in distinct(kind, n)]
    maker.rng.shuffle(load)
    single = {kind: distinct(kind, per_kind) for kind in KINDS}
    reserve = [
        q for kind in ("filter", "text-most", "country", "prefix") for q in distinct(kind, RESERVE // 4)
    ]
    return QuerySet(load, single, reserve)


def our_url(base: str, query: Query) -> str:
    return f"{base}/api/v1/organizations?{query.ours}"


def ds_url(base: str, query: Query) -> str:
    return f"{base}/bench/organizations.json?{query.datasette}&_size=20"


# --- measuring -------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of ``pids`` so far (utime + stime of /proc/<pid>/stat), in seconds."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK


def forked_at(pid: int) -> float:
    """When ``pid`` started, as time.time()."""
    start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]) / CLK
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - (uptime - start)


def memory_mb(pid: int) -> tuple[float, float]:
    """(private = Private_Clean + Private_Dirty, RSS) of ``pid`` in MB, from /proc/<pid>/smaps_rollup."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            values[parts[0][:-1]] = int(parts[1])
    return (values["Private_Clean"] + values["Private_Dirty"]) / 1024, values["Rss"] / 1024


@dataclass
class Load:
    """One run: latencies per kind (ms), wall time, totals per query, server CPU, failures."""

    seconds: float = 0.0
    ms: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    totals: dict[Query, int | None] = field(default_factory=dict)
    each: dict[Query, float] = field(default_factory=dict)  # latency of each answered query (ms)
    cpu_s: float = 0.0
    failures: list[str] = field(default_factory=list)

    def all(self) -> list[float]:
        return [x for values in self.ms.values() for x in values]

    @property
    def requests(self) -> int:
        return len(self.all()) + len(self.failures)

    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def p(self, pct: float, kind: str | None = None) -> float:
        values = self.ms.get(kind, []) if kind else self.all()
        return percentile(values, pct) if values else float("nan")

    def cpu_ms(self) -> float:
        return 1000 * self.cpu_s / max(1, self.requests)


def drive(
    jobs: list[tuple[Query, str]], concurrency: int, server: str, pids: list[int] | None = None
) -> Load:
    """Send every (query, url) once: thread i walks the i-th slice of ``jobs`` (so threads start at
    different points and never send the same query at once). ``pids``: processes whose CPU is counted."""
    load = Load()
    lock = threading.Lock()

    def worker(part: list[tuple[Query, str]]) -> None:
        for query, url in part:
            started = time.perf_counter()
            try:
                status, body = fetch(url)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    load.failures.append(f"{type(exc).__name__} {url}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            total = None
            if status == 200 and server != "hello":
                with contextlib.suppress(ValueError):
                    total = http_bench.total_of(server, body)
            with lock:
                if status != 200:
                    load.failures.append(f"{status} {url}")
                else:
                    load.ms[query.kind].append(elapsed)
                    load.each[query] = elapsed
                load.totals[query] = total

    n = len(jobs)
    parts = [jobs[i * n // concurrency : (i + 1) * n // concurrency] for i in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(part,)) for part in parts]
    cpu_before = cpu_seconds(pids or [])
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    load.cpu_s = cpu_seconds(pids or []) - cpu_before
    return load


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Ours:
    url: str  # database
    workers: int | None
    ready_at: float = 0.0  # when the last server started answered /login (time.time())

    @contextlib.contextmanager
    def serve(
        self, cache: bool = False, workers: int | None = None, **env: str
    ) -> Iterator[tuple[subprocess.Popen, str]]:
        """A new gunicorn (so every worker starts cold), ready when /login answers (no search yet)."""
        workers = workers or self.workers
        extra = {"WEB_CONCURRENCY": str(workers)} if workers else {}
        server, base = start_ours(
            self.url, not cache, ready="/login", RATELIMIT_ENABLED="0", LANGUAGES="en", **extra, **env
        )
        self.ready_at = time.time()
        try:
            yield server, base
        finally:
            server.terminate()
            server.wait()


@dataclass
class FirstSearch:
    ms: list[float]  # each of the first searches, sent at once, one per worker
    after_fork_s: float  # the last of them answered this long after the newest worker was forked
    ready_s: float  # the server answered /login (no search) this long after the newest worker was forked


def first_searches(base: str, master: int, reserve: list[Query], ready_at: float) -> FirstSearch:
    """As many searches at once as there are workers, right after the server answers /login, then
    warm-up searches (each worker builds whatever it builds on its first search before the clock
    starts)."""
    pids = worker_pids(master)
    forked = max(forked_at(pid) for pid in pids)
    first = drive([(q, our_url(base, q)) for q in reserve[: len(pids)]], len(pids), "ours")
    done = time.time()
    warm = reserve[len(pids) :] * 2
    drive([(q, our_url(base, q)) for q in warm[: 6 * len(pids)]], 2 * len(pids), "ours")
    if first.failures:
        raise SystemExit(f"first searches failed: {first.failures[:3]}")
    return FirstSearch(first.all(), done - forked, ready_at - forked)


def run_ours(
    ours: Ours, queries: list[Query], reserve: list[Query], concurrency: int
) -> tuple[Load, FirstSearch]:
    with ours.serve() as (server, base):
        first = first_searches(base, server.pid, reserve, ours.ready_at)
        load = drive([(q, our_url(base, q)) for q in queries], concurrency, "ours", worker_pids(server.pid))
    return load, first


@contextlib.contextmanager
def datasette(ds_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    server, base = start_datasette(ds_path)
    try:
        yield server, base
    finally:
        server.terminate()
        server.wait()


def run_datasette(ds_path: Path, queries: list[Query], reserve: list[Query], concurrency: int) -> Load:
    with datasette(ds_path) as (server, base):
        warm = [q for q in reserve if q.datasette]
        drive([(q, ds_url(base, q)) for q in warm], 4, "datasette")
        return drive([(q, ds_url(base, q)) for q in queries], concurrency, "datasette", [server.pid])


def find_places(ours: Ours, cities: list[str], rng: random.Random, wanted: int = 150) -> list[str]:
    """Cities of the data that our place search finds (asked over HTTP, on a server then stopped)."""
    places = []
    with ours.serve() as (_server, base):
        for city in rng.sample(cities, min(len(cities), wanted * 2)):
            ask = urllib.parse.urlencode({"near": city, "per_page": 1})
            if fetch(f"{base}/api/v1/organizations?{ask}")[0] == 200:
                places.append(city)
            if len(places) == wanted:
                break
    if not places:
        raise SystemExit("the place search finds no city of the data")
    return places


# --- memory, with writes ---------------------------------------------------------------------------


@contextlib.contextmanager
def database_copy(url: str) -> Iterator[str]:
    """A copy of the database at ``url`` (a file copy for SQLite, CREATE DATABASE ... TEMPLATE for
    PostgreSQL), dropped afterwards: the writes never change the kept database."""
    target = sa.make_url(url)
    if target.get_backend_name() == "sqlite":
        source = Path(target.database)
        copy = source.with_name(source.stem + "-writes.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{copy}{suffix}")
        try:
            yield f"sqlite:///{copy}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        return
    name = f"{target.database}_writes"
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{target.database}"'))
        yield target.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Memory:
    label: str
    workers: list[tuple[float, float]]  # (private, RSS) MB per worker
    read_p95: float
    rate: float
    writes: int = 0
    write_p95: float = float("nan")
    errors: list[str] = field(default_factory=list)


def memory_runs(
    ours: Ours, words: Vocabulary, queries: list[Query], reserve: list[Query], args: argparse.Namespace
) -> list[Memory]:
    """With ``--memory-workers``: a read-only run over ``queries``, then the same with writes (5%) on a
    copy of the database; each worker's memory after each."""
    from bench import mixed_bench

    workers, clients = args.memory_workers, 8
    found = []
    with ours.serve(workers=workers) as (server, base):
        first_searches(base, server.pid, reserve, ours.ready_at)
        load = drive([(q, our_url(base, q)) for q in queries], clients, "ours")
        found.append(
            Memory("read-only", [memory_mb(p) for p in worker_pids(server.pid)], load.p(95), load.rate())
        )
    if args.write_share <= 0:
        return found
    with database_copy(ours.url) as copy:
        prepared = mixed_bench.prepare(copy, clients * 2, words.cities, random.Random(args.seed))
        copied = Ours(copy, workers)
        with copied.serve(LOGIN_SLOWDOWN_SECONDS="0") as (server, base):
            host_port = urllib.parse.urlsplit(base)
            browsers = mixed_bench.sign_in((host_port.hostname, host_port.port), prepared.members, clients)
            first_searches(base, server.pid, reserve, copied.ready_at)
            pairs = list(zip(prepared.members, browsers, strict=True))
            writes_per_read = args.write_share / (1 - 2 * args.write_share)  # a write is a GET and a POST
            visitors = [
                mixed_bench.Visitor(i, pairs[i::clients], prepared, None, writes_per_read, args.seed)  # type: ignore[arg-type]
                for i in range(clients)
            ]
            n = len(queries)

            def visit(i: int) -> None:
                visitor, reader = visitors[i], Browser(host_port.hostname, host_port.port)
                turn = iter(visitor.members * (n // len(visitor.members) + 1))
                for query in queries[i * n // clients : (i + 1) * n // clients]:
                    if visitor.credit >= 1:
                        visitor.credit -= 1
                        visitor.save_profile(*next(turn))
                    visitor.credit += writes_per_read
                    visitor.request("search api", reader, "GET", f"/api/v1/organizations?{query.ours}")

            threads = [threading.Thread(target=visit, args=(i,)) for i in range(clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started
            done = [d for v in visitors for d in v.tally.done]
            reads = [d.ms for d in done if d.kind == "search api"]
            saves = [d.ms for d in done if d.kind == "profile save"]
            found.append(
                Memory(
                    f"{100 * args.write_share:g}% writes",
                    [memory_mb(p) for p in worker_pids(server.pid)],
                    percentile(reads, 95),
                    len(done) / seconds,
                    len(saves),
                    percentile(saves, 95) if saves else float("nan"),
                    [e for v in visitors for e in v.tally.errors],
                )
            )
    return found


# --- the report ------------------------------------------------------------------------------------


def span(values: list[float], digits: int = 1) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "–"
    low, high = min(values), max(values)
    return (
        f"{low:.{digits}f}"
        if len(values) == 1 or f"{low:.{digits}f}" == f"{high:.{digits}f}"
        else (f"{low:.{digits}f}–{high:.{digits}f}")
    )


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def report_queries(queries: QuerySet, ours: Load, peer: Load) -> None:
    print("**The queries** (every one distinct; totals from round 1's paired runs)\n")
    rows = []
    differ: list[tuple[Query, int | None, int | None]] = []
    for kind in KINDS:
        mine = [q for q in queries.load if q.kind == kind]
        comparable = [q for q in mine if q.datasette]
        agree = 0
        for q in comparable:
            a, b = ours.totals.get(q), peer.totals.get(q)
            if a is not None and a == b:
                agree += 1
            else:
                differ.append((q, a, b))
        rows.append(
            [kind, str(len(mine)), str(len(comparable)), f"{agree}/{len(comparable)}" if comparable else "–"]
        )
    comparable = queries.comparable
    agreeing = len(comparable) - len(differ)
    rows.append(
        ["**all**", str(len(queries.load)), str(len(comparable)), f"**{agreeing}/{len(comparable)}**"]
    )
    table(["kind", "queries", "Datasette can ask", "same total"], rows)
    if differ:
        shown: dict[str, tuple[Query, int | None, int | None]] = {}
        for q, a, b in differ:  # one per question: page and facet aside
            question = "&".join(p for p in (q.datasette or "").split("&") if not p.startswith("_facet"))
            shown.setdefault(question, (q, a, b))
        print(f"Totals that differ ({len(differ)}; up to 10 different questions):\n")
        table(
            ["kind", "ours", "total", "Datasette", "total"],
            [
                [q.kind, f"`{q.ours}`", str(a), f"`{q.datasette}`", str(b)]
                for q, a, b in list(shown.values())[:10]
            ],
        )


@dataclass
class Round:
    ours: Load  # on the queries Datasette can ask
    peer: Load  # Datasette, the same queries
    every: Load  # ours, every query
    first: list[FirstSearch]


def report_load(rounds: list[Round], workers: str) -> None:
    print(f"**Distinct queries, concurrency 8** ({len(rounds)} paired rounds; {workers})\n")

    def figures(loads: list[Load]) -> list[str]:
        return [
            span([x.rate() for x in loads]),
            span([x.p(50) for x in loads]),
            span([x.p(95) for x in loads]),
            span([x.p(99) for x in loads]),
            span([x.cpu_ms() for x in loads], 2),
            str(sum(len(x.failures) for x in loads)),
        ]

    n_c, n_all = rounds[0].ours.requests, rounds[0].every.requests
    table(
        ["", "req/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/query", "failed"],
        [
            [f"**ours**, the {n_c} Datasette can ask", *figures([r.ours for r in rounds])],
            [f"Datasette, the same {n_c}", *figures([r.peer for r in rounds])],
            [f"ours, all {n_all} (near included)", *figures([r.every for r in rounds])],
        ],
    )
    table(
        ["round", "throughput ours/Datasette", "p95 ours/Datasette (target ≥ 4, ≤ 0.2)"],
        [
            [str(i + 1), f"×{r.ours.rate() / r.peer.rate():.2f}", f"×{r.ours.p(95) / r.peer.p(95):.2f}"]
            for i, r in enumerate(rounds)
        ],
    )
    firsts = [f for r in rounds for f in r.first]
    print(
        f"First search after a start (one per worker, all sent at once as soon as the server answers "
        f"/login; {len(firsts)} starts): the slowest took {span([max(f.ms) for f in firsts], 0)} ms and was "
        f"answered {span([f.after_fork_s for f in firsts], 2)} s after the newest worker was forked "
        f"(target: within 1 s); /login alone answered {span([f.ready_s for f in firsts], 2)} s after it "
        "(the app's start, no search).\n"
    )
    failures = [x for r in rounds for load in (r.ours, r.peer, r.every) for x in load.failures]
    if failures:
        print(f"Failed requests: {len(failures)}, e.g. {failures[:3]}\n")


def report_cpu(rounds: list[Round]) -> None:
    print("**CPU per query** (server processes' user + system time over the run / requests)\n")
    rows = []
    for i, r in enumerate(rounds):
        for label, load in (
            ("ours (Datasette's queries)", r.ours),
            ("Datasette", r.peer),
            ("ours (all)", r.every),
        ):
            rows.append(
                [
                    str(i + 1),
                    label,
                    str(load.requests),
                    f"{load.seconds:.1f}",
                    f"{load.cpu_s:.2f}",
                    f"{load.cpu_ms():.2f}",
                ]
            )
    table(["round", "run", "requests", "wall s", "CPU s", "CPU ms/query"], rows)


def report_single(ours: Load, peer: Load, hello: Load) -> None:
    floor = hello.p(95)
    print(
        f"**Concurrency 1, per kind** (hello-world Flask under the same gunicorn: p50 "
        f"{hello.p(50):.2f}, p95 {floor:.2f} ms). The target is max(½ Datasette's p95, 2 × the "
        "hello-world p95), met when our p95 on the same queries is at most that (the floor alone for a "
        "kind Datasette cannot ask).\n"
    )
    rows = []
    for kind in KINDS:
        theirs = peer.p(95, kind)
        peer_known = not math.isnan(theirs)
        same = [ms for q, ms in ours.each.items() if q.kind == kind and (q.datasette or not peer_known)]
        mine = percentile(same, 95) if same else float("nan")
        target = max(theirs / 2, 2 * floor) if peer_known else 2 * floor
        rows.append(
            [
                kind,
                str(len(ours.ms.get(kind, []))),
                f"{ours.p(50, kind):.1f}",
                f"{ours.p(95, kind):.1f}",
                f"{mine:.1f} ({len(same)})",
                f"{theirs:.1f}" if peer_known else "– (no peer)",
                f"{target:.1f}",
                "yes" if mine <= target else "**no**",
            ]
        )
    table(
        [
            "kind",
            "queries",
            "ours p50 ms",
            "ours p95 ms",
            "ours p95, Datasette's queries",
            "Datasette p95 ms",
            "target p95 ms",
            "met",
        ],
        rows,
    )


def popular(ours: Ours, ds_path: Path, requests: int, rng: random.Random) -> list[list[str]]:
    """http_bench's fixed mix, repeated, at concurrency 8."""
    fixed = [q for q in http_bench.QUERIES if q.datasette]
    mix = [fixed[i % len(fixed)] for i in range(requests)]
    rng.shuffle(mix)
    rows = []
    for server in ("ours", "datasette"):
        context = ours.serve(cache=True) if server == "ours" else datasette(ds_path)
        with context as (process, base):
            urls = [(q.label, http_bench.url_for(server, base, q, "json")) for q in mix]
            http_bench.drive(urls[: 4 * len(fixed) * 2], 8)  # warm-up: every worker, every query
            pids = worker_pids(process.pid) if server == "ours" else [process.pid]
            cpu = cpu_seconds(pids)
            run = http_bench.drive(urls, 8)
            cpu = cpu_seconds(pids) - cpu
        s = http_bench.summary(run)
        rows.append(
            [
                "ours" if server == "ours" else "Datasette",
                f"{s['rps']:.1f}",
                f"{s['p50']:.1f}",
                f"{s['p95']:.1f}",
                f"{s['p99']:.1f}",
                f"{1000 * cpu / s['requests']:.2f}",
            ]
        )
    return rows


def report_memory(found: list[Memory]) -> None:
    print(
        "**Memory per worker** (private = Private_Clean + Private_Dirty; target: private ≤ 100 MB at "
        "100,000 rows)\n"
    )
    rows = []
    for m in found:
        rows.append(
            [
                m.label,
                ", ".join(f"{p:.0f}" for p, _ in m.workers),
                ", ".join(f"{r:.0f}" for _, r in m.workers),
                f"{m.rate:.1f}",
                f"{m.read_p95:.1f}",
                str(m.writes) if m.writes else "–",
                f"{m.write_p95:.1f}" if m.writes else "–",
                str(len(m.errors)),
            ]
        )
    table(["run", "private MB", "RSS MB", "req/s", "read p95 ms", "saves", "save p95 ms", "errors"], rows)
    if len(found) == 2:
        print(
            f"Read p95 with writes / read-only: ×{found[1].read_p95 / found[0].read_p95:.2f} (target ≤ 2).\n"
        )
    for m in found:
        if m.errors:
            print(f"Errors in the run with writes: {m.errors[:3]}\n")


# --- one backend, one size -------------------------------------------------------------------------


def database(backend: str, rows: int, csv_path: Path, args: argparse.Namespace) -> tuple[str, dict | None]:
    """The database URL for ``backend`` with ``rows`` imported (reused with --keep), and the throwaway
    cluster's environment when there is one."""
    cluster = None
    if backend == "sqlite":
        path = OUT / f"distinct-{rows}.sqlite3"
        url = f"sqlite:///{path}"
        fresh = http_bench.fresh_sqlite(path, args.keep)
    elif args.pg:
        base = sa.make_url(args.pg)
        url = base.set(database=f"{base.database}_{rows}").render_as_string(hide_password=False)
        fresh = not (args.keep and imported(url))
        if fresh:
            fresh_postgresql(url)
    else:
        cluster, url = http_bench.start_postgresql()
        fresh = True
    if fresh:
        env = {**os.environ, "DATABASE_URL": url}
        flask("db", "upgrade", env=env)
        seconds = flask("import-orgs", "--approve", str(csv_path), env=env)
        print(f"{backend}: `flask import-orgs --approve` of {rows:,} rows: {seconds:.1f} s\n")
    return url, cluster


def imported(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(sa.text("SELECT count(*) FROM organization")).scalar_one())
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


HELLO = Query("hello", "", None)


@contextlib.contextmanager
def hello_server(workers: int | None) -> Iterator[str]:
    """A hello-world Flask app (``bench/hello_wsgi.py``) under the same gunicorn settings: the floor."""
    extra = {"WEB_CONCURRENCY": str(workers)} if workers else {}
    server, base = start_ours("sqlite://", True, ready="/", app="bench.hello_wsgi:app", **extra)
    try:
        yield base
    finally:
        server.terminate()
        server.wait()


def single_run(ours: Ours, ds_path: Path, queries: QuerySet, args: argparse.Namespace) -> None:
    """Table 3: each kind's distinct queries one at a time on ours, then the same on Datasette, then as
    many requests to hello-world, kind after kind, all three servers up at once: every comparison is
    made within the same few seconds, so the machine's speed drifting over the minutes of a run (on a
    shared virtual machine, by a third and more) does not favour one side."""
    mine, peer, hello = Load(), Load(), Load()
    with (
        ours.serve() as (server, base),
        datasette(ds_path) as (_server, ds_base),
        hello_server(args.workers) as hello_base,
    ):
        first_searches(base, server.pid, queries.reserve, ours.ready_at)
        drive([(q, our_url(base, q)) for q in queries.reserve], 2, "ours")
        drive([(q, ds_url(ds_base, q)) for q in queries.reserve if q.datasette], 4, "datasette")
        drive([(HELLO, hello_base + "/")] * 20, 1, "hello")
        for kind in KINDS:
            single = queries.single[kind]
            add(mine, drive([(q, our_url(base, q)) for q in single], 1, "ours"))
            add(peer, drive([(q, ds_url(ds_base, q)) for q in single if q.datasette], 1, "datasette"))
            add(hello, drive([(HELLO, hello_base + "/")] * len(single), 1, "hello"))
    report_single(mine, peer, hello)


def add(into: Load, load: Load) -> None:
    """Add ``load``'s answers to ``into``."""
    for kind, values in load.ms.items():
        into.ms[kind].extend(values)
    into.totals.update(load.totals)
    into.each.update(load.each)
    into.failures.extend(load.failures)
    into.seconds += load.seconds
    into.cpu_s += load.cpu_s


def run_backend(
    backend: str, url: str, ds_path: Path, queries: QuerySet, words: Vocabulary, args: argparse.Namespace
) -> dict:
    ours = Ours(url, args.workers)
    if args.single_only:
        single_run(ours, ds_path, queries, args)
        return {}
    workers = f"{args.workers} gunicorn workers" if args.workers else "gunicorn.conf.py's workers"
    rounds = []
    for i in range(args.rounds):
        progress(f"{backend}: round {i + 1} of {args.rounds}")
        mine, first = run_ours(ours, queries.comparable, queries.reserve, 8)
        peer = run_datasette(ds_path, queries.comparable, queries.reserve, 8)
        every, first_all = run_ours(ours, queries.load, queries.reserve, 8)
        rounds.append(Round(mine, peer, every, [first, first_all]))
    print(f"### {args.current_rows:,} rows, ours on {backend}, Datasette on SQLite\n")
    report_queries(queries, rounds[0].ours, rounds[0].peer)
    report_load(rounds, workers)
    report_cpu(rounds)
    result = {
        "cpu_ms": statistics.median(r.every.cpu_ms() for r in rounds),
        "p95": statistics.median(r.every.p(95) for r in rounds),
        "rate": statistics.median(r.every.rate() for r in rounds),
        "ratio": statistics.median(r.ours.rate() / r.peer.rate() for r in rounds),
    }
    if args.load_only:
        return result

    progress(f"{backend}: concurrency 1 per kind")
    single_run(ours, ds_path, queries, args)

    progress(f"{backend}: popular searches")
    print("**Popular searches, repeated**: `http_bench.QUERIES`, the old fixed mix, concurrency 8\n")
    table(
        ["", "req/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/query"],
        popular(ours, ds_path, args.popular, random.Random(args.seed)),
    )

    progress(f"{backend}: memory with {args.memory_workers} workers")
    report_memory(memory_runs(ours, words, queries.load, queries.reserve, args))
    return result


def report_growth(growth: dict[str, dict[int, dict]]) -> None:
    for backend, measured in growth.items():
        sizes = {rows: figures for rows, figures in measured.items() if figures}  # none with --single-only
        if len(sizes) < 2:
            continue
        print(f"**Growth on {backend}** (ours, every query, medians over the rounds; target ≤ ×1.5)\n")
        first = min(sizes)
        rows = []
        for rows_n, g in sorted(sizes.items()):
            base = sizes[first]
            rows.append(
                [
                    f"{rows_n:,}",
                    f"{g['cpu_ms']:.2f}",
                    f"×{g['cpu_ms'] / base['cpu_ms']:.2f}",
                    f"{g['p95']:.1f}",
                    f"×{g['p95'] / base['p95']:.2f}",
                    f"{g['rate']:.1f}",
                    f"×{g['ratio']:.2f}",
                ]
            )
        table(
            ["rows", "CPU ms/query", "growth", "p95 ms", "growth", "req/s", "throughput vs Datasette"], rows
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", default="100000", help="sizes, comma-separated (e.g. 100000,300000)")
    parser.add_argument("--queries", type=int, default=2000, help="distinct queries in the load list")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds (ours, Datasette)")
    parser.add_argument("--per-kind", type=int, default=36, help="queries of each kind at concurrency 1")
    parser.add_argument("--popular", type=int, default=400, help="requests of the repeated fixed mix")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg", help="PostgreSQL URL; its database <name>_<rows> is dropped and created")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--memory-workers", type=int, default=4)
    parser.add_argument("--write-share", type=float, default=0.05, help="writes in the memory run (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="reuse the CSV and databases of that size")
    parser.add_argument("--smoke", action="store_true", help="2,000 rows, 200 queries, 1 round, SQLite")
    parser.add_argument(
        "--load-only", action="store_true", help="only the load rounds (tables 1, 2, 4 and 7: growth)"
    )
    parser.add_argument(
        "--single-only", action="store_true", help="only concurrency 1 per kind (table 3), one run"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.queries, args.rounds, args.per_kind, args.popular = "2000", 200, 1, 10, 80
        if "--backends" not in sys.argv:
            args.backends = "sqlite"
    growth: dict[str, dict[int, dict]] = collections.defaultdict(dict)
    for rows in [int(n) for n in args.rows.split(",")]:
        args.current_rows = rows
        progress(f"{rows} rows: data")
        csv_path, ds_path = http_bench.prepare_data(
            rows, args.keep, f"; {rows:,} rows, seed {args.seed}", OUT / f"datasette-{rows}" / "bench.db"
        )
        words = vocabulary(csv_path, random.Random(args.seed))
        queries: QuerySet | None = None
        for backend in args.backends.split(","):
            url, cluster = database(backend, rows, csv_path, args)
            try:
                if queries is None:
                    rng = random.Random(args.seed)
                    places = find_places(Ours(url, args.workers), words.cities, rng)
                    queries = build_queries(Maker(words, places, rng), args.queries, args.per_kind)
                growth[backend][rows] = run_backend(backend, url, ds_path, queries, words, args)
            finally:
                if cluster:
                    http_bench.stop_postgresql(cluster)
    report_growth(growth)
    (OUT / "distinct-results.json").write_text(json.dumps(growth, indent=1))


if __name__ == "__main__":
    main()
