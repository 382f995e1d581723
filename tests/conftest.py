"""Test fixtures: an app on a database built by the real migrations, and factories.

Two databases, one suite. By default the tests run on SQLite: the migrations run once per session into a
template file and each test gets its own copy. With ``TEST_DATABASE_URL`` set to a PostgreSQL URL
(``postgresql+psycopg://...``; ``.ci/run`` starts a throwaway server) the migrations run once into a
template database, and each test runs inside one transaction that is rolled back at its end: every
session the app opens joins that transaction through a savepoint, so the app commits as usual and the
next test still starts from exactly what ``flask db upgrade`` builds.

Tests that need a database other processes or threads can see (a gunicorn server, a live server for the
browser, the migrations themselves) ask ``databases.create()`` for a separate, committed one.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from directory import create_app
from directory.extensions import db
from directory.geo import get_geo
from directory.organizations.models import ListingStatus, LocationPrecision, Organization
from directory.organizations.services import OrganizationInput, create_organization

ROOT = Path(__file__).resolve().parent.parent

#: The browser tests' fixtures (Chromium, a live server, the CSP check).
pytest_plugins = ["tests.browser_support"]

#: PostgreSQL for this run, or None for SQLite.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
ON_POSTGRESQL = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))
if TEST_DATABASE_URL and not ON_POSTGRESQL:
    raise RuntimeError("TEST_DATABASE_URL must be a postgresql+psycopg:// URL (SQLite needs no setting)")


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL (TEST_DATABASE_URL)' if ON_POSTGRESQL else 'SQLite'}"


def _config(url: str, folder: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "SERVER_NAME": "localhost",
        "MAIL_OUTBOX": str(folder / "outbox"),
        "EXPORT_FOLDER": str(folder / "exports"),
        "LOGIN_SLOWDOWN_SECONDS": 0.01,
    }


@pytest.fixture(scope="session")
def app_config() -> Callable[[str, Path], dict[str, Any]]:
    """Builds the test configuration for an app on the given database URL (mail goes to ``folder``)."""
    return _config


def _migrate(url: str, folder: Path) -> None:
    app = create_app(_config(url, folder))
    with app.app_context():
        upgrade()
        get_geo().gazetteer.ensure_built()
        db.engine.dispose()


class Databases:
    """Databases built by the migrations: the per-test one and separate, committed ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._count = itertools.count(1)
        self._created: list[str] = []
        if ON_POSTGRESQL:
            assert TEST_DATABASE_URL
            self.url = sa.make_url(TEST_DATABASE_URL)
            worker = os.environ.get("PYTEST_XDIST_WORKER")
            if worker:  # pytest -n: each worker process has databases of its own
                self.url = self.url.set(database=f"{self.url.database}_{worker}")
            self.template_name = f"{self.url.database}_template"
            self._admin = sa.create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            self._recreate(self.template_name, template=None)
            _migrate(self.url.set(database=self.template_name).render_as_string(False), folder)
            self._recreate(self.url.database or "", template=self.template_name)
        else:
            self.template = folder / "template.sqlite3"
            _migrate(f"sqlite:///{self.template}", folder)

    def _recreate(self, name: str, template: str | None) -> None:
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))

    def per_test_url(self, tmp_path: Path) -> str:
        """The URL for one test's app: the shared PostgreSQL database, or a fresh SQLite copy."""
        if ON_POSTGRESQL:
            return self.url.render_as_string(False)
        return self.create(tmp_path)

    def create(self, folder: Path) -> str:
        """A separate database that other threads and processes can see; returns its URL."""
        if ON_POSTGRESQL:
            name = f"{self.url.database}_{next(self._count)}"
            self._recreate(name, template=self.template_name)
            self._created.append(name)
            return self.url.set(database=name).render_as_string(False)
        database = folder / f"db{next(self._count)}.sqlite3"
        shutil.copyfile(self.template, database)
        return f"sqlite:///{database}"

    def create_empty(self, folder: Path) -> str:
        """A database with nothing in it (no schema): what a restore starts from."""
        if ON_POSTGRESQL:
            name = f"{self.url.database}_{next(self._count)}"
            self._recreate(name, template=None)
            self._created.append(name)
            return self.url.set(database=name).render_as_string(False)
        return f"sqlite:///{folder / f'empty{next(self._count)}.sqlite3'}"

    def close(self) -> None:
        if ON_POSTGRESQL:
            with self._admin.connect() as connection:
                for name in self._created:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """The session's databases, built once by the migrations (``flask db upgrade``)."""
    found = Databases(tmp_path_factory.mktemp("databases"))
    yield found
    found.close()


