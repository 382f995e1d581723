"""Registering: no account exists until its person proves the address is theirs.

The registration form stores a pending registration (what was typed, the password only as its hash) and
queues one email: a link to finish registering when the address is free, or a notice when it already has an
account. Both paths do the same work and the same writes, so neither the answer nor its timing tells
whether an address has an account. Pressing the button behind the link creates the account, confirmed
from the start, with its organization (a private draft) or agency (pending verification).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import gettext as _

from ..agencies.models import Agency, AgencyStatus, AgencyType
from ..db import now_utc, update_if
from ..extensions import db
from ..geo import get_geo
from ..i18n import language_of
from ..mail import queue_mail
from ..organizations.models import ListingStatus
from ..organizations.services import OrganizationInput, create_organization, validate_input
from .models import PendingRegistration, Role, User
from .passwords import hash_password
from .services import AccountError, Person, _check_password, find_user, normalize_email

#: How long the link to finish a registration works (unused registrations are deleted after that).
PENDING_FOR = timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_organization(
    person: Person, org_name: str, country_code: str, city: str, language: str = "en"
) -> None:
    """Register a survivor-led organization (see the module docstring); field errors raise.

    ``language`` becomes the language its profile is written in (it can change it in the editor).
    """
    _check_password(person.password, person.email, person.display_name)
    validate_input(OrganizationInput(name=org_name, country_code=country_code, city=city))
    details = {"org_name": org_name, "country_code": country_code, "city": city, "text_language": language}
    _register(person, "organization", details)


def register_agency(
    person: Person,
    name: str,
    agency_type: AgencyType,
    country_code: str,
    website: str | None,
    description: str,
) -> None:
    """Register an agency (see the module docstring); field errors raise."""
    _check_password(person.password, person.email, person.display_name)
    details = {
        "agency_name": name,
        "agency_type": agency_type.value,
        "country_code": country_code,
        "website": website or None,
        "description": description,
    }
    _register(person, "agency", details)


def _register(person: Person, kind: str, details: dict[str, Any]) -> None:
    """Every check that could fail has run: from here on a known and an unknown address look alike."""
    now = now_utc()
    email = normalize_email(person.email)
    db.session.execute(
        sa.delete(PendingRegistration).where(PendingRegistration.created_at < now - PENDING_FOR)
    )
    owner = find_user(email)
    token = secrets.token_urlsafe(32)
    details = {
        **details,
        "display_name": person.display_name,
        "password_hash": hash_password(person.password),
    }
    db.session.add(
        PendingRegistration(email=email, kind=kind, details=details, token_hash=_hash(token), created_at=now)
    )
    if owner is not None:
        link = url_for("accounts.forgot_password", _external=True)
        with language_of(owner):  # the account's own language, not the page's
            body = render_template("accounts/mail/existing_account.txt", link=link)
            queue_mail(email, _("Someone tried to use your email address"), body)
    else:
        link = url_for("accounts.finish_registration", token=token, _external=True)
        body = render_template("accounts/mail/finish_registration.txt", name=person.display_name, link=link)
        queue_mail(email, _("Finish creating your account"), body)


def find_pending(token: str) -> PendingRegistration | None:
    """The unused, unexpired registration a link's token belongs to."""
    pending = db.session.scalar(
        sa.select(PendingRegistration).where(PendingRegistration.token_hash == _hash(token))
    )
    if pending is None or pending.used_at is not None or pending.created_at < now_utc() - PENDING_FOR:
        return None
    return pending


def finish_registration(pending: PendingRegistration) -> User:
    """Create the account (its address now confirmed) and its organization or agency."""
    details = dict(pending.details)
    # Once only (the button pressed twice, or in two tabs); the password hash is not kept longer than needed.
    if not update_if(pending, PendingRegistration.used_at.is_(None), used_at=now_utc(), details={}):
        raise AccountError({"": [_("This link has been used already: sign in with your email address.")]})
    if find_user(pending.email) is not None:
        raise AccountError({"": [_("An account with this email address exists already: sign in.")]})
    user = User(
        email=pending.email,
        password_hash=details["password_hash"],
        display_name=" ".join(details["display_name"].split()),
        role=Role.ORG_MEMBER if pending.kind == "organization" else Role.AGENCY_MEMBER,
        is_owner=True,
        email_confirmed_at=now_utc(),
    )
    if pending.kind == "organization":
        data = OrganizationInput(
            name=details["org_name"],
            country_code=details["country_code"],
            city=details["city"],
            text_language=details.get("text_language", "en"),
        )
        user.organization = create_organization(
            validate_input(data), get_geo().gazetteer, status=ListingStatus.DRAFT
        )
    else:
        user.agency = Agency(
            name=" ".join(details["agency_name"].split()),
            agency_type=AgencyType(details["agency_type"]),
            country_code=details["country_code"].upper(),
            website=details["website"],
            description=details["description"].strip(),
            status=AgencyStatus.PENDING,
        )
    db.session.add(user)
    return user
