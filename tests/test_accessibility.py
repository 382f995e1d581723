"""Accessibility in a real browser: axe-core finds nothing on any page, and the journey works by keyboard.

axe-core (vendored from its npm package under ``tests/vendor/axe-core``, only for the tests: it is never
served; ``make vendor-axe`` refreshes it) runs with the WCAG 2.0, 2.1 and 2.2 A and AA rules on every page of
the access-control matrix (``tests/test_access_matrix.py``): each GET that answers a role with a page, as that
role sees it, in each language, 1280 px and 390 px wide. axe is added to each page with a script tag, in a
browser context that bypasses the Content-Security-Policy (axe sets inline styles while it measures colour
contrast); users always get the strict policy, which ``test_browser.py`` holds the pages to.

Pages render alike on both databases: axe runs once, on SQLite.

A keyboard-only journey (search, profile, partnership request) checks that every element reached shows
its focus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from . import test_access_matrix as matrix
from .browser_support import serving, verified_agency_member
from .conftest import ON_POSTGRESQL, ROOT
from .test_access_matrix import MATRIX, ROLES, _client

pytestmark = pytest.mark.browser
#: Pages render alike on both databases: axe checks them once, on SQLite.
sqlite_only = pytest.mark.skipif(
    ON_POSTGRESQL, reason="pages render alike on both databases: checked on SQLite"
)

people = matrix.people  # the matrix's people, its organizations and its request

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
#: WCAG 2.x, levels A and AA (axe's own tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LANGUAGES = ("en", "fr", "es", "pt")
WIDTHS = (1280, 390)

#: Runs axe on the page; returns each violation with the first few elements it was found on.
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + "  " + n.html.slice(0, 160)),
  }));
}"""


CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*')


@pytest.fixture
def live_app(app: Flask) -> Iterator[str]:
    """The test's own app (with the matrix's ``people``) served to the browser."""
    app.config["SERVER_NAME"] = None  # the browser asks for 127.0.0.1:<port>
    with serving(app) as url:
        yield url


def _signed_in_context(browser: Any, app: Flask, role: str, people: dict[str, Any], base: str) -> Any:
    """A browser context (JavaScript on, CSP bypassed for axe) signed in as ``role``, as the matrix
    signs in: the test client's session cookie is handed to the browser."""
    # axe sets inline styles while it measures (colour contrast): the app's CSP would block them
    context = browser.new_context(
        viewport={"width": WIDTHS[0], "height": 900}, base_url=base, bypass_csp=True
    )
    if role != "anonymous":
        client = _client(app, role, people)
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    return context


def _pages(app: Flask, role: str, people: dict[str, Any]) -> list[str]:
    """The matrix's GETs that answer ``role`` with a page (200)."""
    urls = []
    for (endpoint, method), expected in MATRIX.items():
        if method != "GET" or expected[role] != 200:
            continue
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        with app.test_request_context():
            urls.append(app.url_for(endpoint, **{k: people["params"][k] for k in rule.arguments}))
    return urls


def _axe(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (axe is added to the page first, if need be)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, WCAG_TAGS)


@pytest.fixture(scope="module")
def checked_pages() -> set[str]:
    """The pages (their HTML, CSRF tokens aside) axe has already checked, for any role."""
    return set()


@sqlite_only
@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_no_violation_on_any_page(
    app: Flask, people: dict[str, Any], browser: Any, live_app: str, role: str, checked_pages: set[str]
) -> None:
    """Every page of the matrix ``role`` may see, in every language, at both widths. A page whose main
    content another role was already shown (the public pages) is checked once."""
    context = _signed_in_context(browser, app, role, people, live_app)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    checked = 0
    for language in LANGUAGES:
        context.add_cookies([{"name": "lang", "value": language, "url": live_app}])
        for url in _pages(app, role, people):
            response = context.request.get(url)
            assert response.status == 200, f"{role} GET {url} in {language}"
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue  # the API, robots.txt, the sitemap, the icon
            # A page whose main content another role was already shown differs only by the header, which
            # this role's other pages check (its account page is its own): the same findings as before.
            html = CSRF_TOKEN.sub("", response.text())
            main = re.search(r"<main\b.*</main>", html, re.S)
            key = f"{language}:{main.group(0) if main else html}"
            if key in checked_pages:
                continue
            checked_pages.add(key)
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            page.goto(url)
            assert page.get_attribute("html", "lang") == language, f"{role} GET {url}"
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                checked += 1
                for violation in _axe(page):
                    key = f"{violation['id']}: {violation['help']}"
                    found.setdefault(key, []).append(
                        f"{url} {language} {width}px: " + " | ".join(violation["nodes"])
                    )
    context.close()
    assert checked > 0  # every role has a page of its own (the account page names the person)
    report = {key: places[:5] + [f"({len(places)} in all)"] for key, places in found.items()}
    assert not found, f"axe found, as {role}:\n" + json.dumps(report, indent=1, ensure_ascii=False)


