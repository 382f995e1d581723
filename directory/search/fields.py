"""What search reads of a listing, declared once.

The synchronisation (:mod:`.sync`: which changes make the search index stale, what goes into a full-text
row), the index build (:mod:`.index`: which columns it reads) and the import (:mod:`.bulk`: what it
writes for search) all take their lists from here; ``tests/test_search_fields.py`` checks that every
attribute of an organization is placed in exactly one of them, so a new column cannot be forgotten.
"""

from __future__ import annotations

from ..organizations.models import Language, Location, OrganizationText, ServiceArea

#: The text fields, in the order their positions run in a full-text document (and the scorer's fields).
TEXT_FIELDS = ("name", "summary", "description", "leadership_narrative")
#: The text fields an organization may also write in other languages (``organization_text``).
TRANSLATED_FIELDS = ("summary", "leadership_narrative")
#: Organization attributes that change its full-text document: the text, the language it is stemmed in,
#: and the vocabulary terms (indexed as one token each).
INDEXED = (*TEXT_FIELDS, "text_language", "terms")
#: Organization attributes that change what search finds or how it sorts, beyond the full text.
SEARCHED = ("status", "slug", "updated_at")
#: Rows of other tables that are part of a listing's search entry: any change to one changes it.
RELATED_MODELS = (Location, ServiceArea, Language, OrganizationText)
#: The organization's relationships to those rows.
RELATED = ("location", "service_areas", "languages", "texts")
#: The location columns the index reads: filters (country, region, sub-region) and the public point.
LOCATION_COLUMNS = ("country_code", "region", "subregion", "public_latitude", "public_longitude")
#: Organization attributes the public sees that search does not read: changing them changes public
#: answers (their Last-Modified) but not the search index.
SHOWN = (
    "survivor_attestation",
    "year_incorporated",
    "website",
    "email",
    "email_visibility",
    "phone",
    "phone_visibility",
    "is_demo",
    "accepting_requests",
    "assured_date",
)
#: Organization attributes neither search nor the public reads, or that never change once written.
UNSEARCHED = (
    "id",
    "uuid",
    "normalized_name",  # follows the name
    "edit_version",
    "review_message",
    "submitted_at",
    "reverify_requested_at",
    "reverify_reminded_at",
    "assurer_id",
    "created_at",
)
