"""How long a sign-in lasts: an idle limit and an absolute limit, both shorter for admins.

A sign-in writes when it started and when its person was last seen into the session (a signed cookie, so
neither can be forged). Before each request, a session past either limit is signed out, told so, and sent to
the sign-in page, which brings the person back to where they were. The session version (``loader.py``)
still ends every session at logout, a password change or a suspension; these limits come on top of it.

Flask-Login's remember-me cookie is never issued. Were one presented, Flask-Login would rebuild the session
from it without a start time, and a session without one counts as ended, so it cannot outlive the limits.
The limits come from the configuration (``SESSION_IDLE_MINUTES``, ``SESSION_MAX_HOURS`` and their
``_ADMIN`` counterparts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from ..db import now_utc

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
#: Activity is written down at most once a minute, so most responses leave the cookie as it was (and a
#: session may end up to a minute before its idle limit).
SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class Limits:
    """How long a session may sit unused (idle) and last in all (absolute)."""

    idle: timedelta
    absolute: timedelta


def limits_for(is_admin: bool, config: Any) -> Limits:
    """The limits for an admin's session or anyone else's, from the configuration."""
    suffix = "_ADMIN" if is_admin else ""
    return Limits(
        timedelta(minutes=config[f"SESSION_IDLE_MINUTES{suffix}"]),
        timedelta(hours=config[f"SESSION_MAX_HOURS{suffix}"]),
    )


def has_ended(signed_in_at: object, seen_at: object, now: int, limits: Limits) -> bool:
    """True when a session that started at ``signed_in_at`` and was last used at ``seen_at`` (seconds since
    the epoch; anything else counts as unknown, and so as ended) is past either limit at ``now``."""
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return True
    return now - signed_in_at > limits.absolute.total_seconds() or now - seen_at > limits.idle.total_seconds()


def _now() -> int:
    return int(now_utc().timestamp())


def begin() -> None:
    """Start the clocks of a new sign-in; every view that signs someone in calls it after ``login_user``."""
    now = _now()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def enforce() -> Response | None:
    """Before each request: sign out a session past its limits, else note that it was used."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = _now()
    started, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if has_ended(started, seen, now, limits_for(current_user.is_admin, current_app.config)):
        return _end()
    if isinstance(seen, int) and now - seen >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return None


def _end() -> Response | None:
    """Sign the session out and say so; pages go to the sign-in page, which leads back to them."""
    session.clear()
    logout_user()  # also deletes a remember-me cookie, were there one
    if request.blueprint == "api":
        return None  # the API answers as it would any visitor
    flash(_("Your session has ended; please sign in again."), "info")
    # Back to this page after signing in (a form that was being sent cannot be sent again).
    target = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else None
    return redirect(url_for("accounts.login", next=target))


def register(app: Flask) -> None:
    app.before_request(enforce)
