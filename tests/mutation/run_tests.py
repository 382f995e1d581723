"""The test command mutmut runs for each mutant: pytest on the given test files, its exit status folded.

mutmut 2 counts a mutant as killed only when the test command exits with 1 (tests failed). A mutant that
breaks the import (pytest: 2, an error while collecting) or leaves no test to run (5) was caught just as
surely, so any failure becomes 1 and only a clean pass (0) lets the mutant survive.

Usage: ``python tests/mutation/run_tests.py tests/test_x.py [tests/test_y.py ...]``. Third-party pytest
plugins are not loaded (they add seconds to each of hundreds of runs and these tests do not need them).

Most of a run is starting Python and importing Flask, SQLAlchemy and the rest, the same for every mutant.
``tools/mutate.py --fast`` therefore starts this script once per module as a server (``--serve SOCKET``) that
imports those libraries (never the ``directory`` package, which holds the mutant) and forks a child for
each run; with ``MUTATE_SERVER=SOCKET`` in the environment this script only asks that server and passes on
the status. A run the server is asked to stop (mutmut's time-out ends the asking process) is killed.
On a busy machine this let some killed mutants pass as survivors (TESTING.md): it is not the default.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess  # noqa: S404 (runs pytest, with arguments from the command line)
import sys

_OWN = ("directory", "tests", "__main__")


def folded(pytest_status: int) -> int:
    """The status mutmut reads: 0 (the mutant survived) only when pytest passed, else 1 (killed)."""
    return 0 if pytest_status == 0 else 1


def _pytest_args(test_files: list[str]) -> list[str]:
    return ["-x", "-q", "-p", "no:cacheprovider", *test_files]


def run_here(test_files: list[str]) -> int:
    """Run pytest on ``test_files`` in a new process and fold its exit status."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", *_pytest_args(test_files)]
    return folded(subprocess.run(command, env=env, check=False).returncode)  # noqa: S603


def ask(server: str, test_files: list[str]) -> int:
    """Have the server at ``server`` run pytest on ``test_files``; its folded status."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(server)
        connection.sendall(("\0".join(test_files) + "\n").encode())
        answer = connection.makefile().readline().strip()
    return folded(int(answer))  # no answer (the server died): ValueError, and the caller runs it here


def _preload() -> None:
    """Import every module the tests import, except this project's own (a child imports those afresh)."""
    listing = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import sys, tests.conftest; print('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    for name in listing.stdout.split():
        if name.split(".")[0] not in _OWN:
            try:
                __import__(name)
            except Exception:  # noqa: BLE001, S112 (a module that only imports in its own context)
                continue
    import pytest  # noqa: F401


def _run_child(connection: socket.socket, test_files: list[str]) -> int:
    """Fork a child running pytest; its exit status, or 1 when the asker went away first."""
    pid = os.fork()
    if pid == 0:  # the child: pytest, then out without running the parent's clean-up
        try:
            import pytest

            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os._exit(int(pytest.main(_pytest_args(test_files))))
        except BaseException:  # noqa: BLE001
            os._exit(3)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        readable, _, _ = select.select([connection], [], [], 0.05)
        if readable and not connection.recv(1, socket.MSG_PEEK):  # the asker is gone: a time-out
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return 1


def serve(path: str) -> None:
    """Answer runs on the Unix socket ``path`` until killed."""
    sys.dont_write_bytecode = True
    os.environ.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1", OPENBLAS_NUM_THREADS="1"
    )
    sys.path.insert(0, os.getcwd())
    _preload()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen()
        while True:
            connection, _ = listener.accept()
            with connection:
                request = connection.makefile().readline().rstrip("\n")
                status = _run_child(connection, request.split("\0"))
                try:
                    connection.sendall(f"{status}\n".encode())
                except OSError:
                    pass


def main(argv: list[str]) -> int:
    if argv[:1] == ["--serve"]:
        serve(argv[1])
        return 0
    server = os.environ.get("MUTATE_SERVER")
    if server:
        try:
            return ask(server, argv)
        except (OSError, ValueError):  # no server after all: never count that as a kill
            pass
    return run_here(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
