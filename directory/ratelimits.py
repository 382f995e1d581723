"""Rate limits for form posts that send mail or create records, so nobody can flood them.

Counted per client address (set ``PROXY_HOPS`` behind a reverse proxy) in the storage named by
``RATELIMIT_STORAGE_URI``. Only POSTs count: reading a form is never limited. A refused post answers 429
with the usual error page (or ``{"error": ...}`` under ``/api/``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from .extensions import limiter

F = TypeVar("F", bound=Callable[..., object])


def _forms_limit() -> str:
    return str(current_app.config["RATELIMIT_FORMS"])


def limit_form_posts(view: F) -> F:
    """Apply ``RATELIMIT_FORMS`` (default 10 per hour) to the POSTs of ``view``, per client address."""
    return limiter.limit(_forms_limit, methods=["POST"])(view)  # type: ignore[return-value]
