"""Does a reset or a registration take longer when the address has an account? Over HTTP, under gunicorn.

    python bench/enumeration_bench.py                      # SQLite, 200 requests each way
    python bench/enumeration_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:54329/enum_bench

A fresh database (with ``--pg`` the named database is DROPPED and created again) holds one account. The
forms are posted alternately for that account's address and for addresses nobody has (a new one each
time), ``--requests`` times each way, with the form-post rate limits off. Printed per form: the median,
p95 and mean time of each way and the difference of the medians. Registration hashes the password with
argon2id on both paths, so its times are larger and noisier than a reset's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.race_bench import Browser, hidden_value, migrate, serve  # noqa: E402
from bench.search_bench import percentile  # noqa: E402

KNOWN = "known@example.org"
PASSWORD = "tidal orchard lantern seventy"  # noqa: S105 (a throwaway database)


def prepare(url: str) -> None:
    from directory import create_app
    from directory.accounts.models import Role, User
    from directory.accounts.passwords import hash_password
    from directory.extensions import db

    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.session.add(
            User(
                email=KNOWN, password_hash=hash_password(PASSWORD), display_name="Known", role=Role.ORG_MEMBER
            )
        )
        db.session.commit()
        db.engine.dispose()


def forms(n: int, known: bool) -> dict[str, dict[str, str]]:
    email = KNOWN if known else f"nobody{n}@example.org"
    return {
        "/forgot-password": {"email": email},
        "/register/organization": {
            "org_name": f"Timing Circle {n}",
            "country_code": "CM",
            "city": "Douala",
            "display_name": "Ama",
            "email": email,
            "password": PASSWORD,
        },
    }


def measure(host: str, port: int, path: str, requests: int) -> dict[bool, list[float]]:
    browser = Browser(host, port)
    token = hidden_value(browser.get(path)[2], "csrf_token")
    times: dict[bool, list[float]] = {True: [], False: []}
    for n in range(requests * 2):
        known = n % 2 == 0
        data = {**forms(n, known)[path], "csrf_token": token}
        started = time.perf_counter()
        status, _location, _page = browser.post(path, data)
        times[known].append((time.perf_counter() - started) * 1000)
        if status != 302:
            raise RuntimeError(f"{path} answered {status}")
    return times


def report(label: str, path: str, times: dict[bool, list[float]]) -> None:
    def line(way: str, values: list[float]) -> str:
        return (
            f"  {way:<24} median {statistics.median(values):7.2f} ms   p95 {percentile(values, 95):7.2f} ms"
            f"   mean {statistics.fmean(values):7.2f} ms   (n={len(values)})"
        )

    print(f"{label} {path}")
    print(line("address with an account", times[True]))
    print(line("address without one", times[False]))
    gap = statistics.median(times[True]) - statistics.median(times[False])
    print(f"  difference of the medians: {gap:+.2f} ms")


def run(label: str, url: str, requests: int, workers: int) -> None:
    prepare(url)
    with serve(url, workers, env={"RATELIMIT_ENABLED": "0"}) as server:
        for path in ("/forgot-password", "/register/organization"):
            measure(server.host, server.port, path, 5)  # warm both paths in every worker
            report(label, path, measure(server.host, server.port, path, requests))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="requests each way")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", help="a PostgreSQL URL (the database is dropped and created again)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{folder}/enumeration.sqlite3", args.requests, args.workers)
    if args.pg:
        url = sa.make_url(args.pg)
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        run("PostgreSQL", args.pg, args.requests, args.workers)


if __name__ == "__main__":
    main()
