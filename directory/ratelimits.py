"""Rate limits for form posts that send mail or create records, and for downloads of whole searches, so
nobody can flood them.

Counted per client address (set ``PROXY_HOPS`` behind a reverse proxy) in the storage named by
``RATELIMIT_STORAGE_URI``. For forms only POSTs count: reading a form is never limited. An export reads
every match of a search, not one page, so its GETs count under their own limit (``RATELIMIT_EXPORTS``);
the search pages and the API stay unlimited. A refused request answers 429 with the usual error page (or
``{"error": ...}`` under ``/api/``).
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


def _exports_limit() -> str:
    return str(current_app.config["RATELIMIT_EXPORTS"])


def limit_exports(view: F) -> F:
    """Apply ``RATELIMIT_EXPORTS`` (default 60 per hour) to ``view``, a download of a whole search."""
    return limiter.limit(_exports_limit)(view)  # type: ignore[return-value]
