"""The console in a real browser: Debian's chromium driven by Playwright over loopback.

Each test signs in as a person would (typing a key into the form) and reads what the
page shows. The screenshots in docs/console/ come from here: set
SPARK_CONSOLE_SCREENSHOTS=docs/console to write them there (else into a temp dir).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from spark_memory.service.kb_progress import recorded
from tests.console.conftest import Seeded, ingest_tinylib, spark_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("SPARK_CONSOLE_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def sign_in(page: Any, seeded: Seeded, who: str, then: str = "") -> None:
    page.goto(f"{seeded.ui}/signin" + (f"?next={then}" if then else ""))
    page.get_by_label("API key").fill(seeded.key(who))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shoot(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def tab_to(page: Any, label: str, presses: int) -> None:
    """Tab until the control labelled ``label`` has the focus, or fail."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == label:
            return
    pytest.fail(f"Tab never reached {label!r}")


def confirm_by_keyboard(page: Any, reason: str, button: str) -> None:
    """On a confirmation page: Tab to the reason, type it, Tab to ``button``, Enter."""
    while page.evaluate("document.activeElement.id") != "reason":
        page.keyboard.press("Tab")
    page.keyboard.type(reason)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == button
    page.keyboard.press("Enter")


def main_text(page: Any) -> str:
    return str(page.locator("main").inner_text())


def test_no_key_is_sent_to_sign_in_and_comes_back(page: Any, seeded: Seeded, shots: Path) -> None:
    page.goto(f"{seeded.ui}/memories")
    assert page.url.endswith("/ui/signin?next=/memories")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    shoot(page, shots, "signin")
    page.get_by_label("API key").fill("spk_" + "x" * 40)
    page.get_by_role("button", name="Sign in").click()
    assert "unknown or revoked API key" in page.get_by_role("alert").inner_text()
    page.get_by_label("API key").fill(seeded.key("writer"))
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/ui/memories")
    assert "acme/bot · writer" in page.locator("header").inner_text()


def test_search_shows_why_each_hit_was_found(page: Any, seeded: Seeded, shots: Path) -> None:
    sign_in(page, seeded, "writer")
    page.get_by_label("Question, task or error").fill("share of each category value counts")
    page.get_by_role("button", name="Ask").click()
    hits = page.get_by_role("table")
    lesson = hits.get_by_role("row").filter(has_text="Use value_counts(normalize=True)")
    assert "insight" in lesson.inner_text()
    # "why this": the lesson was found by words and by meaning, each with a rank
    channels = lesson.locator(".channels").inner_text()
    assert "bm25: #" in channels
    assert "vector: #" in channels
    # trust weighs a found lesson: a score, not a channel that missed it
    assert re.search(r"trust: \d", channels), channels
    assert "not found" not in channels
    answer = page.locator("pre.answer").inner_text()
    assert "Sources:" in answer
    assert seeded.ids["lesson"] in answer
    shoot(page, shots, "ask")


def test_an_insight_page_shows_its_provenance(page: Any, seeded: Seeded, shots: Path) -> None:
    sign_in(page, seeded, "admin")
    page.get_by_role("link", name="Memories").click()
    shoot(page, shots, "memories")
    page.get_by_role("link", name="Use value_counts(normalize=True) for category shares").click()
    provenance = page.locator("#provenance").inner_text()
    assert "trc_" in provenance
    assert "acme/bot" in provenance
    assert "df.c.value_counts(normalize=True, dropna=False)" in main_text(page)
    feedback = page.get_by_role("table").filter(has_text="exactly right")
    assert "acme/lead" in feedback.inner_text()
    assert "Served to 1 of your org's traced sessions" in main_text(page)
    assert page.get_by_role("img", name="Trust over time").is_visible()
    shoot(page, shots, "insight")


def test_an_admin_approves_a_quarantined_lesson(page: Any, seeded: Seeded, shots: Path) -> None:
    sign_in(page, seeded, "admin")
    page.get_by_role("link", name="Review").click()
    shoot(page, shots, "review")
    title = "Sort an array's indices with numpy.argsort"
    page.get_by_role("link", name=f"Approve {title}").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Approve")
    shoot(page, shots, "confirm")
    page.get_by_label("Reason").fill("checked against the numpy docs")
    page.get_by_role("button", name="Approve").click()
    assert "is now active" in page.get_by_role("status").inner_text()
    held = page.get_by_role("table").filter(has_text="Lessons held back")
    assert title not in held.inner_text()
    page.goto(f"{seeded.ui}/memories/{seeded.ids['quarantined']}")
    assert "active" in page.locator(".facts .status").inner_text()
    audit = page.get_by_role("table").filter(has_text="insight.approve").inner_text()
    assert "checked against the numpy docs" in audit
    assert "acme/lead" in audit


def test_an_admin_creates_and_revokes_a_key(page: Any, seeded: Seeded, shots: Path) -> None:
    sign_in(page, seeded, "admin")
    page.get_by_role("link", name="Org").click()
    page.get_by_label("Agent name").fill("ci-bot")
    page.get_by_label("Role").select_option("reader")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("Key").input_value()
    assert secret.startswith("spk_")
    assert "shown once" in page.get_by_role("alert").inner_text()
    page.get_by_role("link", name="Back to the org").click()
    assert secret not in page.content()  # never again
    shoot(page, shots, "org")
    key_id = seeded.ids["key_temp"]
    assert _api_status(seeded, seeded.key("temp")) == 200
    page.get_by_role("link", name=f"Revoke {key_id} of temp").click()
    page.get_by_role("button", name="Revoke").click()
    assert f"Revoked {key_id}" in page.get_by_role("status").inner_text()
    row = page.get_by_role("row").filter(has_text=key_id)
    assert "revoked" in row.inner_text()
    assert _api_status(seeded, seeded.key("temp")) == 401


