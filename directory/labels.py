"""Translatable labels for the states records move through (listings, agencies, requests), agency types,
contact visibility and location precision."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l

from . import regions, vocab

STATE_LABELS: dict[str, object] = {
    # listings and revisions
    "draft": _l("draft"),
    "pending": _l("waiting for review"),
    "approved": _l("published"),
    "changes_requested": _l("changes requested"),
    "rejected": _l("not approved"),
    "suspended": _l("suspended"),
    "withdrawn": _l("withdrawn"),
    # agencies
    "verified": _l("verified"),
    # partnership requests
    "sent": _l("sent"),
    "more_info_requested": _l("more information requested"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "in_progress": _l("in progress"),
    "completed": _l("completed"),
    # reports about a listing
    "open": _l("open"),
    "forwarded": _l("forwarded"),
    "dismissed": _l("dismissed"),
}

#: What each kind of account is (directory.accounts.models.Role values).
ROLE_LABELS: dict[str, object] = {
    "org_member": _l("member of an organization"),
    "agency_member": _l("member of an agency"),
    "admin": _l("admin"),
}


#: Who may see a contact detail, in a few words (the editor's choices say more).
VISIBILITY_LABELS: dict[str, object] = {
    "public": _l("everyone"),
    "verified_agencies": _l("verified agencies only"),
    "after_accept": _l("only agencies whose request it accepted"),
}

#: What the public sees of the location at each precision.
PRECISION_LABELS: dict[str, object] = {
    "exact": _l("the exact point"),
    "city": _l("the centre of the city"),
    "country": _l("the country only"),
    "hidden": _l("nothing: the location is hidden"),
}


#: The kinds of agency (directory.agencies.models.AgencyType values).
AGENCY_TYPE_LABELS: dict[str, object] = {
    "government": _l("Government body"),
    "business": _l("Business"),
    "civil_society": _l("Civil society organization / NGO"),
    "international_organization": _l("International organization"),
    "academic": _l("Academic institution"),
}


def agency_type_label(kind: object) -> str:
    return str(AGENCY_TYPE_LABELS[str(getattr(kind, "value", kind))])


def visibility_label(visibility: object) -> str:
    return str(VISIBILITY_LABELS[str(getattr(visibility, "value", visibility))])


def precision_label(precision: object) -> str:
    return str(PRECISION_LABELS[str(getattr(precision, "value", precision))])


def role_label(role: object) -> str:
    return str(ROLE_LABELS[str(getattr(role, "value", role))])


def state_label(state: object) -> str:
    """The label of a state (an enum member or its value); the value itself when unknown."""
    value = getattr(state, "value", state)
    return str(STATE_LABELS.get(str(value), str(value).replace("_", " ")))


def facet_label(dim: str, value: str, locale: str | None = None) -> str:
    """The label of one facet value in the reader's language."""
    if locale is None:
        from flask_babel import get_locale

        locale = str(get_locale() or "en")
    return _facet_label(dim, value, locale)


# Kept per (dimension, value, locale): a search page shows hundreds of labels, and translations only
# change when the process restarts. The values are checked codes; the bound is there all the same.
@lru_cache(maxsize=16384)
def _facet_label(dim: str, value: str, locale: str) -> str:
    if dim in ("country", "serves"):
        return regions.country_name(value, locale)
    if dim == "region":
        return regions.region_name(value)
    if dim == "language":
        return regions.language_name(value, locale)
    return vocab.label(dim, value)
