"""Several server processes: a change made anywhere is seen by every gunicorn worker at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from directory import create_app
from directory.extensions import db
from directory.organizations.models import ListingStatus, Organization

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 60) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a local test server)
        return response.read().decode()


@contextmanager
def _gunicorn(app: str, log: Path | None = None, **env: str) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py serving ``app`` (with these environment variables) while the block
    runs, its log written to ``log``; yields its base URL once it accepts connections."""
    port = _free_port()
    errors = log.open("wb") if log is not None else subprocess.DEVNULL
    # A worker sent SIGTERM in the instant between its fork and gunicorn installing its signal handlers
    # ignores it (gunicorn 22, the lowest version allowed, does this about once in 40 stops), and the master
    # then waits the whole graceful timeout before it kills that worker: a short one keeps the stop quick.
    server = subprocess.Popen(  # noqa: S603 (the tests' own WSGI app names)
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--graceful-timeout", "3", app],
        cwd=ROOT,
        env={**os.environ, **env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        for _ in range(600):  # the app loads and builds its search index before gunicorn listens
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise
        if log is not None:
            errors.close()


@pytest.fixture
def served(
    databases: Any, tmp_path: Path, app_config: Callable[[str, Path], dict[str, Any]]
) -> Iterator[tuple[str, str]]:
    url = databases.create(tmp_path)
    config = app_config(url, tmp_path)
    config.pop("SERVER_NAME")
    app = create_app(config)
    with app.app_context():
        from directory.geo import get_geo
        from directory.organizations.services import OrganizationInput, create_organization

        create_organization(
            OrganizationInput(name="Harbour Voices", country_code="TH", city="Bangkok", summary="Fishing."),
            get_geo().gazetteer,
            status=ListingStatus.APPROVED,
        )
        db.session.commit()
        db.engine.dispose()
    log = tmp_path / "gunicorn.log"
    with _gunicorn("wsgi:app", log, DATABASE_URL=url, SECRET_KEY="test", WEB_CONCURRENCY="2") as base:
        yield base, url, log


def test_the_search_index_is_built_once_before_the_workers_fork(served: tuple[str, str, Path]) -> None:
    import json

    base, _, log = served
    assert json.loads(_get(base + "/api/v1/organizations?q=harbour"))["total"] == 1
    lines = log.read_text().splitlines()
    built = [line for line in lines if "Search index built before forking: 1 listings" in line]
    booted = [i for i, line in enumerate(lines) if "Booting worker" in line]
    assert len(built) == 1 and booted and lines.index(built[0]) < booted[0], lines


def test_a_suspension_disappears_from_every_worker_at_once(served: tuple[str, str, Path]) -> None:
    import json

    base, database_url, _ = served
    url = base + "/api/v1/organizations?q=harbour"
    # enough requests that both workers have built and cached their index
    assert all(json.loads(_get(url))["total"] == 1 for _ in range(20))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test"})
    with app.app_context():  # another process changes the listing, as an admin's request would
        org = db.session.scalar(db.select(Organization))
        org.status = ListingStatus.SUSPENDED
        db.session.commit()
        db.engine.dispose()
    assert all(json.loads(_get(url))["total"] == 0 for _ in range(20))


def test_a_download_longer_than_the_timeout_is_not_cut_off() -> None:
    """gunicorn as configured (gunicorn.conf.py) sends a streamed answer that takes longer than its
    ``timeout`` whole: the worker reports to the master as each piece is sent, so it is not taken for a
    stuck one (a plain sync worker would be killed after ``TIMEOUT`` seconds and the download cut off)."""
    with _gunicorn("tests.slow_wsgi:app", TIMEOUT="2", WEB_CONCURRENCY="1") as base:
        body = _get(base + "/", timeout=30)
    assert body.splitlines() == [f"line {n}" for n in range(4)]


def test_a_request_that_sends_nothing_for_the_timeout_is_stopped_and_the_worker_replaced() -> None:
    with _gunicorn("tests.slow_wsgi:app", TIMEOUT="2", WEB_CONCURRENCY="1") as base:
        with pytest.raises(OSError):  # the connection is dropped: the worker was killed as stuck
            _get(base + "/stuck", timeout=30)
        body = _get(base + "/", timeout=30)  # a new worker answers
    assert body.splitlines() == [f"line {n}" for n in range(4)]
