"""Filing reports (throttled per address), and the admin's decisions on them."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..audit.services import record
from ..db import now_utc, update_if
from ..extensions import db
from ..organizations.models import Organization
from .models import Report, ReportReason, ReportStatus

MAX_REPORTS_PER_HOUR = 5


class ReportThrottledError(Exception):
    """This address sent too many reports recently."""


def sender_key(ip_address: str) -> str:
    """A keyed hash of the address (the app's secret is the key): stable for throttling, not reversible."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"report:{ip_address}".encode(), hashlib.sha256).hexdigest()


def file_report(org: Organization, reason: ReportReason, details: str, ip_address: str) -> Report:
    key = sender_key(ip_address)
    since = now_utc() - timedelta(hours=1)
    recent = db.session.scalar(
        sa.select(sa.func.count(Report.id)).where(Report.sender_key == key, Report.created_at >= since)
    )
    if (recent or 0) >= MAX_REPORTS_PER_HOUR:
        raise ReportThrottledError
    report = Report(organization_id=org.id, reason=reason, details=details.strip(), sender_key=key)
    db.session.add(report)
    return report


def decide_report(report: Report, admin: Any, action: str) -> None:
    """forward (the organization sees what, never who) or dismiss an open report."""
    if report.status is not ReportStatus.OPEN or action not in ("forward", "dismiss"):
        raise ValueError("this report cannot be decided that way")
    # Conditional on the report still being open: of two admins (or two clicks) only the first decides.
    status = ReportStatus.FORWARDED if action == "forward" else ReportStatus.DISMISSED
    decided_at = now_utc()
    if not update_if(report, Report.status == ReportStatus.OPEN, status=status, decided_at=decided_at):
        db.session.refresh(report)
        raise ValueError("this report was already decided")
    record(admin, f"report.{action}", "organization", report.organization_id, after={"report": report.id})


def open_reports() -> list[Report]:
    return list(
        db.session.scalars(
            sa.select(Report).where(Report.status == ReportStatus.OPEN).order_by(Report.created_at)
        )
    )


def forwarded_reports(org: Organization) -> list[Report]:
    return list(
        db.session.scalars(
            sa.select(Report)
            .where(Report.organization_id == org.id, Report.status == ReportStatus.FORWARDED)
            .order_by(Report.created_at.desc())
        )
    )
