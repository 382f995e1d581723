"""Language selection: the ``lang`` query parameter, then the browser's preference, then English."""

from __future__ import annotations

from flask import current_app, has_request_context, request


def select_locale() -> str | None:
    """Flask-Babel's locale selector (English outside a request, e.g. in CLI commands)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted in supported:
        return wanted
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
