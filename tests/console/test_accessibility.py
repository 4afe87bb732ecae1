"""axe-core (Deque's rules engine, fetched by scripts/browser-setup) on every page.

Every page the console serves is checked in chromium against the WCAG 2.0/2.1 A and AA
rules and axe's best practices; a serious or critical violation fails the test with
the rule, its help text and the offending elements.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import Spark
from spark_memory.service.kb_progress import recorded
from tests.console.conftest import AXE, Seeded, missing, spark_cli
from tests.console.test_browser import sign_in

pytestmark = pytest.mark.slow

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def pages(seeded: Seeded) -> list[str]:
    ids = seeded.ids
    return [
        "/ask",
        "/ask?q=share+of+each+category+value+counts",
        "/memories",
        "/memories?status=active&kind=practice&min_trust=0.1&age=30",
        f"/memories/{ids['lesson']}",
        f"/memories/{ids['lesson']}/confirm/erase",
        "/review",
        "/org",
        f"/org/keys/{ids['key_newbie']}/revoke",
        "/kb",
        "/epochs",
        "/dashboard",
        f"/memories/{ids['other_org']}",  # the 404 page
    ]


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
        TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_every_page_passes_axe(page: Any, seeded: Seeded) -> None:
    if not AXE.exists():
        missing(f"axe-core is not in {AXE.parent}")
    page.goto(f"{seeded.ui}/signin")
    problems = {"/signin": violations(page)}
    sign_in(page, seeded, "admin")
    for path in pages(seeded):
        page.goto(f"{seeded.ui}{path}")
        problems[path] = violations(page)
    page.goto(f"{seeded.ui}/org")
    page.get_by_label("Agent name").fill("axe-check")
    page.get_by_role("button", name="Create key").click()
    problems["/org/keys (the new key)"] = violations(page)
    assert {p: v for p, v in problems.items() if v} == {}


def test_the_check_catches_what_it_should(page: Any) -> None:
    if not AXE.exists():
        missing(f"axe-core is not in {AXE.parent}")
    page.set_content(
        '<html><head><title>t</title></head><body><main><img src="x.png">'
        '<input name="q"><p style="color:#aaa;background:#fff">faint</p></main></body></html>'
    )
    found = " ".join(violations(page))
    assert "image-alt" in found
    assert "label" in found
    assert "color-contrast" in found


def test_the_operators_pages_pass_axe(page: Any, seeded: Seeded) -> None:
    if not AXE.exists():
        missing(f"axe-core is not in {AXE.parent}")
    code, out = spark_cli(seeded, "keys", "create", "--operator", "--json")
    assert code == 0, out
    page.goto(f"{seeded.ui}/signin")
    page.get_by_label("API key").fill(json.loads(out)["secret"])
    page.get_by_role("button", name="Sign in").click()
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=seeded.server.home)
    with Spark.open(settings) as spark:  # a job for the jobs table
        spark.enqueue_curation(principal=LOCAL_PRINCIPAL)
    problems = {}
    with recorded(seeded.server.home, "torch", lambda done, total: None) as update:
        update(1200, 4800)  # the knowledge base page with an ingest's progress bar
        for path in ("/kb", "/kb/remove?library=pandas&version=2.2.0", "/org", "/review"):
            page.goto(f"{seeded.ui}{path}")
            problems[path] = violations(page)
    assert page.get_by_role("heading", name="Background jobs").count() == 0  # on /review
    assert {p: v for p, v in problems.items() if v} == {}
