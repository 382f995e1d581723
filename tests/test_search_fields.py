"""What search reads is declared once (directory/search/fields.py), and every attribute of a listing is
placed: a new column or relationship fails here until someone decides whether search reads it."""

from __future__ import annotations

import sqlalchemy as sa

from directory.organizations.models import Location, Organization
from directory.search import fields
from directory.search.scoring import FIELDS
from directory.search.sync import FTS_COLUMNS, TRANSLATED_COLUMNS


def test_every_attribute_of_an_organization_is_placed_once() -> None:
    placed = [*fields.INDEXED, *fields.SEARCHED, *fields.RELATED, *fields.SHOWN, *fields.UNSEARCHED]
    assert len(placed) == len(set(placed)), "an attribute is placed twice"
    assert set(placed) == {attribute.key for attribute in sa.inspect(Organization).attrs}


def test_related_rows_are_the_organizations_relationships_to_them() -> None:
    relationships = sa.inspect(Organization).relationships
    assert {relationships[name].mapper.class_ for name in fields.RELATED} == set(fields.RELATED_MODELS)


def test_the_full_text_table_the_scorer_and_the_index_read_the_same_fields() -> None:
    assert FTS_COLUMNS == FIELDS == fields.TEXT_FIELDS
    assert TRANSLATED_COLUMNS == fields.TRANSLATED_FIELDS
    assert set(fields.TRANSLATED_FIELDS) <= set(fields.TEXT_FIELDS)
    assert set(fields.LOCATION_COLUMNS) <= {column.key for column in sa.inspect(Location).columns}
