"""Public reads: cacheable, conditional and cross-origin answers for the GETs anyone may make.

Only routes that opt in are touched, never a signed-in route. Opting in is one line:

- one view: put ``@public_read`` under the route decorator::

      @bp.get("/organizations/<slug>")
      @public_read
      def organization(slug): ...

- every GET of a blueprint (the HSDS API): ``public_blueprint(bp)`` right after creating it.

What an opted-in GET (or HEAD) gets, in ``after_request``:

- ``Access-Control-Allow-Origin: *``: any site may read it from a browser (and read its ``ETag``; a
  preflight ``OPTIONS`` may ask to send ``If-None-Match``/``If-Modified-Since``). Credentials are never
  allowed with ``*``, so a cross-origin page only ever sees what the public sees.
- On a 200: an ``ETag`` (a hash of the body and of the language it is written in), a ``Last-Modified``
  (when the public's view of any listing last changed, ``search_state.changed_at``, or when this process
  started if that is later: a new release may change any answer), ``Cache-Control: public, no-cache``
  (keep it, but ask again each time; a view that set a ``max-age`` keeps it) and a ``304 Not Modified``
  without a body when ``If-None-Match`` or ``If-Modified-Since`` say the client already has it
  (``If-None-Match`` wins when both are sent). ``Vary: Cookie, Accept-Language`` comes from
  :mod:`directory.i18n`. A streamed answer (an export) gets no ETag: its body is not read twice.
- Answers that are not the public's are ``Cache-Control: private`` with no ETag, no Last-Modified and no
  CORS header: a view calls :func:`mark_private` when it shows the signed-in viewer more than the public
  (contact details that are not public); every answer to a signed-in person (it carries their session
  and, on a page, their name) and any answer that sets a cookie are private too.

Errors under ``/api/`` (and ``/hsds/``) are JSON whatever the route (see :mod:`directory.errors`); an
opted-in route's errors also carry the CORS header, so a browser client can read the message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, g, request, session
from flask.sansio.blueprints import BlueprintSetupState
from flask.wrappers import Response
from flask_login import current_user

from .db import now_utc
from .i18n import shown_language

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute that marks a view function as a public read.
_MARK = "public_read"
#: Where the app keeps the names of blueprints whose every GET is a public read.
_BLUEPRINTS = "public_read_blueprints"

#: When this process started: the earliest any answer it builds may have been made.
STARTED_AT = now_utc().replace(microsecond=0)


def public_read(view: F) -> F:
    """Mark ``view`` as a public read (see the module's documentation)."""
    setattr(view, _MARK, True)
    return view


def public_blueprint(bp: Blueprint) -> None:
    """Mark every GET route of ``bp`` as a public read."""

    def remember(state: BlueprintSetupState) -> None:
        state.app.extensions.setdefault(_BLUEPRINTS, set()).add(state.name)

    bp.record_once(remember)


def mark_private() -> None:
    """Say that this answer shows the signed-in viewer more than the public sees."""
    g.private_answer = True


def is_public_read(methods: tuple[str, ...] = ("GET", "HEAD")) -> bool:
    """Whether the current request is a GET or HEAD (or one of ``methods``) of an opted-in route."""
    if request.method not in methods or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, _MARK, False):
        return True
    marked = current_app.extensions.get(_BLUEPRINTS, set())
    return any(name in marked for name in request.blueprints)


def public_data_changed_at() -> datetime:
    """When anything the public may read last changed, as far as this process can tell."""
    from .search import search_state

    changed = search_state().changed_at
    return max(changed.replace(microsecond=0), STARTED_AT) if changed else STARTED_AT


def entity_tag(body: bytes, language: str) -> str:
    """The ETag of ``body`` as written in ``language`` (unquoted)."""
    digest = hashlib.sha256(language.encode() + b"\0" + body).hexdigest()
    return digest[:32]


def _is_private(response: Response) -> bool:
    if g.get("private_answer") or "Set-Cookie" in response.headers or session.modified:
        return True
    # A signed-in person's answers carry their session (refreshed on each request) and, on pages, their
    # name: never stored by a shared cache, even when the body is what the public sees.
    return bool(current_user and current_user.is_authenticated)


def _make_private(response: Response) -> None:
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.cache_control.max_age = None
    for name in ("ETag", "Last-Modified", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"):
        response.headers.pop(name, None)


#: What a cross-origin script may send (beyond the CORS-safelisted headers) and read (beyond the safelisted
#: response headers, among them Last-Modified) on a public read.
ALLOWED_REQUEST_HEADERS = "If-None-Match, If-Modified-Since"
EXPOSED_HEADERS = "ETag, Retry-After"
#: How long a browser may remember a preflight's answer, in seconds.
PREFLIGHT_MAX_AGE = 86400


def _preflight(response: Response) -> Response:
    """The answer to a CORS preflight (``OPTIONS``) for a public read: reading is allowed, nothing else."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def conditional(response: Response) -> Response:
    """The after-request hook: CORS, validators and 304 for public reads; private answers marked."""
    if not is_public_read(("GET", "HEAD", "OPTIONS")):
        return response
    if request.method == "OPTIONS":
        return _preflight(response)
    if _is_private(response):
        _make_private(response)
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if response.status_code != 200:
        return response
    if "Cache-Control" in response.headers:  # the view's own (a max-age) is kept
        response.cache_control.public = True
        if response.cache_control.max_age is None:
            response.cache_control.no_cache = True
    else:
        response.headers["Cache-Control"] = "public, no-cache"
    modified = public_data_changed_at()
    if response.last_modified is not None:
        modified = max(modified, response.last_modified.replace(microsecond=0))
    response.last_modified = modified
    if not response.is_streamed:
        response.set_etag(entity_tag(response.get_data(), shown_language()))
    if any(name in request.environ for name in _CONDITIONS):
        response.make_conditional(request.environ)
    return response


#: The request headers that can make an answer a 304 (or a 412); without one, the answer is sent as it is.
_CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


def register(app: Flask) -> None:
    app.after_request(conditional)
