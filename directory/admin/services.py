"""Admin decisions on listings, revisions and agencies. Each is audited; none commits.

Vetting checks the organization (its registration details, references, web presence and the
leadership it attests), never anyone's personal history; the checklist an admin worked through is kept
with the decision.

Each decision is one conditional update on what the admin saw (``WHERE status = :seen``), made before
anything else is written: when two admins decide the same thing at once, or one clicks twice, the
second is told it was already decided, and only one audit entry and one email result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accounts.models import Role, User
from ..agencies.models import Agency, AgencyStatus
from ..audit.models import AuditEntry
from ..audit.services import record
from ..db import now_utc, update_if
from ..extensions import db
from ..geo import Gazetteer
from ..organizations import editing
from ..organizations.models import (
    REVERIFY_AFTER,
    ListingRevision,
    ListingStatus,
    Organization,
    RevisionStatus,
)
from ..organizations.services import apply_input
from ..reports.services import open_reports

#: What an admin checks before approving a listing. Never a person's history.
CHECKLIST: dict[str, Any] = {
    "registration": _l("Registration details are consistent (name, country, year founded)"),
    "references": _l("References or partners confirm the organization exists and works as described"),
    "web_presence": _l("Web or social presence matches the listing"),
    "leadership": _l("The survivor leadership it attests is described in its own words and is plausible"),
    "safety": _l("Location precision and contact visibility suit its safety needs"),
}


class DecisionError(ValueError):
    """A decision that cannot be taken as asked (e.g. a rejection without a reason)."""


def already_decided() -> DecisionError:
    """The error for a decision someone else took a moment ago (or a second click)."""
    return DecisionError(_("someone else has already decided this; look at it again"))


#: What can wait for an admin, in the order the queue page counts them.
QUEUE_KINDS = ("listing", "revision", "reverify", "agency", "report")


@dataclass
class QueueItem:
    kind: str  # one of QUEUE_KINDS
    id: int
    title: str
    since: datetime

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.since).days)


def queue() -> list[QueueItem]:
    """Everything waiting for an admin, oldest first."""
    items = [
        QueueItem("listing", org.id, org.name, org.submitted_at or org.updated_at)
        for org in db.session.scalars(
            sa.select(Organization).where(Organization.status == ListingStatus.PENDING)
        )
    ]
    items += [
        QueueItem("revision", rev.organization_id, rev.organization.name, rev.created_at)
        for rev in db.session.scalars(
            sa.select(ListingRevision).where(ListingRevision.status == RevisionStatus.PENDING)
        )
    ]
    items += [
        QueueItem("reverify", org.id, org.name, org.reverify_requested_at)
        for org in db.session.scalars(
            sa.select(Organization).where(
                Organization.status == ListingStatus.APPROVED, Organization.reverify_requested_at.is_not(None)
            )
        )
    ]
    items += [
        QueueItem("agency", agency.id, agency.name, agency.created_at)
        for agency in db.session.scalars(sa.select(Agency).where(Agency.status == AgencyStatus.PENDING))
    ]
    items += [
        QueueItem("report", report.id, report.organization.name, report.created_at)
        for report in open_reports()
    ]
    return sorted(items, key=lambda item: item.since)


def queue_counts(items: list[QueueItem]) -> dict[str, int]:
    """How many items of each kind wait (every kind, even those with none)."""
    return {kind: sum(1 for item in items if item.kind == kind) for kind in QUEUE_KINDS}


def _stale(now: datetime | None) -> sa.ColumnElement[bool]:
    limit = (now or now_utc()) - REVERIFY_AFTER
    return sa.and_(
        Organization.status == ListingStatus.APPROVED,
        sa.or_(Organization.assured_date.is_(None), Organization.assured_date < limit),
    )


def stale_listings(now: datetime | None = None, limit: int | None = None) -> list[Organization]:
    """Published listings not verified for a year, or never (never-verified ones first)."""
    query = sa.select(Organization).where(_stale(now)).order_by(Organization.assured_date.nulls_first())
    return list(db.session.scalars(query.limit(limit)))


def count_stale(now: datetime | None = None) -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Organization.id)).where(_stale(now))) or 0)


@dataclass(frozen=True)
class Checklist:
    """What the admin ticked, and a written reason for each item left unticked."""

    ticked: frozenset[str] = frozenset()
    reasons: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, ticked: list[str] | None, reasons: dict[str, str] | None = None) -> Checklist:
        return cls(
            frozenset(item for item in ticked or [] if item in CHECKLIST),
            {k: v.strip() for k, v in (reasons or {}).items() if k in CHECKLIST and v and v.strip()},
        )

    def problems(self) -> dict[str, list[str]]:
        """Field -> message for every item neither ticked nor explained (``reason_<item>`` fields)."""
        missing = _("Tick this item, or write why it was not checked.")
        return {
            f"reason_{item}": [missing]
            for item in CHECKLIST
            if item not in self.ticked and not self.reasons.get(item)
        }

    def audit(self) -> dict[str, Any]:
        """What the audit keeps: every item ticked, and the reason for each one that was not."""
        return {
            "checklist": [item for item in CHECKLIST if item in self.ticked],
            "unchecked": {item: self.reasons[item] for item in CHECKLIST if item not in self.ticked},
        }


class ChecklistIncompleteError(DecisionError):
    """An approval or re-verification with checklist items neither ticked nor explained."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(_("every item of the checklist must be ticked, or its reason written"))


