"""Emailed tokens (password reset, email confirmation): signed, expiring and single-use.

A token carries the user id, its purpose and a fingerprint of the state it is meant to change (the
current password hash for a reset, the unconfirmed address for a confirmation). Using it changes that
state, so the same token never works twice; it also expires.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .models import User

MAX_AGE = {"reset": 60 * 60, "confirm": 7 * 24 * 60 * 60}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"accounts.{purpose}")


def _fingerprint(user: User, purpose: str) -> str:
    state = user.password_hash if purpose == "reset" else f"{user.email}|{user.email_confirmed_at}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def make_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user, purpose)})


def placeholder_token(purpose: str) -> str:
    """A token made the same way as a real one, for nobody: the path for an address without an account
    does the same work as the one with (it is never sent and never reads back as a user)."""
    return _serializer(purpose).dumps({"u": 0, "f": hashlib.sha256(purpose.encode()).hexdigest()[:16]})


def read_token(token: str, purpose: str) -> User | None:
    """The user a valid, unexpired, unused token is for; None otherwise."""
    from ..extensions import db

    try:
        data = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except BadSignature:  # also SignatureExpired
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or data.get("f") != _fingerprint(user, purpose):
        return None
    return user
