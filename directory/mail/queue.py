"""Putting messages in the queue, inside the caller's transaction (nothing is sent here).

Partnership-request notices are limited per recipient: after ``MAIL_NOTICES_PER_HOUR`` in the last hour,
the rest are collected into one digest that goes out an hour after the first of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..db import insert_once, now_utc
from ..extensions import db
from ..textrules import one_line
from .models import MailKind, MailMessage, MailStatus

WINDOW = timedelta(hours=1)


def _locale() -> str:
    """The language the message is written in (``i18n.language_of`` sets it for each recipient)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def queue_mail(
    to: str,
    subject: str,
    body: str,
    *,
    kind: MailKind = MailKind.MESSAGE,
    now: datetime | None = None,
) -> MailMessage:
    """Queue one plain-text message (sent by ``flask send-mail`` once the caller commits)."""
    now = now or now_utc()
    message = MailMessage(
        to_address=one_line(to),
        subject=one_line(subject),  # it may come from stored text: a header is one line
        body=body,
        locale=_locale(),
        kind=kind,
        created_at=now,
        not_before=now,
    )
    db.session.add(message)
    return message


def queue_notice(to: str, subject: str, body: str, *, now: datetime | None = None) -> MailKind:
    """Queue a notice about a partnership request, or add it to the recipient's digest when they have
    had ``MAIL_NOTICES_PER_HOUR`` notices in the last hour. Returns which of the two it became."""
    now = now or now_utc()
    recent = db.session.scalar(
        sa.select(sa.func.count(MailMessage.id)).where(
            MailMessage.to_address == one_line(to),
            MailMessage.kind == MailKind.NOTICE,
            MailMessage.created_at >= now - WINDOW,
        )
    )
    if (recent or 0) < current_app.config["MAIL_NOTICES_PER_HOUR"]:
        queue_mail(to, subject, body, kind=MailKind.NOTICE, now=now)
        return MailKind.NOTICE
    _add_to_digest(one_line(to), f"\n- {one_line(subject)}", now)
    return MailKind.DIGEST


def _add_to_digest(to: str, line: str, now: datetime) -> None:
    """Append ``line`` to the recipient's open digest, opening one (due in an hour) if there is none.

    Both steps are single statements the database checks: the append only touches a digest nobody has
    claimed for sending yet, and at most one open digest per recipient can exist (a unique index)."""
    for _attempt in range(3):
        if _append(to, line):
            return
        opened = insert_once(
            db.session,
            MailMessage,
            to_address=to,
            subject=_("Updates on your partnership requests"),
            body=_(
                "There were more updates on your partnership requests than we send one by one. "
                "Here they are together; read them at %(link)s",
                link=url_for("partnerships.index", _external=True),
            )
            + "\n"
            + line,
            locale=_locale(),
            kind=MailKind.DIGEST,
            status=MailStatus.QUEUED,
            attempts=0,
            created_at=now,
            not_before=now + WINDOW,
            last_error="",
        )
        if opened:
            return
    raise RuntimeError(f"could not add to the digest for {to!r}")  # pragma: no cover (three races lost)


def _append(to: str, line: str) -> bool:
    statement = (
        sa.update(MailMessage)
        .where(
            MailMessage.to_address == to,
            MailMessage.kind == MailKind.DIGEST,
            MailMessage.status == MailStatus.QUEUED,
        )
        .values(body=MailMessage.body + line)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount == 1
