"""Issue 10's "done means", in Chromium on a 390 px screen with JavaScript on: a reader switches to French on
the home page, searches for micro-finance near Douala, sees the results on the map, opens one, and goes on to
register an organization. Every page is in French (``<html lang="fr">``) with no English sentence of the
catalog left on it, and no page breaks the Content-Security-Policy (the ``new_context`` watch)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .test_access_matrix import _english_messages

pytestmark = pytest.mark.browser

PHONE = {"java_script_enabled": True, "viewport": {"width": 390, "height": 844}}


def _all_french(page: Any, english: re.Pattern[str]) -> None:
    assert page.get_attribute("html", "lang") == "fr", page.url
    text = page.inner_text("body")
    left = english.search(text)
    assert left is None, f"{page.url}: English left: {left.group(0) if left else ''!r}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{page.url} scrolls sideways"


def test_a_french_reader_searches_on_the_map_and_registers_on_a_phone(
    new_context: Callable[..., Any], live_server: str
) -> None:
    english = _english_messages("fr")
    page = new_context(**PHONE).new_page()
    page.goto(live_server + "/")
    page.get_by_role("link", name="Français").click()  # the chooser: a plain link
    _all_french(page, english)

    page.fill("#q", "microfinance")  # the demo data says "micro-finance"
    page.fill("#near", "Douala")
    page.select_option("#radius_km", "500")
    page.locator("main form button[type=submit]").first.click()
    assert "/organizations?" in page.url
    _all_french(page, english)
    assert "à moins de 500 km de Douala" in " ".join(page.text_content("#results-heading").split())
    # The map shows the matches (clustered markers or single pins) once its script has drawn it.
    page.locator(".leaflet-marker-icon").first.wait_for(state="visible")
    assert page.locator(".leaflet-marker-icon").count() >= 1

    page.locator("article.card a").first.click()
    assert "/organizations/" in page.url
    _all_french(page, english)

    page.goto(live_server + "/")
    page.get_by_role("link", name="Inscrivez votre organisation").first.click()
    assert "/register" in page.url
    _all_french(page, english)
