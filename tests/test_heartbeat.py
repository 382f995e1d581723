"""directory.heartbeat: a worker reports to gunicorn's master as each piece of an answer is sent."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from werkzeug.test import Client
from werkzeug.wsgi import FileWrapper

from directory.heartbeat import reporting_progress


class _Body:
    """A streamed answer that records what happens to it."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def __iter__(self) -> Iterator[bytes]:
        for n in range(3):
            self.events.append(f"made {n}")
            yield f"piece {n}\n".encode()

    def close(self) -> None:
        self.events.append("closed")


def _streaming(events: list[str]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> _Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _Body(events)

    return app


def test_each_piece_is_reported_before_it_is_handed_over_and_the_answer_is_closed() -> None:
    events: list[str] = []
    app = reporting_progress(_streaming(events), lambda: events.append("alive"))
    body = app({"REQUEST_METHOD": "GET"}, lambda *args: None)
    handed = []
    for piece in body:
        events.append("sent")
        handed.append(piece)
    body.close()  # type: ignore[attr-defined]
    assert handed == [b"piece 0\n", b"piece 1\n", b"piece 2\n"]
    assert events == [*(e for n in range(3) for e in (f"made {n}", "alive", "sent")), "closed"]


def test_the_answer_is_unchanged_through_a_wsgi_client() -> None:
    events: list[str] = []
    response = Client(reporting_progress(_streaming(events), lambda: events.append("alive"))).get("/")
    assert response.get_data() == b"piece 0\npiece 1\npiece 2\n"
    response.close()
    assert events.count("alive") == 3 and events[-1] == "closed"


def test_a_file_the_server_sends_itself_is_handed_over_as_it_is() -> None:
    sent = FileWrapper(io.BytesIO(b"static"))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> FileWrapper:
        start_response("200 OK", [])
        return sent

    reported: list[str] = []
    wrapped = reporting_progress(app, lambda: reported.append("alive"))
    assert wrapped({"wsgi.file_wrapper": FileWrapper}, lambda *args: None) is sent
    # Without a file wrapper in the environment, it is an answer like any other.
    assert list(wrapped({}, lambda *args: None)) == [b"static"] and reported == ["alive"]
