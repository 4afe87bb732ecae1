"""Wait for a condition, not for a time: poll until it holds, fail after a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_S = 0.02


def wait_until(check: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    """Return as soon as ``check()`` is truthy; fail naming ``what`` after ``seconds``.

    The deadline only bounds a test that would otherwise hang: it is not a timing
    assertion, and a slow machine merely waits longer.
    """
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(POLL_S)