def test_another_orgs_insight_is_a_404_page(page: Any, seeded: Seeded) -> None:
    sign_in(page, seeded, "admin")
    response = page.goto(f"{seeded.ui}/memories/{seeded.ids['other_org']}")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "404: NotFound"
    confirm = page.goto(f"{seeded.ui}/memories/{seeded.ids['other_org']}/confirm/erase")
    assert confirm.status == 404


def test_a_reader_sees_and_cannot_act(page: Any, seeded: Seeded) -> None:
    sign_in(page, seeded, "reader")
    page.goto(f"{seeded.ui}/memories/{seeded.ids['lesson']}")
    assert page.get_by_role("heading", name="Provenance").is_visible()
    assert page.get_by_role("heading", name="Actions").count() == 0
    page.goto(f"{seeded.ui}/review")
    assert page.get_by_role("link", name="Approve", exact=False).count() == 0
    # Typing the action's address does not help: the server refuses the form.
    page.goto(f"{seeded.ui}/memories/{seeded.ids['lesson']}/confirm/quarantine")
    page.get_by_role("button", name="Quarantine").click()
    assert page.get_by_role("heading", level=1).inner_text() == "403: Forbidden"
    assert "admin" in page.get_by_role("alert").inner_text()
    page.goto(f"{seeded.ui}/memories/{seeded.ids['lesson']}")
    assert "active" in page.locator(".facts .status").inner_text()


def test_an_action_is_reachable_by_keyboard(page: Any, seeded: Seeded) -> None:
    sign_in(page, seeded, "admin")
    page.goto(f"{seeded.ui}/review")
    title = "Connect to the metrics database with the service password"
    tab_to(page, f"Quarantine {title}", presses=60)
    page.keyboard.press("Enter")
    page.wait_for_url("**/confirm/quarantine?back=review")
    confirm_by_keyboard(page, "holds a redacted password", "Quarantine")
    page.wait_for_url("**/ui/review?done=*")
    assert "is now quarantined" in page.get_by_role("status").inner_text()


def test_the_other_pages_render(page: Any, seeded: Seeded, shots: Path) -> None:
    sign_in(page, seeded, "admin")
    # a click starts the navigation; a check right after it can still read the page
    # before (a CI run under load did), so each check waits for the new page first
    page.get_by_role("link", name="Knowledge base").click()
    page.wait_for_url("**/ui/kb")
    assert "pandas" in page.get_by_role("table").inner_text()
    shoot(page, shots, "kb")
    page.get_by_role("link", name="Epochs").click()
    page.wait_for_url("**/ui/epochs")
    assert "nothing to learn" in main_text(page) or "deferred" in main_text(page)
    shoot(page, shots, "epochs")
    search = httpx.post(
        f"{seeded.server.url}/v1/search",
        headers=seeded.server.headers("writer"),
        json={"query": "unique values"},
        timeout=30,
    )
    assert search.status_code == 200
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/ui/dashboard")
    assert page.get_by_role("img", name="Verified outcomes per day, last 14 days").is_visible()
    speed = page.get_by_role("table").filter(has_text="since it started").inner_text()
    assert "HTTP search" in speed
    shoot(page, shots, "dashboard")


def _api_status(seeded: Seeded, key: str) -> int:
    url = f"{seeded.server.url}/v1/kb/libraries"
    return httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code


def test_the_operator_watches_an_ingest_and_removes_a_library(
    page: Any, seeded: Seeded, shots: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "tinylib-docs"
    folder.mkdir()
    ingest_tinylib(seeded, folder, "1.0")
    code, out = spark_cli(seeded, "keys", "create", "--operator", "--json")
    assert code == 0, out
    page.goto(f"{seeded.ui}/signin")
    page.get_by_label("API key").fill(json.loads(out)["secret"])
    page.get_by_role("button", name="Sign in").click()
    assert "local · admin" in page.locator("header").inner_text()
    with recorded(seeded.server.home, "torch", lambda done, total: None) as update:
        update(1200, 4800)  # as `spark kb ingest torch` reports it
        page.get_by_role("link", name="Knowledge base").click()
        assert "torch: running, 1200 of 4800 snippets embedded" in main_text(page)
        bar = page.get_by_role("progressbar", name="torch: snippets embedded")
        assert bar.get_attribute("value") == "1200"
        shoot(page, shots, "kb")
    # By keyboard alone: Tab to the library's Remove, Enter, type the reason, Tab, Enter.
    page.goto(f"{seeded.ui}/kb")
    tab_to(page, "Remove tinylib 1.0", presses=40)
    page.keyboard.press("Enter")
    page.wait_for_url("**/kb/remove?library=tinylib&version=1.0")
    shoot(page, shots, "kb_remove")
    confirm_by_keyboard(page, "superseded by the 2.0 guide", "Remove")
    page.wait_for_url("**/ui/kb?done=*")
    assert "snippets of tinylib 1.0" in page.get_by_role("status").inner_text()
    assert "tinylib" not in page.get_by_role("table").first.inner_text()
