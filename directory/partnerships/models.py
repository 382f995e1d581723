"""Partnership requests, their history, and the agencies an organization has blocked."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..agencies.models import Agency
from ..db import UTCDateTime, db_enum, now_utc
from ..extensions import db
from ..organizations.models import Organization


class RequestState(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    MORE_INFO = "more_info_requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Party(enum.StrEnum):
    AGENCY = "agency"
    ORGANIZATION = "organization"


#: (from, to) -> who may make that change. Everything not listed is refused.
REQUEST_TRANSITIONS: dict[tuple[RequestState, RequestState], frozenset[Party]] = {
    (RequestState.DRAFT, RequestState.SENT): frozenset({Party.AGENCY}),
    (RequestState.DRAFT, RequestState.WITHDRAWN): frozenset({Party.AGENCY}),
    (RequestState.SENT, RequestState.ACCEPTED): frozenset({Party.ORGANIZATION}),
    (RequestState.SENT, RequestState.DECLINED): frozenset({Party.ORGANIZATION}),
    (RequestState.SENT, RequestState.MORE_INFO): frozenset({Party.ORGANIZATION}),
    (RequestState.SENT, RequestState.WITHDRAWN): frozenset({Party.AGENCY}),
    (RequestState.MORE_INFO, RequestState.SENT): frozenset({Party.AGENCY}),  # the agency answers
    (RequestState.MORE_INFO, RequestState.WITHDRAWN): frozenset({Party.AGENCY}),
    # The organization may end a request it is waiting on, or back out before the work starts.
    (RequestState.MORE_INFO, RequestState.DECLINED): frozenset({Party.ORGANIZATION}),
    (RequestState.ACCEPTED, RequestState.IN_PROGRESS): frozenset({Party.AGENCY, Party.ORGANIZATION}),
    (RequestState.ACCEPTED, RequestState.WITHDRAWN): frozenset({Party.AGENCY}),
    (RequestState.ACCEPTED, RequestState.DECLINED): frozenset({Party.ORGANIZATION}),
    (RequestState.IN_PROGRESS, RequestState.COMPLETED): frozenset({Party.AGENCY, Party.ORGANIZATION}),
}

#: States that end a request. Moving there asks nothing of the other side, so a side may still do it
#: when the other one is suspended (or no longer verified); from every open state each side can reach one.
ENDING_STATES = frozenset({RequestState.DECLINED, RequestState.WITHDRAWN, RequestState.COMPLETED})

#: States in which the organization has accepted the agency (its "after accepting" contacts are shared).
ACCEPTED_STATES = frozenset({RequestState.ACCEPTED, RequestState.IN_PROGRESS, RequestState.COMPLETED})


class PartnershipRequest(db.Model):
    """One agency asking one organization to take part in a project, on stated terms."""

    __tablename__ = "partnership_request"
    __table_args__ = (
        # A double click or a resent form never creates two requests.
        UniqueConstraint("form_token", "organization_id", name="uq_partnership_request_form_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    form_token: Mapped[str] = mapped_column(String(64))
    state: Mapped[RequestState] = mapped_column(db_enum(RequestState, "request_state"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    stages: Mapped[list[str]] = mapped_column(JSON)
    maturity: Mapped[str] = mapped_column(String(20))
    engagement: Mapped[str] = mapped_column(String(40))
    paid: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    basis: Mapped[str | None] = mapped_column(String(20))
    respond_by: Mapped[date] = mapped_column(Date)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(20))
    place: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[str]] = mapped_column(JSON)
    concerns: Mapped[list[str]] = mapped_column(JSON)
    perspectives: Mapped[list[str]] = mapped_column(JSON)
    diversity: Mapped[list[str]] = mapped_column(JSON)
    asks_personal_story: Mapped[bool] = mapped_column(Boolean)
    commitments: Mapped[list[str]] = mapped_column(JSON)
    # The survivor-informed check's findings at the moment of sending, shown to the organization.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency] = relationship()
    organization: Mapped[Organization] = relationship()
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )


class RequestEvent(db.Model):
    """One change of a request's state: who, when, from what to what."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_request.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[PartnershipRequest] = relationship(back_populates="events")


class AgencyBlock(db.Model):
    """An organization blocked an agency: it cannot send requests there, and is not told why."""

    __tablename__ = "agency_block"
    __table_args__ = (UniqueConstraint("organization_id", "agency_id", name="uq_agency_block_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class RequestMessage(db.Model):
    """A message in a request's thread, between the agency and the organization."""

    __tablename__ = "request_message"
    # Messages per sender per hour are counted (directory.partnerships.services.post_message).
    __table_args__ = (Index("ix_request_message_author_at", "author_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_request.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    party: Mapped[str] = mapped_column(String(20))  # "agency" or "organization"
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Notification(db.Model):
    """An in-app notice for one person about a request (the inbox, with unread counts)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("partnership_request.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class RequestFeedback(db.Model):
    """Private feedback after a completed request, one per side; admins see it only in aggregate."""

    __tablename__ = "request_feedback"
    __table_args__ = (UniqueConstraint("request_id", "party", name="uq_request_feedback_side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_request.id", ondelete="CASCADE"), index=True
    )
    party: Mapped[str] = mapped_column(String(20))
    respectful: Mapped[bool] = mapped_column(Boolean)  # was the engagement respectful?
    paid_on_time: Mapped[bool | None] = mapped_column(Boolean)  # None: not a paid engagement
    # The seed's measures of meaningful engagement; None: "don't know" or not answered.
    input_shaped_decisions: Mapped[bool | None] = mapped_column(Boolean)  # did survivors' input count?
    development_offered: Mapped[bool | None] = mapped_column(Boolean)  # leadership / professional development
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
