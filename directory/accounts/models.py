"""User accounts and the record of sign-in attempts.

A user belongs to one organization or one agency (or neither, for admins). A user's email is stored
lower-cased and unique. ``session_version`` is part of every session cookie's identity: bumping it
(logout, password change, suspension) makes every older cookie useless.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agencies.models import Agency
from ..db import UTCDateTime, db_enum, now_utc
from ..extensions import db
from ..organizations.models import Organization


class Role(enum.StrEnum):
    ORG_MEMBER = "org_member"
    AGENCY_MEMBER = "agency_member"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A person with an account."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(db_enum(Role, "role"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="SET NULL"), index=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Second factor (required for admins): a TOTP secret, once confirmed, and the last time step used
    # (a code is accepted once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The secret being set up, until a code from the app confirms it (kept here, never in the cookie).
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the person reads the directory and their email in (one of LANGUAGES); None until they
    # register, sign in or choose one.
    locale: Mapped[str | None] = mapped_column(String(8))

    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])
    agency: Mapped[Agency | None] = relationship()

    def get_id(self) -> str:
        """Flask-Login's session identity: the id and the session version together."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return not self.is_suspended

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class LoginAttempt(db.Model):
    """One sign-in attempt: kept in the database so throttling holds across processes and machines."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip_address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)


class RecoveryCode(db.Model):
    """A single-use code that stands in for the second factor when the phone is lost."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(db.Model):
    """An owner's invitation for someone to join their organization or agency (single use)."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingRegistration(db.Model):
    """A registration waiting for its person to follow the emailed link; no account exists before that.

    ``details`` holds what the form gave (the password only as its hash) and is emptied once used.
    """

    __tablename__ = "pending_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "organization" or "agency"
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
