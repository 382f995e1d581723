"""Search result cards read without the ORM: the few columns a card shows, in one plain query.

A result page shows twenty cards; building twenty ``Organization`` objects (with their locations) through
the ORM was the largest part of a cheap search's time. One query reads them: the listing, its location and
its own summary in the reader's language. A :class:`Card` answers the same questions the
templates and the JSON ask of an organization on a card (``text_in``, ``term_codes``, ``location``,
``is_demo``…), so :func:`.public.public_location` and the card macros read either alike. Only columns
the public may see are read: the true coordinates and contacts are never selected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from .models import Location, LocationPrecision, Organization, OrganizationText, SearchState

_ORG = Organization.__table__.c
_LOC = Location.__table__.c


@dataclass(slots=True)
class CardLocation:
    """What a card shows of a location (the public point, never the true one)."""

    locality: str
    country_code: str
    region: str
    subregion: str
    location_precision: LocationPrecision
    public_latitude: float | None
    public_longitude: float | None


@dataclass(slots=True)
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
    translation: tuple[str, str] | None = None  # (language, summary): the organization's own version

    def text_in(self, field_name: str, language: str | None) -> tuple[str, str]:
        """(summary, its language) for a reader of ``language``, as :meth:`.Organization.text_in`; a card
        only holds the summary, in its own language and in the one it was read for."""
        if field_name != "summary":
            raise ValueError(f"a card holds no {field_name}")
        if self.translation is not None and language == self.translation[0]:
            return self.translation[1], language
        return self.summary, self.text_language

    def term_codes(self, taxonomy: str) -> list[str]:
        """The slugs of this organization's terms in one taxonomy the card shows."""
        return self.terms[taxonomy]


_TRANSLATION = OrganizationText.__table__.alias("translation")

#: One query: the organization, its location and its own summary in the reader's language, if any (which
#: organizations: :data:`_STATEMENTS`).
_CARDS = sa.select(
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
    _TRANSLATION.c.summary.label("translated"),
).select_from(
    Organization.__table__.outerjoin(Location.__table__, _LOC.organization_id == _ORG.id).outerjoin(
        _TRANSLATION,
        sa.and_(
            _TRANSLATION.c.organization_id == _ORG.id,
            _TRANSLATION.c.language == sa.bindparam("language"),
            _ORG.text_language != sa.bindparam("language"),
            _TRANSLATION.c.summary != "",
        ),
    )
)


_STATE = SearchState.__table__.c
#: The same, with the search state (generation, changed_at) first on every row: read in the same statement,
#: so the cards and the state come from one snapshot of the database, and a search needs no query of its own
#: to learn whether its index is up to date.
_CARDS_WITH_STATE = _CARDS.with_only_columns(
    sa.select(_STATE.generation).where(_STATE.id == 1).scalar_subquery(),
    sa.select(_STATE.changed_at).where(_STATE.id == 1).scalar_subquery(),
    *_CARDS.selected_columns,
)

#: Which organizations. On PostgreSQL one array parameter: the statement's text is then the same
#: whatever the number of cards, so psycopg prepares it once per connection and the server does not plan
#: it again on every search (in process, at 100,000 listings and 1-20 cards, 0.6-0.9 ms a statement
#: instead of 1.5 ms). An ``IN`` list's text changes with its length. SQLite keeps the ``IN`` list: it
#: plans a statement in microseconds.
_IDS = {
    "postgresql": _ORG.id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Integer))),
    "sqlite": _ORG.id.in_(sa.bindparam("ids", expanding=True)),
}
_STATEMENTS = {
    (with_state, dialect): (_CARDS_WITH_STATE if with_state else _CARDS).where(ids)
    for with_state in (False, True)
    for dialect, ids in _IDS.items()
}


def _statement(connection: sa.Connection, *, with_state: bool) -> sa.Select[Any]:
    name = connection.dialect.name
    return _STATEMENTS[(with_state, name if name == "postgresql" else "sqlite")]


def load_cards(
    session: Session, terms: Mapping[int, Mapping[str, list[str]]], language: str
) -> dict[int, Card]:
    """The cards of the organizations whose ids are the keys of ``terms`` (each with its term slugs by
    taxonomy), with the summary in ``language`` where an organization wrote one; an id no longer in the
    database has no card."""
    if not terms:
        return {}
    # On the session's connection (its transaction, if any), without the ORM's execution layer.
    connection = session.connection()
    rows = connection.execute(
        _statement(connection, with_state=False), {"ids": list(terms), "language": language}
    )
    return _cards(rows, terms, language)


def load_cards_and_state(
    session: Session, terms: Mapping[int, Mapping[str, list[str]]], language: str
) -> tuple[dict[int, Card], tuple[int, datetime | None] | None]:
    """:func:`load_cards`, and the search state's (generation, changed_at) read in the same statement
    (None when no card was found, so no row carried it)."""
    if not terms:
        return {}, None
    connection = session.connection()
    statement = _statement(connection, with_state=True)
    rows = connection.execute(statement, {"ids": list(terms), "language": language}).all()
    if not rows:
        return {}, None
    generation, changed_at = rows[0][0], rows[0][1]
    return _cards((row[2:] for row in rows), terms, language), (int(generation or 0), changed_at)


def _cards(
    rows: Iterable[Sequence[Any]], terms: Mapping[int, Mapping[str, list[str]]], language: str
) -> dict[int, Card]:
    cards = {}
    # Unpacked by position: reading a Row's fields by name costs more than the query.
    for org_id, uuid, slug, name, text_language, summary, is_demo, *place, translated in rows:
        cards[org_id] = Card(
            org_id,
            uuid,
            slug,
            name,
            text_language,
            summary,
            is_demo,
            CardLocation(*place) if place[1] is not None else None,  # no location row: no country
            terms[org_id],
            (language, translated) if translated else None,
        )
    return cards
