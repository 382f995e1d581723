"""Access rules written once: role decorators and "is this my organization?"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from ..organizations.models import Organization
from .models import Role

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Signed in (else to the sign-in page) with one of ``roles`` (else 403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


admin_required = role_required(Role.ADMIN)
org_member_required = role_required(Role.ORG_MEMBER)
agency_member_required = role_required(Role.AGENCY_MEMBER)


def own_organization() -> Organization:
    """The signed-in organization member's organization (404 when the account has none)."""
    org = current_user.organization if current_user.role is Role.ORG_MEMBER else None
    if org is None:
        abort(404)
    return org
