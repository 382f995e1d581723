"""The mail queue: every message is a row queued with the action that causes it, and `flask send-mail`
sends what is due, once, whatever else runs at the same time."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from directory import create_app
from directory.accounts.models import User
from directory.db import now_utc
from directory.extensions import db
from directory.mail import MailKind, MailMessage, MailStatus, queue_mail, queue_notice, send_queued

from .conftest import Databases


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def sent_files(app: Flask) -> list[Path]:
    return sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))


def rows() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id)))


def test_mail_waits_in_the_queue_until_send_mail_sends_it_once(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, make_user: Callable[..., User]
) -> None:
    make_user(email="ama@example.org")
    client.post("/forgot-password", data={"email": "ama@example.org"})
    [message] = rows()
    assert (message.status, message.kind, message.locale) == (MailStatus.QUEUED, MailKind.MESSAGE, "en")
    assert message.to_address == "ama@example.org" and "/reset-password/" in message.body
    assert sent_files(app) == []  # nothing leaves before the queue is drained
    first = runner.invoke(args=["send-mail"])
    assert first.exit_code == 0 and "Sent 1;" in first.output
    [message] = rows()
    assert message.status is MailStatus.SENT and message.attempts == 1 and message.sent_at is not None
    assert len(sent_files(app)) == 1
    assert "Sent 0;" in runner.invoke(args=["send-mail"]).output
    assert len(sent_files(app)) == 1


def test_a_message_claimed_by_a_runner_that_died_is_sent_later(app: Flask) -> None:
    with app.test_request_context():
        message = queue_mail("ama@example.org", "Hello", "Body")
        message.status, message.claimed_at = MailStatus.SENDING, now_utc() - timedelta(minutes=5)
        db.session.commit()
        assert send_queued().sent == 0  # another runner may still be sending it
        assert send_queued(now=now_utc() + timedelta(minutes=6)).sent == 1
    assert len(sent_files(app)) == 1


@pytest.mark.slow
def test_runners_at_the_same_moment_never_send_one_message_twice(
    databases: Databases, app_config: Callable[[str, Path], dict[str, Any]], tmp_path: Path
) -> None:
    app = create_app(app_config(databases.create(tmp_path), tmp_path))
    with app.test_request_context():
        for n in range(60):
            queue_mail(f"person{n}@example.org", f"Message {n}", "Body")
        db.session.commit()
    start = threading.Barrier(3)
    reports: list[int] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            with app.app_context():
                start.wait()
                while (report := send_queued(limit=7)).sent:
                    reports.append(report.sent)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(reports) == 60
    subjects = sorted(path.read_text().split("Subject: ")[1].split("\n")[0] for path in sent_files(app))
    assert subjects == sorted(f"Message {n}" for n in range(60))
    with app.app_context():
        statuses = db.session.execute(sa.select(MailMessage.status, MailMessage.attempts)).all()
        assert set(statuses) == {(MailStatus.SENT, 1)}
        db.session.remove()
        db.engine.dispose()


def test_notices_beyond_five_an_hour_go_together_as_one_digest_an_hour_later(app: Flask) -> None:
    now = now_utc()
    with app.test_request_context():
        kinds = [queue_notice("ama@example.org", f"Step {n}", f"Body {n}", now=now) for n in range(8)]
        db.session.commit()
        assert kinds == [MailKind.NOTICE] * 5 + [MailKind.DIGEST] * 3
        assert send_queued(now=now).sent == 5
        [digest] = [m for m in rows() if m.kind is MailKind.DIGEST]
        assert [f"Step {n}" in digest.body for n in range(8)] == [False] * 5 + [True] * 3
        assert digest.not_before == now + timedelta(hours=1)
        assert send_queued(now=now + timedelta(minutes=59)).sent == 0
        assert send_queued(now=now + timedelta(minutes=61)).sent == 1
        # an hour on, the five have left the window: notices go one by one again
        later = now + timedelta(minutes=62)
        assert queue_notice("ama@example.org", "Step 8", "Body 8", now=later) is MailKind.NOTICE
        db.session.commit()
        assert send_queued(now=later).sent == 1
    bodies = [p.read_text() for p in sent_files(app)]
    assert len(bodies) == 7 and sum("Step 8" in body for body in bodies) == 1


def test_notices_to_one_person_never_open_two_digests(app: Flask) -> None:
    now = now_utc()
    with app.test_request_context():
        for n in range(12):
            queue_notice("ama@example.org", f"Step {n}", "Body", now=now + timedelta(minutes=n))
            queue_notice("bea@example.org", f"Step {n}", "Body", now=now + timedelta(minutes=n))
        db.session.commit()
        digests = [m for m in rows() if m.kind is MailKind.DIGEST]
        assert sorted(d.to_address for d in digests) == ["ama@example.org", "bea@example.org"]
        assert all(d.body.count("\n- Step") == 7 for d in digests)


def _statements(app: Flask, action: Callable[[], object]) -> list[str]:
    """Every SQL statement the action sends to the database, in order (parameters left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # (the PostgreSQL test harness's savepoints are numbered: the number is not the work)
        seen.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", " ".join(statement.split())))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_reset_does_the_same_work_whether_or_not_the_address_has_an_account(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ama@example.org")
    known = _statements(app, lambda: client.post("/forgot-password", data={"email": "ama@example.org"}))
    unknown = _statements(app, lambda: client.post("/forgot-password", data={"email": "nobody@example.org"}))
    assert known == unknown
    assert sum(s.startswith("INSERT INTO mail_message") for s in known) == 1
    assert [m.to_address for m in rows()] == ["ama@example.org", "nobody@example.org"]


@pytest.mark.parametrize("kind", ["organization", "agency"])
def test_a_registration_does_the_same_work_whether_or_not_the_address_has_an_account(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], kind: str
) -> None:
    from .test_accounts import agency_form, org_form

    form, url = (
        (org_form, "/register/organization") if kind == "organization" else (agency_form, "/register/agency")
    )
    make_user(email="ama@example.org")
    known = _statements(app, lambda: client.post(url, data=form(email="ama@example.org")))
    unknown = _statements(app, lambda: client.post(url, data=form(email="new@example.org")))
    assert known == unknown
    writes = [re.match(r"(INSERT INTO|UPDATE|DELETE FROM) (\w+)", s) for s in known]
    assert [w.groups() for w in writes if w] == [
        ("DELETE FROM", "pending_registration"),  # registrations never finished, after 7 days
        ("INSERT INTO", "pending_registration"),
        ("INSERT INTO", "mail_message"),
    ]
