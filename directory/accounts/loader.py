"""Flask-Login's user loader: a session is valid only while its session version is the user's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from ..extensions import db
from .models import User


def load_user(session_id: str) -> User | None:
    """The user of a session cookie, or None when it is unknown, outdated or suspended."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user


def register(manager: LoginManager) -> None:
    manager.user_loader(load_user)
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "info"
