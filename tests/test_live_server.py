"""The browser tests' live server (``browser_support.serving``) leaves no file open when a browser drops a
connection halfway through a static file, as browsers do when they navigate away while a page loads.

werkzeug's development server skips closing such a response (see ``browser_support._whole_bodies``); the
unclosed file then warned in whichever test ran when it was collected, and failed that test.
"""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
import warnings

from flask import Flask

from .browser_support import serving

#: A static file larger than what the sockets between server and client hold at once.
BIG_FILE = "/static/vendor/leaflet/leaflet.js"


def _drop_halfway(url: str) -> None:
    """Asks for BIG_FILE, reads the first bytes, then resets the connection (RST, not FIN)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.sendall(f"GET {BIG_FILE} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert client.recv(100).startswith(b"HTTP/1.1 200")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_dropped_connection_leaves_no_file_open(app: Flask) -> None:
    threads_before = threading.active_count()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with serving(app) as url:
            for _ in range(40):  # without the fix, about a quarter of them left the file open
                _drop_halfway(url)
            deadline = time.monotonic() + 10
            while threading.active_count() > threads_before + 1 and time.monotonic() < deadline:
                time.sleep(0.02)  # the server's request threads finish
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
