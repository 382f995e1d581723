"""Links to the search page, with arguments, built as ``url_for`` builds them but cheaply.

A results page holds hundreds of such links (every facet value switched on or off, every country and
term on a profile), so the route is resolved once per request and only the query string is encoded per
link. Templates reach :func:`search_url` through ``templating``; :mod:`.facets` builds its toggle links
from the same pieces.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import g, url_for

#: What url_for leaves unescaped in a query string (werkzeug's choice), so links look the same.
QUERY_SAFE = "!$'()*,/:;?@"


def search_url(**args: Any) -> str:
    """A link to the search page with these arguments (lists repeat the name), as ``url_for`` would
    build it. A search page has hundreds of such links, so the route is resolved once per request."""
    base = g.get("_search_base")
    if base is None:
        base = g._search_base = url_for("organizations.search_page")
    items = [
        (name, item)
        for name, value in args.items()
        for item in (value if isinstance(value, list | tuple) else [value])
        if item is not None
    ]
    return f"{base}?{urlencode(items, safe=QUERY_SAFE)}" if items else base
