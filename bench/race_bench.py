"""The issue's race: members of one organization save its profile at the same moment, under gunicorn.

    python bench/race_bench.py                                    # SQLite: 16 threads x 50 rounds
    python bench/race_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:54329/race_bench
    python bench/race_bench.py --threads 4 --rounds 5 --workers 2  # a quick look

Each database is fresh (SQLite in a temporary folder; with ``--pg`` the named database is DROPPED and
created again, so name one that holds nothing else) and built by the migrations. Two listings are
raced in turn, a draft (edited in place) and an approved one (edits wait in a revision), each with
``--threads`` members signed in over HTTP. Every round, each member loads the same section of the
editor (so all start from the same version of it), waits at a barrier, and posts a save with its own
text at the same moment. After the round the database is read: the one acknowledged save (a 302 to the
editor's overview) must be what the
listing, or its single pending revision, holds; every other member must have had the conflict page
(200, both versions side by side).

Printed per listing and database: rounds, acknowledged saves, conflict pages, responses >= 500, other
responses, pending revisions left, acknowledged saves missing afterwards, rounds with not exactly one
acknowledged save, and p50/p95 of the save requests. ``tests/test_races.py`` runs the same race, smaller.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.search_bench import percentile  # noqa: E402

PASSWORD = "correct walnut harbor seventeen"  # noqa: S105 (fictional members of a throwaway database)
CONFLICT_TEXT = "Someone else saved this profile"


# --- the database: migrated, with two listings and their members ----------------------------------


@dataclass
class Listing:
    org_id: int
    draft: bool
    emails: list[str]
    form: dict[str, Any]  # the editor as a browser sends it, without the token and the version


def migrate(url: str) -> None:
    """Build the schema with the migrations (``flask db upgrade``) on an empty database."""
    from flask_migrate import upgrade

    from directory import create_app
    from directory.extensions import db
    from directory.geo import get_geo

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        get_geo().gazetteer.ensure_built()
        db.engine.dispose()


def org_member(email: str, org_id: int, password_hash: str, name: str) -> Any:
    """A confirmed member of organization ``org_id`` (a ``User``, not yet added to the session)."""
    from directory.accounts.models import Role, User
    from directory.db import now_utc

    return User(
        email=email,
        password_hash=password_hash,
        display_name=name,
        role=Role.ORG_MEMBER,
        organization_id=org_id,
        email_confirmed_at=now_utc(),
    )


#: The editor's section the members race on (the summary is in it); a save goes back to the overview.
EDITOR = "/my/organization/edit/about"


def editor_form(org: Any) -> dict[str, Any]:
    """The profile editor as a browser sends it unchanged (without the CSRF token and the version)."""
    from directory.organizations import editing

    values = editing.input_to_dict(editing.editable_input(org))
    values["languages"] = ", ".join(values["languages"])
    return {k: v for k, v in values.items() if v is not None}


def prepare(url: str, members: int) -> list[Listing]:
    """A draft and an approved listing, each with ``members`` members (password PASSWORD)."""
    from directory import create_app
    from directory.accounts.passwords import hash_password
    from directory.extensions import db
    from directory.geo import get_geo
    from directory.organizations.models import ListingStatus
    from directory.organizations.services import OrganizationInput, create_organization

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    listings = []
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        for n, status in enumerate((ListingStatus.DRAFT, ListingStatus.APPROVED)):
            org = create_organization(
                OrganizationInput(
                    name=f"Race Circle {n}",
                    country_code="CM",
                    city="Douala",
                    summary="Loans and training for women.",
                    leadership_narrative="Survivors run every programme.",
                    models=["survivor-founded"],
                    focus=["micro-finance"],
                    trafficking=["sex"],
                    email="hello@circle.example",
                ),
                get_geo().gazetteer,
                status=status,
            )
            db.session.flush()
            emails = [f"member{n}-{i}@race.example" for i in range(members)]
            db.session.add_all(org_member(email, org.id, password_hash, "Race Member") for email in emails)
            listings.append(Listing(org.id, status is ListingStatus.DRAFT, emails, editor_form(org)))
        db.session.commit()
        db.engine.dispose()
    return listings


@dataclass
class Stored:
    summary: str  # what the members edit: the draft itself, or the pending revision
    pending: int  # pending revisions of the listing
    public_summary: str


def stored(engine: sa.Engine, listing: Listing) -> Stored:
    """What the database holds for ``listing`` now (read directly, as another process would)."""
    with engine.connect() as connection:
        public = connection.execute(
            sa.text("SELECT summary FROM organization WHERE id = :id"), {"id": listing.org_id}
        ).scalar_one()
        rows = connection.execute(
            sa.text("SELECT data FROM listing_revision WHERE organization_id = :id AND status = 'pending'"),
            {"id": listing.org_id},
        ).all()
    if listing.draft or not rows:
        return Stored(public, len(rows), public)
    data = rows[-1][0]
    data = json.loads(data) if isinstance(data, str) else data
    return Stored(data["summary"], len(rows), public)


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server(NamedTuple):
    host: str
    port: int
    pid: int  # the gunicorn master's


@contextlib.contextmanager
def serve(
    url: str, workers: int, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[Server]:
    """gunicorn (``gunicorn.conf.py``) on ``url`` with ``workers`` workers, ``env`` added to its
    environment; its error log (tracebacks) goes to ``log`` when given."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "WEB_CONCURRENCY": str(workers),
        "PORT": str(port),
        **(env or {}),
    }
    with contextlib.ExitStack() as stack:
        errors = stack.enter_context(log.open("ab")) if log else subprocess.DEVNULL
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            for _ in range(300):
                with contextlib.suppress(OSError):
                    if Browser("127.0.0.1", port).get("/login")[0] == 200:
                        break
                time.sleep(0.1)
            else:
                raise RuntimeError("gunicorn did not start")
            yield Server("127.0.0.1", port, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)


