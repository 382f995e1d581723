"""The report model."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db_enum, now_utc
from ..extensions import db
from ..organizations.models import Organization


class ReportReason(enum.StrEnum):
    WRONG_DETAILS = "wrong_details"
    CLOSED = "closed"
    UNSAFE = "unsafe"
    NOT_SURVIVOR_LED = "not_survivor_led"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    FORWARDED = "forwarded"
    DISMISSED = "dismissed"


class Report(db.Model):
    """One flag on a listing."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[ReportReason] = mapped_column(db_enum(ReportReason, "report_reason"))
    details: Mapped[str] = mapped_column(Text, default="")
    # A salted hash of the sender's address: enough to throttle, not enough to know who it was.
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[ReportStatus] = mapped_column(
        db_enum(ReportStatus, "report_status"), default=ReportStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
