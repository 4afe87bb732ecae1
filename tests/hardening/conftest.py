"""The outside test's scenarios, replayed as one suite (`pytest tests/hardening`).

Each module reproduces one finding of the hardening review (issue 15) against real
parts: a `spark serve` on loopback, real SQLite files, the real PostgreSQL cluster.
"""

from __future__ import annotations

from tests.interfaces.conftest import server

__all__ = ["server"]
