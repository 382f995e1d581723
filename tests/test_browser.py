"""The newcomer's journey in a real browser (Debian's Chromium through Playwright), without JavaScript.

Skipped only when Chromium is missing on a developer's machine; in CI (``CI`` set) a missing browser
is a failure, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from directory import create_app
from directory.extensions import db

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing in CI: .ci/run should have installed it")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def live_server(
    template_db: Path,
    tmp_path_factory: pytest.TempPathFactory,
    app_config: Callable[[Path], dict[str, Any]],
) -> Iterator[str]:
    database = tmp_path_factory.mktemp("live") / "live.sqlite3"
    shutil.copyfile(template_db, database)
    config = app_config(database)
    config.pop("SERVER_NAME")
    app: Flask = create_app(config)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    yield page
    context.close()


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
    page.locator(".facet a", has_text="Cameroon").first.click()
    assert "country=CM" in page.url
    narrowed = int(page.text_content("#results-heading").split()[0])
    assert 0 < narrowed < total_africa
    # the chosen country is marked and following it again removes it
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
