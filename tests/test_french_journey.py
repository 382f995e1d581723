"""Issue 10's "done means", in Chromium on a 390 px screen with JavaScript on: a reader switches to French on
the home page, searches for micro-finance near Douala, sees the results on the map, opens one, and goes on to
register an organization, follow the emailed link (a French mail) and fill in every section of the
profile, one of them first with a mistake. Every page is in French (``<html lang="fr">``) with no English
sentence of the catalog left on it, and no page breaks the Content-Security-Policy (the ``new_context``
watch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from .browser_support import emailed
from .test_access_matrix import EnglishLeft, _english_messages

pytestmark = pytest.mark.browser

PHONE = {"java_script_enabled": True, "viewport": {"width": 390, "height": 844}}


def _all_french(page: Any, english: EnglishLeft) -> None:
    assert page.get_attribute("html", "lang") == "fr", page.url
    text = page.inner_text("body")
    left = english.search(text)
    assert left is None, f"{page.url}: English left: {left!r}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{page.url} scrolls sideways"


def test_a_french_group_searches_on_the_map_registers_and_fills_its_profile_on_a_phone(
    new_context: Callable[..., Any], live_server: str, app_for_live: Flask
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

    # Registering, in French: the form, the emailed link, the finishing step.
    page.fill("#org_name", "Cercle des survivantes de Bonabéri")
    page.select_option("#country_code", "CM")
    page.fill("#city", "Douala")
    page.fill("#display_name", "Ama")
    page.fill("#email", "ama.francais@example.org")
    page.fill("#password", "verger marée lanterne soixante")
    page.locator("main form button[type=submit]").click()
    assert "/register/check-email" in page.url
    _all_french(page, english)
    link, mail = emailed(app_for_live, "ama.francais@example.org", "/register/finish/")
    assert english.search(mail) is None, mail  # written in the language the group registered in
    page.goto(link)
    _all_french(page, english)
    page.locator("main button[type=submit]").click()
    _all_french(page, english)

    # The profile editor: its overview, then each section, saved on its own.
    page.goto(live_server + "/my/organization/edit")
    _all_french(page, english)

    page.locator("main a[href$='/edit/about']").click()
    _all_french(page, english)
    page.fill("#summary", "Groupes d'épargne et formation à la petite entreprise pour les femmes.")
    page.fill("#website", "exemple.org")  # kept as https://exemple.org
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/my/organization/edit")
    _all_french(page, english)

    page.locator("main a[href$='/edit/leadership']").click()
    page.fill("#leadership_narrative", "Les personnes survivantes conçoivent et dirigent chaque programme.")
    page.check("input[name=models][value=survivor-founded]")
    page.locator("main form button[type=submit]").click()
    _all_french(page, english)

    # A mistake first: the error is told in French, at the top and at the field, and nothing is lost.
    page.locator("main a[href$='/edit/offer']").click()
    page.check("input[name=focus][value=micro-finance]")
    page.check("input[name=trafficking][value=sex]")
    page.fill("#languages", "français, doualla")  # misspelt
    page.locator("main form button[type=submit]").click()
    assert page.title().startswith("Erreur")
    _all_french(page, english)
    assert page.locator(".error-summary a[href='#languages']").count() == 1
    assert "doualla" in page.text_content(".error-summary")
    assert page.is_checked("input[name=focus][value=micro-finance]")  # nothing typed is lost
    assert page.input_value("#languages") == "français, doualla"
    page.fill("#languages", "français, douala")
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/my/organization/edit")

    page.locator("main a[href$='/edit/where']").click()
    _all_french(page, english)
    page.fill("#serves-filter", "camer")  # the picker filters the countries by their French names
    page.check("#serves-CM")
    assert page.text_content("[data-picker-chosen]") == "Cameroun"
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/my/organization/edit")

    page.locator("main a[href$='/edit/contacts']").click()
    _all_french(page, english)
    page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/my/organization/edit")
    _all_french(page, english)
    assert "5 sur 5" in page.text_content("main")  # every section ready for review

    page.goto(live_server + "/my/organization/edit/offer")  # what was saved, shown again by its French names
    assert sorted(page.input_value("#languages").split(", ")) == ["douala", "français"]
    page.goto(live_server + "/my/organization/edit/where")
    assert page.text_content("[data-picker-chosen]") == "Cameroun"

    page.goto(live_server + "/my/organization")
    _all_french(page, english)
    page.get_by_role("button", name="Soumettre pour examen").click()
    _all_french(page, english)
