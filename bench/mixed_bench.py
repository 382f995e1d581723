"""A mixed read/write load under gunicorn: signed-in visitors searching, reading profiles and saving.

    python bench/mixed_bench.py                                  # SQLite: 100,000 listings, 16 clients, 60 s
    python bench/mixed_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:54329/mixed_bench  # and PG
    python bench/mixed_bench.py --rows 2000 --seconds 10        # a quick look
    make bench-mixed PG=postgresql+psycopg://postgres@127.0.0.1:54329/mixed_bench  # N=... for other sizes

Each database is fresh: SQLite in a temporary folder, then, with ``--pg``, PostgreSQL, whose named
database is DROPPED and created again (name one that holds nothing else). Both are built by the
migrations; ``bench/generate.py`` writes ``--rows`` listings (the CSV the other benchmarks use) and
``flask import-orgs --approve`` imports them, timed in its own process. Then ``--members`` of those
organizations (200 by default, spread over the ids, one member each, the password hashed once) are
created, and a verified agency sends each of them a partnership request, so that each member has a
thread to write in. gunicorn starts with ``gunicorn.conf.py`` and ``--workers`` workers (4 by default);
before the clock starts every member signs in over HTTP (argon2: this takes a while) and each worker
builds its search index with a few searches the visitors never ask.

The load: ``--clients`` threads (16) for ``--seconds`` (60), each a visitor of its own holding the sessions
of its share of the members, used in turn; every request is on a new connection. Reads are what real
users do, and every search is one nobody has asked before in the run: words, word pairs and prefixes
of the generated descriptions (topic words in many rows, and rare words: mostly place names), countries,
continents and sub-regions, focus, model, service, trafficking and language filters alone and
combined, with or without text, ``near`` places from the data (those the place search finds) with radii
from 25 to 2,000 km, sorts, pages 1 to 5; each on the HTML page or the JSON API (40% each), and profile
pages (20%, mostly HTML). Writes are ``--write-share`` of the requests (5%), spread evenly over each
visitor's requests: three in four a member saving its organization's profile (the editor's GET, then
the POST with its CSRF token and edit version; the listings are approved, so each save replaces the
listing's pending revision), one in four a message in the member's request thread (the request page's
GET, then the POST). Each write's GET counts as a read. The per-worker result cache is on, as
deployed; ``--no-cache`` runs gunicorn with ``SEARCH_CACHE_MB=0``.

Printed per database: the machine, rows, workers, clients, seconds, requests done and per second, the
errors (status >= 500, connection errors and any unexpected status, each listed, with the server's
tracebacks; and any acknowledged write the database does not hold afterwards), p50/p95/p99/max of
reads and of writes (and of each kind of request), and each gunicorn worker's resident memory after
the run. Exits 1 when any database had an error.
"""

from __future__ import annotations

import argparse
import collections
import csv
import http.client
import itertools
import os
import platform
import random
import re
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.http_bench import worker_rss_mb  # noqa: E402
from bench.race_bench import (  # noqa: E402
    EDITOR,
    PASSWORD,
    Browser,
    Listing,
    editor_form,
    fresh_postgresql,
    hidden_value,
    migrate,
    org_member,
    serve,
    stored,
)
from bench.search_bench import flask, percentile  # noqa: E402
from directory import regions, vocab  # noqa: E402
from directory.organizations.importing import TRAFFICKING_FOCUS  # noqa: E402

RADII = (25, 50, 100, 250, 500, 1000, 2000)
PAGES = (1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5)  # most visitors stay on the first page
STOP_WORDS = {"and", "the", "for", "with", "before", "every", "through", "based", "local", "run", "start"}
READ_KINDS = ("search page", "search api", "profile page", "profile api", "editor page", "request page")
WRITE_KINDS = ("profile save", "message")


# --- the database: imported listings, members with a request thread each ----------------------------


@dataclass
class Member:
    email: str
    org_id: int
    request_id: int
    form: dict[str, Any]  # the editor as a browser sends it, without the token and the version


@dataclass
class Prepared:
    members: list[Member]
    slugs: list[str]  # every public listing's
    places: list[str]  # city names from the data that the place search finds


