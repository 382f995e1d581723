"""Test fixtures: an app on a fresh database built by the real migrations, and factories.

The migrations run once per session into a template database; each test gets its own copy, so every
test starts from exactly what ``flask db upgrade`` builds, without paying for the migrations again.
"""

from __future__ import annotations

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


@pytest.fixture
def app(template_db: Path, tmp_path: Path) -> Iterator[Flask]:
    database = tmp_path / "test.sqlite3"
    shutil.copyfile(template_db, database)
    app = create_app(_config(database))
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
