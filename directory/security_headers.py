"""Security headers on every response: pages, error pages, JSON and static files alike.

The Content-Security-Policy allows scripts and styles only from this site's own files, so templates hold
no ``<script>`` or ``<style>`` blocks and no ``style=`` attributes (``tests/test_security_headers.py``
checks them). What a deployment may need to change (the policy, for example to allow a map's tile server;
the referrer policy; HSTS) comes from the configuration (``directory/config.py``). HSTS is sent only when
the session cookie is marked secure, that is when the site is served over HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, current_app


def security_headers() -> dict[str, str]:
    """The headers every response carries under the current configuration."""
    config = current_app.config
    headers = {
        "Content-Security-Policy": config["CONTENT_SECURITY_POLICY"],
        "X-Content-Type-Options": "nosniff",
        # For browsers without CSP's frame-ancestors; the same rule.
        "X-Frame-Options": "DENY",
        "Referrer-Policy": config["REFERRER_POLICY"],
    }
    if config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = config["STRICT_TRANSPORT_SECURITY"]
    return headers


def add_security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself (one that sets a header deliberately keeps its own)."""
    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    return response


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
