"""Test fixtures: an app on a fresh database built by the real migrations, and factories.

The migrations run once per session into a template database; each test gets its own copy, so every
test starts from exactly what ``flask db upgrade`` builds, without paying for the migrations again.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from directory import create_app
from directory.extensions import db
from directory.geo import get_geo
from directory.organizations.models import ListingStatus, LocationPrecision, Organization
from directory.organizations.services import OrganizationInput, create_organization

ROOT = Path(__file__).resolve().parent.parent


def _config(database: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SERVER_NAME": "localhost",
        "MAIL_OUTBOX": str(database.parent / "outbox"),
        "LOGIN_SLOWDOWN_SECONDS": 0.01,
    }


@pytest.fixture(scope="session")
def app_config() -> Callable[[Path], dict[str, Any]]:
    """Builds the test configuration for an app on the given database file."""
    return _config


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built once by the migrations (``flask db upgrade``), copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = create_app(_config(path))
    with app.app_context():
        upgrade()
        get_geo().gazetteer.ensure_built()
        db.engine.dispose()
    return path


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context, as in production.

    The ``app`` fixture keeps an application context pushed so tests can use the database; without
    this, Flask would reuse that context for requests, sharing ``g`` (and Flask-Login's cached user)
    and the database session between requests that a real server keeps apart.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # the test's own session sees what the request changed
        return response


@pytest.fixture
def app(template_db: Path, tmp_path: Path) -> Iterator[Flask]:
    database = tmp_path / "test.sqlite3"
    shutil.copyfile(template_db, database)
    app = create_app(_config(database))
    app.test_client_class = IsolatedClient
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
    """The messages written to the test outbox so far, oldest first, as text."""

    def read() -> list[str]:
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
