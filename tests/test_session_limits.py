"""Sessions end after an idle limit and an absolute limit (admins: 30 minutes and 12 hours; others: 8 hours
and 14 days), on a clock the tests control."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie

from directory.accounts import session_limits
from directory.accounts.models import User
from directory.accounts.session_limits import Limits, has_ended
from directory.config import load_config
from directory.db import now_utc
from directory.extensions import db

from .conftest import PASSWORD

ENDED = "Your session has ended; please sign in again."
SECRET = pyotp.random_base32()


class Clock:
    """The time session_limits sees; tests move it forward."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    app.config["WTF_CSRF_ENABLED"] = False
    found = Clock()
    monkeypatch.setattr(session_limits, "now_utc", found)
    return found


def sign_in(client: FlaskClient, make_user: Callable[..., User], role: str) -> User:
    if role == "admin":
        user = make_user("admin", email="admin@example.org", totp_secret=SECRET, totp_confirmed_at=now_utc())
    else:
        user = make_user(role, email="ama@example.org")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    if role == "admin":
        response = client.post("/login/second-factor", data={"code": pyotp.TOTP(SECRET).now()})
    assert response.status_code == 302 and client.get("/account").status_code == 200
    return user


def next_of(location: str) -> str | None:
    """Where the sign-in page at ``location`` leads back to."""
    parts = urlsplit(location)
    assert parts.path == "/login", location
    return parse_qs(parts.query).get("next", [None])[0]


def assert_ended(client: FlaskClient, path: str = "/account") -> None:
    response = client.get(path)
    assert response.status_code == 302 and next_of(response.location) == path
    assert ENDED in client.get(response.location).get_data(as_text=True)
    assert client.get(path).status_code == 302  # signed out for good, not for one request


IDLE = {"org_member": 8 * 60, "admin": 30}  # minutes
ABSOLUTE = {"org_member": 14 * 24, "admin": 12}  # hours


@pytest.mark.parametrize("role", ["org_member", "admin"])
def test_an_unused_session_ends_after_the_idle_limit(
    client: FlaskClient, clock: Clock, make_user: Callable[..., User], role: str
) -> None:
    sign_in(client, make_user, role)
    clock.advance(minutes=IDLE[role] - 1)
    assert client.get("/account").status_code == 200  # still in time, and that use counts
    clock.advance(minutes=IDLE[role] - 1)
    assert client.get("/account").status_code == 200
    clock.advance(minutes=IDLE[role] + 1)
    assert_ended(client)


@pytest.mark.parametrize("role", ["org_member", "admin"])
def test_a_session_in_use_ends_after_the_absolute_limit(
    client: FlaskClient, clock: Clock, make_user: Callable[..., User], role: str
) -> None:
    sign_in(client, make_user, role)
    step, elapsed = timedelta(minutes=IDLE[role] - 1), timedelta()
    while elapsed + step <= timedelta(hours=ABSOLUTE[role]):
        clock.advance(seconds=step.total_seconds())
        elapsed += step
        assert client.get("/account").status_code == 200, elapsed
    clock.advance(seconds=(timedelta(hours=ABSOLUTE[role]) - elapsed).total_seconds() + 60)
    assert_ended(client)


def test_signing_in_again_leads_back_to_the_page(
    client: FlaskClient, clock: Clock, make_user: Callable[..., User]
) -> None:
    sign_in(client, make_user, "org_member")
    clock.advance(hours=9)
    response = client.get("/requests?page=2")
    assert next_of(response.location) == "/requests?page=2"
    again = client.post(response.location, data={"email": "ama@example.org", "password": PASSWORD})
    assert again.location == "/requests?page=2"
    clock.advance(hours=1)
    assert client.get("/account").status_code == 200  # the new sign-in has its own clock


def test_a_form_sent_after_the_end_does_nothing(
    client: FlaskClient, clock: Clock, make_user: Callable[..., User]
) -> None:
    user = sign_in(client, make_user, "org_member")
    clock.advance(hours=9)
    response = client.post("/account", data={"action": "name", "name-display_name": "Someone Else"})
    assert response.status_code == 302 and next_of(response.location) is None
    db.session.refresh(user)
    assert user.display_name == "Test Person"


def test_the_api_answers_an_ended_session_as_any_visitor(
    client: FlaskClient, clock: Clock, make_user: Callable[..., User]
) -> None:
    sign_in(client, make_user, "org_member")
    clock.advance(days=15)
    assert client.get("/api/v1/organizations").status_code == 200
    assert client.get("/account").status_code == 302


def test_a_password_change_does_not_lengthen_the_session(
    app: Flask, client: FlaskClient, clock: Clock, make_user: Callable[..., User]
) -> None:
    app.config["SESSION_IDLE_MINUTES"] = 10**6  # only the absolute limit matters here
    sign_in(client, make_user, "org_member")
    clock.advance(hours=1)
    changed = client.post(
        "/account",
        data={
            "action": "password",
            "password-current_password": PASSWORD,
            "password-new_password": "amber quarry violin thirteen",
        },
    )
    assert changed.status_code == 302 and client.get("/account").status_code == 200
    clock.advance(hours=ABSOLUTE["org_member"])
    assert_ended(client)


def test_a_remember_me_cookie_cannot_start_or_extend_a_session(
    app: Flask, client: FlaskClient, clock: Clock, make_user: Callable[..., User]
) -> None:
    """The app never issues one; a forged or old one (signed with the key) brings no start time, so the
    session it would build has already ended, and the cookie is deleted."""
    user = make_user("org_member", email="ama@example.org")
    name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    client.set_cookie(name, encode_cookie(user.get_id()))
    response = client.get("/account")
    assert response.status_code == 302 and next_of(response.location) == "/account"
    assert any(h.startswith(f"{name}=;") for h in response.headers.getlist("Set-Cookie"))
    assert client.get_cookie(name) is None
    assert client.get("/account").status_code == 302


def test_the_rule_at_its_edges() -> None:
    limits = Limits(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    start = 1_000_000
    assert not has_ended(start, start, start + 30 * 60, limits)
    assert has_ended(start, start, start + 30 * 60 + 1, limits)
    assert not has_ended(start, start + 12 * 3600 - 60, start + 12 * 3600, limits)
    assert has_ended(start, start + 12 * 3600 - 60, start + 12 * 3600 + 1, limits)
    assert has_ended(None, start, start, limits) and has_ended(start, "x", start, limits)


def test_the_limits_are_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load_config(tmp_path)
    assert (defaults["SESSION_IDLE_MINUTES_ADMIN"], defaults["SESSION_MAX_HOURS_ADMIN"]) == (30, 12)
    assert (defaults["SESSION_IDLE_MINUTES"], defaults["SESSION_MAX_HOURS"]) == (480, 336)
    monkeypatch.setenv("SESSION_IDLE_MINUTES_ADMIN", "15")
    monkeypatch.setenv("SESSION_MAX_HOURS", "24")
    changed = load_config(tmp_path)
    assert changed["SESSION_IDLE_MINUTES_ADMIN"] == 15 and changed["SESSION_MAX_HOURS"] == 24
