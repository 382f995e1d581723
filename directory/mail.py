"""Outgoing email, in one place.

Without ``MAIL_SERVER`` (development, tests) each message is logged and written to ``instance/outbox/``
as a ``.eml`` file, so a person can open the link in it. With ``MAIL_SERVER`` it goes out over SMTP
(``MAIL_PORT``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_USE_TLS``, ``MAIL_FROM``). A failed send is
logged and the message kept in ``instance/outbox/failed/``: it never undoes the action that caused it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def _outbox(sub: str = "") -> Path:
    root = current_app.config.get("MAIL_OUTBOX") or Path(current_app.instance_path) / "outbox"
    path = Path(root) / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def _filename(message: EmailMessage) -> str:
    recipient = str(message["To"]).replace("@", "_at_").replace("/", "_")
    return f"{time.time_ns()}-{recipient}.eml"


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; True when it was handed over (or written to the outbox)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not config.get("MAIL_SERVER"):
        path = _outbox() / _filename(message)
        path.write_bytes(bytes(message))
        log.info("mail to %s: %s (written to %s)\n%s", to, subject, path, body)
        return True
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s: %s", to, subject)
        (_outbox("failed") / _filename(message)).write_bytes(bytes(message))
        return False
