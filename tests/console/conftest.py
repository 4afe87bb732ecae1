"""A real `spark serve` with a seeded store, and Debian's chromium driven by Playwright.

The store is seeded through the façade before the server starts (hash embedder, so no
model loads): the interface tests' snippets and keys, two more agents of acme, lessons
of acme (one served to a traced session and voted on, one quarantined because its
author's standing is low, one with a redacted secret) and one lesson of globex.

Without chromium (or Playwright, or axe-core for the accessibility test) the browser
tests skip loudly on a laptop and fail under CI=true: run scripts/browser-setup.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL, Evidence, Principal, Role
from spark_memory.service import Spark
from tests.interfaces.server import Server, free_port, seed

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass(frozen=True)
class Seeded:
    server: Server
    ids: dict[str, str]  # name -> insight or key id

    @property
    def ui(self) -> str:
        return f"{self.server.url}/ui"

    def key(self, who: str) -> str:
        return self.server.keys[who]


def missing(reason: str) -> None:
    """Skip on a laptop; fail under CI=true, where the browser tests must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the console's browser tests must run in CI)")
    pytest.skip(f"{reason}; run scripts/browser-setup")


def seed_console(home: Path) -> tuple[dict[str, str], dict[str, str]]:
    keys = seed(home)
    ids: dict[str, str] = {}
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=home)
    with Spark.open(settings) as spark:
        for name, agent, role in (("newbie", "newbie", "writer"), ("temp", "temp", "writer")):
            key = spark.create_key("acme", agent, role, principal=LOCAL_PRINCIPAL)
            keys[name], ids[f"key_{name}"] = key.secret, key.id
        writer = Principal(org_id="acme", agent_id="acme/bot", role=Role.WRITER)
        admin = Principal(org_id="acme", agent_id="acme/lead", role=Role.ADMIN)
        trace = spark.record_trace(
            "count how often each category occurs in a pandas column",
            code="df['c'].value_counts()",
            outcome="failed",
            error="KeyError: 'c'",
            principal=writer,
        )
        lesson = spark.create_memory(
            "Use value_counts(normalize=True) for category shares",
            "Call `Series.value_counts(normalize=True)` to get each category's share;"
            " dividing by len() by hand miscounts missing values.",
            query="pandas share of each category value counts",
            tags=["pandas:2.2"],
            kind="practice",
            evidence=Evidence(
                failing_code="df.c.value_counts() / len(df)",
                error="shares do not sum to 1",
                fix="df.c.value_counts(normalize=True, dropna=False)",
            ),
            principal=writer,
        )
        ids["lesson"] = lesson.id
        stored = spark.store.unscoped_insights([lesson.id])[lesson.id]
        provenance = stored.provenance.model_copy(update={"trace_ids": [trace.id]})
        spark.store.put_insight(stored.model_copy(update={"provenance": provenance}), None, None)
        spark.record_trace(
            "share of each category in a pandas column",
            code="df.c.value_counts(normalize=True)",
            outcome="passed",
            served_ids=[lesson.id],
            principal=writer,
        )
        spark.share_feedback(
            lesson.id, relevant=True, correct=True, comment="exactly right", principal=admin
        )
        newbie = spark.store.get_agent("acme/newbie")
        spark.store.put_agent(newbie.model_copy(update={"standing": 0.1}))
        held = spark.create_memory(
            "Sort an array's indices with numpy.argsort",
            "Use `numpy.argsort(a)` to get the indices that would sort `a`.",
            tags=["numpy"],
            principal=Principal(org_id="acme", agent_id="acme/newbie", role=Role.WRITER),
        )
        ids["quarantined"] = held.id
        redacted = spark.create_memory(
            "Connect to the metrics database with the service password",
            "Connect with `psql postgresql://metrics:hunter2secretpw@db.internal/metrics`"
            " and read the hourly table.",
            principal=writer,
        )
        ids["redacted"] = redacted.id
        other = spark.create_memory(
            "Globex: merge DataFrames on the customer key",
            "Merge with `DataFrame.merge(on='customer_id', validate='one_to_one')`.",
            tags=["pandas"],
            principal=Principal(org_id="globex", agent_id="globex/boss", role=Role.ADMIN),
        )
        ids["other_org"] = other.id
        spark.curate(principal=LOCAL_PRINCIPAL)
    return keys, ids


class PatientServer(Server):
    """`spark serve` given two minutes to come up: the browser tests share a busy machine."""

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"spark serve exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"spark serve did not become healthy:\n{self.log()}")


def spark_cli(seeded: Seeded, *args: str) -> tuple[int, str]:
    """The CLI on the seeded server's home, in this process."""
    env = {"SPARK_HOME": str(seeded.server.home), "SPARK_EMBEDDER": "hash"}
    result = CliRunner(env=env).invoke(cli, list(args))
    return result.exit_code, result.output


GUIDE = """# Tinylib user guide

## Counting things

Call `tinylib.count(items)` to count how often each item occurs; it returns a dict.

## Resetting

Call `tinylib.reset()` before counting again to forget earlier counts.
"""


def ingest_tinylib(seeded: Seeded, folder: Path, version: str) -> None:
    """A real `spark kb ingest` of GUIDE, written into ``folder``, as tinylib ``version``."""
    (folder / "guide.md").write_text(GUIDE, "utf-8")
    code, out = spark_cli(
        seeded, "kb", "ingest", "--guides", str(folder), "--library", "tinylib",
        "--doc-version", version,
    )  # fmt: skip
    assert code == 0, out


def csrf_of(html: str) -> str:
    """The form token a console page carries for its actions."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    home = tmp_path_factory.mktemp("console")
    keys, ids = seed_console(home)
    server = PatientServer(home, free_port(), keys).start()
    yield Seeded(server, ids)
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[ui-test]')")
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # bypass_csp: the accessibility check injects axe-core, which the console's own
    # policy (no script at all) would block.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(20_000)
    opened = context.new_page()
    yield opened
    context.close()