def _require_checklist(checklist: Checklist) -> dict[str, Any]:
    problems = checklist.problems()
    if problems:
        raise ChecklistIncompleteError(problems)
    return checklist.audit()


def _require(text: str, what: object) -> str:
    """``text`` without surrounding space; DecisionError(``what``) when nothing is left."""
    text = text.strip()
    if not text:
        raise DecisionError(str(what))
    return text


#: What each decision on a listing moves it to (LISTING_TRANSITIONS says from where); "reverify"
#: keeps the listing published and only renews its verification.
LISTING_ACTIONS = {
    "approve": ListingStatus.APPROVED,
    "request_changes": ListingStatus.CHANGES_REQUESTED,
    "reject": ListingStatus.REJECTED,
    "suspend": ListingStatus.SUSPENDED,
    "reinstate": ListingStatus.APPROVED,
}
NEEDS_A_MESSAGE = {
    "request_changes": _l("asking for changes needs a message for the organization"),
    "reject": _l("a rejection needs a reason"),
    "suspend": _l("a suspension needs a reason"),
}


def decide_listing(
    org: Organization,
    admin: User,
    action: str,
    message: str = "",
    checklist: Checklist | None = None,
    seen: ListingStatus | None = None,
    seen_version: int | None = None,
) -> None:
    """approve, request_changes, reject, suspend, reinstate or reverify a listing the admin saw as
    ``seen`` (by default: its status as loaded), at ``seen_version`` of its content.

    Approving and re-verifying need the whole checklist (each item ticked or its reason written);
    both record the admin and the date as the listing's verification, and both vouch for what the admin
    read: they are refused when the organization saved the listing since (or another admin, or a second
    click, took the same decision).
    """
    seen = org.status if seen is None else seen
    if seen is not org.status:
        raise already_decided()
    before: dict[str, Any] = {"status": seen.value}
    checked: dict[str, Any] = {}
    if action in ("approve", "reverify"):  # everything checked first: the claim is the first write
        if action == "reverify" and org.status is not ListingStatus.APPROVED:
            raise DecisionError(_("only a published listing can be re-verified"))
        checked = _require_checklist(checklist or Checklist())
        _claim_version(org, org.edit_version if seen_version is None else seen_version)
    if action == "reverify":
        before["assured_date"] = _iso(org.assured_date)
        _verified(org, admin)
    elif action in LISTING_ACTIONS:
        if action in NEEDS_A_MESSAGE:
            message = _require(message, NEEDS_A_MESSAGE[action])
        try:
            editing.change_status(org, LISTING_ACTIONS[action], seen)
        except editing.ListingStateError:
            if org.status is not seen:  # moved by someone else since the page was shown
                raise already_decided() from None
            raise
        if action == "approve":
            _verified(org, admin)
    else:
        raise DecisionError(_("choose one of the decisions offered"))
    if action != "reverify" or message:
        org.review_message = message
    after: dict[str, Any] = {"status": org.status.value, **checked}
    if action == "reverify":
        after["assured_date"] = _iso(org.assured_date)
    record(admin, f"listing.{action}", "organization", org.id, before=before, after=after, note=message)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _claim_version(org: Organization, seen_version: int) -> None:
    """Bump the listing's edit version if it is still the one the admin read (one conditional UPDATE,
    so of two identical decisions at once only the first goes through)."""
    if not update_if(org, Organization.edit_version == seen_version, edit_version=seen_version + 1):
        raise DecisionError(
            _("the listing changed since you opened it, or was just decided; look at it again")
        )


