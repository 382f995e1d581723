"""Template helpers: labels for vocabulary slugs, countries, regions and languages."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import format_date, format_datetime, get_locale

from . import regions, vocab
from .labels import facet_label, state_label


def _unread() -> int:
    """Unread request notices of the signed-in person (0 for visitors)."""
    from flask_login import current_user

    from .partnerships.services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def register(app: Flask) -> None:
    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "get_locale": get_locale,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "unread_requests": _unread,
            "state_label": state_label,
            "term_label": vocab.label,
            "taxonomy_name": lambda t: str(vocab.TAXONOMY_NAMES[t]),
            "country_name": regions.country_name,
            "region_name": regions.region_name,
            "language_name": regions.language_name,
            "facet_label": facet_label,
            "search_url": lambda **args: url_for("organizations.search_page", **args),
        }
