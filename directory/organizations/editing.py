"""Organizations editing their own listing: drafts, submission, revisions and safety-first changes.

* The profile is edited in short sections (:mod:`directory.organizations.sections`), each saved on its
  own: a save changes that section's fields and nothing else.
* A listing that is not public yet (draft, changes requested) is edited in place.
* Editing a published listing puts the changes in its one pending **revision** (a section's save
  merges into it); the public keeps seeing the approved version until an admin approves it.
* **Safety first**: a change that only shows less (a coarser location precision, a narrower contact
  visibility, removing a contact detail, unpublishing) takes effect at once, without review.
* **Suspension is total**: while an admin has the listing suspended its members change nothing (no
  save, not even one that shows less, no submission, confirmation or unpublishing; see
  :mod:`directory.accounts.standing`), so reinstating it publishes exactly what an admin last approved.
* Every save names the version of its section it started from; when another member saved that section
  in between, the save is refused with both versions, so nobody's work is silently overwritten. Saves
  of different sections never conflict.

Concurrency: the checks are made by the database, not in Python. A save starts by taking the listing's
row (``UPDATE organization SET edit_version = edit_version + 1``, unconditionally: every save, of any
section, moves the listing's version on, which is what an admin's decision is checked against), then
makes one conditional ``UPDATE listing_section SET version = version + 1 WHERE ... AND version =
:seen``; of several members saving one section from the same version exactly one matches a row, and
the others write nothing and get :class:`EditConflictError`. The winner holds the write (SQLite) or
the row lock (PostgreSQL) until it commits, so everything it reads and writes afterwards (the pending
revision it merges into) is current. Other writers of a listing (status changes, admin decisions on
revisions) take the organization row first too, so the locks are always taken in the same order. A
listing has at most one pending revision (a partial unique index says so as well).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..accounts import standing
from ..audit.services import record
from ..db import insert_once, now_utc, update_if
from ..extensions import db
from ..geo import Gazetteer, Point
from .models import (
    LISTING_TRANSITIONS,
    ListingRevision,
    ListingSection,
    ListingStatus,
    LocationPrecision,
    Organization,
    RevisionStatus,
    Visibility,
)
from .sections import SECTIONS, Section
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
    """Someone else saved this section of the listing since this form was loaded.

    ``theirs`` is what is saved now, ``yours`` the same with this save's section, ``version`` the
    section's version now (the form to save again carries it).
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
        text_language=org.text_language,
        summary_translations={t.language: t.summary for t in org.texts if t.summary},
        narrative_translations={
            t.language: t.leadership_narrative for t in org.texts if t.leadership_narrative
        },
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


def pending_revision(org: Organization, fresh: bool = False) -> ListingRevision | None:
    """The revision waiting for review, if any (``fresh``: read again even if loaded before)."""
    return db.session.scalar(
        sa.select(ListingRevision)
        .where(ListingRevision.organization_id == org.id, ListingRevision.status == RevisionStatus.PENDING)
        .order_by(ListingRevision.id.desc())
        .limit(1)
        .execution_options(populate_existing=fresh)
    )


def editable_input(org: Organization) -> OrganizationInput:
    """What the organization's members edit: the pending revision if there is one, else the listing."""
    revision = pending_revision(org)
    return input_from_dict(revision.data) if revision else input_from_org(org)


@dataclass
class SaveResult:
    applied: list[str] = field(default_factory=list)  # fields that took effect now
    for_review: list[str] = field(default_factory=list)  # fields waiting in a revision


def section_version(org: Organization, section: str) -> int:
    """The edit version of one section of the listing (0 until the section is first saved)."""
    version = db.session.scalar(
        sa.select(ListingSection.version).where(
            ListingSection.organization_id == org.id, ListingSection.section == section
        )
    )
    return version or 0


def claim_section(org: Organization, section: str, base_version: int) -> bool:
    """Take the listing, then move ``section`` from ``base_version`` to the next version in the
    database, if it is still there.

    True when this save won: the section carries the next version and this transaction holds the
    listing until it ends. False when someone else saved the section since ``base_version`` was read
    (the caller rolls back: the listing's own version was moved on too).
    """
    # The organization row first, as every writer of a listing takes it; on SQLite the first statement
    # of the transaction must be a write (see directory/sqlite.py).
    db.session.execute(
        sa.update(Organization)
        .where(Organization.id == org.id)
        .values(edit_version=Organization.edit_version + 1)
        .execution_options(synchronize_session=False)
    )
    insert_once(db.session, ListingSection, organization_id=org.id, section=section, version=0)
    row = db.session.scalars(
        sa.select(ListingSection)
        .where(ListingSection.organization_id == org.id, ListingSection.section == section)
        .execution_options(populate_existing=True)
    ).one()
    won = update_if(row, ListingSection.version == base_version, version=base_version + 1)
    # Read the listing again: what was loaded before may predate another member's save.
    db.session.refresh(org)
    return won


