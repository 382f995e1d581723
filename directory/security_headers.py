"""Security headers on every response: pages, error pages, JSON and static files alike.

The Content-Security-Policy allows scripts and styles only from this site's own files, so templates hold
no ``<script>`` or ``<style>`` blocks and no ``style=`` attributes (``tests/test_security_headers.py``
checks them). What a deployment may need to change (the policy, the referrer policy, HSTS) comes from the
configuration (``directory/config.py``). When the map uses a tile server (``MAP_TILE_URL``), its origin
is added to ``img-src``; without one the policy is exactly as configured. HSTS is sent only when the
session cookie is marked secure, that is when the site is served over HTTPS.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, current_app

from .maps.tiles import tile_origin


def allow_images_from(policy: str, source: str) -> str:
    """``policy`` with ``source`` added to the sources images may come from (and nothing else changed)."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    for i, directive in enumerate(directives):
        name, _, value = directive.partition(" ")
        if name.lower() != "img-src":
            continue
        sources = value.split()
        if sources == ["'none'"]:
            directives[i] = f"img-src {source}"
        elif source not in sources:
            directives[i] = f"{directive} {source}"
        break
    else:  # no img-src: images follow default-src, which keeps applying to them
        default = next((d for d in directives if d.split()[0].lower() == "default-src"), None)
        fallback = default.partition(" ")[2].split() if default else []
        kept = [s for s in fallback if s != "'none'"]
        directives.append(" ".join(["img-src", *kept, source]))
    return "; ".join(directives)


@lru_cache(maxsize=8)
def content_security_policy(policy: str, tile_url: str) -> str:
    """The policy sent: the configured one, with the map's tile server (if any) allowed for images."""
    origin = tile_origin(tile_url)
    return allow_images_from(policy, origin) if origin else policy


def security_headers() -> dict[str, str]:
    """The headers every response carries under the current configuration."""
    config = current_app.config
    headers = {
        "Content-Security-Policy": content_security_policy(
            config["CONTENT_SECURITY_POLICY"], config.get("MAP_TILE_URL") or ""
        ),
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