def _verified(org: Organization, admin: User) -> None:
    """An admin has checked the listing now: its verification date, and nothing left to re-verify."""
    org.assured_date = now_utc()
    org.assurer_id = admin.id
    org.reverify_requested_at = None


def decide_revision(
    revision: ListingRevision,
    admin: User,
    action: str,
    gazetteer: Gazetteer,
    message: str = "",
    checklist: Checklist | None = None,
    seen_version: int | None = None,
) -> None:
    """approve (the public sees the changes now; needs the whole checklist), request_changes or reject
    a pending revision, as the admin read it at ``seen_version`` of the listing (by default: the
    listing's version as loaded).

    Members' section saves merge into the one pending revision and each moves the listing's version on,
    so a decision on a revision that changed since the admin read it is refused (nothing of it is
    approved): the admin reads it again and decides on what is there.
    """
    decided = {
        "approve": RevisionStatus.APPROVED,
        "request_changes": RevisionStatus.CHANGES_REQUESTED,
        "reject": RevisionStatus.REJECTED,
    }
    if revision.status is not RevisionStatus.PENDING:
        raise already_decided()
    if action not in decided:
        raise DecisionError(_("choose one of the decisions offered"))
    if action in NEEDS_A_MESSAGE:
        message = _require(message, NEEDS_A_MESSAGE[action])
    checked = _require_checklist(checklist or Checklist()) if action == "approve" else {}
    org = revision.organization
    # The organization row first, as a member's save takes it (the same lock order: no deadlock), and
    # only while it is at the version the admin read: one conditional UPDATE.
    seen_version = org.edit_version if seen_version is None else seen_version
    if not update_if(org, Organization.edit_version == seen_version, edit_version=seen_version + 1):
        db.session.refresh(revision)
        if revision.status is not RevisionStatus.PENDING:
            raise already_decided()
        raise DecisionError(
            _("the organization saved more changes since you opened this page; read them, then decide again")
        )
    pending = ListingRevision.status == RevisionStatus.PENDING
    if not update_if(revision, pending, status=decided[action], decided_at=now_utc(), message=message):
        raise already_decided()  # decided by another admin, or withdrawn by a member's newer save
    # Members editing a section of the revision find it decided: their next save shows both versions.
    editing.move_every_section_on(org)
    db.session.refresh(org)
    db.session.refresh(revision)
    proposed = editing.input_from_dict(revision.data)
    changes = editing.diff(editing.input_from_org(org), proposed)
    if action == "approve":
        apply_input(org, proposed, gazetteer)
        _verified(org, admin)
    org.review_message = message
    record(
        admin,
        f"revision.{action}",
        "organization",
        org.id,
        before={k: _plain(v[0]) for k, v in changes.items()},
        after={**{k: _plain(v[1]) for k, v in changes.items()}, **checked},
        note=message,
    )


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


AGENCY_ACTIONS = {
    "verify": AgencyStatus.VERIFIED,
    "reject": AgencyStatus.REJECTED,
    "suspend": AgencyStatus.SUSPENDED,
}


