"""A WSGI app for tests/test_processes.py: a download that streams for longer than gunicorn's timeout
(``/``), and a request that sends nothing for that long (``/stuck``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

SECONDS = 4


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    if environ["PATH_INFO"] == "/stuck":
        time.sleep(SECONDS)
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"too late\n"
        return
    start_response("200 OK", [("Content-Type", "text/plain")])
    for second in range(SECONDS):
        time.sleep(1)
        yield f"line {second}\n".encode()
