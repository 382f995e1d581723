"""Translatable labels for the states records move through (listings, agencies, requests)."""

from __future__ import annotations

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
}


def state_label(state: object) -> str:
    """The label of a state (an enum member or its value); the value itself when unknown."""
    value = getattr(state, "value", state)
    return str(STATE_LABELS.get(str(value), str(value).replace("_", " ")))


#: Facet labels already looked up, per (locale, dimension, value): a search page shows hundreds of them,
#: and translations only change when the process restarts.
_FACET_LABELS: dict[tuple[str, str, str], str] = {}


def facet_label(dim: str, value: str, locale: str | None = None) -> str:
    """The label of one facet value in the reader's language."""
    if locale is None:
        from flask_babel import get_locale

        locale = str(get_locale() or "en")
    key = (locale, dim, value)
    found = _FACET_LABELS.get(key)
    if found is None:
        found = _FACET_LABELS[key] = _facet_label(dim, value, locale)
    return found


def _facet_label(dim: str, value: str, locale: str) -> str:
    if dim in ("country", "serves"):
        return regions.country_name(value, locale)
    if dim == "region":
        return regions.region_name(value)
    if dim == "language":
        return regions.language_name(value, locale)
    return vocab.label(dim, value)
