"""On a 390 px screen (a phone), in Chromium with JavaScript on: no page of the access matrix scrolls
sideways, every control is a 44 px touch target, the search filters come before the results with those
applied shown above them, and the editor's pickers work.

Each page is visited once, as the first role of the matrix that may see it, on a committed database
the live server's threads can read (the matrix's ``people``), under the app's Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from directory import create_app
from directory.extensions import db

from .browser_support import serving
from .conftest import PASSWORD
from .test_access_matrix import ADMIN_SECRET, MATRIX, ROLES, people  # noqa: F401  (people: a fixture)

pytestmark = pytest.mark.browser

WIDTH = 390
PHONE = {"java_script_enabled": True, "viewport": {"width": WIDTH, "height": 844}}

#: Every visible control smaller than a 44 px touch target: text inputs, selects and buttons by
#: their own box, checkboxes and radios by their label's (the label is what a finger taps).
SMALL_CONTROLS = """
() => {
  const small = [];
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const describe = (el) => el.outerHTML.slice(0, 120);
  for (const el of document.querySelectorAll("input, select, textarea, button")) {
    if (el.type === "hidden" || !visible(el)) continue;
    let box = el;
    if (el.type === "checkbox" || el.type === "radio") {
      box = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest("label") || el;
    }
    const height = box.getBoundingClientRect().height;
    if (height < 43.5) small.push(`${Math.round(height)} px: ${describe(box)}`);
  }
  return small;
}
"""


@pytest.fixture
def app(databases: Any, tmp_path: Path, app_config: Callable[[str, Path], dict[str, Any]]) -> Iterator[Flask]:
    """The matrix's app, on a committed database, with CSRF on (the browser sends real tokens)."""
    config = app_config(databases.create(tmp_path), tmp_path)
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(app: Flask, people: dict[str, Any]) -> Iterator[str]:  # noqa: F811
    app.config["SERVER_NAME"] = None  # the people are made: from now on, whatever host the browser uses
    with serving(app) as url:
        yield url


def _pages(app: Flask, people: dict[str, Any]) -> dict[str, list[str]]:  # noqa: F811
    """role -> the HTML pages of the matrix it is the first role to see (JSON answers left out)."""
    pages: dict[str, list[str]] = {role: [] for role in ROLES}
    for (endpoint, method), expected in MATRIX.items():
        if method != "GET" or endpoint.startswith("api.") or 200 not in expected.values():
            continue
        role = next(role for role in ROLES if expected[role] == 200)
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        if "." in rule.rule.rsplit("/", 1)[-1]:
            continue  # a file (favicon.ico, robots.txt, sitemap.xml, countries.geojson), not a page
        with app.test_request_context(base_url="http://localhost"):
            url = app.url_for(endpoint, **{k: people["params"][k] for k in rule.arguments})
        pages[role].append(url.replace("http://localhost", ""))
    return pages


def _sign_in(page: Any, live_server: str, role: str, people: dict[str, Any]) -> None:  # noqa: F811
    if role == "anonymous":
        return
    page.goto(live_server + "/login")
    page.fill("#email", people["users"][role].email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    if role == "admin":
        page.fill("#code", pyotp.TOTP(ADMIN_SECRET).now())
        page.click("main button[type=submit]")
    assert "/login" not in page.url, f"{role} could not sign in"


def test_on_a_phone(
    app: Flask,
    live_server: str,
    people: dict[str, Any],  # noqa: F811
    new_context: Callable[..., Any],  # noqa: F811
) -> None:
    """One test, one database and one set of sign-ins for the three checks (a browser test's set-up is
    most of its time)."""
    no_page_scrolls_sideways_and_every_control_is_a_touch_target(app, live_server, people, new_context)
    search_filters_come_before_the_results_and_applied_ones_show_above_them(
        new_context(**PHONE).new_page(), live_server
    )
    the_editor_pickers_suggest_languages_and_filter_countries(
        new_context(**PHONE).new_page(), live_server, people
    )


def no_page_scrolls_sideways_and_every_control_is_a_touch_target(
    app: Flask,
    live_server: str,
    people: dict[str, Any],  # noqa: F811
    new_context: Callable[..., Any],  # noqa: F811
) -> None:
    problems = []
    visited = 0
    for role, urls in _pages(app, people).items():
        page = new_context(**PHONE).new_page()
        _sign_in(page, live_server, role, people)
        for url in urls:
            page.goto(live_server + url, wait_until="domcontentloaded")
            visited += 1
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                problems.append(f"{role} {url}: {width} px wide")
            problems += [f"{role} {url}: {small}" for small in page.evaluate(SMALL_CONTROLS)]
    assert visited >= 30
    assert not problems, "\n".join(problems)


def search_filters_come_before_the_results_and_applied_ones_show_above_them(
    page: Any, live_server: str
) -> None:
    page.goto(live_server + "/organizations?country=CM")
    before = page.evaluate(
        """() => {
          const filters = document.querySelector("#filters"), results = document.querySelector(".results");
          return filters.tagName === "DETAILS" && !filters.open
            && Boolean(filters.compareDocumentPosition(results) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert before, "the filters are not a closed disclosure before the results"
    chip = page.locator(".applied-filter", has_text="Cameroon")
    first_card = page.locator("article.card").first
    assert chip.bounding_box()["y"] < first_card.bounding_box()["y"]
    page.click("#filters summary")  # one tap opens the filters, in place
    assert page.locator('.facet a[aria-current="true"]', has_text="Cameroon").is_visible()
    chip.click()
    assert "country=CM" not in page.url and page.locator(".applied-filter").count() == 0


def the_editor_pickers_suggest_languages_and_filter_countries(
    page: Any,
    live_server: str,
    people: dict[str, Any],  # noqa: F811
) -> None:
    _sign_in(page, live_server, "org_a", people)
    page.goto(live_server + "/my/organization/edit/offer")
    page.fill("#languages", "French, Dua")
    # a locator waits without eval, which the CSP refuses (wait_for_function would need it)
    page.locator("#languages-suggestions option").first.wait_for(state="attached")
    suggested = page.eval_on_selector_all("#languages-suggestions option", "os => os.map(o => o.value)")
    assert "French, Duala" in suggested
    page.fill("#languages", "French, Duala")
    page.click("main form button[type=submit]")
    assert page.url.endswith("/my/organization/edit")  # a section's save returns to the overview
    page.goto(live_server + "/my/organization/edit/where")
    page.fill("#serves-filter", "camer")
    assert page.locator("#serves li:visible").count() == 1
    page.check("#serves-CM")
    page.fill("#serves-filter", "niger")
    page.check("#serves-NG")
    assert page.text_content("[data-picker-chosen]") == "Cameroon, Nigeria"  # kept up to date
    page.click("main form button[type=submit]")
    assert page.url.endswith("/my/organization/edit")
    page.goto(live_server + "/my/organization/edit/offer")
    assert page.input_value("#languages") == "French, Duala"
    page.goto(live_server + "/my/organization/edit/where")
    assert page.text_content("[data-picker-chosen]") == "Cameroon, Nigeria"