if ON_POSTGRESQL:
    # Sessions bound to a connection that is already in a transaction work inside a savepoint.
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context, as in production.

    The ``app`` fixture keeps an application context pushed so tests can use the database; without
    this, Flask would reuse that context for requests, sharing ``g`` (and Flask-Login's cached user)
    and the database session between requests that a real server keeps apart.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Tests read English unless they ask for another language (a header or ``?lang=`` overrides this).
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if "Content-Length" in response.headers:  # not a stream (a file sent from disk, say): read it
            response.get_data()  # all, and let go of what it was read from
            response.close()
        db.session.expire_all()  # the test's own session sees what the request changed
        return response


@pytest.fixture
def app(databases: Databases, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(_config(databases.per_test_url(tmp_path), tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if not ON_POSTGRESQL:
            yield app
            db.session.remove()
            db.engine.dispose()
            return
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        # Every session of this app, in any application context, now uses this one connection.
        db._app_engines[app][None] = connection  # type: ignore[assignment]  # noqa: SLF001
        try:
            yield app
        finally:
            db.session.remove()
            outer.rollback()
            connection.close()
            engine.dispose()


@pytest.fixture
def fresh_app(databases: Databases, tmp_path: Path) -> Iterator[Flask]:
    """An app on its own committed database, for tests that need a real engine (the migrations)."""
    app = create_app(_config(databases.create(tmp_path), tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


PASSWORD = "correct walnut harbor seventeen"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2id hash of PASSWORD for every fixture user (hashing is slow on purpose)."""
    from directory.accounts.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def make_user(app: Flask, password_hash: str) -> Callable[..., Any]:
    """Create (and commit) a user whose password is PASSWORD; ``org`` or ``agency`` to attach one."""
    from directory.accounts.models import Role, User
    from directory.db import now_utc

    counter = iter(range(1, 1_000_000))

    def make(role: str = "org_member", *, email: str | None = None, **fields: Any) -> User:
        user = User(
            email=email or f"person{next(counter)}@example.org",
            password_hash=password_hash,
            display_name=fields.pop("display_name", "Test Person"),
            role=Role(role),
            email_confirmed_at=now_utc(),
            **{"is_owner": True, **fields},
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[str]]:
    """The messages sent so far, oldest first, as text: what is due in the queue is sent first (as
    ``flask send-mail`` would), then the outbox folder the file backend writes to is read."""
    from directory.mail import send_queued

    def read() -> list[str]:
        send_queued()
        folder = Path(app.config["MAIL_OUTBOX"])
        if not folder.exists():
            return []
        messages = []
        for path in sorted(folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body().get_content()  # type: ignore[union-attr]
            messages.append(f"To: {message['To']}\nSubject: {message['Subject']}\n\n{body}")
        return messages

    return read


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organization]:
    """Create (and commit) an organization; keyword arguments override OrganizationInput fields."""
    counter = iter(range(1, 1_000_000))

    def make(
        *, status: ListingStatus = ListingStatus.APPROVED, is_demo: bool = False, **fields: Any
    ) -> Organization:
        n = next(counter)
        fields.setdefault("name", f"Test Organization {n}")
        fields.setdefault("country_code", "CM")
        fields.setdefault("city", "Douala" if fields["country_code"] == "CM" else "")
        if isinstance(fields.get("location_precision"), str):
            fields["location_precision"] = LocationPrecision(fields["location_precision"])
        data = OrganizationInput(**fields)
        org = create_organization(data, get_geo().gazetteer, status=status, is_demo=is_demo)
        db.session.commit()
        return org

    return make
