"""Organizations editing their own listing: drafts, submission, revisions and safety-first changes.

* A listing that is not public yet (draft, changes requested) is edited in place.
* Editing a published listing creates a pending **revision**; the public keeps seeing the approved
  version until an admin approves it.
* **Safety first**: a change that only shows less (a coarser location precision, a narrower contact
  visibility, removing a contact detail, unpublishing) takes effect at once, without review.
* **Suspension is total**: while an admin has the listing suspended its members change nothing (no
  save, not even one that shows less, no submission, confirmation or unpublishing; see
  :mod:`directory.accounts.standing`), so reinstating it publishes exactly what an admin last approved.
* Every save names the ``edit_version`` it started from; when another member saved in between, the
  save is refused with both versions, so nobody's work is silently overwritten.

Concurrency: the version check is made by the database, not in Python. A save starts with one
conditional ``UPDATE organization SET edit_version = edit_version + 1 WHERE id = :id AND
edit_version = :seen``; exactly one of several members saving from the same version matches a row, and
the others write nothing and get :class:`EditConflictError`. The winner then holds the write (SQLite)
or the row lock (PostgreSQL) until it commits, so everything it reads and writes afterwards is current.
Other writers of a listing (status changes, admin decisions on revisions) take the organization row
first too, so the locks are always taken in the same order. A listing has at most one pending revision
(a partial unique index says so as well).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..accounts import standing
from ..audit.services import record
from ..db import now_utc, update_if
from ..extensions import db
from ..geo import Gazetteer, Point
from .models import (
    LISTING_TRANSITIONS,
    ListingRevision,
    ListingStatus,
    LocationPrecision,
    Organization,
    RevisionStatus,
    Visibility,
)
from .services import (
    TERM_FIELDS,
    ListingValidationError,
    OrganizationInput,
    apply_input,
    derive_location,
    validate_input,
)

PRECISION_ORDER = [
    LocationPrecision.EXACT,
    LocationPrecision.CITY,
    LocationPrecision.COUNTRY,
    LocationPrecision.HIDDEN,
]
VISIBILITY_ORDER = [Visibility.PUBLIC, Visibility.VERIFIED_AGENCIES, Visibility.AFTER_ACCEPT]
_ENUM_FIELDS = {
    "location_precision": LocationPrecision,
    "email_visibility": Visibility,
    "phone_visibility": Visibility,
}


class ListingStateError(ValueError):
    """The listing is not in a state that allows this (e.g. submitting a published listing)."""


class ListingOnHoldError(ListingStateError):
    """The listing is suspended: its members may not change it (the message says so, for people)."""


def require_not_held(org: Organization) -> None:
    """Raise :class:`ListingOnHoldError` while the organization may not act (see accounts.standing)."""
    hold = standing.organization_hold(org)
    if hold is not None:
        raise ListingOnHoldError(standing.refusal(hold))


class EmailNotConfirmedError(ListingStateError):
    """The member has not confirmed their email address yet, so the listing cannot go to review."""


class EditConflictError(Exception):
    """Someone else saved the listing since this form was loaded.

    ``theirs`` is what is saved now, ``version`` its edit_version (the form to save again carries it).
    """

    def __init__(self, theirs: OrganizationInput, yours: OrganizationInput, version: int) -> None:
        self.theirs = theirs
        self.yours = yours
        self.version = version
        super().__init__("edit conflict")


# --- converting between the listing, its input and the JSON kept in revisions ---------------------


def input_from_org(org: Organization) -> OrganizationInput:
    """The listing as editable input (what it is now, as published or as drafted)."""
    loc = org.location
    precision = loc.location_precision if loc else LocationPrecision.CITY
    exact = loc is not None and precision is LocationPrecision.EXACT
    return OrganizationInput(
        name=org.name,
        country_code=loc.country_code if loc else "",
        city=loc.locality if loc else "",
        summary=org.summary,
        description=org.description,
        leadership_narrative=org.leadership_narrative,
        survivor_attestation=org.survivor_attestation,
        year_incorporated=org.year_incorporated,
        website=org.website,
        email=org.email,
        email_visibility=org.email_visibility,
        phone=org.phone,
        phone_visibility=org.phone_visibility,
        # The exact point is part of the input only while it is the one the organization gave.
        latitude=loc.true_latitude if exact else None,
        longitude=loc.true_longitude if exact else None,
        location_precision=precision,
        **{attr: org.term_codes(taxonomy) for taxonomy, attr in TERM_FIELDS.items()},
        languages=[lang.code for lang in org.languages],
        serves=[area.country_code for area in org.service_areas],
    )


def input_to_dict(data: OrganizationInput) -> dict[str, Any]:
    out = asdict(data)
    for name in _ENUM_FIELDS:
        out[name] = out[name].value
    return out


def input_from_dict(raw: dict[str, Any]) -> OrganizationInput:
    values = dict(raw)
    for name, kind in _ENUM_FIELDS.items():
        values[name] = kind(values[name])
    return OrganizationInput(**values)


def diff(before: OrganizationInput, after: OrganizationInput) -> dict[str, tuple[Any, Any]]:
    """Field -> (before, after) for every field that differs (lists compared as sets)."""
    a, b = input_to_dict(before), input_to_dict(after)
    out = {}
    for name in a:
        left, right = a[name], b[name]
        if isinstance(left, list) and isinstance(right, list):
            if set(left) != set(right):
                out[name] = (left, right)
        elif (left or None) != (right or None):
            out[name] = (left, right)
    return out


# --- what shows less ------------------------------------------------------------------------------


def _shows_less(name: str, before: Any, after: Any) -> bool:
    if name == "location_precision":
        return PRECISION_ORDER.index(LocationPrecision(after)) > PRECISION_ORDER.index(
            LocationPrecision(before)
        )
    if name in ("email_visibility", "phone_visibility"):
        return VISIBILITY_ORDER.index(Visibility(after)) > VISIBILITY_ORDER.index(Visibility(before))
    if name in ("email", "phone"):
        return bool(before) and not after  # removing a contact detail
    return False


def split_less_showing(
    published: OrganizationInput, proposed: OrganizationInput
) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """(changes that only show less, to apply at once; every other change, for review)."""
    safe, rest = {}, {}
    for name, (before, after) in diff(published, proposed).items():
        if _shows_less(name, before, after):
            safe[name] = after
        elif name in ("latitude", "longitude") and "location_precision" in safe:
            continue  # the point given for "exact" goes away with a coarser precision
        else:
            rest[name] = (before, after)
    return safe, rest


def apply_less_showing(org: Organization, safe: dict[str, Any], gazetteer: Gazetteer) -> None:
    """Apply changes that only show less directly to the published listing."""
    org.updated_at = now_utc()
    for name in ("email", "phone"):
        if name in safe:
            setattr(org, name, None)
    for name in ("email_visibility", "phone_visibility"):
        if name in safe:
            setattr(org, name, Visibility(safe[name]))
    if "location_precision" in safe and org.location is not None:
        loc = org.location
        true = Point(loc.true_latitude, loc.true_longitude) if loc.true_latitude is not None else None
        values = derive_location(
            loc.country_code, loc.locality, LocationPrecision(safe["location_precision"]), true, gazetteer
        )
        for name, value in values.items():
            setattr(loc, name, value)


# --- the services ---------------------------------------------------------------------------------


def pending_revision(org: Organization) -> ListingRevision | None:
    return db.session.scalar(
        sa.select(ListingRevision)
        .where(ListingRevision.organization_id == org.id, ListingRevision.status == RevisionStatus.PENDING)
        .order_by(ListingRevision.id.desc())
        .limit(1)
    )


def editable_input(org: Organization) -> OrganizationInput:
    """What the organization's members edit: the pending revision if there is one, else the listing."""
    revision = pending_revision(org)
    return input_from_dict(revision.data) if revision else input_from_org(org)


