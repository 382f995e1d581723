"""Whether an account, and the organization or agency it belongs to, may act now: the rule, written once.

Suspension is total:

* a suspended **account** can do nothing: it is signed out everywhere and cannot sign in
  (:mod:`directory.accounts.loader`);
* an **organization** member may not act while the listing is suspended;
* an **agency** member may not act while the agency is suspended or rejected; in partnership requests
  (:attr:`Scope.REQUESTS`) the agency must be verified: one sent back to pending (it changed its name,
  website or country) reads its requests but neither writes in them nor moves them until an admin has
  verified it again;
* admins are never held.

A member on hold still reads its own pages, changes its own account (name, email address, password),
signs out and deletes its account; an organization's owner may delete the organization (see the README).

Services ask :func:`hold_on` (or :func:`organization_hold` / :func:`agency_hold` about the record they
change) and raise their own domain error with :func:`refusal`'s words; views show that message. The other
side of a partnership request is shown :func:`counterpart_notice`. Statuses are read from the database
on every request, so an admin's decision holds for its members' open sessions at their next request,
without signing anyone out.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from ..agencies.models import Agency, AgencyStatus
from ..organizations.models import ListingStatus, Organization


class Hold(enum.StrEnum):
    """Why an account, organization or agency may not act."""

    ACCOUNT_SUSPENDED = "account_suspended"
    LISTING_SUSPENDED = "listing_suspended"
    AGENCY_SUSPENDED = "agency_suspended"
    AGENCY_REJECTED = "agency_rejected"
    AGENCY_UNVERIFIED = "agency_unverified"  # only in partnership requests


class Scope(enum.Enum):
    """What the member is about to do: anything of their own, or act in partnership requests."""

    ACCOUNT = "account"
    REQUESTS = "requests"


#: What a member on hold is told when something is refused (and on every page, see base.html).
REFUSALS: dict[Hold, Any] = {
    Hold.ACCOUNT_SUSPENDED: _l("Your account is suspended."),
    Hold.LISTING_SUSPENDED: _l(
        "Your organization's listing is suspended: until an admin reinstates it, your organization can "
        "read its pages but cannot change or send anything."
    ),
    Hold.AGENCY_SUSPENDED: _l(
        "Your agency is suspended: until an admin reinstates it, your agency can read its pages but "
        "cannot change or send anything."
    ),
    Hold.AGENCY_REJECTED: _l(
        "An admin did not verify your agency: it can read its pages but cannot change or send anything."
    ),
    Hold.AGENCY_UNVERIFIED: _l(
        "Only a verified agency can contact organizations: yours is waiting for an admin to verify it."
    ),
}

#: What the other side of a partnership request is told about a side on hold.
COUNTERPART_NOTICES: dict[Hold, Any] = {
    Hold.ACCOUNT_SUSPENDED: _l("This account is suspended."),
    Hold.LISTING_SUSPENDED: _l(
        "This organization's listing is suspended by the directory's admins: the organization cannot act "
        "on this request, and nothing is sent to it."
    ),
    Hold.AGENCY_SUSPENDED: _l(
        "This agency is suspended by the directory's admins: it cannot act on this request, and nothing "
        "is sent to it."
    ),
    Hold.AGENCY_REJECTED: _l(
        "This agency is no longer verified: it cannot act on this request, and nothing is sent to it."
    ),
    Hold.AGENCY_UNVERIFIED: _l(
        "This agency changed its name, website or country and waits for an admin to verify it again: "
        "until then it cannot act on this request, and nothing is sent to it."
    ),
}

#: A word or two beside the other side's name in a list of requests.
LABELS: dict[Hold, Any] = {
    Hold.ACCOUNT_SUSPENDED: _l("suspended"),
    Hold.LISTING_SUSPENDED: _l("suspended"),
    Hold.AGENCY_SUSPENDED: _l("suspended"),
    Hold.AGENCY_REJECTED: _l("not verified"),
    Hold.AGENCY_UNVERIFIED: _l("waiting for verification"),
}


def organization_hold(org: Organization | None) -> Hold | None:
    """Why the organization may not act now (None: it may)."""
    if org is not None and org.status is ListingStatus.SUSPENDED:
        return Hold.LISTING_SUSPENDED
    return None


def agency_hold(agency: Agency | None, scope: Scope = Scope.ACCOUNT) -> Hold | None:
    """Why the agency may not act now (None: it may); in requests it must be verified."""
    if agency is None:
        return None
    if agency.status is AgencyStatus.SUSPENDED:
        return Hold.AGENCY_SUSPENDED
    if agency.status is AgencyStatus.REJECTED:
        return Hold.AGENCY_REJECTED
    if scope is Scope.REQUESTS and agency.status is not AgencyStatus.VERIFIED:
        return Hold.AGENCY_UNVERIFIED
    return None


def hold_on(user: Any, scope: Scope = Scope.ACCOUNT) -> Hold | None:
    """Why the signed-in ``user`` may not act now for their organization or agency (None: they may)."""
    if not user.is_active:
        return Hold.ACCOUNT_SUSPENDED
    if user.organization_id is not None:
        return organization_hold(user.organization)
    if user.agency_id is not None:
        return agency_hold(user.agency, scope)
    return None


def refusal(hold: Hold) -> str:
    """What a member on hold is told."""
    return str(REFUSALS[hold])


def counterpart_notice(hold: Hold) -> str:
    """What the other side of a partnership request is told about a side on hold."""
    return str(COUNTERPART_NOTICES[hold])


def label(hold: Hold) -> str:
    return str(LABELS[hold])


def require(user: Any, error: Callable[[str], Exception], scope: Scope = Scope.ACCOUNT) -> None:
    """Raise ``error(message)`` when ``user`` may not act now (see :func:`hold_on`)."""
    hold = hold_on(user, scope)
    if hold is not None:
        raise error(refusal(hold))


def notice_for(user: Any) -> str | None:
    """The refusal to show on every page to a signed-in member whose organization or agency is held
    (a pending agency is left out: its own pages say it waits for verification)."""
    if not getattr(user, "is_authenticated", False):
        return None
    hold = hold_on(user)
    return refusal(hold) if hold is not None else None
