"""The database uses its indexes for search, checked in the query plan on whichever database runs.

Ten thousand listings are imported and the tables ANALYZEd, so the planner sees a directory's real
shape; then the plan of each statement search runs must name the expected index: the public-point
index for proximity on both databases, the FTS5 table on SQLite, and the GIN index on PostgreSQL.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from directory import create_app, regions
from directory.extensions import db
from directory.geo import Point, get_geo
from directory.organizations.importing import import_rows
from directory.search.backends import backend_for, explain
from directory.search.engine import near_statement
from directory.search.text import parse_query

ROWS = 10_000
pytestmark = pytest.mark.slow


def _rows(count: int) -> Iterator[tuple[int, dict[str, str]]]:
    rng = random.Random(7)
    countries = [
        c for c in ("KE", "TH", "CM", "BR", "DE", "US", "IN", "PH", "MX", "NG") if regions.is_country(c)
    ]
    for i in range(count):
        words = rng.sample(["fishing", "garment", "farming", "domestic", "mining", "hospitality"], 2)
        if i % 500 == 0:
            words[0] = "cocoa"  # a rare word: an index pays off, and the planner knows it
        yield (
            i + 2,
            {
                "name": f"Plan Test Collective {i}",
                "description": f"Survivors supporting workers in {words[0]} and {words[1]}.",
                "country_code": rng.choice(countries),
                "city": "Somewhere",
                "latitude": f"{rng.uniform(-60, 70):.5f}",
                "longitude": f"{rng.uniform(-180, 180):.5f}",
                "focus_areas": "job-training",
            },
        )


@pytest.fixture(scope="module")
def planned_app(
    databases: Any, tmp_path_factory: pytest.TempPathFactory, app_config: Callable[[str, Path], dict]
) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("plans")
    app = create_app(app_config(databases.create(folder), folder))
    with app.app_context():
        report = import_rows(_rows(ROWS), get_geo().gazetteer, approve=True)
        assert report.created == ROWS, report
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_proximity_uses_the_public_point_index(planned_app: Flask) -> None:
    plan = explain(db.session, near_statement(Point(-1.29, 36.82), 50.0))
    assert "ix_location_public_point" in plan, plan


def test_proximity_across_the_antimeridian_uses_the_index_too(planned_app: Flask) -> None:
    plan = explain(db.session, near_statement(Point(-17.0, 179.9), 100.0))
    assert "ix_location_public_point" in plan, plan


def test_full_text_uses_the_full_text_index(planned_app: Flask) -> None:
    query = parse_query("cocoa")
    assert query is not None
    dialect = db.session.get_bind().dialect.name
    plan = explain(db.session, backend_for(dialect).statement(query))
    expected = {"sqlite": "VIRTUAL TABLE INDEX", "postgresql": "ix_organization_fts_document"}[dialect]
    assert expected in plan, plan
    assert "organization_fts" in plan, plan


def test_the_plans_answer_the_same_as_the_search(planned_app: Flask) -> None:
    """The statements checked above are the ones search runs: their answers agree with the API."""
    client = planned_app.test_client()
    found = client.get("/api/v1/organizations?q=mining&per_page=1").get_json()["total"]
    query = parse_query("mining")
    assert query is not None
    statement = backend_for(db.session.get_bind().dialect.name).statement(query)
    assert found == len(db.session.execute(statement).all()) > ROWS // 5
