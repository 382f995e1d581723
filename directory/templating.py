"""Template helpers: labels for vocabulary slugs, countries, regions and languages."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import format_date, format_datetime, get_locale

from . import regions, vocab
from .api.views import facet_label


def register(app: Flask) -> None:
    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "get_locale": get_locale,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "term_label": vocab.label,
            "taxonomy_name": lambda t: str(vocab.TAXONOMY_NAMES[t]),
            "country_name": regions.country_name,
            "region_name": regions.region_name,
            "language_name": regions.language_name,
            "facet_label": facet_label,
            "search_url": lambda **args: url_for("organizations.search_page", **args),
        }
