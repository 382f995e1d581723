"""Search: one interface over the public listings, whatever the database.

``search(params)`` runs a checked :class:`SearchParams` against the current database and returns
:class:`SearchResults` (one page, with facets); ``search_all(params)`` returns every match's id, for the
map. The text rules live in :mod:`.text`, the relevance rule in :mod:`.scoring`, the in-memory index of
the public listings in :mod:`.index` and :mod:`.postings`, and the database-specific part (reading back
the stored full-text documents) in :mod:`.backends`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from sqlalchemy.orm import Session

from ..extensions import db
from ..geo import ResolvedPlace, get_geo
from ..i18n import shown_language
from ..organizations.models import SearchState
from . import sync as _sync  # noqa: F401  (registers the listeners that keep search in step)
from .engine import Hit, SearchEngine, SearchResults, State
from .params import SORTS, DistanceWithoutPlaceError, SearchParamError, SearchParams, parse_params
from .synonyms import term_lookup

__all__ = [
    "SORTS",
    "AllMatches",
    "DistanceWithoutPlaceError",
    "Hit",
    "SearchEngine",
    "SearchParamError",
    "SearchParams",
    "SearchResults",
    "get_engine",
    "parse_params",
    "prepare",
    "search",
    "search_all",
    "search_state",
]


def get_engine() -> SearchEngine:
    """This process's search engine for the current app (created on first use)."""
    engine = current_app.extensions.get("search")
    if engine is None:
        engine = current_app.extensions.setdefault("search", SearchEngine())
    return engine


def prepare(app: Flask) -> int:
    """Build ``app``'s search index in this process, to be shared by processes forked from it; returns
    how many listings it holds.

    A server calls this before forking its workers (gunicorn.conf.py): they start with the index in
    memory they share with each other (the pages stay shared while no process writes to them, and
    ``gc.freeze`` keeps the garbage collector from touching them), and each lays the changes made since
    over it (see :class:`.index.Snapshot`). What the gazetteer's first look-ups read is read here too
    (see :meth:`.geo.Gazetteer.preload`), so a worker's first search near a place does not wait for it.
    The database connections opened here are closed, so that no worker inherits one.
    """
    with app.app_context():
        snapshot = get_engine().index_cache.get(db.session)
        db.session.remove()
        db.engine.dispose()
        get_geo().gazetteer.preload()
    gc.collect()
    gc.freeze()
    return snapshot.base.size


def search(params: SearchParams) -> SearchResults:
    """Run a search on the current app's database; ``near`` is geocoded here (may raise).

    Unless this request has read the search state already, it is read in the same statement as the
    page's cards (see :meth:`.SearchEngine.search_with_state`) and kept for the rest of the request.
    """
    near = _prepare(params)
    engine = get_engine()
    kept = request.environ.get(_STATE_KEY) if has_request_context() else None
    if kept is not None:
        return engine.search(db.session, params, near, *_reader(), generation=kept.generation)
    results, state = engine.search_with_state(db.session, params, near, *_reader(), read_state=search_state)
    if has_request_context():
        request.environ[_STATE_KEY] = state
    return results


@dataclass(frozen=True)
class AllMatches:
    """Every match of a search, in its order (all pages), and the place it was near."""

    ids: list[int]
    near: ResolvedPlace | None


def search_all(params: SearchParams) -> AllMatches:
    """Every match of a search, without facets or pages; ``near`` is geocoded here (may raise)."""
    near = _prepare(params)
    engine = get_engine()
    ids = engine.matching_ids(db.session, params, near, *_reader(), generation=search_state().generation)
    return AllMatches(ids, near)


def search_state() -> State:
    """The search state row, read once per request (the search and the public read's Last-Modified
    share one query); outside a request, read each time."""
    kept = request.environ if has_request_context() else {}
    state = kept.get(_STATE_KEY)
    if state is None:
        row = db.session.connection().execute(_STATE).first()
        state = kept[_STATE_KEY] = State(int(row[0] or 0), row[1]) if row is not None else State(0, None)
    return state


_STATE_KEY = "directory.search_state"
#: On the table, not the mapped class: a Core statement skips the ORM's work on every request.
_STATE = sa.select(SearchState.__table__.c.generation, SearchState.__table__.c.changed_at).where(
    SearchState.__table__.c.id == 1
)


@sa.event.listens_for(Session, "after_flush")
def _forget_state(_session: Session, _context: object) -> None:
    """A request that changes data reads the state again afterwards (its own change moved it on)."""
    if has_request_context():
        request.environ.pop(_STATE_KEY, None)


def _prepare(params: SearchParams) -> ResolvedPlace | None:
    """What every search does first: geocode ``near`` (may raise) and read without a transaction."""
    near = get_geo().resolve(params.near) if params.near else None
    _read_without_transaction()
    return near


def _reader() -> tuple[str, Callable[[str], frozenset[str]]]:
    """The reader's language (its stemmer reads the query) and the lookup of the terms a query names."""
    return shown_language(), term_lookup(current_app.config["LANGUAGES"])


def _read_without_transaction() -> None:
    """On PostgreSQL, let a request that has not touched the database yet read in autocommit mode.

    A search only reads, and each PostgreSQL statement already sees its own snapshot under READ
    COMMITTED, so a transaction adds nothing but two round trips (BEGIN and ROLLBACK): a tenth of a
    cheap search. The connection goes back to its normal mode when it returns to the pool. Requests
    that have already used the database (a signed-in visitor) keep their transaction.
    """
    session = db.session()  # the request's Session itself (the scoped proxy lacks in_transaction)
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or session.in_transaction() or not isinstance(bind, sa.Engine):
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
