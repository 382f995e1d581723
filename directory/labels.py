"""Translatable labels for the states records move through (listings, agencies, requests)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
