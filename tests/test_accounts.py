"""Accounts through the public surface: registration, sign-in, sessions, password reset, email."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from directory.accounts.models import LoginAttempt, PendingRegistration, Role, User
from directory.agencies.models import Agency, AgencyStatus
from directory.extensions import db
from directory.organizations.models import ListingStatus, Organization

from .conftest import PASSWORD

NEW_PASSWORD = "tidal orchard lantern seventy"


@pytest.fixture
def app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF itself is tested in test_csrf_is_required
    return app


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def org_form(**changes: str) -> dict[str, str]:
    return {
        "org_name": "Littoral Women's Circle",
        "country_code": "CM",
        "city": "Douala",
        "display_name": "Ama",
        "email": "ama@example.org",
        "password": NEW_PASSWORD,
    } | changes


def agency_form(**changes: str) -> dict[str, str]:
    return {
        "agency_name": "Ministry of Labour, Anti-Trafficking Unit",
        "agency_type": "government",
        "country_code": "KE",
        "website": "https://labour.example",
        "description": "We inspect workplaces and refer survivors.",
        "display_name": "Otieno",
        "email": "otieno@example.org",
        "password": NEW_PASSWORD,
    } | changes


def link_in(message: str) -> str:
    match = re.search(r"http://localhost(/\S+)", message)
    assert match, message
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **kw: Any):
    return client.post("/login", data={"email": email, "password": password}, **kw)


def test_an_organization_registers_and_its_account_exists_once_the_emailed_link_is_followed(
    client: FlaskClient, outbox: Callable[[], list[str]]
) -> None:
    response = client.post("/register/organization", data=org_form())
    assert response.status_code == 302 and response.location.endswith("/register/check-email")
    assert count(User) == count(Organization) == 0  # nothing exists before the address is proved
    [message] = outbox()
    assert "To: ama@example.org" in message and "/register/finish/" in message
    link = link_in(message)
    # A mail scanner (or a link preview) opens the link first: that creates nothing and uses nothing up.
    for _opened in range(2):
        page = client.get(link)
        assert page.status_code == 200 and "Create my account" in page.get_data(as_text=True)
        assert count(User) == 0
    created = client.post(link)  # the person presses the button
    assert created.status_code == 302 and created.location.endswith("/my/organization")
    user = db.session.scalar(sa.select(User))
    assert user.role is Role.ORG_MEMBER and user.is_owner and user.email == "ama@example.org"
    assert user.email_confirmed_at is not None  # following the link proved the address
    assert user.organization.name == "Littoral Women's Circle"
    assert user.organization.status is ListingStatus.DRAFT
    assert user.password_hash.startswith("$argon2id$")
    assert client.get(f"/organizations/{user.organization.slug}").status_code == 404  # not public
    assert client.get("/my/organization").status_code == 200  # signed in
    pending = db.session.scalar(sa.select(PendingRegistration))
    assert pending.used_at is not None and pending.details == {}  # the password hash is not kept
    assert client.post(link).status_code == client.get(link).status_code == 400  # used up
    assert count(User) == 1
    assert sign_in(client.application.test_client(), "ama@example.org", NEW_PASSWORD).status_code == 302


def test_an_agency_registers_and_waits_for_verification(
    client: FlaskClient, outbox: Callable[[], list[str]]
) -> None:
    assert client.post("/register/agency", data=agency_form()).status_code == 302
    assert count(Agency) == 0
    assert client.post(link_in(outbox()[-1])).status_code == 302
    agency = db.session.scalar(sa.select(Agency))
    assert agency.status is AgencyStatus.PENDING and not agency.is_verified
    user = db.session.scalar(sa.select(User))
    assert user.role is Role.AGENCY_MEMBER and user.agency_id == agency.id


def test_registration_never_reveals_an_existing_account(
    client: FlaskClient, make_user: Callable[..., User], outbox: Callable[[], list[str]]
) -> None:
    make_user(email="ama@example.org")
    before = (count(User), count(Organization))
    response = client.post("/register/organization", data=org_form(email="AMA@example.org "))
    fresh = client.post("/register/organization", data=org_form(email="new@example.org", org_name="Other"))
    assert response.status_code == fresh.status_code == 302
    assert response.location == fresh.location
    assert (count(User), count(Organization)) == before  # nothing is created before a link is followed
    notice = [m for m in outbox() if "To: ama@example.org" in m]
    assert len(notice) == 1 and "already has an account" in notice[0] and "/register/finish/" not in notice[0]
    # the new address got its link, and following it creates that account only
    assert client.post(link_in([m for m in outbox() if "To: new@example.org" in m][0])).status_code == 302
    assert count(User) == before[0] + 1


def test_a_registration_link_followed_after_the_address_got_an_account_creates_nothing(
    client: FlaskClient, make_user: Callable[..., User], outbox: Callable[[], list[str]]
) -> None:
    client.post("/register/organization", data=org_form())
    link = link_in(outbox()[-1])
    make_user(email="ama@example.org")  # e.g. an invitation accepted in between
    refused = client.post(link, follow_redirects=True).get_data(as_text=True)
    assert "exists already" in refused
    assert count(User) == 1 and count(Organization) == 0


def test_registration_errors_are_shown_at_the_field_and_nothing_is_saved(client: FlaskClient) -> None:
    response = client.post(
        "/register/organization", data=org_form(password="too short", country_code="", email="not-an-email")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in page
    assert "at least 15" in page.lower() or "at least 15" in page
    assert 'value="Littoral Women&#39;s Circle"' in page  # what was typed is kept
    assert NEW_PASSWORD not in page
    assert count(User) == 0 and count(Organization) == 0


def test_sign_in_and_out(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email="ama@example.org")
    assert client.get("/account").status_code == 302
    response = sign_in(client, "Ama@Example.org")
    assert response.status_code == 302 and response.location.endswith("/account")
    assert "ama@example.org" in client.get("/account").get_data(as_text=True)
    assert client.get("/logout").status_code == 405  # never on GET
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ama@example.org")
    wrong = sign_in(client, "ama@example.org", "wrong password entirely").get_data(as_text=True)
    unknown = sign_in(client, "nobody@example.org", "wrong password entirely").get_data(as_text=True)
    message = "That email address and password do not match an account."
    assert message in wrong and message in unknown
    assert count(LoginAttempt) == 2


def test_a_cookie_from_before_logout_is_useless(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ama@example.org")
    sign_in(client, "ama@example.org")
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie.value, domain=cookie.domain)
    assert replay.get("/account").status_code == 302  # sent to sign in


def test_a_password_change_voids_other_sessions(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ama@example.org")
    other = app.test_client()
    sign_in(other, "ama@example.org")
    sign_in(client, "ama@example.org")
    response = client.post(
        "/account",
        data={
            "action": "password",
            "password-current_password": PASSWORD,
            "password-new_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this session continues
    assert other.get("/account").status_code == 302  # the other one is signed out
    assert sign_in(app.test_client(), "ama@example.org", NEW_PASSWORD).status_code == 302


def test_a_suspended_account_is_signed_out_everywhere(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(email="ama@example.org")
    sign_in(client, "ama@example.org")
    user.is_suspended = True
    user.session_version += 1
    db.session.commit()
    assert client.get("/account").status_code == 302
    assert "do not match" in sign_in(client, "ama@example.org").get_data(as_text=True)


def test_failures_from_one_address_for_one_account_are_throttled(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ama@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    for _ in range(limit):
        sign_in(client, "ama@example.org", "wrong password entirely")
    refused = sign_in(client, "ama@example.org")  # even the right password waits now
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    # the same account from another address still signs in: nobody can lock a person out
    elsewhere = sign_in(app.test_client(), "ama@example.org", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert elsewhere.status_code == 302
    # and password reset stays open
    assert client.post("/forgot-password", data={"email": "ama@example.org"}).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app: Flask, client: FlaskClient) -> None:
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 4
    for i in range(4):
        sign_in(client, f"guess{i}@example.org", "wrong password entirely")
    assert sign_in(client, "another@example.org", "wrong password entirely").status_code == 429


def test_password_reset_link_works_once(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], outbox: Callable[[], list[str]]
) -> None:
    make_user(email="ama@example.org")
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    known = client.post("/forgot-password", data={"email": "ama@example.org"})
    assert unknown.location == known.location  # the same answer either way
    [to_nobody, message] = outbox()
    assert "To: nobody@example.org" in to_nobody and "no active account uses this address" in to_nobody
    assert "/reset-password/" not in to_nobody
    path = link_in(message)
    assert client.get(path).status_code == 200
    weak = client.post(path, data={"password": "short"})
    assert "at least 15" in weak.get_data(as_text=True)
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 302
    assert client.get(path).status_code == 400  # used: the password it was made for is gone
    assert sign_in(app.test_client(), "ama@example.org", NEW_PASSWORD).status_code == 302


def test_tokens_expire(app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    from directory.accounts import tokens

    user = make_user()
    token = tokens.make_token(user, "reset")
    assert tokens.read_token(token, "reset") == user
    monkeypatch.setitem(tokens.MAX_AGE, "reset", -1)
    assert tokens.read_token(token, "reset") is None
    assert tokens.read_token(token, "confirm") is None  # a token is for one purpose only


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "%5C%5Cevil.example",
        "https://evil.example/",
        "/\\/evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_only_redirects_within_the_site(
    client: FlaskClient, make_user: Callable[..., User], target: str
) -> None:
    make_user(email="ama@example.org")
    response = client.post("/login?next=" + target, data={"email": "ama@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/account"


def test_next_keeps_a_path_on_this_site(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email="ama@example.org")
    response = client.post(
        "/login?next=/organizations?q=x", data={"email": "ama@example.org", "password": PASSWORD}
    )
    assert response.location == "/organizations?q=x"


def test_email_change_needs_the_password_and_never_reveals_taken_addresses(
    client: FlaskClient, make_user: Callable[..., User], outbox: Callable[[], list[str]]
) -> None:
    make_user(email="ama@example.org")
    make_user(email="taken@example.org")
    sign_in(client, "ama@example.org")
    wrong = client.post(
        "/account", data={"action": "email", "email-email": "x@example.org", "email-password": "nope"}
    )
    assert "not your current password" in wrong.get_data(as_text=True)
    taken = client.post(
        "/account", data={"action": "email", "email-email": "taken@example.org", "email-password": PASSWORD}
    )
    free = client.post(
        "/account", data={"action": "email", "email-email": "new@example.org", "email-password": PASSWORD}
    )
    assert taken.status_code == free.status_code == 302
    emails = set(db.session.scalars(sa.select(User.email)))
    assert emails == {"new@example.org", "taken@example.org"}
    assert any("To: new@example.org" in m and "/confirm/" in m for m in outbox())
    assert any("To: taken@example.org" in m and "already has an account" in m for m in outbox())


def test_csrf_is_required(app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(email="ama@example.org")
    response = sign_in(client, "ama@example.org")
    assert response.status_code == 400
    assert count(LoginAttempt) == 0


def test_create_admin_command(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = app.test_cli_runner()
    monkeypatch.setenv("ADMIN_PASSWORD", NEW_PASSWORD)
    result = runner.invoke(args=["create-admin", "Root@Example.org"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(sa.select(User))
    assert admin.role is Role.ADMIN and admin.email == "root@example.org"
    monkeypatch.setenv("ADMIN_PASSWORD", "short")
    refused = runner.invoke(args=["create-admin", "other@example.org"])
    assert refused.exit_code != 0 and "at least 15" in refused.output


def test_deleting_an_account_removes_personal_details_and_keeps_a_pseudonymous_history(
    client: FlaskClient, make_user: Callable[..., User], make_org
) -> None:
    from directory.audit.models import AuditEntry

    org = make_org(name="Solo Circle")
    org_id = org.id
    user = make_user(email="ama@example.org", organization_id=org_id)
    user_id = user.id
    sign_in(client, "ama@example.org", "a wrong password here")  # an attempt on record
    sign_in(client, "ama@example.org")
    wrong = client.post("/account/delete", data={"password": "not it at all"})
    assert "not your current password" in wrong.get_data(as_text=True)
    assert db.session.get(User, user_id) is not None
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    db.session.expunge_all()
    assert db.session.get(User, user_id) is None
    assert count(LoginAttempt) == 0  # the address is gone from the sign-in records too
    assert db.session.get(Organization, org_id) is None  # the last member took the listing along
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "account.delete"))
    assert entry.actor_id is None and entry.actor_label == f"org_member {user_id}"
    assert client.get("/api/v1/organizations", query_string={"q": "solo circle"}).json["total"] == 0


def test_an_organization_with_other_members_stays_when_one_leaves(
    client: FlaskClient, make_user: Callable[..., User], make_org
) -> None:
    org = make_org(name="Shared Circle")
    make_user(email="ama@example.org", organization_id=org.id)
    make_user(email="bea@example.org", organization_id=org.id)
    sign_in(client, "ama@example.org")
    client.post("/account/delete", data={"password": PASSWORD})
    assert db.session.get(Organization, org.id) is not None
    assert find_emails() == {"bea@example.org"}


def find_emails() -> set[str]:
    return set(db.session.scalars(sa.select(User.email)))


def test_an_owner_invites_a_member_who_joins_through_the_link(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], make_org, outbox
) -> None:
    org = make_org(name="Growing Circle")
    make_user(email="owner@example.org", organization_id=org.id)
    sign_in(client, "owner@example.org")
    assert client.post("/account/members", data={"email": "new@example.org"}).status_code == 302
    [message] = [m for m in outbox() if "To: new@example.org" in m]
    path = link_in(message)
    newcomer = app.test_client()
    weak = newcomer.post(path, data={"display_name": "Bea", "password": "short"})
    assert "at least 15" in weak.get_data(as_text=True)
    assert newcomer.post(path, data={"display_name": "Bea", "password": NEW_PASSWORD}).status_code == 302
    joined = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
    assert joined.organization_id == org.id and joined.role is Role.ORG_MEMBER and not joined.is_owner
    assert newcomer.get("/my/organization").status_code == 200
    assert app.test_client().get(path).status_code == 400  # used once
    page = client.get("/account/members").get_data(as_text=True)
    assert "new@example.org" in page and "Bea" in page


def test_only_owners_invite(client: FlaskClient, make_user: Callable[..., User], make_org) -> None:
    org = make_org(name="Growing Circle")
    make_user(email="member@example.org", organization_id=org.id, is_owner=False)
    sign_in(client, "member@example.org")
    page = client.post("/account/members", data={"email": "x@example.org"}).get_data(as_text=True)
    assert "Only the owner" in page
