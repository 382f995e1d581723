"""The audit log only grows: entries cannot be changed or deleted through the application."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from directory.accounts.models import User
from directory.audit.models import AuditEntry, AuditImmutableError
from directory.audit.services import record
from directory.extensions import db


def test_entries_are_recorded_with_a_pseudonymous_actor(app: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user("admin", email="admin@example.org")
    record(admin, "agency.verify", "agency", 7, before={"status": "pending"}, after={"status": "verified"})
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.actor_label == f"admin {admin.id}"
    assert "admin@example.org" not in repr(entry.__dict__)
    assert entry.before == {"status": "pending"} and entry.after == {"status": "verified"}


def test_an_entry_cannot_be_changed(app: Flask) -> None:
    entry = record(None, "listing.approve", "organization", 1)
    db.session.commit()
    entry.note = "rewritten history"
    with pytest.raises(AuditImmutableError):
        db.session.commit()
    db.session.rollback()


def test_an_entry_cannot_be_deleted(app: Flask) -> None:
    entry = record(None, "listing.approve", "organization", 1)
    db.session.commit()
    db.session.delete(entry)
    with pytest.raises(AuditImmutableError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 1


def test_deleting_the_actor_keeps_the_entry(app: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user("admin")
    record(admin, "agency.verify", "agency", 7)
    db.session.commit()
    label = f"admin {admin.id}"
    db.session.delete(admin)
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.actor_id is None and entry.actor_label == label


RAW_CHANGES = [
    "UPDATE audit_entry SET note = 'rewritten history'",
    "UPDATE audit_entry SET action = 'listing.reject'",
    "UPDATE audit_entry SET actor_label = 'admin 999'",
    "UPDATE audit_entry SET actor_id = NULL, note = 'and a new note'",
    "UPDATE audit_entry SET created_at = created_at",  # even a no-op update is refused
    "DELETE FROM audit_entry",
]


@pytest.mark.parametrize("statement", RAW_CHANGES)
def test_raw_sql_cannot_change_or_delete_entries(
    app: Flask, make_user: Callable[..., User], statement: str
) -> None:
    """The database itself refuses (triggers), not only the ORM: a raw statement fails and changes nothing."""
    admin = make_user("admin")
    record(admin, "agency.verify", "agency", 7, after={"status": "verified"}, note="checked")
    db.session.commit()
    before = db.session.execute(sa.select(AuditEntry.__table__)).all()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert db.session.execute(sa.select(AuditEntry.__table__)).all() == before


def test_raw_sql_cannot_truncate_the_log_on_postgresql(app: Flask) -> None:
    from tests.conftest import ON_POSTGRESQL

    if not ON_POSTGRESQL:
        pytest.skip("SQLite has no TRUNCATE")
    record(None, "listing.approve", "organization", 1)
    db.session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(sa.text("TRUNCATE audit_entry"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 1


def test_raw_sql_may_only_clear_the_actor_of_a_deleted_account(
    app: Flask, make_user: Callable[..., User]
) -> None:
    admin = make_user("admin")
    record(admin, "agency.verify", "agency", 7, after={"status": "verified"})
    admin_id = admin.id
    db.session.commit()
    db.session.execute(sa.text("DELETE FROM user_account WHERE id = :id"), {"id": admin_id})
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.actor_id is None and entry.actor_label == f"admin {admin_id}"
    assert entry.after == {"status": "verified"}
