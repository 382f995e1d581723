"""Recording audit entries (services call this; it never commits)."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from .models import AuditEntry


class Operator:
    """Whoever runs a ``flask`` command on the server: no account, so the audit says "operator"."""

    id = None


OPERATOR = Operator()


def actor_label(user: Any | None) -> str:
    """A pseudonymous label for who acted: role and id, never a name or an address."""
    if user is None:
        return "system"
    if isinstance(user, Operator):
        return "operator"
    role = getattr(getattr(user, "role", None), "value", "user")
    return f"{role} {user.id}"


def record(
    actor: Any | None,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Add an audit entry to the session."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        note=note,
    )
    db.session.add(entry)
    return entry
