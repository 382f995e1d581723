"""A hello-world Flask app: the floor of a request under our gunicorn settings.

``bench/distinct_bench.py`` serves it with ``gunicorn -c gunicorn.conf.py bench.hello_wsgi:app`` (the same
workers, worker class and logging as the directory) and times ``GET /`` at concurrency 1: no search can
answer faster than this on the same machine.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
