"""The newcomer's journey in a real browser (Debian's Chromium through Playwright), without JavaScript.

Every page is served with the app's Content-Security-Policy, and every test fails on any violation a page
reports: the browser logs each one to the console (with JavaScript on or off), and with JavaScript on a
``securitypolicyviolation`` listener reports it too (``test_a_csp_violation_fails_the_test`` shows both
are seen). The fixtures live in ``browser_support`` (shared with the other browser tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from .browser_support import emailed, verified_agency_member, watch_csp

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
def test_a_csp_violation_fails_the_test(browser: Any, live_server: str, javascript: bool) -> None:
    """The detector at work: one of the app's pages, with the app's own headers, given inline styles and
    an inline script, is flagged; the same page as the app serves it is not."""
    found: list[str] = []
    context = browser.new_context(java_script_enabled=javascript)
    watch_csp(context, found)
    page = context.new_page()
    page.goto(live_server + "/about")
    page.title()
    assert found == []

    def with_inline_code(route: Any) -> None:
        response = route.fetch()
        assert "style-src 'self'" in response.headers["content-security-policy"]  # the app's own policy
        body = response.text().replace(
            "</head>", '<style>p { color: red; }</style><script>document.title = "ran";</script></head>'
        )
        body = body.replace("<main ", '<main style="color: blue" ', 1)
        route.fulfill(response=response, body=body)

    page.route(live_server + "/about", with_inline_code)
    page.goto(live_server + "/about")
    title = page.title()
    context.close()
    assert title != "ran"  # the inline script was blocked (or, JavaScript off, never ran)
    assert len([text for text in found if "style-src" in text]) >= 2  # the <style> block and the attribute
    if javascript:
        assert any("script-src" in text for text in found)
        assert any(": CSP violation:" in text for text in found)  # the event listener saw them too


def test_newcomer_finds_the_micro_finance_organization_near_douala(page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.fill("#q", "micro-finance")
    page.fill("#near", "Douala")
    page.select_option("#radius_km", "500")
    page.click("button[type=submit]")
    assert "/organizations?" in page.url
    heading = page.text_content("#results-heading")
    assert "within 500 km of Douala, Cameroon" in " ".join(heading.split())
    first = page.locator("article.card").first
    assert "Cameroon" in first.text_content()
    assert "km away" in first.text_content()
    first.locator("a").first.click()
    assert "/organizations/" in page.url
    sections = page.locator("article.profile h2").all_text_contents()
    assert sections[0] == "Leadership model"
    assert "micro-financ" in page.text_content("section.leadership").lower()
    assert page.locator(".badge-demo").count() == 1


def test_facet_links_narrow_and_widen_the_search(page, live_server: str) -> None:
    page.goto(live_server + "/organizations?region=africa")
    total_africa = int(page.text_content("#results-heading").split()[0])
    page.click("#filters summary")  # on a phone the filters are a disclosure before the results
    page.locator(".facet a", has_text="Cameroon").first.click()
    assert "country=CM" in page.url
    narrowed = int(page.text_content("#results-heading").split()[0])
    assert 0 < narrowed < total_africa
    # the chosen country is marked and following it again removes it
    page.click("#filters summary")
    page.locator('.facet a[aria-current="true"]', has_text="Cameroon").click()
    assert "country=CM" not in page.url
    assert int(page.text_content("#results-heading").split()[0]) == total_africa


def test_a_misspelt_place_shows_suggestions_at_the_field(page, live_server: str) -> None:
    page.goto(live_server + "/organizations?q=training&near=Doualla")
    assert page.get_attribute("#near", "aria-invalid") == "true"
    assert page.input_value("#q") == "training"  # nothing typed is lost
    page.click(".suggestions a")
    assert page.input_value("#near") == "Douala, Cameroon"
    assert "of Douala, Cameroon" in page.text_content("#results-heading")


def test_an_organization_registers_is_approved_and_edits_under_review(
    page, live_server: str, app_for_live: Flask, new_context: Callable[..., Any]
) -> None:
    """The accounts-and-vetting journey, in the browser, JavaScript off."""
    import re

    import pyotp

    # 1. A survivor-led group registers; its draft is private.
    page.goto(live_server + "/register/organization")
    page.fill("#org_name", "Browser Test Circle")
    page.select_option("#country_code", "CM")
    page.fill("#city", "Douala")
    page.fill("#display_name", "Ama")
    page.fill("#email", "ama.browser@example.org")
    page.fill("#password", "tidal orchard lantern seventy")
    page.click("button[type=submit]")
    assert "/register/check-email" in page.url
    # No account exists until the emailed link is followed and its button pressed (which signs in).
    page.goto(emailed(app_for_live, "ama.browser@example.org", "/register/finish/")[0])
    page.click("main button[type=submit]")
    assert "your account is ready" in page.text_content("main")
    # The profile editor: an overview of short sections, each saved on its own.
    page.goto(live_server + "/my/organization/edit")
    # "where" and "contact" need nothing more
    assert "Sections ready for review: 2 of 5" in page.text_content("main")
    page.click("text=Who you are")
    page.fill("#summary", "Savings groups and business training for women.")
    page.click("main form button[type=submit]")
    page.click("text=Leadership")
    page.fill("#leadership_narrative", "Survivors design and run every programme.")
    page.check("input[name=models][value=survivor-founded]")
    page.click("main form button[type=submit]")
    page.click("text=What you offer")
    page.check("input[name=focus][value=micro-finance]")
    page.click("main form button[type=submit]")
    assert "Choose the forms of trafficking you work on." in page.text_content("main")  # still needed
    page.click("text=What you offer")
    page.check("input[name=trafficking][value=sex]")
    page.click("main form button[type=submit]")
    assert "Sections ready for review: 5 of 5" in page.text_content("main")
    page.goto(live_server + "/my/organization")
    page.click("text=Submit for review")
    assert "Waiting for review" in page.text_content("main")

    # 2. An admin signs in with the second factor and approves it.
    with app_for_live.app_context():
        from directory.accounts.services import create_admin
        from directory.extensions import db

        secret = pyotp.random_base32()
        admin = create_admin("root.browser@example.org", "velvet kiln meadow orbit", "Root")
        admin.totp_secret = secret
        admin.totp_confirmed_at = admin.email_confirmed_at
        db.session.commit()
    context = new_context()
    admin_page = context.new_page()
    admin_page.goto(live_server + "/login")
    admin_page.fill("#email", "root.browser@example.org")
    admin_page.fill("#password", "velvet kiln meadow orbit")
    admin_page.click("main button[type=submit]")
    admin_page.fill("#code", pyotp.TOTP(secret).now())
    admin_page.click("main button[type=submit]")
    admin_page.goto(live_server + "/admin/")
    admin_page.click("text=Browser Test Circle")
    for item in ("registration", "references", "web_presence", "leadership"):
        admin_page.check(f"input[name=checklist][value={item}]")
    admin_page.click("button[value=approve]")
    assert "Tick this item, or write why" in admin_page.text_content("main")  # "safety" left unexplained
    admin_page.fill("#reason_safety", "Checked by phone with the founder instead.")
    admin_page.click("button[value=approve]")
    assert "Decision recorded." in admin_page.text_content("main")

    # 3. It is found by search; an edit waits for review while the public sees the approved words.
    page.goto(live_server + "/organizations?q=browser+test+circle")
    assert "Browser Test Circle" in page.text_content(".results")
    page.goto(live_server + "/my/organization/edit/about")
    page.fill("#summary", "A newer summary waiting for review.")
    page.click("main form button[type=submit]")
    assert "Changes waiting for review" in page.text_content("main")  # on the overview, at the section
    public = context.new_page()
    public.goto(live_server + "/organizations?q=browser+test+circle")
    assert "Savings groups and business training for women." in public.text_content("main")
    assert not re.search("newer summary", public.text_content("main"))


def test_a_verified_agency_checks_and_sends_a_request(page, live_server: str, app_for_live: Flask) -> None:
    """The request form in the browser: the check shows findings, then the request is sent."""
    verified_agency_member(
        app_for_live, "Browser Ministry", "officer.browser@example.org", "velvet kiln meadow orbit"
    )
    page.goto(live_server + "/login")
    page.fill("#email", "officer.browser@example.org")
    page.fill("#password", "velvet kiln meadow orbit")
    page.click("main button[type=submit]")
    page.goto(live_server + "/organizations?q=micro-finance")
    page.locator("article.card a").first.click()
    page.click("text=Request a partnership")
    page.fill("#title", "Savings group design")
    page.fill("#summary", "Design a savings programme with survivor leaders.")
    page.check("input[name=stages][value=evaluation]")
    page.check("input[name=maturity][value=final]")
    page.check("input[name=paid][value=no]")
    page.fill("#respond_by", "2099-01-15")
    page.check("input[name=mode][value=remote]")
    page.check("input[name=asks_personal_story][value=no]")
    page.click("button[value=check]")
    findings = page.text_content(".findings")
    assert "The request is unpaid." in findings and "near-final or final work" in findings
    assert page.input_value("#title") == "Savings group design"  # nothing typed is lost
    page.click("button[value=send]")
    assert "/requests/" in page.url
    assert "Your request has been sent." in page.text_content("main")
    assert "The survivor-informed check found" in page.text_content("main")