# --- one member's browser -------------------------------------------------------------------------


def hidden_value(page: str, name: str) -> str:
    """The value of the hidden (or any) input ``name`` on an HTML page; ValueError when there is none."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    if value is None:
        raise ValueError(f"no {name} on the page")
    return value.group(1)


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects (one connection per request)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _sep, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str, str]:
        return self._send("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, str, str]:
        return self._send("POST", path, urllib.parse.urlencode(data, doseq=True))

    def sign_in(self, email: str) -> None:
        _status, _location, page = self.get("/login")
        status, _location, _page = self.post(
            "/login", {"email": email, "password": PASSWORD, "csrf_token": hidden_value(page, "csrf_token")}
        )
        if status != 302:
            raise RuntimeError(f"sign-in failed for {email}: {status}")


# --- the race -------------------------------------------------------------------------------------


@dataclass
class Save:
    member: int
    text: str
    status: int
    outcome: str  # "saved" (302 to the dashboard), "conflict" (the side-by-side page) or "other"
    seconds: float


@dataclass
class Round:
    saves: list[Save]
    stored: Stored | None = None

    @property
    def acknowledged(self) -> list[Save]:
        return [s for s in self.saves if s.outcome == "saved"]


@dataclass
class RaceResult:
    listing: Listing
    rounds: list[Round] = field(default_factory=list)
    final: Stored | None = None

    def summary(self) -> dict[str, Any]:
        saves = [s for r in self.rounds for s in r.saves]
        times = [s.seconds for s in saves] or [0.0]
        missing = sum(
            1 for r in self.rounds for s in r.acknowledged if r.stored is None or r.stored.summary != s.text
        )
        return {
            "rounds": len(self.rounds),
            "acknowledged": sum(len(r.acknowledged) for r in self.rounds),
            "conflicts": sum(1 for s in saves if s.outcome == "conflict"),
            "errors_5xx": sum(1 for s in saves if s.status >= 500),
            "other": sum(1 for s in saves if s.outcome == "other"),
            "pending_revisions_left": self.final.pending if self.final else None,
            "acknowledged_missing": missing,
            "rounds_not_exactly_one": sum(1 for r in self.rounds if len(r.acknowledged) != 1),
            "p50_ms": round(percentile(times, 50) * 1000, 1),
            "p95_ms": round(percentile(times, 95) * 1000, 1),
        }


def _outcome(status: int, location: str, page: str) -> str:
    if status == 302 and location.endswith("/my/organization/edit"):
        return "saved"
    if status == 200 and CONFLICT_TEXT in page and 'class="conflict"' in page:
        return "conflict"
    return "other"


def race(host: str, port: int, engine: sa.Engine, listing: Listing, rounds: int) -> RaceResult:
    """Every member saves at the same moment, ``rounds`` times; the database is read after each round."""
    browsers = [Browser(host, port) for _ in listing.emails]
    result = RaceResult(listing)
    current: list[Save | None] = [None] * len(browsers)
    failures: list[BaseException] = []

    def end_of_round() -> None:  # runs in one thread once every member's save has been answered
        done = Round([s for s in current if s is not None])
        done.stored = stored(engine, listing)
        result.rounds.append(done)

    start = threading.Barrier(len(browsers), timeout=120)
    end = threading.Barrier(len(browsers), action=end_of_round, timeout=120)

    def member(i: int) -> None:
        browser = browsers[i]
        try:
            browser.sign_in(listing.emails[i])  # in parallel: each sign-in checks an argon2 hash
            for n in range(rounds):
                _status, _location, page = browser.get(EDITOR)
                text = f"Round {n}: member {i}'s words."
                data = {
                    **listing.form,
                    "summary": text,
                    "csrf_token": hidden_value(page, "csrf_token"),
                    "edit_version": hidden_value(page, "edit_version"),
                }
                start.wait()
                began = time.perf_counter()
                status, location, answer = browser.post(EDITOR, data)
                seconds = time.perf_counter() - began
                current[i] = Save(i, text, status, _outcome(status, location, answer), seconds)
                end.wait()
        except BaseException as exc:  # noqa: BLE001 (reported by the caller)
            failures.append(exc)
            start.abort()
            end.abort()

    threads = [threading.Thread(target=member, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    result.final = stored(engine, listing)
    return result


def run(url: str, threads: int, rounds: int, workers: int) -> list[RaceResult]:
    """Both listings raced on a migrated, empty database at ``url``."""
    listings = prepare(url, threads)
    engine = sa.create_engine(url)
    try:
        with serve(url, workers) as server:
            return [race(server.host, server.port, engine, listing, rounds) for listing in listings]
    finally:
        engine.dispose()


def fresh_postgresql(url: str) -> None:
    """Drop the database named in ``url`` (if it exists) and create it again, empty."""
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pg", help="a PostgreSQL URL whose database may be dropped and created again")
    args = parser.parse_args()
    targets = []
    with tempfile.TemporaryDirectory() as folder:
        targets.append(("SQLite", f"sqlite:///{Path(folder) / 'race.sqlite3'}"))
        if args.pg:
            targets.append(("PostgreSQL", args.pg))
        print(f"{args.threads} threads x {args.rounds} rounds, gunicorn {args.workers} workers")
        for name, url in targets:
            if url.startswith("postgresql"):
                fresh_postgresql(url)
            migrate(url)
            for result in run(url, args.threads, args.rounds, args.workers):
                kind = "draft" if result.listing.draft else "approved"
                figures = ", ".join(f"{k} {v}" for k, v in result.summary().items())
                print(f"{name:10} {kind:8} {figures}")


if __name__ == "__main__":
    main()
