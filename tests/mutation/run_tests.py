"""The test command mutmut runs for each mutant: pytest on the given test files, its exit status folded.

mutmut 2 counts a mutant as killed only when the test command exits with 1 (tests failed). A mutant that
breaks the import (pytest: 2, an error while collecting) or leaves no test to run (5) was caught just as
surely, so any failure becomes 1 and only a clean pass (0) lets the mutant survive.

Usage: ``python tests/mutation/run_tests.py tests/test_x.py [tests/test_y.py ...]``. Third-party pytest
plugins are not loaded (they add seconds to each of hundreds of runs and these tests do not need them).
"""

from __future__ import annotations

import os
import subprocess  # noqa: S404 (runs pytest, with arguments from the command line)
import sys


def folded(pytest_status: int) -> int:
    """The status mutmut reads: 0 (the mutant survived) only when pytest passed, else 1 (killed)."""
    return 0 if pytest_status == 0 else 1


def main(test_files: list[str]) -> int:
    """Run pytest on ``test_files`` and fold its exit status."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *test_files]
    return folded(subprocess.run(command, env=env, check=False).returncode)  # noqa: S603


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
