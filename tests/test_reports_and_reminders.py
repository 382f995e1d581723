"""Reporting a problem with a listing, and the yearly re-verification reminders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.db import now_utc
from directory.extensions import db
from directory.organizations.models import Organization
from directory.reports.models import Report, ReportStatus

from .conftest import PASSWORD


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_anyone_can_report_a_listing_and_it_keeps_no_address(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Flagged Circle")
    response = client.post(
        f"/organizations/{org.slug}/report",
        data={"reason": "closed", "details": "The office closed in May."},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 302
    report = db.session.scalar(sa.select(Report))
    assert report.status is ReportStatus.OPEN and report.details == "The office closed in May."
    assert "203.0.113.9" not in report.sender_key and len(report.sender_key) == 64


def test_reports_are_throttled_per_address(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Flagged Circle")
    statuses = [
        client.post(f"/organizations/{org.slug}/report", data={"reason": "unsafe"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [302] * 5 and statuses[5] == 429
    other = client.post(
        f"/organizations/{org.slug}/report",
        data={"reason": "unsafe"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert other.status_code == 302


def test_a_report_without_a_reason_is_refused_at_the_field(
    client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Flagged Circle")
    page = client.post(f"/organizations/{org.slug}/report", data={"details": "x"}).get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert db.session.scalar(sa.select(sa.func.count(Report.id))) == 0


def test_a_forwarded_report_shows_what_but_not_who(
    app: Flask, client: FlaskClient, make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> None:
    org = make_org(name="Flagged Circle")
    make_user("org_member", email="member@example.org", organization_id=org.id)
    secret = pyotp.random_base32()
    make_user("admin", email="admin@example.org", totp_secret=secret, totp_confirmed_at=now_utc())
    client.post(
        f"/organizations/{org.slug}/report", data={"reason": "wrong_details", "details": "Old phone."}
    )
    report = db.session.scalar(sa.select(Report))

    admin = app.test_client()
    admin.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    admin.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert "Reports: 1" in admin.get("/admin/").get_data(as_text=True)
    assert admin.post(f"/admin/reports/{report.id}", data={"action": "forward"}).status_code == 302

    member = app.test_client()
    member.post("/login", data={"email": "member@example.org", "password": PASSWORD})
    page = member.get("/my/organization").get_data(as_text=True)
    assert "Old phone." in page and "Its details are wrong or out of date" in page
    assert "127.0.0.1" not in page and report.sender_key not in page


def test_reminders_go_once_a_month_before_and_admins_get_the_stale_list(
    app: Flask, make_org: Callable[..., Organization], make_user: Callable[..., User], outbox
) -> None:
    due = make_org(name="Due Soon Circle")
    due.assured_date = now_utc() - timedelta(days=350)
    fresh = make_org(name="Fresh Circle")
    fresh.assured_date = now_utc() - timedelta(days=10)
    stale = make_org(name="Stale Circle")
    stale.assured_date = now_utc() - timedelta(days=500)
    db.session.commit()
    make_user("org_member", email="due@example.org", organization_id=due.id)
    make_user("org_member", email="fresh@example.org", organization_id=fresh.id)
    make_user("admin", email="admin@example.org")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-reminders"])
    assert "Reminded 1 organizations; 1 listings need re-verification." in first.output
    messages = outbox()
    assert any("To: due@example.org" in m for m in messages)
    assert not any("To: fresh@example.org" in m for m in messages)
    assert any("To: admin@example.org" in m and "Stale Circle" in m for m in messages)
    second = runner.invoke(args=["send-reminders"])  # the next day: no second reminder
    assert "Reminded 0 organizations" in second.output
