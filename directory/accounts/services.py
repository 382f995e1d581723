"""Account services: sign-in with throttling, password and email changes, tokens, deletion (registration
is in ``registration.py``).

Like every service they change the session and never commit; mail is queued in the same transaction, so a
message never speaks of something that was not saved. Nothing here reveals whether an email address has an
account: having one can mark a person as a survivor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..db import now_utc, update_if
from ..extensions import db
from ..i18n import language_of
from ..mail import queue_mail
from ..organizations.models import Organization
from . import tokens
from .models import LoginAttempt, Role, User
from .passwords import dummy_hash, hash_password, needs_rehash, password_problems, verify_password


class AccountError(ValueError):
    """Input a person can correct; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(m for ms in errors.values() for m in ms))


class LoginThrottledError(Exception):
    """Too many failed sign-ins from this address (or for this account from this address)."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def _check_password(password: str, email: str, name: str, field: str = "password") -> None:
    problems = password_problems(password, email, name)
    if problems:
        raise AccountError({field: problems})


@dataclass
class Person:
    """The person registering."""

    display_name: str
    email: str
    password: str


def _new_user(person: Person, role: Role) -> User:
    return User(
        email=normalize_email(person.email),
        password_hash=hash_password(person.password),
        display_name=" ".join(person.display_name.split()),
        role=role,
        is_owner=True,
    )


def create_admin(email: str, password: str, display_name: str = "Admin") -> User:
    """A new admin account (``flask create-admin``)."""
    _check_password(password, email, display_name)
    if find_user(email) is not None:
        raise AccountError({"email": [_("An account with this email address already exists.")]})
    user = _new_user(Person(display_name, email, password), Role.ADMIN)
    user.is_owner = False
    user.email_confirmed_at = now_utc()
    db.session.add(user)
    return user


def _recent_failures(*conditions: sa.ColumnElement[bool]) -> int:
    window = now_utc() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    return int(
        db.session.scalar(
            sa.select(sa.func.count(LoginAttempt.id)).where(
                LoginAttempt.created_at >= window, LoginAttempt.succeeded.is_(False), *conditions
            )
        )
        or 0
    )


def check_throttle(email: str, ip_address: str) -> None:
    """Refuse (LoginThrottledError) or slow down a sign-in step after too many recent failures."""
    config = current_app.config
    if _recent_failures(LoginAttempt.ip_address == ip_address) >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise LoginThrottledError
    pair = (LoginAttempt.ip_address == ip_address, LoginAttempt.email == email)
    if _recent_failures(*pair) >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]:
        raise LoginThrottledError
    if _recent_failures(LoginAttempt.email == email) >= config["LOGIN_SLOWDOWN_AFTER_ACCOUNT_FAILURES"]:
        time.sleep(config["LOGIN_SLOWDOWN_SECONDS"])


def record_attempt(email: str, ip_address: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email[:254], ip_address=ip_address[:64], succeeded=succeeded))


def authenticate(email: str, password: str, ip_address: str) -> User | None:
    """The user these credentials belong to, or None; records the attempt.

    Failures are limited per address and per account-and-address pair (then refused for a while);
    failures for one account from anywhere only slow sign-in down, so nobody can lock a person out of
    their own account. Unknown addresses cost the same time as wrong passwords.
    """
    email = normalize_email(email)
    check_throttle(email, ip_address)
    user = find_user(email)
    matches = verify_password(user.password_hash if user else dummy_hash(), password)
    ok = bool(user and matches and user.is_active)
    record_attempt(email, ip_address, ok)
    if not ok or user is None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now_utc()
    return user


def end_sessions(user: User) -> None:
    """Make every session cookie of this user useless (logout everywhere)."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError({"current_password": [_("That is not your current password.")]})
    _check_password(new, user.email, user.display_name, field="new_password")
    user.password_hash = hash_password(new)
    end_sessions(user)


def change_name(user: User, display_name: str) -> None:
    user.display_name = " ".join(display_name.split())


