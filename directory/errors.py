"""Error pages (HTML) and error answers (JSON under ``/api/`` and ``/hsds/``): never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db


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


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        code = exc.code or 500
        if code >= 500:
            db.session.rollback()
        message = _messages().get(code, exc.description or "")
        if request.path.startswith(("/api/", "/hsds/")):
            return jsonify({"error": message}), code
        try:
            return render_template("errors/error.html", code=code, message=message), code
        except Exception:  # the error page itself failed: answer plainly rather than not at all
            app.logger.exception("error page failed")
            return message, code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # noqa: ANN202
        app.logger.exception("unhandled error")
        return http_error(InternalServerError())
