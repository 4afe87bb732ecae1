"""The absolute path of the running `spark`, for files that start it from elsewhere.

Agents start MCP servers and hooks from their own environment: a GUI-started Cursor
or a fresh terminal has no virtual environment on PATH, and Codex starts MCP servers
with a minimal environment, so a bare ``spark`` is "command not found" there.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def spark_executable() -> str:
    argv0 = Path(sys.argv[0])
    if argv0.name == "spark" and argv0.is_file():
        return str(argv0.absolute())
    # Under `python -m` or a test runner: the script beside this interpreter (the
    # virtual environment's bin; not resolved, which would leave the environment).
    beside = Path(sys.executable).with_name("spark")
    if beside.is_file():
        return str(beside)
    found = shutil.which("spark")
    return str(Path(found).absolute()) if found else "spark"
