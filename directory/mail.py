"""Outgoing email, in one place.

Without ``MAIL_SERVER`` (development, tests) each message is logged and written to ``instance/outbox/``
as a ``.eml`` file, so a person can open the link in it. With ``MAIL_SERVER`` it goes out over SMTP
(``MAIL_PORT``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_USE_TLS``, ``MAIL_FROM``). A failed send is
logged and the message kept in ``instance/outbox/failed/`` (a plain-text record of it when it cannot even
be built): sending never raises, so it never undoes or breaks the action that caused it.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from .textrules import one_line

log = logging.getLogger(__name__)


def _outbox(sub: str = "") -> Path:
    root = current_app.config.get("MAIL_OUTBOX") or Path(current_app.instance_path) / "outbox"
    path = Path(root) / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def _filename(to: str, suffix: str = ".eml") -> str:
    recipient = re.sub(r"[^A-Za-z0-9._+-]", "_", to.replace("@", "_at_"))[:100]
    return f"{time.time_ns()}-{recipient}{suffix}"


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; True when it was handed over (or written to the outbox).

    Never raises: a message that cannot be built or sent is logged and kept in ``outbox/failed/``, so
    the action that caused it stands. The subject is made one line (it may come from stored text).
    """
    subject = one_line(subject)
    try:
        message = _build(to, subject, body)
    except Exception:
        log.exception("could not build mail to %r: %r", to, subject)
        _keep_failed(None, to, subject, body)
        return False
    try:
        _deliver(message, to, subject, body)
    except Exception:
        log.exception("could not send mail to %r: %r", to, subject)
        _keep_failed(message, to, subject, body)
        return False
    return True


def _build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def _deliver(message: EmailMessage, to: str, subject: str, body: str) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        path = _outbox() / _filename(to)
        path.write_bytes(bytes(message))
        log.info("mail to %s: %s (written to %s)\n%s", to, subject, path, body)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def _keep_failed(message: EmailMessage | None, to: str, subject: str, body: str) -> None:
    """Keep what can be kept in ``outbox/failed/``: the message, else a plain-text record of it."""
    try:
        folder = _outbox("failed")
        content = _serialized(message)
        if content is not None:
            (folder / _filename(to)).write_bytes(content)
        else:
            record = f"To: {to!r}\nSubject: {subject!r}\n\n{body}"
            (folder / _filename(to, ".txt")).write_text(record, encoding="utf-8", errors="replace")
    except Exception:
        log.exception("could not keep the failed mail to %r either", to)


def _serialized(message: EmailMessage | None) -> bytes | None:
    if message is None:
        return None
    try:
        return bytes(message)
    except Exception:
        return None
