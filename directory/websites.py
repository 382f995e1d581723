"""Web addresses as people type them: ``example.org`` means ``https://example.org``.

Only ``http`` and ``https`` addresses are kept (a ``javascript:`` or ``ftp://`` link is refused), so every
website the directory shows can be followed safely.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

#: The one message for a website that is not one.
NOT_A_WEBSITE = _l("Give a web address such as example.org (only http:// and https:// addresses).")

#: An explicit scheme: letters, then "://" (``mailto:`` and ``javascript:`` have no "//").
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
#: What a website must look like once it has its scheme: a host (and port), then anything without spaces.
_WEBSITE = re.compile(r"^https?://[^\s/$.?#:@][^\s/?#:@]*(?::\d{1,5})?(?:[/?#]\S*)?$", re.IGNORECASE)


def normalize_website(text: str) -> str:
    """The address with its scheme: trimmed, and ``https://`` put in front when none was typed."""
    text = text.strip()
    if not text:
        return ""
    if text.startswith("//"):
        return "https:" + text
    scheme = _SCHEME.match(text)
    if scheme and (text[scheme.end() :].startswith("//") or not text[scheme.end() :][:1].isdigit()):
        # A scheme of its own: http(s) in lower case; any other ("ftp://", "mailto:") for is_website to refuse
        return scheme.group(1).lower() + text[scheme.end() - 1 :]
    return "https://" + text  # "example.org", or "example.org:8080" (a port, not a scheme)


def is_website(url: str) -> bool:
    """Whether ``url`` (normalized) is an http or https address with a host name."""
    return bool(_WEBSITE.match(url))
