"""Stable HSDS ids.

An organization's id is its stored random UUID (``Organization.uuid``). Everything derived from it — its
services, service areas, locations, languages, contacts and phones — and our own taxonomies and taxonomy
terms take a UUID version 5 from :data:`NAMESPACE` and a readable name, so every database (and every export
of it) gives the same ids, and an id never changes while the thing it names stays the same.
"""

from __future__ import annotations

import functools
import hashlib
import uuid

#: The project's one namespace for derived ids. Never change it: every published id depends on it.
NAMESPACE = uuid.UUID("d96bff9f-b9ce-4434-8c3c-61fc0944ae3e")
_NAMESPACE_BYTES = NAMESPACE.bytes


def derived(*parts: str) -> str:
    """The UUID 5 of ``parts`` joined by "/" in the project namespace (``derived("taxonomy", "focus")``).

    This is ``str(uuid.uuid5(NAMESPACE, name))`` (a test holds it to that), computed without building a
    ``UUID`` object: an export derives a hundred ids per listing."""
    digest = bytearray(
        hashlib.sha1(_NAMESPACE_BYTES + "/".join(parts).encode(), usedforsecurity=False).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@functools.cache
def taxonomy_id(taxonomy: str) -> str:
    """One of our published taxonomies (``focus``, ``model``, ``trafficking``, ``service``, ...)."""
    return derived("taxonomy", taxonomy)


@functools.cache
def taxonomy_term_id(taxonomy: str, code: str) -> str:
    """A term of one of our taxonomies, by its slug."""
    return derived("taxonomy_term", taxonomy, code)


def service_id(org_uuid: str, code: str) -> str:
    """An organization's offering to partners (a ``service`` taxonomy slug) as an HSDS service."""
    return derived("service", org_uuid, code)


def location_id(org_uuid: str) -> str:
    """An organization's one location."""
    return derived("location", org_uuid)


def service_at_location_id(service: str) -> str:
    """A service at its organization's location (``service`` is the service's id)."""
    return derived("service_at_location", service)


def service_area_id(service: str, country_code: str) -> str:
    """A country served, for one service (``service`` is the service's id)."""
    return derived("service_area", service, country_code)


def language_id(parent: str, code: str) -> str:
    """A language of a service or location (``parent`` is its id)."""
    return derived("language", parent, code)


def contact_id(org_uuid: str) -> str:
    """An organization's public contact (its email)."""
    return derived("contact", org_uuid)


def phone_id(org_uuid: str) -> str:
    """An organization's public phone."""
    return derived("phone", org_uuid)


def attribute_id(link: str, term: str) -> str:
    """The link between an object (``link`` is its id) and a taxonomy term (``term`` is the term's id)."""
    return derived("attribute", link, term)


def is_uuid(text: str) -> bool:
    """True when ``text`` is a UUID in its usual written form."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False