def prepare(url: str, count: int, cities: list[str], rng: random.Random) -> Prepared:
    """``count`` members (password PASSWORD) of imported listings, a partnership request to each from
    a verified agency, and the slugs and places the visitors will ask for."""
    from directory import create_app
    from directory.accounts.models import Role, User
    from directory.accounts.passwords import hash_password
    from directory.agencies.models import Agency, AgencyStatus, AgencyType
    from directory.db import now_utc
    from directory.extensions import db
    from directory.geo import PlaceNotFoundError, get_geo
    from directory.organizations.models import ListingStatus, Organization
    from directory.partnerships.services import RequestDraft, send_requests

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        public = sa.select(Organization.id, Organization.slug).where(
            Organization.status == ListingStatus.APPROVED
        )
        rows = db.session.execute(public.order_by(Organization.id)).all()
        count = min(count, len(rows))
        chosen = [rows[i * len(rows) // count].id for i in range(count)]
        orgs = db.session.scalars(sa.select(Organization).where(Organization.id.in_(chosen))).all()
        password_hash = hash_password(PASSWORD)
        agency = Agency(
            name="Bench Agency",
            agency_type=AgencyType.GOVERNMENT,
            country_code="KE",
            status=AgencyStatus.VERIFIED,
        )
        db.session.add(agency)
        db.session.flush()
        officer = User(
            email="officer@agency.bench.example",
            password_hash=password_hash,
            display_name="Bench Officer",
            role=Role.AGENCY_MEMBER,
            agency_id=agency.id,
            email_confirmed_at=now_utc(),
        )
        db.session.add(officer)
        db.session.flush()
        requests = send_requests(
            officer,
            list(orgs),
            RequestDraft(
                title="Training for labour inspectors",
                summary="Two days of training led by survivors, for the inspectors of one province.",
                stages=["design"],
                maturity="idea",
                engagement="trainer",
                paid=False,
                respond_by=date.today() + timedelta(days=60),
            ),
            "mixed-bench",
            date.today(),
        )
        db.session.flush()
        request_of = {r.organization_id: r.id for r in requests}
        members = []
        for org in orgs:
            email = f"member{org.id}@bench.example"
            db.session.add(org_member(email, org.id, password_hash, "Bench Member"))
            members.append(Member(email, org.id, request_of[org.id], editor_form(org)))
        db.session.commit()
        places = []
        for city in rng.sample(cities, min(len(cities), 400)):
            try:
                get_geo().resolve(city)
            except PlaceNotFoundError:
                continue
            places.append(city)
        slugs = [row.slug for row in rows]
        db.engine.dispose()
    if not places:
        raise RuntimeError("no place of the data is found by the place search")
    rng.shuffle(members)
    return Prepared(members, slugs, places)


# --- what visitors ask -----------------------------------------------------------------------------


@dataclass
class Row:
    """What one generated row offers a query: its place and its filter values."""

    country: str
    focus: list[str]
    trafficking: list[str]
    models: list[str]
    services: list[str]
    languages: list[str]


@dataclass
class Vocabulary:
    """What visitors type: the descriptions' topic words and pairs (in many rows) and the prefixes of those
    words; and rare words and pairs (in a few rows: mostly place names)."""

    words: list[str]
    pairs: list[str]
    prefixes: list[str]
    rare: list[str]
    rows: list[Row]  # a sample of the generated rows, for filters that match something
    cities: list[str]
    counts: dict[str, int] = field(default_factory=dict)  # word or pair -> occurrences in the descriptions
    total: int = 0  # rows in the CSV


def vocabulary(csv_path: Path, rng: random.Random, sample: int = 5000) -> Vocabulary:
    """Words, word pairs and prefixes of the generated descriptions, and a sample of the rows."""
    words: collections.Counter[str] = collections.Counter()
    pairs: collections.Counter[str] = collections.Counter()
    sample_rows: list[Row] = []
    cities: set[str] = set()
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for n, row in enumerate(csv.DictReader(handle)):
            for sentence in row["description"].split(". "):
                tokens = re.findall(r"[^\W\d_][\w-]*", sentence.lower())
                words.update(t for t in tokens if len(t) > 3 and t not in STOP_WORDS)
                pairs.update(
                    f"{a} {b}"
                    for a, b in itertools.pairwise(tokens)
                    if len(a) > 2 and len(b) > 2 and a not in STOP_WORDS and b not in STOP_WORDS
                )
            cities.add(row["city"])
            focus = row["focus_areas"].split(";")
            row_values = Row(
                country=row["country_code"],
                focus=[f for f in focus if f not in TRAFFICKING_FOCUS],
                trafficking=[TRAFFICKING_FOCUS[f] for f in focus if f in TRAFFICKING_FOCUS],
                models=row["leadership_models"].split(";"),
                services=row["services"].split(";"),
                languages=row["languages"].split(";"),
            )
            if len(sample_rows) < sample:  # reservoir sampling: every row equally likely
                sample_rows.append(row_values)
            elif (k := rng.randrange(n + 1)) < sample:
                sample_rows[k] = row_values
    many = max(5, (n + 1) // 200)  # in at least one row in 200
    topic = sorted(w for w, count in words.items() if count >= many)
    topic_pairs = sorted(p for p, count in pairs.items() if count >= many)
    rare = sorted(
        [w for w, count in words.items() if count < many] + [p for p, c in pairs.items() if c < many]
    )
    prefixes = sorted({w[:cut] for w in topic if len(w) >= 7 for cut in range(4, len(w) - 1)})
    return Vocabulary(
        topic, topic_pairs, prefixes, rare, sample_rows, sorted(cities), {**words, **pairs}, n + 1
    )


class Searches:
    """Search query strings that have not been asked before in this run (shared by the clients)."""

    def __init__(self, words: Vocabulary, places: list[str]) -> None:
        self.words, self.places = words, places
        self.seen: set[str] = set()
        self.repeats = 0
        self.lock = threading.Lock()

    def _text(self, rng: random.Random) -> tuple[str, bool]:
        """Something to type, and whether it matches many listings."""
        pick = rng.random()
        if pick < 0.25:
            return rng.choice(self.words.words), True
        if pick < 0.45:
            return rng.choice(self.words.pairs), True
        if pick < 0.6:
            return rng.choice(self.words.prefixes), True
        return rng.choice(self.words.rare), False

    def _filters(self, rng: random.Random, row: Row, how_many: int) -> list[tuple[str, str]]:
        place = regions.region_of(row.country)
        options = [
            ("country", row.country),
            ("region", place.region),
            ("region", place.subregion),
            (
                "focus",
                rng.choice(row.focus) if row.focus else rng.choice(list(vocab.TAXONOMIES["focus"])),
            ),
            ("trafficking", rng.choice(row.trafficking or ["sex", "labor"])),
            ("model", rng.choice(row.models)),
            ("service", rng.choice(row.services)),
            ("language", rng.choice(row.languages)),
        ]
        chosen = rng.sample(options, how_many)
        return sorted(set(chosen))

    def _one(self, rng: random.Random) -> str:
        row = rng.choice(self.words.rows)
        text, broad = self._text(rng)
        shape = rng.random()
        args: list[tuple[str, str | int]] = []
        if shape < 0.3:  # text alone
            args.append(("q", text))
        elif shape < 0.45:  # one filter
            args += self._filters(rng, row, 1)
        elif shape < 0.6:  # filters combined
            args += self._filters(rng, row, rng.randint(2, 3))
        elif shape < 0.8:  # text and filters
            args += [("q", text), *self._filters(rng, row, rng.randint(1, 2))]
        else:  # near a place, alone, with text or with a filter
            args += [("near", rng.choice(self.places)), ("radius_km", rng.choice(RADII))]
            extra = rng.random()
            if extra < 0.35:
                args.append(("q", text))
            elif extra < 0.7:
                args += self._filters(rng, row, 1)
            if rng.random() < 0.3:
                args.append(("sort", "distance"))
        if not any(name == "sort" for name, _value in args) and rng.random() < 0.1:
            args.append(("sort", rng.choice(["name", "updated"])))
        typed = any(name == "q" for name, _value in args)
        page = rng.choice(PAGES) if broad or not typed else 1  # a rare word has no page 2
        if page > 1:
            args.append(("page", page))
        return urllib.parse.urlencode(args)

    def next(self, rng: random.Random) -> str:
        """A query string nobody asked in this run (after 50 tries, one that was: counted in ``repeats``)."""
        for _ in range(50):
            query = self._one(rng)
            with self.lock:
                if query not in self.seen:
                    self.seen.add(query)
                    return query
        with self.lock:
            self.repeats += 1
        return query


# --- the load --------------------------------------------------------------------------------------


@dataclass
class Done:
    kind: str
    ms: float


@dataclass
class Tally:
    sent: int = 0  # requests sent, answered or not
    done: list[Done] = field(default_factory=list)  # the answered ones
    errors: list[str] = field(default_factory=list)


class Visitor:
    """One client thread: its members' signed-in browsers, used in turn."""

    def __init__(
        self,
        index: int,
        members: list[tuple[Member, Browser]],
        prepared: Prepared,
        searches: Searches,
        writes_per_read: float,
        seed: int,
    ) -> None:
        self.index, self.members, self.prepared, self.searches = index, members, prepared, searches
        self.writes_per_read = writes_per_read
        self.rng = random.Random(seed * 1000 + index)
        self.credit = self.rng.random()  # writes owed; the visitors do not all write at the same moment
        self.tally = Tally()
        self.saves = 0
        self.saved: dict[int, str] = {}  # organization id -> the summary of its last acknowledged save
        self.messages = 0  # acknowledged

    def request(
        self,
        kind: str,
        browser: Browser,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        expect: Callable[[int, str, str], bool] = lambda status, _location, _page: status == 200,
    ) -> str | None:
        """Send one request; its time is recorded, and anything but the expected answer is an error.
        Returns the page when it was as expected."""
        self.tally.sent += 1
        started = time.perf_counter()
        try:
            if method == "GET":
                status, location, page = browser.get(path)
            else:
                status, location, page = browser.post(path, data or {})
        except (OSError, http.client.HTTPException) as exc:
            self.tally.errors.append(f"{kind}: {method} {path}: {type(exc).__name__}: {exc}")
            return None
        self.tally.done.append(Done(kind, (time.perf_counter() - started) * 1000))
        if not expect(status, location, page):
            where = f" -> {location}" if location else ""
            self.tally.errors.append(f"{kind}: {method} {path}: {status}{where}")
            return None
        return page

    def read(self, browser: Browser) -> None:
        pick = self.rng.random()
        if pick < 0.8:
            query = self.searches.next(self.rng)
            if pick < 0.4:
                self.request("search page", browser, "GET", f"/organizations?{query}")
            else:
                self.request("search api", browser, "GET", f"/api/v1/organizations?{query}")
            return
        slug = urllib.parse.quote(self.rng.choice(self.prepared.slugs))
        if pick < 0.95:
            self.request("profile page", browser, "GET", f"/organizations/{slug}")
        else:
            self.request("profile api", browser, "GET", f"/api/v1/organizations/{slug}")

    def save_profile(self, member: Member, browser: Browser) -> None:
        page = self.request("editor page", browser, "GET", EDITOR)
        if page is None:
            return
        self.saves += 1
        summary = f"Survivor-led work, updated: save {self.saves} by visitor {self.index}."
        data = {
            **member.form,
            "summary": summary,
            "csrf_token": hidden_value(page, "csrf_token"),
            "edit_version": hidden_value(page, "edit_version"),
        }
        saved = self.request(
            "profile save",
            browser,
            "POST",
            EDITOR,
            data,
            expect=lambda status, location, _page: (
                status == 302 and location.endswith("/my/organization/edit")
            ),
        )
        if saved is not None:
            self.saved[member.org_id] = summary

    def write_message(self, member: Member, browser: Browser) -> None:
        path = f"/requests/{member.request_id}"
        page = self.request("request page", browser, "GET", path)
        if page is None:
            return
        data = {"body": "Thank you. We can talk on Tuesday.", "csrf_token": hidden_value(page, "csrf_token")}
        sent = self.request(
            "message",
            browser,
            "POST",
            f"{path}/messages",
            data,
            expect=lambda status, location, _page: status == 302 and f"{path}#thread" in location,
        )
        self.messages += sent is not None

    def run(self, deadline: float) -> None:
        turn = itertools.cycle(self.members)
        while time.monotonic() < deadline:
            member, browser = next(turn)
            try:
                if self.credit < 1:  # writes_per_read writes for each read, exactly
                    self.credit += self.writes_per_read
                    self.read(browser)
                elif self.rng.random() < 0.75:
                    self.credit -= 1
                    self.save_profile(member, browser)
                else:
                    self.credit -= 1
                    self.write_message(member, browser)
            except ValueError as exc:  # a form without its token or version (hidden_value)
                self.tally.errors.append(f"a form: {exc}")


@dataclass
class Outcome:
    seconds: float
    tally: Tally
    sign_in_s: float
    rss_mb: list[float]
    searches: int
    repeats: int
    tracebacks: list[str]
    listings_saved: int  # listings with an acknowledged save (checked in the database afterwards)
    messages: int  # acknowledged messages (likewise)
    log: Path  # gunicorn's error log


def sign_in(server: tuple[str, int], members: list[Member], clients: int) -> list[Browser]:
    """A signed-in browser per member, signed in ``clients`` at a time."""

    def one(member: Member) -> Browser:
        browser = Browser(*server)
        browser.sign_in(member.email)
        return browser

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, members))


def server_tracebacks(log: str) -> list[str]:
    """The distinct tracebacks in gunicorn's error log (each record starts with "[time]" from gunicorn or
    "LEVEL:logger:" from the app's logging; the lines of a traceback do not): the record's first line,
    the frames in the app's own code and the exception."""
    ours = f'File "{ROOT / "directory"}'
    found: dict[str, str] = {}
    for record in re.split(r"\n(?=\[|[A-Z]+:)", log):
        if "Traceback" not in record:
            continue
        lines = record.strip().splitlines()
        frames = []
        for i, line in enumerate(lines):
            if ours in line:
                frames += lines[i : i + 2]  # the frame and its line of code
        found.setdefault(lines[-1], "\n".join([lines[0], *frames, lines[-1]]))
    return list(found.values())


def check_writes(url: str, saved: dict[int, str], messages: int) -> list[str]:
    """What the database holds after the run, against the acknowledged writes: each saved listing has one
    pending revision holding its last acknowledged save, and every acknowledged message is stored."""
    problems = []
    engine = sa.create_engine(url)
    try:
        for org_id, summary in saved.items():
            found = stored(engine, Listing(org_id, draft=False, emails=[], form={}))
            if found.pending != 1 or found.summary != summary:
                problems.append(
                    f"database: listing {org_id} has {found.pending} pending revisions holding "
                    f"{found.summary!r}, but the last acknowledged save was {summary!r}"
                )
        with engine.connect() as connection:
            in_threads = connection.execute(sa.text("SELECT count(*) FROM request_message")).scalar_one()
        if in_threads != messages:
            problems.append(f"database: {in_threads} messages stored, but {messages} were acknowledged")
    finally:
        engine.dispose()
    return problems


def warm_up(server: tuple[str, int], workers: int, place: str) -> None:
    """What a worker does once in its life, before the clock starts: build its search index, load the
    gazetteer, compile the templates (a few searches per worker, none of them asked by the visitors)."""
    near = urllib.parse.urlencode({"near": place, "per_page": 1})
    paths = ["/api/v1/organizations?per_page=1", "/organizations?per_page=1", f"/api/v1/organizations?{near}"]

    def one(path: str) -> None:
        status, _location, _page = Browser(*server).get(path)
        if status != 200:
            raise RuntimeError(f"warm-up: GET {path}: {status}")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, [paths[i % len(paths)] for i in range(workers * 3 * len(paths))]))


