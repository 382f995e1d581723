"""The declarative base every model shares: a constraint naming convention, time helpers, and the two
writes that let the database decide between requests racing for one row: an insert that leaves an existing
row alone, and an update that happens only while the row is as the caller saw it."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import DateTime, Dialect, Enum, MetaData
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, object_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The largest value an id column holds on both databases (an ``Integer``: PostgreSQL's ``integer``).
MAX_ID = 2**31 - 1


def column_integer(raw: str | None) -> int | None:
    """The whole number ``raw`` spells (ASCII digits) when an ``Integer`` column can hold it, else None:
    a form's hidden id or version may be anything, and SQLite cannot even compare 2^63."""
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)):
        return None
    return int(raw) if int(raw) <= MAX_ID else None


class Base(DeclarativeBase):
    """Base class of every model; its metadata names constraints predictably for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def now_utc() -> datetime:
    """The current time in UTC, as a timezone-aware datetime (a callable default for columns)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use directory.db.now_utc()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def db_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A Python enum stored as its string values with a CHECK constraint (no native enum types, so
    both backends and their migrations stay simple)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def insert_once(session: Session, model: type[Base], **values: Any) -> bool:
    """Insert one row unless it would break a unique constraint; True when it was inserted.

    ``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL): the database decides, so of two
    requests adding the same row at once exactly one inserts it and the other learns so without an error.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
    # A row comes back only when one was inserted (the rowcount of INSERT is not reliable everywhere).
    return session.execute(statement.returning(*table.primary_key.columns)).first() is not None


def update_if(instance: Base, *conditions: sa.ColumnElement[bool], mark: bool = True, **values: Any) -> bool:
    """``UPDATE`` the instance's row with ``values`` only where ``conditions`` still hold; True when it did.

    The check and the write are one statement, so of two requests changing one row from the same state at
    once exactly one succeeds: the database decides, not Python. On success (and with ``mark``) the instance
    holds the new plain values as if loaded; an expression such as ``column + 1`` is read again when next
    used. ``mark=False`` leaves the instance alone, for a caller that assigns through the ORM itself.
    """
    session = object_session(instance)
    if session is None:
        raise ValueError(f"{instance!r} belongs to no session")
    model = type(instance)
    statement = (
        sa.update(model)
        .where(model.id == instance.id, *conditions)  # type: ignore[attr-defined]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if session.execute(statement).rowcount != 1:
        return False
    if mark:
        for name, value in values.items():
            if isinstance(value, sa.ClauseElement):
                session.expire(instance, [name])
            else:
                set_committed_value(instance, name, value)
    return True
