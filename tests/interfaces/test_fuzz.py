"""Fuzzing the HTTP API from its own OpenAPI document (schemathesis), over loopback.

Every operation gets generated requests, valid ones and invalid ones; every response is
checked by schemathesis for server errors (5xx) and against the document (status
codes, content types, response bodies and headers). The run is bounded by a count per
operation and mode, without shrinking, so it stays well under a minute; the number of
cases that ran is printed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from tests.interfaces.server import Server

pytestmark = pytest.mark.fuzz

EXAMPLES = 20  # per operation and generation mode
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
# Every check runs but one: "schema-valid data is accepted" does not hold for an API that
# also judges meaning, e.g. a library filter naming a library the store does not hold
# (a documented 422 UnknownFilter), so that check would only report such refusals.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]
# Refusing invalid data: schemathesis' default statuses, plus 413, which is how the server
# refuses a body over its size limit before reading it (invalid or not, it is refused).
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)


def test_no_generated_request_gets_a_5xx_or_breaks_the_schema(server: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    auth = server.headers("fuzz")  # an admin of an org of its own: every route is reachable
    counts: dict[str, int] = {}
    failures: list[str] = []
    started = time.monotonic()
    for operation in operations:
        for mode in MODES:
            label = f"{operation.label} [{mode.value}]"
            counts[label], failure = fuzz(operation, mode, auth)
            if failure:
                failures.append(f"{label}: {failure}")
    total = sum(counts.values())
    seconds = time.monotonic() - started
    print(f"\nfuzz: {total} cases, {len(operations)} operations, {seconds:.1f} s")
    assert failures == [], "\n\n".join(failures)
    assert len(operations) >= 20
    assert total >= len(operations) * 10


def fuzz(
    operation: Any, mode: schemathesis.GenerationMode, auth: dict[str, str]
) -> tuple[int, str]:
    """Cases run on one operation in one mode, and the first failure ("" if none)."""
    ran = 0

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        headers = dict(case.headers or {})
        # The key stands in for the generated bearer token; a case generated without
        # one (a negative case about authentication) is sent without one: it must get 401.
        if "Authorization" in headers:
            headers.update(auth)
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    try:
        run()
    except Unsatisfiable:
        return ran, ""  # no invalid request exists (an operation without parameters)
    except (AssertionError, FailureGroup) as exc:  # how schemathesis reports failed checks
        return ran, str(exc)[:4000]
    return ran, ""
