"""What the browser tests share: Debian's Chromium through Playwright, a live server, and the check that
no page violates the Content-Security-Policy.

``tests/conftest.py`` loads this module as a plugin, so its fixtures are there for every test. A test
that asks for the browser is skipped when Chromium is missing on a developer's machine; in CI (``CI``
set) a missing browser is a failure, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from directory import create_app
from directory.extensions import db

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CHROMIUM = "/usr/bin/chromium"


def emailed(app: Flask, to: str, path: str) -> tuple[str, str]:
    """The newest mail sent to ``to`` with a link containing ``path`` (the test outbox, after the
    ``send-mail`` command cron runs): that link, and the mail's subject and body."""
    sent = app.test_cli_runner().invoke(args=["send-mail"])
    assert sent.exit_code == 0, sent.output
    for message_file in sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"), reverse=True):
        message = email.message_from_bytes(message_file.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            body = message.get_body().get_content()  # type: ignore[union-attr]
            found = re.search(r"https?://\S*" + re.escape(path) + r"\S*", body)
            if found:
                return found.group(0), f"{message['Subject']}\n{body}"
    raise AssertionError(f"no mail to {to} with a {path} link")


def live_app(databases: Any, folder: Path, app_config: Callable[[str, Path], dict[str, Any]]) -> Flask:
    """An app on a committed database of its own (other threads serve it), answering at any address."""
    config = app_config(databases.create(folder), folder)
    config.pop("SERVER_NAME")
    return create_app(config)


def verified_agency_member(app: Flask, agency_name: str, email: str, password: str) -> int:
    """A verified (Kenyan, government) agency with one member who signs in with ``email`` and
    ``password``; returns the agency's id."""
    from directory.accounts.models import Role, User
    from directory.accounts.passwords import hash_password
    from directory.agencies.models import Agency, AgencyStatus, AgencyType

    with app.app_context():
        agency = Agency(
            name=agency_name,
            agency_type=AgencyType.GOVERNMENT,
            country_code="KE",
            status=AgencyStatus.VERIFIED,
        )
        db.session.add(agency)
        db.session.flush()
        db.session.add(
            User(
                email=email,
                password_hash=hash_password(password),
                display_name="Officer",
                role=Role.AGENCY_MEMBER,
                agency_id=agency.id,
            )
        )
        db.session.commit()
        return agency.id


@pytest.fixture(scope="module")
def app_for_live(
    databases: Any,
    tmp_path_factory: pytest.TempPathFactory,
    app_config: Callable[[str, Path], dict[str, Any]],
) -> Flask:
    """An app on a committed database of its own, with the demo data and CSRF protection on."""
    app = live_app(databases, tmp_path_factory.mktemp("live"), app_config)
    app.config["WTF_CSRF_ENABLED"] = True  # the browser sends the real tokens
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


def _whole_bodies(app: Flask) -> WSGIApplication:
    """``app`` answering with each body read whole and its iterable closed before anything is written.

    werkzeug's development server closes a response's iterable only after draining what is left of the
    request; when the browser has reset the connection (it navigated away while a stylesheet loaded), that
    read raises first and a static file is left open, to warn when it is collected in some later test. The
    tests' pages and files are small, so reading them whole costs nothing.
    """

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    return application


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serves ``app`` on a free local port, in threads, while the block runs; yields its base URL."""
    server = make_server("127.0.0.1", 0, _whole_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def live_server(app_for_live: Flask) -> Iterator[str]:
    with serving(app_for_live) as url:
        yield url
    with app_for_live.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing in CI: .ci/run should have installed it")
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
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


#: With JavaScript on, violations are also reported as events; this turns each into a console error.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def is_csp_violation(text: str) -> bool:
    """A console message about a Content-Security-Policy violation (Chromium's wording, or ours)."""
    return "Content Security Policy" in text or text.startswith(("CSP violation:", "Refused to"))


def watch_csp(context: Any, found: list[str]) -> None:
    """Collect into ``found`` every CSP violation reported by the pages of ``context``."""

    def collect(message: Any) -> None:
        if is_csp_violation(message.text):
            where = message.page.url if message.page is not None else "?"
            found.append(f"{where}: {message.text}")  # which page, to find the cause

    context.add_init_script(REPORT_VIOLATIONS)
    context.on("console", collect)


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Makes browser contexts (JavaScript off unless asked for) whose pages may not violate the CSP."""
    violations: list[str] = []
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"java_script_enabled": False, **options})
        watch_csp(context, violations)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        for open_page in context.pages:
            open_page.title()  # a round trip: the console messages sent before it have arrived
        context.close()
    assert violations == [], "pages violated the Content-Security-Policy"


@pytest.fixture
def page(new_context: Callable[..., Any]) -> object:
    return new_context(viewport={"width": 390, "height": 844}).new_page()
