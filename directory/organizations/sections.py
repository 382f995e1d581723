"""The profile editor's sections: which fields of a listing each short page holds, in one place.

Every field of :class:`~directory.organizations.services.OrganizationInput` belongs to exactly one
section. A section is saved on its own, with its own edit version (``ListingSection``): two members
saving different sections never conflict, two saving the same one do. The editor's pages, the progress
shown on its overview and the conflict check all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Section:
    slug: str  # in the URL, and the key of its edit version
    title: object  # a lazy string
    fields: tuple[str, ...]  # OrganizationInput field names, in the order the page shows them


SECTIONS: dict[str, Section] = {
    section.slug: section
    for section in (
        Section(
            "about",
            _l("Who you are"),
            (
                "name",
                "text_language",
                "summary",
                "summary_translations",
                "description",
                "year_incorporated",
                "website",
            ),
        ),
        Section(
            "leadership",
            _l("Leadership"),
            ("leadership_narrative", "narrative_translations", "models", "survivor_attestation"),
        ),
        Section(
            "offer",
            _l("What you offer"),
            ("focus", "trafficking", "services", "engagements", "languages"),
        ),
        Section(
            "where",
            _l("Where you are, and who may see it"),
            ("country_code", "city", "serves", "location_precision", "latitude", "longitude"),
        ),
        Section(
            "contacts",
            _l("Contact, and who may see it"),
            ("email", "email_visibility", "phone", "phone_visibility"),
        ),
    )
}


def section_of(field_name: str) -> Section:
    """The section a field of the profile belongs to (KeyError for a name no section holds)."""
    for section in SECTIONS.values():
        if field_name in section.fields:
            return section
    raise KeyError(field_name)
