"""Admins sign in with a second factor (TOTP), set up at first sign-in, with recovery codes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.extensions import db

from .conftest import PASSWORD


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def password_step(client: FlaskClient, email: str = "admin@example.org") -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/login/second-factor")


def start_set_up(client: FlaskClient) -> str:
    """Press "Set up my authenticator app"; the key the page then shows."""
    page = client.get("/login/second-factor").get_data(as_text=True)
    assert "Set up my authenticator app" in page and "<code>" not in page
    shown = client.post("/login/second-factor", data={"action": "setup"}, follow_redirects=True)
    return re.search(r"<code>([A-Z2-7]{16,})</code>", shown.get_data(as_text=True)).group(1)


def set_up(client: FlaskClient) -> tuple[str, list[str]]:
    secret = start_set_up(client)
    done = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.get_data(as_text=True))
    return secret, codes


def test_an_admin_is_not_signed_in_by_the_password_alone(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("admin", email="admin@example.org")
    password_step(client)
    assert client.get("/account").status_code == 302


def test_first_sign_in_sets_up_the_app_and_shows_recovery_codes_once(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    admin = make_user("admin", email="admin@example.org")
    password_step(client)
    secret = start_set_up(client)
    wrong = client.post("/login/second-factor", data={"code": "000000"})
    assert "not right" in wrong.get_data(as_text=True)
    done = client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/account").status_code == 200
    db.session.refresh(admin)
    assert admin.totp_secret == secret and admin.totp_confirmed_at is not None
    assert admin.totp_pending_secret is None


def _session_of(app: Flask, client: FlaskClient) -> dict:
    """The client's session cookie, decoded as the app reads it."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_the_secret_being_set_up_never_travels_in_the_cookie(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    admin = make_user("admin", email="admin@example.org")
    password_step(client)
    sessions = [_session_of(app, client)]
    first_look = client.get("/login/second-factor")
    sessions.append(_session_of(app, client))
    assert "<code>" not in first_look.get_data(as_text=True)  # a GET makes no secret
    db.session.refresh(admin)
    assert admin.totp_pending_secret is None
    secret = start_set_up(client)
    sessions.append(_session_of(app, client))
    db.session.refresh(admin)
    assert admin.totp_pending_secret == secret and admin.totp_secret is None
    assert secret in client.get("/login/second-factor").get_data(as_text=True)  # shown again, unchanged
    client.post("/login/second-factor", data={"code": "000000"})
    sessions.append(_session_of(app, client))
    client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    sessions.append(_session_of(app, client))
    assert all(sessions) and "_user_id" in sessions[-1]
    for found in sessions:
        assert secret not in repr(found), found


def test_a_secret_being_set_up_is_only_for_the_session_that_asked_for_it(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Someone else who knows the password never sees or confirms the key another session is setting up."""
    make_user("admin", email="admin@example.org")
    password_step(client)
    secret = start_set_up(client)
    other = app.test_client()
    password_step(other)
    page = other.get("/login/second-factor").get_data(as_text=True)
    assert secret not in page and "Set up my authenticator app" in page
    refused = other.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 200 and other.get("/account").status_code == 302
    assert client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert client.get("/account").status_code == 200


def test_later_sign_ins_need_a_fresh_code(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("admin", email="admin@example.org")
    password_step(client)
    secret, codes = set_up(client)
    totp = pyotp.TOTP(secret)

    second = app.test_client()
    password_step(second)
    page = second.get("/login/second-factor").get_data(as_text=True)
    assert secret not in page  # the key is shown only while setting up
    next_code = totp.at(datetime.now(UTC) + timedelta(seconds=30))
    assert second.post("/login/second-factor", data={"code": next_code}).status_code == 302
    assert second.get("/account").status_code == 200

    third = app.test_client()
    password_step(third)
    reused = third.post("/login/second-factor", data={"code": next_code})
    assert "already been used" in reused.get_data(as_text=True)


def test_a_recovery_code_works_once(app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("admin", email="admin@example.org")
    password_step(client)
    _secret, codes = set_up(client)
    other = app.test_client()
    password_step(other)
    assert other.post("/login/second-factor", data={"code": codes[0]}).status_code == 302
    again = app.test_client()
    password_step(again)
    assert again.post("/login/second-factor", data={"code": codes[0]}).status_code == 200


def test_guessing_codes_is_throttled(app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("admin", email="admin@example.org")
    password_step(client)
    set_up(client)
    other = app.test_client()
    password_step(other)
    statuses = [
        other.post("/login/second-factor", data={"code": f"{n:06d}"}).status_code for n in range(1, 8)
    ]
    assert statuses[-1] == 429


def test_without_a_password_step_there_is_nothing_to_do(client: FlaskClient) -> None:
    assert client.get("/login/second-factor").status_code == 302