def agency_members(agency: Agency) -> list[User]:
    """The agency's accounts, the one who registered it (its owner) first."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.agency_id == agency.id)
            .order_by(User.is_owner.desc(), User.created_at, User.id)
        )
    )


def decide_agency(
    agency: Agency, admin: User, action: str, message: str = "", seen: AgencyStatus | None = None
) -> None:
    """verify, reject or suspend an agency the admin saw as ``seen`` (reject and suspend need a reason).

    An agency is verified only once someone who belongs to it has confirmed their email address.
    """
    if action not in AGENCY_ACTIONS:
        raise DecisionError(_("choose one of the decisions offered"))
    seen = agency.status if seen is None else seen
    to = AGENCY_ACTIONS[action]
    if seen is not agency.status or to is seen:
        raise already_decided()
    if action != "verify":
        message = _require(message, _("rejecting or suspending an agency needs a reason"))
    elif not any(m.email_confirmed_at is not None and m.is_active for m in agency_members(agency)):
        raise DecisionError(_("nobody at this agency has confirmed their email address yet"))
    if not update_if(agency, Agency.status == seen, status=to):
        db.session.refresh(agency)
        raise already_decided()
    record(
        admin,
        f"agency.{action}",
        "agency",
        agency.id,
        before={"status": seen.value},
        after={"status": to.value},
        note=message,
    )


def members_of(org: Organization) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.organization_id == org.id)))


def listing_history(org: Organization, limit: int = 20) -> list[AuditEntry]:
    """The latest audited actions on ``org``, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.target_type == "organization", AuditEntry.target_id == org.id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )


def audit_entries(action: str = "", target_type: str = "", actor: str = "") -> sa.Select[tuple[AuditEntry]]:
    """Every audited action, newest first: those whose action starts with ``action``, on records of
    ``target_type`` and by ``actor`` (each filter only when given). A query, for the page to paginate."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action.strip(), autoescape=True))
    if target_type:
        query = query.where(AuditEntry.target_type == target_type.strip())
    if actor:
        query = query.where(AuditEntry.actor_label == actor.strip())
    return query


def account_by_email(email: str) -> User | None:
    """The account with this email address (as stored: lower case), if any."""
    return db.session.scalar(sa.select(User).where(User.email == email))


REMIND_BEFORE = timedelta(days=30)


def listings_to_remind(now: datetime | None = None) -> list[Organization]:
    """Published listings whose re-verification falls due within REMIND_BEFORE and whose members
    have not been reminded since the last verification (so a daily run reminds each cycle once)."""
    now = now or now_utc()
    due_soon = now - (REVERIFY_AFTER - REMIND_BEFORE)
    return list(
        db.session.scalars(
            sa.select(Organization).where(
                Organization.status == ListingStatus.APPROVED,
                Organization.assured_date.is_not(None),
                Organization.assured_date <= due_soon,
                Organization.assured_date > now - REVERIFY_AFTER,
                sa.or_(
                    Organization.reverify_reminded_at.is_(None),
                    Organization.reverify_reminded_at < Organization.assured_date,
                ),
            )
        )
    )


def mark_reminded(org: Organization, now: datetime | None = None) -> None:
    org.reverify_reminded_at = now or now_utc()


def admins() -> list[User]:
    return list(
        db.session.scalars(sa.select(User).where(User.role == Role.ADMIN, User.is_suspended.is_(False)))
    )


def set_account_suspended(user: User, admin: User, suspended: bool, reason: str = "") -> None:
    """Suspend (every session ends at once) or reinstate an account."""
    if user.id == admin.id:
        raise DecisionError(_("admins cannot suspend their own account"))
    if suspended:
        reason = _require(reason, _("suspending an account needs a reason"))
    user.is_suspended = suspended
    user.session_version += 1
    record(admin, "account.suspend" if suspended else "account.reinstate", "user", user.id, note=reason)
