"""Form posts that send mail or create records are rate-limited per client address; reading is not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.extensions import db
from directory.organizations.models import Organization

ROUTES = ["/register/organization", "/register/agency", "/forgot-password"]


@pytest.fixture
def limited(app: Flask) -> Flask:
    app.config["RATELIMIT_FORMS"] = "3 per hour"
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.mark.parametrize("path", ROUTES)
def test_the_fourth_post_in_an_hour_is_refused_with_a_clear_message(
    limited: Flask, client: FlaskClient, path: str
) -> None:
    for _ in range(3):
        assert client.post(path, data={}).status_code == 200  # the form again, with its errors
    response = client.post(path, data={"email": "someone@example.org"})
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert client.get(path).status_code == 200  # reading the form is never limited


def test_the_limit_is_per_client_address(limited: Flask, client: FlaskClient) -> None:
    for _ in range(4):
        client.post("/forgot-password", data={})
    other = client.post("/forgot-password", data={}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_reports_are_limited_too(
    limited: Flask, client: FlaskClient, make_org: Callable[..., Organization]
) -> None:
    org = make_org()
    path = f"/organizations/{org.slug}/report"
    codes = [client.post(path, data={}).status_code for _ in range(4)]
    assert codes[-1] == 429 and 429 not in codes[:3]


def test_search_is_not_limited(limited: Flask, client: FlaskClient) -> None:
    assert all(client.get("/api/v1/organizations").status_code == 200 for _ in range(10))


def test_limits_can_be_turned_off(app: Flask) -> None:
    from directory import create_app

    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "SERVER_NAME", "MAIL_OUTBOX")
    config = {k: app.config[k] for k in keep}
    config |= {"RATELIMIT_ENABLED": False, "RATELIMIT_FORMS": "1 per hour", "WTF_CSRF_ENABLED": False}
    other = create_app(config)
    try:
        client = other.test_client()
        assert [client.post("/forgot-password", data={}).status_code for _ in range(3)] == [200] * 3
    finally:
        with other.app_context():
            db.engine.dispose()  # its own pool: close it rather than leave it to the garbage collector
