"""Handing queued messages to the mail backend (``flask send-mail``, from cron every minute).

Without ``MAIL_SERVER`` (development, tests) each message is written to ``instance/outbox/`` as a
``.eml`` file, so a person can open the link in it. With ``MAIL_SERVER`` it goes out over SMTP
(``MAIL_PORT``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_USE_TLS``, ``MAIL_FROM``).

Rows are claimed with one conditional UPDATE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two runners
never send one message twice. A failed send is retried later (``MAIL_MAX_ATTEMPTS`` in all, waiting
longer each time); the last failure is logged and the message kept in ``instance/outbox/failed/`` (a
plain-text record when it cannot even be built). Nothing here raises into the action that queued it.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..db import now_utc
from ..extensions import db
from .models import MailMessage, MailStatus

log = logging.getLogger(__name__)

#: A runner that died while sending leaves its rows "sending": after this long they are queued again.
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_queued(limit: int = 200, now: datetime | None = None) -> SendReport:
    """Send the messages that are due (at most ``limit``); commits after each one."""
    now = now or now_utc()
    _requeue_stale_claims(now)
    claimed = _claim(limit, now)
    db.session.commit()
    report = SendReport()
    for message in claimed:
        error = deliver(message.to_address, message.subject, message.body)
        _settle(message, error, now, report)
        db.session.commit()
    return report


def _requeue_stale_claims(now: datetime) -> None:
    db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.status == MailStatus.SENDING, MailMessage.claimed_at < now - STALE_CLAIM)
        .values(status=MailStatus.QUEUED)
        .execution_options(synchronize_session=False)
    )


def _claim(limit: int, now: datetime) -> list[MailMessage]:
    """Mark up to ``limit`` due messages as this runner's, in one statement; return them."""
    due = (
        sa.select(MailMessage.id)
        .where(MailMessage.status == MailStatus.QUEUED, MailMessage.not_before <= now)
        .order_by(MailMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # another runner's rows are skipped, not waited for
    ids = db.session.scalars(
        sa.update(MailMessage)
        .where(MailMessage.id.in_(due.scalar_subquery()), MailMessage.status == MailStatus.QUEUED)
        .values(status=MailStatus.SENDING, claimed_at=now, attempts=MailMessage.attempts + 1)
        .returning(MailMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not ids:
        return []
    return list(
        db.session.scalars(sa.select(MailMessage).where(MailMessage.id.in_(ids)).order_by(MailMessage.id))
    )


def _settle(message: MailMessage, error: str | None, now: datetime, report: SendReport) -> None:
    if error is None:
        message.status, message.sent_at, message.last_error = MailStatus.SENT, now_utc(), ""
        report.sent += 1
        return
    message.last_error = error[:2000]
    if message.attempts < current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = MailStatus.QUEUED
        message.not_before = now + timedelta(minutes=2**message.attempts)
        report.retrying += 1
        return
    message.status = MailStatus.FAILED
    report.failed += 1
    log.error(
        "giving up on mail %s to %r after %d attempts: %s",
        message.id,
        message.to_address,
        message.attempts,
        error,
    )
    keep_failed(message.to_address, message.subject, message.body)


def deliver(to: str, subject: str, body: str) -> str | None:
    """Build and hand over one message; None when done, else what went wrong (never raises)."""
    try:
        message = _build(to, subject, body)
    except Exception as exc:
        log.exception("could not build mail to %r: %r", to, subject)
        return f"could not build the message: {exc!r}"
    try:
        _hand_over(message, to)
    except Exception as exc:
        log.warning("could not send mail to %r: %r (%r)", to, subject, exc)
        return f"could not send: {exc!r}"
    return None


def _outbox(sub: str = "") -> Path:
    root = current_app.config.get("MAIL_OUTBOX") or Path(current_app.instance_path) / "outbox"
    path = Path(root) / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def _filename(to: str, suffix: str = ".eml") -> str:
    recipient = re.sub(r"[^A-Za-z0-9._+-]", "_", to.replace("@", "_at_"))[:100]
    return f"{time.time_ns()}-{recipient}{suffix}"


def _build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def _hand_over(message: EmailMessage, to: str) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        path = _outbox() / _filename(to)
        path.write_bytes(bytes(message))
        log.info("mail to %s written to %s", to, path)  # never the body: it holds one-time links
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def keep_failed(to: str, subject: str, body: str) -> None:
    """Keep a message given up on in ``outbox/failed/``: as .eml, else a plain-text record of it."""
    try:
        folder = _outbox("failed")
        try:
            (folder / _filename(to)).write_bytes(bytes(_build(to, subject, body)))
        except Exception:
            record = f"To: {to!r}\nSubject: {subject!r}\n\n{body}"
            (folder / _filename(to, ".txt")).write_text(record, encoding="utf-8", errors="replace")
    except Exception:
        log.exception("could not keep the failed mail to %r either", to)