def change_email(user: User, new_email: str, password: str) -> str | None:
    """Move the account to a new address (unconfirmed until its link is followed).

    Returns the address to send a confirmation to, or None when the address is already someone's
    (that person is told instead; the account stays as it was). The page says the same either way.
    """
    if not verify_password(user.password_hash, password):
        raise AccountError({"password": [_("That is not your current password.")]})
    new_email = normalize_email(new_email)
    if new_email == user.email:
        return None
    if find_user(new_email) is not None:
        return None
    user.email = new_email
    user.email_confirmed_at = None
    return new_email


def reset_password(token: str, new: str) -> User:
    """Set a new password through an emailed token; it also proves the address."""
    user = tokens.read_token(token, "reset")
    if user is None:
        raise AccountError({"token": [_("This link has expired or has already been used.")]})
    _check_password(new, user.email, user.display_name, field="password")
    user.password_hash = hash_password(new)
    user.email_confirmed_at = user.email_confirmed_at or now_utc()
    end_sessions(user)
    return user


def confirm_email(token: str) -> User | None:
    user = tokens.read_token(token, "confirm")
    if user is not None:
        user.email_confirmed_at = now_utc()
    return user


# --- mail, queued in the caller's transaction (flask send-mail sends it once that commits) ----------


def _send(to: str, template: str, subject: str, reader: User | None, **context: object) -> None:
    """Queue one email in its reader's language (``subject`` is a lazy message, translated here)."""
    with language_of(reader):
        body = render_template(f"accounts/mail/{template}.txt", **context)
        queue_mail(to, str(subject), body)


def adopt_language(user: User, language: str) -> None:
    """Keep the language someone first signs in with for their email, until they choose one."""
    update_if(user, User.locale.is_(None), locale=language)


def choose_language(user: User, language: str) -> None:
    """Save the language the person chose on their account page."""
    user.locale = language


def send_confirmation(user: User) -> None:
    db.session.flush()  # a new account needs its id for the token
    link = url_for("accounts.confirm", token=tokens.make_token(user, "confirm"), _external=True)
    _send(user.email, "confirm", _l("Confirm your email address"), user, user=user, link=link)


def send_existing_account_notice(email: str) -> None:
    """Someone tried to register (or move an account to) an address that already has an account."""
    link = url_for("accounts.forgot_password", _external=True)
    owner = find_user(email)
    _send(email, "existing_account", _l("Someone tried to use your email address"), owner, link=link)


def send_password_reset(email: str) -> None:
    """A reset link when the address has an active account; otherwise a message saying no password was
    reset. Both paths do the same work and the same writes (one query, one template, one queued
    message), so neither the answer nor its timing tells whether the address has an account."""
    user = find_user(email)
    active = user is not None and user.is_active
    # The same steps either way: a token and both links are made even when one of them goes unused.
    token = (
        tokens.make_token(user, "reset") if user is not None and active else tokens.placeholder_token("reset")
    )
    reset_link = url_for("accounts.reset_password_page", token=token, _external=True)
    register_link = url_for("accounts.register_organization", _external=True)
    if user is not None and active:
        _send(user.email, "reset", _l("Reset your password"), user, user=user, link=reset_link)
    else:
        _send(normalize_email(email), "reset_no_account", _l("Reset your password"), None, link=register_link)


def delete_account(user: User, password: str) -> None:
    """Delete the account and its personal details (with the organization or agency it was the last
    member of). Audit entries stay, naming the person only by role and id."""
    from ..audit.services import record

    if not verify_password(user.password_hash, password):
        raise AccountError({"password": [_("That is not your current password.")]})
    org, agency = user.organization, user.agency
    others = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.id != user.id,
            (User.organization_id == org.id)
            if org
            else (User.agency_id == agency.id)
            if agency
            else sa.false(),
        )
    )
    record(user, "account.delete", "user", user.id)
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.email == user.email))
    db.session.delete(user)
    if not others:
        if org is not None:
            delete_organization(org, None)
        elif agency is not None:
            record(None, "agency.delete", "agency", agency.id)
            db.session.delete(agency)


def delete_organization(org: Organization, by: User | None) -> None:
    """Remove an organization's listing and everything in it; members keep their accounts."""
    from ..audit.services import record

    record(by, "organization.delete", "organization", org.id)
    db.session.execute(sa.update(User).where(User.organization_id == org.id).values(organization_id=None))
    db.session.delete(org)