@dataclass
class SaveResult:
    applied: list[str] = field(default_factory=list)  # fields that took effect now
    for_review: list[str] = field(default_factory=list)  # fields waiting in a revision


def claim_edit(org: Organization, base_version: int) -> bool:
    """Move the listing from ``base_version`` to the next version in the database, if it is still there.

    True when this save won: the row now carries the next version and this transaction holds it until
    it ends. False when someone else saved since ``base_version`` was read: nothing was written.
    """
    won = update_if(org, Organization.edit_version == base_version, edit_version=base_version + 1)
    # Read the listing again: what was loaded before the update may predate another member's save.
    db.session.refresh(org)
    return won


def save_profile(
    org: Organization, data: OrganizationInput, base_version: int, by: Any, gazetteer: Gazetteer
) -> SaveResult:
    """Save the organization's own edit of its listing (see the module docstring)."""
    require_not_held(org)
    validate_input(data)
    if not claim_edit(org, base_version):
        raise EditConflictError(theirs=editable_input(org), yours=data, version=org.edit_version)
    # Again, as the listing is now that this save holds it: a suspension a moment ago stops it too.
    require_not_held(org)
    published = input_from_org(org)
    result = SaveResult()
    if org.status is not ListingStatus.APPROVED:
        changes = diff(published, data)
        apply_input(org, data, gazetteer)
        result.applied = list(changes)
        record(by, "profile.update", "organization", org.id, **_audit_values(changes))
    else:
        safe, rest = split_less_showing(published, data)
        if safe:
            apply_less_showing(org, safe, gazetteer)
            result.applied = list(safe)
            record(
                by,
                "profile.update.less_shown",
                "organization",
                org.id,
                **_audit_values({k: (getattr(published, k), v) for k, v in safe.items()}),
            )
        withdraw_pending_revision(org)
        if rest:
            db.session.add(
                ListingRevision(
                    organization_id=org.id, data=input_to_dict(data), created_by_id=getattr(by, "id", None)
                )
            )
            result.for_review = list(rest)
            record(by, "profile.revision", "organization", org.id, **_audit_values(rest))
    return result


