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