@sqlite_only
def test_axe_sees_a_violation(browser: Any, live_app: str) -> None:
    """The detector at work: a page given an image with no text alternative and a nameless link is
    flagged; the page as the app serves it is not."""
    context = browser.new_context(base_url=live_app, bypass_csp=True)
    page = context.new_page()
    page.goto("/about")
    assert _axe(page) == []

    def with_faults(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace("</main>", '<img src="/favicon.ico"><a href="/"></a></main>', 1)
        route.fulfill(response=response, body=body)

    page.route(live_app + "/about", with_faults)
    page.goto("/about")
    assert {violation["id"] for violation in _axe(page)} == {"image-alt", "link-name"}
    context.close()


#: The focused element: whether it matches ``selector``, and whether its focus can be seen (an outline
#: or a box shadow, as the page's CSS draws it).
FOCUSED = """(selector) => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    matches: element.matches(selector),
    visible: outline || style.boxShadow !== "none",
    what: element.outerHTML.slice(0, 120),
  };
}"""


class Keyboard:
    """Moves through a page with Tab (and arrow keys within a radio group), as a keyboard user does,
    noting every element whose focus cannot be seen."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.invisible: list[str] = []

    def tab_to(self, selector: str, limit: int = 150) -> None:
        """Press Tab until the element matching ``selector`` has the focus."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(FOCUSED, selector)
            if not focused["visible"]:
                self.invisible.append(focused["what"])
            if focused["matches"]:
                return
        raise AssertionError(f"{selector} is not reached with Tab on {self.page.url}")

    def choose(self, name: str, value: str) -> None:
        """Tab into the radio group ``name``, then move to ``value`` with the arrow keys (which checks it;
        Space checks the one focused on entering the group)."""
        self.tab_to(f"input[name={name}]")
        for _ in range(10):
            if self.page.evaluate(FOCUSED, f"input[value={value}]")["matches"]:
                chosen = f"input[name={name}][value={value}]"
                if not self.page.is_checked(chosen):  # focused on entering the group, not yet checked
                    self.page.keyboard.press("Space")
                assert self.page.is_checked(chosen)
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"no {value} in the {name} group")


def test_search_profile_and_request_with_the_keyboard_only(
    new_context: Any, live_server: str, app_for_live: Flask
) -> None:
    """A verified agency's officer, keyboard only, on the demo data: signs in, searches, opens a profile and
    sends a partnership request. Every element focused on the way shows its focus."""
    import sqlalchemy as sa

    from directory.extensions import db
    from directory.partnerships.models import PartnershipRequest

    agency_id = verified_agency_member(
        app_for_live, "Keyboard Ministry", "officer.keyboard@example.org", "velvet kiln meadow orbit"
    )
    page = new_context(java_script_enabled=True, viewport={"width": 1280, "height": 900}).new_page()
    keys = Keyboard(page)
    page.goto(live_server + "/login")
    keys.tab_to("#email")
    page.keyboard.type("officer.keyboard@example.org")
    keys.tab_to("#password")
    page.keyboard.type("velvet kiln meadow orbit")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(live_server + "/")
    keys.tab_to("#q")
    page.keyboard.type("micro-finance")
    page.keyboard.press("Enter")
    page.wait_for_url("**/organizations?**")
    keys.tab_to("article.card a")
    name = page.evaluate("document.activeElement.textContent").strip()
    page.keyboard.press("Enter")
    page.wait_for_url("**/organizations/*")
    assert name in page.text_content("h1")

    keys.tab_to("a[href$='/request']")  # "Request a partnership"
    page.keyboard.press("Enter")
    page.wait_for_url("**/request")
    keys.tab_to("#title")
    page.keyboard.type("Savings group design")
    keys.tab_to("#summary")
    page.keyboard.type("Design a savings programme with survivor leaders.")
    keys.tab_to("input[name=stages][value=evaluation]")
    page.keyboard.press("Space")
    keys.choose("maturity", "final")
    keys.choose("paid", "no")
    keys.tab_to("#respond_by")
    page.keyboard.type("01152099")  # Chromium's date field, month/day/year in English
    keys.choose("mode", "remote")
    keys.choose("asks_personal_story", "no")
    keys.tab_to("button[value=send]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    assert "Your request has been sent." in page.text_content("main")
    assert keys.invisible == [], f"focused without a visible focus indicator: {keys.invisible}"
    with app_for_live.app_context():
        sent = (
            db.session.execute(sa.select(PartnershipRequest).filter_by(agency_id=agency_id)).scalars().all()
        )
        assert [(p.title, p.respond_by.isoformat()) for p in sent] == [("Savings group design", "2099-01-15")]
