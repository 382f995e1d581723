"""The mail queue: every message the app sends is a row here first, and the only record of it.

A request that sends mail only adds a row, in the same transaction as the action (so a message is never
sent for an action that was rolled back, nor lost for one that was committed). ``flask send-mail`` claims
due rows and hands them to the backend (SMTP, or files in ``instance/outbox/``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db_enum, now_utc
from ..extensions import db


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its time (not_before) and a runner
    SENDING = "sending"  # claimed by one runner
    SENT = "sent"  # handed to the backend
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; kept in outbox/failed/ too


class MailKind(enum.StrEnum):
    MESSAGE = "message"  # anything addressed to one person once (confirmation, reset, decision, ...)
    NOTICE = "notice"  # a partnership-request notice: at most a few an hour, then a digest
    DIGEST = "digest"  # the notices over that limit, sent together an hour later


#: Only one digest per recipient collects notices at a time.
_OPEN_DIGEST = "kind = 'digest' AND status = 'queued'"


class MailMessage(db.Model):
    """One outgoing message, as rendered when it was queued."""

    __tablename__ = "mail_message"
    __table_args__ = (
        Index("ix_mail_message_due", "status", "not_before"),
        Index("ix_mail_message_recipient", "to_address", "created_at"),
        Index(
            "uq_mail_message_open_digest",
            "to_address",
            unique=True,
            sqlite_where=text(_OPEN_DIGEST),
            postgresql_where=text(_OPEN_DIGEST),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The language it was written in (the reader's, where the app knows it).
    locale: Mapped[str] = mapped_column(String(12), default="en")
    kind: Mapped[MailKind] = mapped_column(db_enum(MailKind, "mail_kind"), default=MailKind.MESSAGE)
    status: Mapped[MailStatus] = mapped_column(db_enum(MailStatus, "mail_status"), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Not sent before this moment (a digest waits an hour; a failed send waits longer each time).
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.kind.value} {self.status.value}>"
