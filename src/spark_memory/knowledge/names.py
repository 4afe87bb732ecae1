"""Library names as users type them: checked, and corrected when they are close.

A library is named by its import name (``sklearn``, not ``scikit-learn``): a plain
Python identifier, which also keeps a name from ever reading as a path. A name that
cannot be imported is refused with the known names and the likeliest one.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence

from spark_memory.errors import InvalidInput
from spark_memory.knowledge.harvest import DS1000_LIBRARIES

__all__ = ["check_library_name", "missing_libraries", "unknown_library"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Distribution names and habits people type for the import names.
_SPELLINGS = {
    "scikit-learn": "sklearn",
    "scikit_learn": "sklearn",
    "scikitlearn": "sklearn",
    "sk-learn": "sklearn",
    "pytorch": "torch",
    "tensorflow-cpu": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "tf": "tensorflow",
    "np": "numpy",
    "pd": "pandas",
    "plt": "matplotlib",
    "mpl": "matplotlib",
}
_PROBE = (
    "import importlib.util, json, sys\n"
    "print(json.dumps([n for n in sys.argv[1:] if importlib.util.find_spec(n) is None]))"
)


def check_library_name(name: str) -> str:
    """``name`` if it is a plain import name; else a clear refusal."""
    if _IDENTIFIER.match(name):
        return name
    if name.lower() in _SPELLINGS:
        raise unknown_library(name)
    raise InvalidInput(f"not a library name: {name!r} (an import name such as pandas or sklearn)")


def unknown_library(
    name: str, where: str = "", known: Sequence[str] = DS1000_LIBRARIES
) -> InvalidInput:
    guess = _SPELLINGS.get(name.lower()) or next(
        iter(difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)), None
    )
    hint = f"; did you mean {guess}?" if guess else ""
    reason = f" ({where})" if where else ""
    return InvalidInput(
        f"unknown library {name!r}{reason}{hint or '.'} Known: {', '.join(sorted(known))}"
    )


def missing_libraries(
    names: Sequence[str], python: str | os.PathLike[str] | None = None
) -> list[str]:
    """The names ``python`` (default: this interpreter) cannot import."""
    command = [str(python or sys.executable), "-c", _PROBE, *names]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidInput(f"cannot run {command[0]}: {exc}") from exc
    if done.returncode != 0:
        raise InvalidInput(f"{command[0]} failed: {done.stderr.strip()[-300:]}")
    missing: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return missing
