"""Error pages (HTML) and error answers (JSON under ``/api/`` and ``/hsds/``): never a stack trace.

A JSON error is one shape, described once in the OpenAPI document (``Error`` in
:mod:`directory.api.openapi`): ``{"error": message}``, with ``param`` (the query parameter at fault) and
``suggestions`` (places meant, for ``near``) when the API knows them. Unknown routes, wrong methods and
throttled requests under those prefixes answer in this shape too, keeping the headers HTTP gives them
(``Allow`` on a 405, ``Retry-After`` on a 429).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.wrappers import Response
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

#: Paths whose errors are JSON (machines read them).
JSON_PREFIXES = ("/api/", "/hsds/")


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("We could not find that page."),
        405: _("That method is not allowed here."),
        413: _("What you sent is too large."),
        429: _("Too many requests; please wait a moment and try again."),
        500: _("Something went wrong on our side. It has been logged."),
    }


def wants_json(path: str) -> bool:
    """Whether errors at ``path`` are answered as JSON."""
    return any(path.startswith(prefix) or path == prefix.rstrip("/") for prefix in JSON_PREFIXES)


def json_error(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    """The one JSON error shape: ``{"error": message, ...}`` (``param``, ``suggestions``)."""
    return jsonify({"error": message, **extra}), status


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        code = exc.code or 500
        if code >= 500:
            db.session.rollback()
        message = _messages().get(code, exc.description or "")
        if wants_json(request.path):
            response, status = json_error(code, message)
            # What HTTP asks for besides the body (Allow, Retry-After, WWW-Authenticate), never its type.
            for name, value in exc.get_headers(request.environ):
                if name.lower() not in ("content-type", "content-length"):
                    response.headers[name] = value
            return response, status
        try:
            return render_template("errors/error.html", code=code, message=message), code
        except Exception:  # the error page itself failed: answer plainly rather than not at all
            app.logger.exception("error page failed")
            return message, code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # noqa: ANN202
        app.logger.exception("unhandled error")
        return http_error(InternalServerError())
