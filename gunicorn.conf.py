"""gunicorn settings for `make serve`; every value can be overridden from the environment."""

import multiprocessing
import os

# The workers only serve requests: the app leaves out what only `flask db` needs (directory/config.py).
os.environ.setdefault("DIRECTORY_WEB_ONLY", "1")

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("THREADS", "1"))
# sync: one request at a time in the worker's own thread, with no thread handing each request over (with
# THREADS above 1, gunicorn uses gthread instead). A sync worker reports to the master only between
# requests, so post_worker_init below has it report as each piece of an answer is sent: a long download
# (a whole search as CSV streams for a minute at 100,000 listings) is not killed after `timeout` seconds,
# and a request that sends nothing for that long is still taken for a stuck one.
worker_class = os.environ.get("WORKER_CLASS", "sync")
timeout = int(os.environ.get("TIMEOUT", "30"))
accesslog = "-"
# The app is loaded, and its search index built, once in the master before the workers are forked
# (when_ready below): every worker answers its first search at once, and the index's memory is shared by
# all of them. Each worker then follows changes itself, reading only the listings that changed (sessions
# are signed cookies; the index is checked against the database's search generation on every search).
preload_app = True


def when_ready(server):  # noqa: ANN001, ANN201 (gunicorn's hook signature)
    """Build the search index in the master, before the first worker is forked."""
    import time

    app = server.app.wsgi()
    if (
        not hasattr(app, "extensions")
        or "search" not in app.extensions
        and "sqlalchemy" not in app.extensions
    ):
        return  # not this project's app (tests serve small WSGI apps with this file too)
    from directory.search import prepare

    started = time.perf_counter()
    listings = prepare(app)
    server.log.info(
        "Search index built before forking: %d listings in %.1f s", listings, time.perf_counter() - started
    )


def post_worker_init(worker):  # noqa: ANN001, ANN201 (gunicorn's hook signature)
    """Have the worker tell the master it is alive each time a piece of an answer is sent."""
    from directory.heartbeat import reporting_progress

    worker.wsgi = reporting_progress(worker.wsgi, worker.notify)
