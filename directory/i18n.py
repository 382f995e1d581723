"""Which language a page is shown in, how a reader changes it, and the language each email is written in.

A page's language is, in order: ``?lang=xx`` (remembered in a cookie), the cookie, the signed-in person's
saved preference, the browser's ``Accept-Language``, then English. Every response varies on the cookie and
``Accept-Language``. Mail is written in its recipient's language, not the sender's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from babel import Locale
from flask import Flask, current_app, has_request_context, request, url_for
from flask.wrappers import Response
from flask_babel import force_locale, get_locale

#: The cookie that remembers a reader's choice of language (a preference, not an identifier).
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

#: Blueprints whose pages anyone may read: they get ``hreflang`` alternates for search engines.
PUBLIC_BLUEPRINTS = frozenset({"pages", "organizations"})


def supported() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def default_language() -> str:
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _signed_in_preference() -> str | None:
    from flask_login import current_user

    user = current_user._get_current_object() if has_request_context() else None
    return getattr(user, "locale", None) if user is not None and user.is_authenticated else None


def select_locale() -> str:
    """Flask-Babel's locale selector (the default language outside a request, e.g. in CLI commands)."""
    if not has_request_context():
        return default_language()
    languages = supported()
    for wanted in (request.args.get("lang"), request.cookies.get(COOKIE), _signed_in_preference()):
        if wanted in languages:
            return str(wanted)
    return request.accept_languages.best_match(languages) or default_language()


def shown_language() -> str:
    """The language of the page being built (what ``<html lang>`` says)."""
    return str(get_locale() or default_language())


def language_choices() -> list[tuple[str, str]]:
    """Each supported language with its own name in itself ("Français", "Español"), for the chooser."""
    return [(code, Locale.parse(code).get_display_name(code).capitalize()) for code in supported()]


def language_links() -> list[dict[str, Any]]:
    """The chooser's links: this page in each language (the other query arguments kept)."""
    if request.endpoint is None or request.method != "GET":
        target, args = "pages.home", {}
    else:
        target, args = request.endpoint, {**(request.view_args or {}), **request.args.to_dict(flat=False)}
    shown = shown_language()
    links = []
    for code, name in language_choices():
        links.append(
            {
                "code": code,
                "name": name,
                "href": url_for(target, **{**args, "lang": code}),
                "current": code == shown,
            }
        )
    return links


def alternates() -> list[tuple[str, str]]:
    """``hreflang`` alternates of a public page: (language, absolute URL), then ``x-default``."""
    if request.method != "GET" or request.blueprint not in PUBLIC_BLUEPRINTS or request.endpoint is None:
        return []
    args = {**(request.view_args or {}), **request.args.to_dict(flat=False)}
    args.pop("lang", None)
    endpoint = request.endpoint
    found = [(code, url_for(endpoint, **{**args, "lang": code}, _external=True)) for code in supported()]
    return [*found, ("x-default", url_for(endpoint, **args, _external=True))]


def remember_choice(response: Response, language: str) -> None:
    """Keep ``language`` in the reader's cookie."""
    response.set_cookie(
        COOKIE,
        language,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


def _after_request(response: Response) -> Response:
    response.vary.update(("Cookie", "Accept-Language"))
    wanted = request.args.get("lang")
    if wanted in supported() and wanted != request.cookies.get(COOKIE):
        remember_choice(response, str(wanted))
    return response


@contextmanager
def language_of(person: Any) -> Iterator[str]:
    """Write (mail, notices) in ``person``'s language: their saved preference, else the default language.

    ``person`` may be ``None`` or a bare address (someone without an account yet): then the language is the
    one the page is shown in, since they are reading it (e.g. registering), else the default.
    """
    language = getattr(person, "locale", None)
    if language not in supported():
        language = shown_language() if person is None and has_request_context() else default_language()
    with force_locale(language):
        yield str(language)


def register(app: Flask) -> None:
    app.after_request(_after_request)

    @app.context_processor
    def languages() -> dict[str, Any]:
        return {
            "language_links": language_links,
            "hreflang_alternates": alternates,
            "shown_language": shown_language,
        }