def load(url: str, prepared: Prepared, words: Vocabulary, args: argparse.Namespace, log: Path) -> Outcome:
    """gunicorn on ``url``; every member signs in, then ``args.clients`` visitors for ``args.seconds``."""
    env = {"SEARCH_CACHE_MB": "0"} if args.no_cache else {}
    with serve(url, args.workers, env=env, log=log) as server:
        started = time.perf_counter()
        browsers = sign_in((server.host, server.port), prepared.members, args.clients)
        sign_in_s = time.perf_counter() - started
        warm_up((server.host, server.port), args.workers, prepared.places[0])
        searches = Searches(words, prepared.places)
        pairs = list(zip(prepared.members, browsers, strict=True))
        # A write is two requests, its form's GET (a read) and its POST: W / (R + 2 W) = write_share.
        writes_per_read = args.write_share / (1 - 2 * args.write_share)
        visitors = [
            Visitor(i, pairs[i :: args.clients], prepared, searches, writes_per_read, args.seed)
            for i in range(args.clients)
        ]
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=v.run, args=(deadline,)) for v in visitors]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        rss = worker_rss_mb(server.pid)
    tally = Tally(
        sum(v.tally.sent for v in visitors),
        [d for v in visitors for d in v.tally.done],
        [e for v in visitors for e in v.tally.errors],
    )
    saved = {org_id: summary for v in visitors for org_id, summary in v.saved.items()}
    messages = sum(v.messages for v in visitors)
    tally.errors += check_writes(url, saved, messages)
    tracebacks = server_tracebacks(log.read_text(errors="replace"))
    return Outcome(
        seconds,
        tally,
        sign_in_s,
        rss,
        len(searches.seen),
        searches.repeats,
        tracebacks,
        len(saved),
        messages,
        log,
    )


