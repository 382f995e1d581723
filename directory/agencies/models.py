"""The agency model: who an agency is, and whether an admin has verified it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db_enum, now_utc
from ..extensions import db


class AgencyType(enum.StrEnum):
    GOVERNMENT = "government"
    BUSINESS = "business"
    CIVIL_SOCIETY = "civil_society"
    INTERNATIONAL = "international_organization"
    ACADEMIC = "academic"


class AgencyStatus(enum.StrEnum):
    """Only verified agencies may contact organizations or see contact details kept for them."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Agency(db.Model):
    """A government body, business, NGO, international organization or academic institution."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_type: Mapped[AgencyType] = mapped_column(db_enum(AgencyType, "agency_type"))
    country_code: Mapped[str] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AgencyStatus] = mapped_column(
        db_enum(AgencyStatus, "agency_status"), default=AgencyStatus.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    @property
    def is_verified(self) -> bool:
        return self.status is AgencyStatus.VERIFIED
