"""gunicorn settings for `make serve`; every value can be overridden from the environment."""

import multiprocessing
import os

# The workers only serve requests: the app leaves out what only `flask db` needs (directory/config.py).
os.environ.setdefault("DIRECTORY_WEB_ONLY", "1")

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("THREADS", "1"))
# gthread, even with one thread: the worker keeps telling the master it is alive while a request runs, so a
# long download (a whole search as CSV streams for a minute at 100,000 listings) is not killed after
# `timeout` seconds as a sync worker would be; `timeout` still restarts a worker that is truly stuck.
worker_class = os.environ.get("WORKER_CLASS", "gthread")
timeout = int(os.environ.get("TIMEOUT", "30"))
accesslog = "-"
# Each worker builds its own search index on first use; nothing a worker keeps is needed by another
# (sessions are signed cookies, caches are checked against the database's search generation).
preload_app = False
