"""A gunicorn worker tells its master it is alive while it sends a long answer.

gunicorn's master restarts a worker that has not reported for ``timeout`` seconds. A ``sync`` worker (one
request at a time, no thread handing requests over: the cheapest per request) reports only between
requests, so on its own it would cut off a download streamed for longer than that, such as a whole search
as CSV. Wrapped with :func:`reporting_progress` (``gunicorn.conf.py`` does it as each worker starts), it
reports each time a piece of an answer is ready: a stream that keeps sending lives as long as it needs,
while a request that sends nothing for ``timeout`` seconds is still taken for a stuck one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def reporting_progress(app: WSGIApp, notify: Callable[[], None]) -> WSGIApp:
    """``app``, calling ``notify`` before each piece of its answers is handed to the server. A file the
    server sends itself (``wsgi.file_wrapper``, with ``sendfile``) is handed over as it is."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = app(environ, start_response)
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            return body
        return _Reporting(body, notify)

    return wrapped


class _Reporting:
    """An answer's pieces, each reported before it is handed over; ``close`` reaches the answer's own
    (WSGI servers call it when the answer is sent or the client has gone)."""

    def __init__(self, body: Iterable[bytes], notify: Callable[[], None]) -> None:
        self._body = body
        self._notify = notify

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._body:
            self._notify()
            yield piece

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()
