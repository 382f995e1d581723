"""Search result cards read without the ORM: the few columns a card shows, in two plain queries.

A result page shows twenty cards; building twenty ``Organization`` objects (with their locations) through
the ORM was the largest part of a cheap search's time. A :class:`Card` answers the same questions the
templates and the JSON ask of an organization on a card (``text_in``, ``term_codes``, ``location``,
``is_demo``…), so :func:`.public.public_location` and the card macros read either alike. Only columns
the public may see are read: the true coordinates and contacts are never selected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import Location, LocationPrecision, Organization, OrganizationText

_ORG = Organization.__table__.c
_LOC = Location.__table__.c
_TEXT = OrganizationText.__table__.c


@dataclass(frozen=True, slots=True)
class CardLocation:
    """What a card shows of a location (the public point, never the true one)."""

    locality: str
    country_code: str
    region: str
    subregion: str
    location_precision: LocationPrecision
    public_latitude: float | None
    public_longitude: float | None


@dataclass(frozen=True, slots=True)
class Card:
    """One organization as a search result shows it."""

    id: int
    uuid: str
    slug: str
    name: str
    text_language: str
    summary: str
    is_demo: bool
    location: CardLocation | None
    terms: Mapping[str, list[str]]  # taxonomy -> slugs in vocabulary order (from the search index)
    summaries: Mapping[str, str] = field(default_factory=dict)  # language -> the organization's own version

    def text_in(self, field_name: str, language: str | None) -> tuple[str, str]:
        """(summary, its language) for a reader of ``language``, as :meth:`.Organization.text_in`; a card
        only holds the summary."""
        if field_name != "summary":
            raise ValueError(f"a card holds no {field_name}")
        if language and language != self.text_language and self.summaries.get(language):
            return self.summaries[language], language
        return self.summary, self.text_language

    def term_codes(self, taxonomy: str) -> list[str]:
        """The slugs of this organization's terms in one taxonomy the card shows."""
        return self.terms[taxonomy]


_CARDS = (
    sa.select(
        _ORG.id,
        _ORG.uuid,
        _ORG.slug,
        _ORG.name,
        _ORG.text_language,
        _ORG.summary,
        _ORG.is_demo,
        _LOC.locality,
        _LOC.country_code,
        _LOC.region,
        _LOC.subregion,
        _LOC.location_precision,
        _LOC.public_latitude,
        _LOC.public_longitude,
    )
    .select_from(Organization.__table__.outerjoin(Location.__table__, _LOC.organization_id == _ORG.id))
    .where(_ORG.id.in_(sa.bindparam("ids", expanding=True)))
)

_SUMMARIES = sa.select(_TEXT.organization_id, _TEXT.summary).where(
    _TEXT.organization_id.in_(sa.bindparam("ids", expanding=True)),
    _TEXT.language == sa.bindparam("language"),
    _TEXT.summary != "",
)


def load_cards(
    session: Session, terms: Mapping[int, Mapping[str, list[str]]], language: str
) -> dict[int, Card]:
    """The cards of the organizations whose ids are the keys of ``terms`` (each with its term slugs by
    taxonomy), with the summary in ``language`` where an organization wrote one; an id no longer in the
    database has no card."""
    if not terms:
        return {}
    rows = session.execute(_CARDS, {"ids": list(terms)}).all()
    others = [row.id for row in rows if row.text_language != language]
    summaries = _summaries(session, others, language)
    return {
        row.id: Card(
            id=row.id,
            uuid=row.uuid,
            slug=row.slug,
            name=row.name,
            text_language=row.text_language,
            summary=row.summary,
            is_demo=row.is_demo,
            location=_location(row),
            terms=terms[row.id],
            summaries={language: summaries[row.id]} if row.id in summaries else {},
        )
        for row in rows
    }


def _summaries(session: Session, ids: list[int], language: str) -> dict[int, str]:
    if not ids:
        return {}
    return {row[0]: row[1] for row in session.execute(_SUMMARIES, {"ids": ids, "language": language})}


def _location(row: sa.Row) -> CardLocation | None:
    if row.country_code is None:  # no location row (the outer join found none)
        return None
    return CardLocation(
        locality=row.locality,
        country_code=row.country_code,
        region=row.region,
        subregion=row.subregion,
        location_precision=row.location_precision,
        public_latitude=row.public_latitude,
        public_longitude=row.public_longitude,
    )
