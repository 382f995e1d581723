"""Agencies changing their own details. Changing who they are sends them back to verification; a
suspended or rejected agency changes nothing (see :mod:`directory.accounts.standing`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..accounts import standing
from ..audit.services import record
from ..db import update_if
from .models import Agency, AgencyStatus, AgencyType

#: Changing any of these means an admin must verify the agency again.
IDENTITY_FIELDS = ("name", "website", "country_code")


class AgencyError(ValueError):
    """A change the agency may not make now; the message says why, plainly."""


@dataclass
class AgencyInput:
    name: str
    agency_type: AgencyType
    country_code: str
    website: str | None
    description: str


def update_agency(agency: Agency, data: AgencyInput, by: Any) -> bool:
    """Apply the agency's own edit; True when it went back to pending verification.

    Refused (:class:`AgencyError`) while the agency is suspended or rejected: its details are what the
    admins decided on, and a suspension never turns into "pending" through an edit.
    """
    hold = standing.agency_hold(agency)
    if hold is not None:
        raise AgencyError(standing.refusal(hold))
    new = {
        "name": " ".join(data.name.split()),
        "agency_type": data.agency_type,
        "country_code": data.country_code.upper(),
        "website": data.website or None,
        "description": data.description.strip(),
    }
    changed = {k: (getattr(agency, k), v) for k, v in new.items() if getattr(agency, k) != v}
    if not changed:
        return False
    for name, (_old, value) in changed.items():
        setattr(agency, name, value)
    reverify = agency.status is AgencyStatus.VERIFIED and any(f in changed for f in IDENTITY_FIELDS)
    if reverify:
        # Conditional: an admin who suspended or rejected the agency a moment ago keeps the last word.
        reverify = update_if(agency, Agency.status == AgencyStatus.VERIFIED, status=AgencyStatus.PENDING)
    plain = {k: (getattr(o, "value", o), getattr(n, "value", n)) for k, (o, n) in changed.items()}
    record(
        by,
        "agency.update",
        "agency",
        agency.id,
        before={k: v[0] for k, v in plain.items()},
        after={**{k: v[1] for k, v in plain.items()}, **({"status": "pending"} if reverify else {})},
    )
    return reverify