# --- the report ------------------------------------------------------------------------------------


def _figures(values: list[float]) -> str:
    if not values:
        return f"{0:7d} {'-':>8} {'-':>8} {'-':>8} {'-':>8}"
    return (
        f"{len(values):7d} {percentile(values, 50):8.1f} {percentile(values, 95):8.1f} "
        f"{percentile(values, 99):8.1f} {max(values):8.1f}"
    )


def report(name: str, outcome: Outcome) -> None:
    done, errors = outcome.tally.done, outcome.tally.errors
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for d in done:
        by_kind[d.kind].append(d.ms)
    reads = [ms for kind in READ_KINDS for ms in by_kind[kind]]
    writes = [ms for kind in WRITE_KINDS for ms in by_kind[kind]]
    total = outcome.tally.sent
    print(
        f"{name}: {total} requests in {outcome.seconds:.1f} s = {total / outcome.seconds:.1f} requests/s "
        f"({len(reads)} reads, {len(writes)} writes = {100 * len(writes) / max(1, len(done)):.1f}%); "
        f"{outcome.searches} distinct searches ({outcome.repeats} repeated); errors: {len(errors)}"
    )
    print(f"  {'latency, ms':22} {'count':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    print(f"  {'reads':22} {_figures(reads)}")
    print(f"  {'writes':22} {_figures(writes)}")
    for kind in (*READ_KINDS, *WRITE_KINDS):
        print(f"    {kind:20} {_figures(by_kind[kind])}")
    print(
        f"  checked afterwards in the database: {outcome.listings_saved} listings with saves, "
        f"{outcome.messages} messages"
    )
    print(f"  gunicorn workers' RSS after the run: {', '.join(f'{mb:.0f}' for mb in outcome.rss_mb)} MB")
    if errors:
        print(f"  errors ({len(errors)}), by kind and answer:")
        kinds = collections.Counter(re.sub(r"^([^:]+: \S+) \S+(: [^:]+).*", r"\1\2", e) for e in errors)
        for line, n in kinds.most_common():
            print(f"    {n} x {line}")
        print("  each (at most 30):")
        for line, n in collections.Counter(errors).most_common(30):
            print(f"    {n} x {line}")
        for traceback in outcome.tracebacks[:3]:
            print("  server traceback:\n    " + traceback.replace("\n", "\n    "))
        print(f"  gunicorn's error log: {outcome.log}")


def server_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + str(connection.execute(sa.text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def run(name: str, url: str, csv_path: Path, words: Vocabulary, args: argparse.Namespace, log: Path) -> bool:
    """Build, import, prepare and load one database; True when there was no error."""
    if url.startswith("postgresql"):
        fresh_postgresql(url)
    migrate(url)
    seconds = flask("import-orgs", "--approve", str(csv_path), env={**os.environ, "DATABASE_URL": url})
    started = time.perf_counter()
    prepared = prepare(url, args.members, words.cities, random.Random(args.seed))
    print(
        f"{name} ({server_version(url)}): import {args.rows} rows {seconds:.1f} s; {len(prepared.members)} "
        f"members with a request thread each {time.perf_counter() - started:.1f} s; "
        f"{len(prepared.places)} places for near"
    )
    outcome = load(url, prepared, words, args, log)
    print(f"{name}: {len(prepared.members)} members signed in over HTTP in {outcome.sign_in_s:.1f} s")
    report(name, outcome)
    return not outcome.tally.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--write-share", type=float, default=0.05, help="share of requests that are writes")
    parser.add_argument("--members", type=int, default=200, help="members who sign in and write")
    parser.add_argument("--no-cache", action="store_true", help="run gunicorn with SEARCH_CACHE_MB=0")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", help="a PostgreSQL URL whose database may be dropped and created again")
    args = parser.parse_args()
    if not 0 <= args.write_share < 0.5:
        parser.error("--write-share must be at least 0 and less than 0.5 (each write comes with a read)")
    if min(args.members, args.rows) < args.clients:
        parser.error("--members and --rows must be at least --clients (each client holds a member's session)")

    from bench.generate import generate

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.rows} rows, gunicorn {args.workers} workers, {args.clients} clients for {args.seconds:g} s, "
        f"writes {100 * args.write_share:g}% of requests, result cache "
        f"{'off (SEARCH_CACHE_MB=0)' if args.no_cache else 'on'}"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = generate(OUT / f"orgs-{args.rows}.csv", args.rows)
    words = vocabulary(csv_path, random.Random(args.seed))
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        targets = [("SQLite", f"sqlite:///{Path(folder) / 'mixed.sqlite3'}")]
        if args.pg:
            targets.append(("PostgreSQL", args.pg))
        for name, url in targets:
            log = OUT / f"mixed-gunicorn-{name}.log"
            log.unlink(missing_ok=True)
            ok = run(name, url, csv_path, words, args, log) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
