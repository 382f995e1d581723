"""Template helpers: labels for vocabulary slugs, countries, regions and languages."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_number, get_locale

from . import languages, regions, vocab
from .forms import invalid_fields
from .labels import agency_type_label, facet_label, precision_label, role_label, state_label, visibility_label
from .organizations.facets import facet_items
from .organizations.links import search_url
from .partnerships.checks import finding_title, stored_wording
from .partnerships.vocabulary import action_label, term_label, term_labels


def _unread() -> int:
    """Unread request notices of the signed-in person (0 for visitors)."""
    from flask_login import current_user

    from .partnerships.services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def _standing_notice() -> str | None:
    """Why the signed-in member's organization or agency may not act now (None for everyone else)."""
    from flask_login import current_user

    from .accounts.standing import notice_for

    return notice_for(current_user)


def _report_reason(reason: Any) -> str:
    from .reports.forms import REASON_LABELS

    return str(REASON_LABELS.get(reason, getattr(reason, "value", reason)))


def _field_label(name: str) -> str:
    from .workspace.forms import field_label

    return field_label(name)


def listing_value(name: str, value: Any) -> str:
    """A listing field's value as a reader sees it: languages and countries by name, lists joined."""
    if name == "languages":
        return languages.names(value or [])
    if name == "serves":
        return ", ".join(regions.country_name(code) for code in value or [])
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def register(app: Flask) -> None:
    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "get_locale": get_locale,
            "format_date": format_date,
            "format_number": format_number,  # 12,345 / 12 345 / 12.345, as the reader writes it
            "format_datetime": format_datetime,
            "format_currency": format_currency,
            "unread_requests": _unread,
            "standing_notice": _standing_notice,
            "state_label": state_label,
            "visibility_label": visibility_label,
            "agency_type_label": agency_type_label,
            "precision_label": precision_label,
            "term_label": facet_label,  # the same labels, cached per language
            "taxonomy_name": lambda t: str(vocab.TAXONOMY_NAMES[t]),
            "country_name": regions.country_name,
            "region_name": regions.region_name,
            "language_name": regions.language_name,
            "listing_value": listing_value,
            "facet_label": facet_label,
            "facet_items": facet_items,
            "search_url": search_url,
            "invalid_fields": invalid_fields,
            "finding_wording": stored_wording,
            "finding_title": finding_title,
            "role_label": role_label,
            "field_label": _field_label,
            "stage_label": lambda value: term_label("stages", value),
            "focus_label": lambda value: facet_label("focus", value),
            "report_reason": _report_reason,
            "request_term": term_label,  # a partnership request's values, by their labels
            "request_terms": term_labels,
            "action_label": action_label,  # a step on a request, named as its button says it
        }
