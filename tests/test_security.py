"""Cross-cutting security settings: cookies, request size, fresh sessions, mail failures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import User
from directory.extensions import db
from directory.organizations.models import Organization

from .conftest import PASSWORD


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_session_cookie_is_httponly_and_samesite_lax(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ama@example.org")
    response = client.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_are_one_setting_away(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from directory.config import load_config

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert load_config(tmp_path)["SESSION_COOKIE_SECURE"] is True


def test_oversized_requests_get_a_friendly_413(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "x@example.org", "password": "p" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_sign_in_starts_a_fresh_session(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email="ama@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    client.post("/login", data={"email": "ama@example.org", "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session and session.get("_user_id")


def test_a_failed_send_never_loses_the_action(app: Flask, client: FlaskClient, outbox) -> None:
    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = 9  # nothing listens there: the connection is refused
    response = client.post(
        "/register/organization",
        data={
            "org_name": "Offline Circle",
            "country_code": "CM",
            "city": "Douala",
            "display_name": "Ama",
            "email": "ama@example.org",
            "password": "tidal orchard lantern seventy",
        },
    )
    assert response.status_code == 302
    # the registration stands, and its message waits in the queue: a send that fails leaves it there, to
    # be tried again later
    from directory.accounts.models import PendingRegistration
    from directory.mail import MailMessage, MailStatus, send_queued

    assert db.session.scalar(sa.select(PendingRegistration.email)) == "ama@example.org"
    assert send_queued().retrying == 1
    message = db.session.scalar(sa.select(MailMessage))
    assert message.status is MailStatus.QUEUED and message.to_address == "ama@example.org"
    assert "/register/finish/" in message.body and "Connection refused" in message.last_error


def test_an_owner_can_delete_the_organization(
    client: FlaskClient, make_user: Callable[..., User], make_org: Callable[..., Organization]
) -> None:
    org = make_org(name="Closing Circle")
    org_id = org.id
    make_user(email="owner@example.org", organization_id=org_id)
    client.post("/login", data={"email": "owner@example.org", "password": PASSWORD})
    wrong = client.post("/my/organization/delete", data={"password": "not it at all"})
    assert "not your current password" in wrong.get_data(as_text=True)
    assert client.post("/my/organization/delete", data={"password": PASSWORD}).status_code == 302
    db.session.expunge_all()
    assert db.session.get(Organization, org_id) is None
    assert db.session.scalar(sa.select(User.organization_id)) is None  # the account stays
    assert client.get("/api/v1/organizations", query_string={"q": "closing"}).json["total"] == 0
