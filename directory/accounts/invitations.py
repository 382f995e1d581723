"""Inviting members: an organization's or agency's owner invites people by email.

The link carries a random token; only its hash is stored. It works once and for INVITATION_DAYS.
Nobody joins, or is invited to, an organization or agency that is on hold (suspended, or an agency
rejected): see :mod:`directory.accounts.standing`. An invitation refused for that stays unused, so it
works again (within its days) once an admin reinstates the organization or agency.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import gettext as _

from ..agencies.models import Agency
from ..audit.services import record
from ..db import now_utc, update_if
from ..extensions import db
from ..mail import queue_mail
from ..organizations.models import Organization
from . import standing
from .models import Invitation, Role, User
from .passwords import hash_password
from .services import AccountError, _check_password, find_user, normalize_email

INVITATION_DAYS = 14


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(owner: User, email: str) -> str:
    """Create an invitation from ``owner`` to join their organization or agency; returns the token."""
    if not owner.is_owner or (owner.organization_id is None and owner.agency_id is None):
        raise AccountError({"email": [_("Only the owner of an organization or agency can invite members.")]})
    standing.require(owner, lambda message: AccountError({"email": [message]}))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=normalize_email(email),
        organization_id=owner.organization_id,
        agency_id=owner.agency_id,
        token_hash=_hash(token),
        invited_by_id=owner.id,
    )
    db.session.add(invitation)
    db.session.flush()
    record(owner, "member.invite", "invitation", invitation.id)
    return token


def send_invitation(invitation_email: str, token: str, inviter: User) -> None:
    """Queue the invitation (sent once the caller commits)."""
    link = url_for("accounts.accept_invitation", token=token, _external=True)
    where = inviter.organization.name if inviter.organization else inviter.agency.name  # type: ignore[union-attr]
    body = render_template("accounts/mail/invitation.txt", link=link, where=where, inviter=inviter)
    queue_mail(invitation_email, _("You are invited to join %(where)s", where=where), body)


def find_invitation(token: str) -> Invitation | None:
    """A valid invitation for ``token``: unused and not expired."""
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == _hash(token)))
    if invitation is None or invitation.accepted_at is not None:
        return None
    if invitation.created_at < now_utc() - timedelta(days=INVITATION_DAYS):
        return None
    return invitation


def hold_on_invitation(invitation: Invitation) -> standing.Hold | None:
    """Why the organization or agency ``invitation`` leads to takes nobody in now (None: it does)."""
    if invitation.organization_id is not None:
        return standing.organization_hold(db.session.get(Organization, invitation.organization_id))
    return standing.agency_hold(db.session.get(Agency, invitation.agency_id))


def accept(invitation: Invitation, display_name: str, password: str) -> User:
    """Create the invited person's account as a member (the link proves the address).

    The invitation is marked used by one conditional update before anything else is written, so the
    link works once even when it is sent twice at the same moment. Refused, leaving the invitation
    unused, while the organization or agency is on hold.
    """
    hold = hold_on_invitation(invitation)
    if hold is not None:
        raise AccountError({"invitation": [held_invitation_message(hold)]})
    if find_user(invitation.email) is not None:
        raise AccountError({"email": [_already_a_member()]})
    _check_password(password, invitation.email, display_name)
    password_hash = hash_password(password)  # slow on purpose: before the invitation is taken
    if not update_if(invitation, Invitation.accepted_at.is_(None), accepted_at=now_utc()):
        raise AccountError({"email": [_("This invitation has already been used.")]})
    user = User(
        email=invitation.email,
        password_hash=password_hash,
        display_name=" ".join(display_name.split()),
        role=Role.ORG_MEMBER if invitation.organization_id else Role.AGENCY_MEMBER,
        organization_id=invitation.organization_id,
        agency_id=invitation.agency_id,
        is_owner=False,
        email_confirmed_at=now_utc(),
    )
    try:
        # Two invitations to one address accepted at the same moment: the second is told, not a 500.
        with db.session.begin_nested():
            db.session.add(user)
    except sa.exc.IntegrityError:
        raise AccountError({"email": [_already_a_member()]}) from None
    record(user, "member.join", "invitation", invitation.id)
    return user


def held_invitation_message(hold: standing.Hold) -> str:
    """Why nobody can join through an invitation now (for the page and the refusal)."""
    if hold is standing.Hold.LISTING_SUSPENDED:
        return _("This organization is suspended: nobody can join it until an admin reinstates it.")
    if hold is standing.Hold.AGENCY_SUSPENDED:
        return _("This agency is suspended: nobody can join it until an admin reinstates it.")
    return _("An admin did not verify this agency: nobody can join it.")


def _already_a_member() -> str:
    return _("This address already has an account. Ask to be invited at another address.")


def members_and_invitations(owner: User) -> tuple[list[User], list[Invitation]]:
    if owner.organization_id is not None:
        member_filter = User.organization_id == owner.organization_id
        invite_filter = Invitation.organization_id == owner.organization_id
    else:
        member_filter = User.agency_id == owner.agency_id
        invite_filter = Invitation.agency_id == owner.agency_id
    members = list(db.session.scalars(sa.select(User).where(member_filter).order_by(User.id)))
    pending = list(
        db.session.scalars(
            sa.select(Invitation)
            .where(invite_filter, Invitation.accepted_at.is_(None))
            .order_by(Invitation.id)
        )
    )
    return members, pending
