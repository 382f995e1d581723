"""A tile server for the map, when one is configured (``MAP_TILE_URL``): which origin its images come from.

Without a tile server the map draws the offline country outlines and the Content-Security-Policy stays
as configured. With one, its origin is added to the policy's ``img-src`` (see
:mod:`directory.security_headers`), and nothing else is loosened.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A host (or *.host, from Leaflet's {s} subdomain placeholder) and an optional port: nothing that could
# end a CSP source or directive (spaces, ";", ",", quotes).
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")


class TileURLError(ValueError):
    """MAP_TILE_URL is not a usable tile URL template."""


def tile_origin(url: str) -> str | None:
    """The CSP source for the tile URL template ``url`` (``https://{s}.tile.example.org/{z}/{x}/{y}.png``
    gives ``https://*.tile.example.org``); None when no tile server is set."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.netloc.replace("{s}", "*", 1) if parts.netloc.startswith("{s}.") else parts.netloc
    if parts.scheme not in ("https", "http") or not _HOST.match(host):
        raise TileURLError(
            f"MAP_TILE_URL must be an http(s) URL template such as https://tile.example.org/{{z}}/{{x}}/{{y}}.png"
            f" (got {url!r})"
        )
    return f"{parts.scheme}://{host}"
