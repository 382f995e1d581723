"""The migrations build the schema the models describe, and can be undone."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from directory import vocab
from directory.extensions import db
from directory.organizations.models import TaxonomyTerm


def _include(obj, name, type_, reflected, compare_to):  # the same filter as migrations/env.py
    return not (type_ == "table" and name and name.startswith("organization_fts"))


def test_models_and_migrations_agree(fresh_app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_suite_runs_on_the_database_it_was_given(app: Flask) -> None:
    from tests.conftest import ON_POSTGRESQL

    assert db.session.get_bind().dialect.name == ("postgresql" if ON_POSTGRESQL else "sqlite")


def test_migration_creates_the_vocabularies(app: Flask) -> None:
    rows = db.session.execute(sa.select(TaxonomyTerm.taxonomy, TaxonomyTerm.code)).all()
    in_db: dict[str, list[str]] = {}
    for taxonomy, code in rows:
        in_db.setdefault(taxonomy, []).append(code)
    assert {t: sorted(c) for t, c in in_db.items()} == {
        t: sorted(terms) for t, terms in vocab.TAXONOMIES.items()
    }


def test_full_text_table_exists(fresh_app: Flask) -> None:
    names = sa.inspect(db.engine).get_table_names()
    assert "organization_fts" in names


def test_downgrade_and_upgrade_again(fresh_app: Flask) -> None:
    downgrade(revision="base")
    assert "organization" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    assert "organization" in sa.inspect(db.engine).get_table_names()


def test_the_comparison_would_notice_a_difference(fresh_app: Flask) -> None:
    """Guard for the test above: a schema that differs from the models is reported."""
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP INDEX ix_location_region"))
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        diff = compare_metadata(context, db.metadata)
    assert any(op[0] == "add_index" and op[1].name == "ix_location_region" for op in diff)
