"""Listing models, named after the Open Referral HSDS objects they map to.

``organization`` (with ``taxonomy_term`` links through ``organization_term``), ``location``,
``service_area`` and ``language`` follow HSDS 3.0 field names where HSDS has one. The one deliberate
departure is the location's point: ``true_latitude``/``true_longitude`` hold where the organization
really is and are never shown to anyone; ``public_latitude``/``public_longitude`` hold the point derived
from the organization's chosen precision (see :mod:`directory.privacy`), and only they are ever published
(they become HSDS ``latitude``/``longitude`` on export).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db_enum, now_utc
from ..extensions import db


class ListingStatus(enum.StrEnum):
    """Where a listing is in vetting. Only ``approved`` listings are public."""

    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


#: A published listing shows "needs re-verification" when no admin has verified it for this long.
REVERIFY_AFTER = timedelta(days=365)

#: The allowed changes of listing status, in one place (who may make each is up to the services).
LISTING_TRANSITIONS: dict[ListingStatus, frozenset[ListingStatus]] = {
    ListingStatus.DRAFT: frozenset({ListingStatus.PENDING}),
    ListingStatus.PENDING: frozenset(
        {ListingStatus.APPROVED, ListingStatus.CHANGES_REQUESTED, ListingStatus.REJECTED, ListingStatus.DRAFT}
    ),
    ListingStatus.CHANGES_REQUESTED: frozenset({ListingStatus.PENDING, ListingStatus.DRAFT}),
    ListingStatus.REJECTED: frozenset(),
    # An organization may unpublish itself (back to draft) at once; an admin may suspend.
    ListingStatus.APPROVED: frozenset({ListingStatus.DRAFT, ListingStatus.SUSPENDED}),
    ListingStatus.SUSPENDED: frozenset({ListingStatus.APPROVED}),
}


class Visibility(enum.StrEnum):
    """Who may see a contact detail."""

    PUBLIC = "public"
    VERIFIED_AGENCIES = "verified_agencies"
    AFTER_ACCEPT = "after_accept"


class LocationPrecision(enum.StrEnum):
    """How precisely an organization lets the public place it on the map."""

    EXACT = "exact"
    CITY = "city"
    COUNTRY = "country"
    HIDDEN = "hidden"


class TaxonomyTerm(db.Model):
    """One slug of a controlled vocabulary (HSDS ``taxonomy_term``); labels live in ``vocab.py``."""

    __tablename__ = "taxonomy_term"
    __table_args__ = (UniqueConstraint("taxonomy", "code", name="uq_taxonomy_term_taxonomy_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    taxonomy: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<TaxonomyTerm {self.taxonomy}:{self.code}>"


organization_term = Table(
    "organization_term",
    db.Model.metadata,
    Column(
        "organization_id",
        Integer,
        ForeignKey("organization.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "taxonomy_term_id",
        Integer,
        ForeignKey("taxonomy_term.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class Organization(db.Model):
    """A survivor-led organization's listing: what the public sees once it is approved."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    # The stable public identifier (HSDS ``organization.id``): a random UUID given once, never changed by
    # edits and never reused. Objects derived from the listing take ids from it (see directory.hsds.ids).
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid4()))
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, accent- and punctuation-folded name: with the country, the key for "same organization".
    normalized_name: Mapped[str] = mapped_column(String(200), index=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    leadership_narrative: Mapped[str] = mapped_column(Text, default="")
    # The language (ISO 639 code) the organization writes its profile in: its text is shown as written,
    # marked with this language, and stemmed with it in search.
    text_language: Mapped[str] = mapped_column(String(12), default="en", server_default="en")
    # What the organization attests about its survivor leadership, in its own words. Never proof.
    survivor_attestation: Mapped[str] = mapped_column(Text, default="")
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    email_visibility: Mapped[Visibility] = mapped_column(
        db_enum(Visibility, "email_visibility"), default=Visibility.VERIFIED_AGENCIES
    )
    phone: Mapped[str | None] = mapped_column(String(40))
    phone_visibility: Mapped[Visibility] = mapped_column(
        db_enum(Visibility, "phone_visibility"), default=Visibility.VERIFIED_AGENCIES
    )
    status: Mapped[ListingStatus] = mapped_column(
        db_enum(ListingStatus, "listing_status"), default=ListingStatus.DRAFT, index=True
    )
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # An organization can pause new partnership requests ("not taking requests at the moment").
    accepting_requests: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on every save by the organization, so two members' edits never silently overwrite.
    edit_version: Mapped[int] = mapped_column(Integer, default=1)
    # The last message from the reviewing admin, for the organization's members.
    review_message: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When, and by which admin, the listing was last verified (HSDS assured_date / assurer_email).
    # Editing never changes these: only an admin's review does.
    assured_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a member last confirmed the listing is still correct (it waits in the admins' queue until an
    # admin re-verifies it; None when nothing is waiting).
    reverify_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the members were last reminded that re-verification is due (flask send-reminders).
    reverify_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assurer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL", use_alter=True)  # users refer to organizations too
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When what the public sees last changed (set by the services that change it, not by every save:
    # a pending revision or an admin's message does not make the listing "updated").
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    terms: Mapped[list[TaxonomyTerm]] = relationship(
        secondary=organization_term, order_by=TaxonomyTerm.id, lazy="selectin"
    )
    location: Mapped[Location | None] = relationship(
        back_populates="organization", cascade="all, delete-orphan", lazy="joined"
    )
    service_areas: Mapped[list[ServiceArea]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="ServiceArea.country_code",
        lazy="selectin",
    )
    languages: Mapped[list[Language]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="Language.code",
        lazy="selectin",
    )
    # The summary and leadership narrative in other languages, written by the organization too.
    texts: Mapped[list[OrganizationText]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="OrganizationText.language",
        lazy="selectin",
    )

    def text_in(self, field_name: str, language: str | None) -> tuple[str, str]:
        """(text, its language) of ``summary`` or ``leadership_narrative`` for a reader of ``language``:
        the organization's own version in that language when it wrote one, else the original."""
        if language and language != self.text_language:
            for text in self.texts:
                if text.language == language and getattr(text, field_name):
                    return getattr(text, field_name), language
        return getattr(self, field_name), self.text_language

    def needs_reverification(self, now: datetime | None = None) -> bool:
        """True when no admin has verified the listing in the last REVERIFY_AFTER."""
        return self.assured_date is None or self.assured_date < (now or now_utc()) - REVERIFY_AFTER

    def term_codes(self, taxonomy: str) -> list[str]:
        """The slugs of this organization's terms in one taxonomy, in vocabulary order."""
        return [t.code for t in self.terms if t.taxonomy == taxonomy]

    @property
    def is_public(self) -> bool:
        return self.status is ListingStatus.APPROVED

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class Location(db.Model):
    """Where an organization is (HSDS ``location``), with the public point kept apart from the true one."""

    __tablename__ = "location"
    __table_args__ = (Index("ix_location_public_point", "public_latitude", "public_longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    locality: Mapped[str] = mapped_column(String(120), default="")  # the city (HSDS address.locality)
    country_code: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    # Derived from the country (UN M49); never typed by hand.
    region: Mapped[str] = mapped_column(String(40), index=True)
    subregion: Mapped[str] = mapped_column(String(40), index=True)
    # The true point: private, used only to derive the public one.
    true_latitude: Mapped[float | None] = mapped_column(Float)
    true_longitude: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[LocationPrecision] = mapped_column(
        db_enum(LocationPrecision, "location_precision"), default=LocationPrecision.CITY
    )
    public_latitude: Mapped[float | None] = mapped_column(Float)
    public_longitude: Mapped[float | None] = mapped_column(Float)

    organization: Mapped[Organization] = relationship(back_populates="location")


class ServiceArea(db.Model):
    """A country an organization serves (HSDS ``service_area``, one row per country)."""

    __tablename__ = "service_area"
    __table_args__ = (
        UniqueConstraint("organization_id", "country_code", name="uq_service_area_organization_country"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(String(2), index=True)

    organization: Mapped[Organization] = relationship(back_populates="service_areas")


class Language(db.Model):
    """A language an organization works in (HSDS ``language``), as an ISO 639 code."""

    __tablename__ = "language"
    __table_args__ = (UniqueConstraint("organization_id", "code", name="uq_language_organization_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12), index=True)

    organization: Mapped[Organization] = relationship(back_populates="languages")


class OrganizationText(db.Model):
    """The summary and leadership narrative of a listing in one more language, as the organization wrote
    them (the original is on the organization, in its ``text_language``)."""

    __tablename__ = "organization_text"
    __table_args__ = (
        UniqueConstraint("organization_id", "language", name="uq_organization_text_organization_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(String(300), default="")
    leadership_narrative: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship(back_populates="texts")


class RevisionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ListingRevision(db.Model):
    """Changes to a published listing, waiting for an admin; the public keeps seeing the listing."""

    __tablename__ = "listing_revision"
    __table_args__ = (
        # At most one pending revision per listing, whatever happens at once (the admin queue holds one).
        Index(
            "uq_listing_revision_one_pending",
            "organization_id",
            unique=True,
            sqlite_where=sa_text("status = 'pending'"),
            postgresql_where=sa_text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # The whole proposed profile (directory.organizations.editing.input_to_dict), not just a diff.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[RevisionStatus] = mapped_column(
        db_enum(RevisionStatus, "revision_status"), default=RevisionStatus.PENDING, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship()


class ListingSection(db.Model):
    """The edit version of one section of a listing's profile editor (see ``organizations.sections``).

    Each save of a section moves its version on by one, conditionally on the version the member started
    from, so two members saving the same section from one version never overwrite each other, while
    saves of different sections never conflict. A row exists once its section was first saved (before
    that the version is 0).
    """

    __tablename__ = "listing_section"
    __table_args__ = (
        UniqueConstraint("organization_id", "section", name="uq_listing_section_organization_section"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=0)


class SearchState(db.Model):
    """One row whose ``generation`` changes whenever any listing does.

    Every server process caches its search index; comparing generations tells it, with one cheap query,
    that another process changed a listing and the cache is stale. ``changed_at`` is when the public's
    view of any listing last changed, a little more often than the generation (contact details,
    verification dates and other fields that search does not read change it too).
    """

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # When what the public may see of any listing last changed (None: not since this column was added).
    # Public reads send it as their Last-Modified (see directory.public_reads).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SearchChange(db.Model):
    """Which organizations one search generation changed (``organization_id`` None: possibly all).

    A server process whose index is a few generations old reads the organizations changed since and
    updates its index in place, instead of building it again (see directory.search.index). Rows of old
    generations are deleted as new ones are written.
    """

    __tablename__ = "search_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, index=True)
    # No foreign key: the change that deletes an organization is recorded too.
    organization_id: Mapped[int | None] = mapped_column(Integer)