def withdraw_pending_revision(org: Organization) -> None:
    """Withdraw the listing's pending revision, if there still is one (an admin may have just decided it)."""
    db.session.execute(
        sa.update(ListingRevision)
        .where(ListingRevision.organization_id == org.id, ListingRevision.status == RevisionStatus.PENDING)
        .values(status=RevisionStatus.WITHDRAWN, decided_at=now_utc())
        .execution_options(synchronize_session="fetch")
    )


def _audit_values(changes: dict[str, tuple[Any, Any]]) -> dict[str, dict[str, Any]]:
    def plain(value: Any) -> Any:
        return getattr(value, "value", value)

    return {
        "before": {k: plain(v[0]) for k, v in changes.items()},
        "after": {k: plain(v[1]) for k, v in changes.items()},
    }


REQUIRED_FOR_REVIEW = {
    "summary": _l("Write a one-sentence summary."),
    "leadership_narrative": _l("Describe how survivors lead your organization."),
    "models": _l("Choose at least one leadership model."),
    "focus": _l("Choose at least one focus area."),
    "trafficking": _l("Choose the forms of trafficking you work on."),
}


def change_status(org: Organization, to: ListingStatus, seen: ListingStatus | None = None) -> None:
    """Move the listing from ``seen`` (by default: its status as loaded) to ``to``.

    The transition must be allowed (see LISTING_TRANSITIONS), and the listing must still be ``seen`` in
    the database: the update is conditional, so of two people moving the same listing at once (two
    admins, a double click, an admin and the organization) only the first succeeds.
    """
    seen = org.status if seen is None else seen
    if to not in LISTING_TRANSITIONS[seen]:
        raise ListingStateError(f"{seen.value} -> {to.value}")
    if not update_if(org, Organization.status == seen, mark=False, status=to):
        db.session.refresh(org)
        raise ListingStateError(str(_l("someone else changed this listing's status a moment ago")))
    # Also through the ORM: the flush hooks that keep search current look at the attribute's history.
    org.status = to


def submit_for_review(org: Organization, by: Any) -> None:
    """Send a draft (or a listing an admin asked to change) to the review queue.

    Only a member whose email address is confirmed may: admins must be able to reach someone real.
    """
    require_not_held(org)
    if getattr(by, "email_confirmed_at", None) is None:
        raise EmailNotConfirmedError("email not confirmed")
    _require_for_review(org)
    change_status(org, ListingStatus.PENDING)
    # The listing as it is now that this transaction holds it (a member may have saved since loading).
    db.session.refresh(org)
    _require_for_review(org)
    org.submitted_at = now_utc()
    record(by, "listing.submit", "organization", org.id)


def _require_for_review(org: Organization) -> None:
    data = input_from_org(org)
    missing = {
        name: [str(message)] for name, message in REQUIRED_FOR_REVIEW.items() if not getattr(data, name)
    }
    if missing:
        raise ListingValidationError(missing)


def confirm_still_correct(org: Organization, by: Any) -> None:
    """A member confirms the published listing is still correct: it waits for an admin to re-verify it
    (saving an unchanged profile creates nothing to review, so this is the way to ask)."""
    require_not_held(org)
    if org.status is not ListingStatus.APPROVED:
        raise ListingStateError(f"{org.status.value} cannot be re-verified")
    # Conditional: asked twice (or by two members at once), it keeps its first place in the queue and
    # is recorded once.
    waiting = sa.and_(
        Organization.status == ListingStatus.APPROVED, Organization.reverify_requested_at.is_(None)
    )
    if update_if(org, waiting, reverify_requested_at=now_utc()):
        record(by, "listing.confirm_current", "organization", org.id)


def unpublish(org: Organization, by: Any) -> None:
    """Take a published listing out of the directory at once (it comes back through review).

    Not a suspended listing: it is out of the directory already, and coming back through a draft would
    step around the admins' suspension."""
    require_not_held(org)
    change_status(org, ListingStatus.DRAFT)
    withdraw_pending_revision(org)
    record(by, "listing.unpublish", "organization", org.id)