def move_every_section_on(org: Organization) -> None:
    """Move every section of the listing to its next version: an admin decided the pending revision,
    so a member's form loaded before that is a conflict, shown with what is saved now."""
    db.session.execute(
        sa.update(ListingSection)
        .where(ListingSection.organization_id == org.id)
        .values(version=ListingSection.version + 1)
        .execution_options(synchronize_session=False)
    )
    for slug in SECTIONS:  # sections never saved were at 0: now 1, like the others moved on
        insert_once(db.session, ListingSection, organization_id=org.id, section=slug, version=1)


def _with_section(base: OrganizationInput, data: OrganizationInput, section: Section) -> OrganizationInput:
    """``base`` with the fields of ``section`` taken from ``data``."""
    return replace(base, **{name: getattr(data, name) for name in section.fields})


def save_section(
    org: Organization,
    section: Section,
    data: OrganizationInput,
    base_version: int,
    by: Any,
    gazetteer: Gazetteer,
) -> SaveResult:
    """Save one section of the organization's own edit of its listing (see the module docstring):
    the fields of ``section`` are taken from ``data``, every other field stays as it is saved now."""
    require_not_held(org)
    _validate_section(data, section)
    if not claim_section(org, section.slug, base_version):
        theirs = editable_input(org)
        raise EditConflictError(
            theirs=theirs,
            yours=_with_section(theirs, data, section),
            version=section_version(org, section.slug),
        )
    # Again, as the listing is now that this save holds it: a suspension a moment ago stops it too.
    require_not_held(org)
    revision = pending_revision(org, fresh=True)
    current = input_from_dict(revision.data) if revision else input_from_org(org)
    proposed = _with_section(current, data, section)
    published = input_from_org(org)
    result = SaveResult()
    if org.status is not ListingStatus.APPROVED:
        changes = diff(published, proposed)
        apply_input(org, proposed, gazetteer)
        result.applied = list(changes)
        if changes:
            record(by, "profile.update", "organization", org.id, **_audit_values(changes))
        return result
    safe, rest = split_less_showing(published, proposed)
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
    if not rest:
        withdraw_pending_revision(org)  # nothing left to review: the listing is what was proposed
        return result
    # This save's own changes to what waits for review (the other sections' stay as they are).
    mine = {k: v for k, v in diff(current, proposed).items() if k in rest}
    if revision is None:
        db.session.add(
            ListingRevision(
                organization_id=org.id, data=input_to_dict(proposed), created_by_id=getattr(by, "id", None)
            )
        )
    else:
        revision.data = input_to_dict(proposed)
    result.for_review = [name for name in rest if name in section.fields]
    if mine:
        record(by, "profile.revision", "organization", org.id, **_audit_values(mine))
    return result


def _validate_section(data: OrganizationInput, section: Section) -> None:
    """Check and normalize ``data``; only the section's own fields can be refused (the others are what
    is saved now, and this save leaves them alone)."""
    try:
        validate_input(data)
    except ListingValidationError as exc:
        mine = {
            name: messages for name, messages in exc.errors.items() if name.split(".")[0] in section.fields
        }
        if mine:
            raise ListingValidationError(mine) from None


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


@dataclass(frozen=True)
class SectionProgress:
    """How far one section of the editor is, for its overview."""

    section: Section
    missing: list[str]  # what review still needs from this section (REQUIRED_FOR_REVIEW)
    filled: bool  # something is written or chosen in it
    waiting: bool  # changes in it wait for an admin's review


def section_progress(org: Organization) -> list[SectionProgress]:
    """Each section of the editor, in order, with what it still needs and what waits for review."""
    revision = pending_revision(org)
    published = input_from_org(org)
    current = input_from_dict(revision.data) if revision else published
    waiting = set(diff(published, current)) if revision else set()
    return [
        SectionProgress(
            section=section,
            missing=[
                str(message)
                for name, message in REQUIRED_FOR_REVIEW.items()
                if name in section.fields and not getattr(current, name)
            ],
            filled=any(getattr(current, name) for name in section.fields if name not in _ENUM_FIELDS),
            waiting=bool(waiting & set(section.fields)),
        )
        for section in SECTIONS.values()
    ]


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
