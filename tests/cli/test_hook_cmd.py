"""`spark hook prompt|stop`: what agent hooks print, locally and through `spark serve`.

The hooks are also driven by the real Claude Code in tests/agents/test_setup.py; here
each path is checked on its own, including every way they must stay silent.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from spark_memory.cli.advice_text import render_json
from spark_memory.cli.hook_cmd import HEADER
from spark_memory.cli.main import cli
from spark_memory.coach.render import render
from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import Spark
from tests.agents.conftest import API, GUIDANCE, TASK, Seeded, seeded
from tests.interfaces.conftest import server
from tests.interfaces.server import SPARK, Server

__all__ = ["seeded", "server"]

REMINDER = "how it worked out is not recorded yet"


def hook(home: Path, event: str, payload: object, *args: str) -> str:
    stdin = payload if isinstance(payload, str) else json.dumps(payload)
    result = CliRunner().invoke(
        cli, ["--home", str(home), "hook", event, *args], input=stdin, env={"SPARK_API_KEY": ""}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_relevant_prompt_gets_compact_advice(seeded: Seeded) -> None:
    out = hook(seeded.home, "prompt", {"prompt": f"How do I {TASK}?"})
    assert out.startswith(HEADER)
    assert GUIDANCE in out
    assert API in out


@pytest.mark.parametrize(
    "payload",
    [
        {"prompt": "write a haiku about the spring rain"},  # nothing clears the gate
        {"prompt": "go on"},  # too short to advise on
        {"prompt": 42},
        {"session_id": "x"},
        "not json at all",
        "",
    ],
)
def test_nothing_relevant_or_no_prompt_prints_nothing(seeded: Seeded, payload: object) -> None:
    assert hook(seeded.home, "prompt", payload) == ""


def test_a_missing_store_prints_nothing_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    assert hook(home, "prompt", {"prompt": "How do I stack two pandas frames?"}) == ""
    assert not home.exists()


def test_a_broken_store_prints_nothing(tmp_path: Path) -> None:
    (tmp_path / "spark.db").write_bytes(b"\x00garbage" * 512)
    assert hook(tmp_path, "prompt", {"prompt": "How do I stack two pandas frames?"}) == ""


def test_the_prompt_hook_answers_through_a_running_server(server: Server) -> None:
    # Without SPARK_EMBEDDER=hash the local store would refuse (its vectors are hash
    # vectors), so advice in the output can only have come from the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARK_")}
    env.update(SPARK_HOME=str(server.home), SPARK_API_KEY=server.keys["reader"])
    payload = json.dumps({"prompt": "count how often each value occurs in a pandas Series"})
    done = subprocess.run(
        [SPARK, "hook", "prompt"], input=payload, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith(HEADER), done.stdout + done.stderr
    assert "pandas.Series.value_counts" in done.stdout


def transcript(tmp_path: Path, *lines: object) -> str:
    path = tmp_path / "transcript.jsonl"
    path.write_text("\n".join(json.dumps({"message": line}) for line in lines))
    return str(path)


def call(name: str, **arguments: str) -> dict[str, object]:
    """A tool call as Claude Code writes it in its transcript."""
    return {"content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": arguments}]}


# What Claude Code also writes into a transcript: the tools it offers, with descriptions
# that name record_trace and `spark run -- ...` without anyone calling them.
TOOL_LISTING = {
    "type": "prompt_snapshot",
    "tools": [
        {"name": "mcp__spark__record_trace", "description": "run `spark run -- <tests>`"},
        {"name": "mcp__spark__share_feedback", "description": "after tests ran"},
    ],
}


def test_stop_reminds_once_when_advice_is_unrecorded(tmp_path: Path) -> None:
    path = transcript(tmp_path, "hi", f"{HEADER}\n...advice...", "done")
    answer = json.loads(hook(tmp_path, "stop", {"transcript_path": path}))
    assert answer["decision"] == "block"
    assert REMINDER in answer["reason"]
    assert "run -- <test command>" in answer["reason"]
    # The stop that follows the reminder is let through.
    assert hook(tmp_path, "stop", {"transcript_path": path, "stop_hook_active": True}) == ""


@pytest.mark.parametrize(
    "lines",
    [
        ("hi", "no advice here"),
        (f"{HEADER} advice", call("mcp__spark__record_trace", outcome="passed")),
        (f"{HEADER} advice", call("Bash", command="spark run -- pytest -x")),
        (call("mcp__spark__recommend", task="t"), call("mcp__spark__share_feedback")),
    ],
)
def test_stop_is_silent_without_advice_or_once_recorded(tmp_path: Path, lines: tuple[str]) -> None:
    assert hook(tmp_path, "stop", {"transcript_path": transcript(tmp_path, *lines)}) == ""


def test_stop_reminds_when_only_the_tool_listing_names_the_recording_tools(
    tmp_path: Path,
) -> None:
    for advice in (f"{HEADER}\n...advice...", call("mcp__spark__recommend", task="t")):
        path = transcript(tmp_path, advice, TOOL_LISTING, "done")
        assert json.loads(hook(tmp_path, "stop", {"transcript_path": path}))["decision"] == "block"


def test_stop_is_silent_without_a_readable_transcript(tmp_path: Path) -> None:
    assert hook(tmp_path, "stop", {"transcript_path": str(tmp_path / "gone.jsonl")}) == ""
    assert hook(tmp_path, "stop", {}) == ""
    assert hook(tmp_path, "stop", "{{{") == ""


def test_cursor_gets_a_followup_message_on_its_first_stop_only(tmp_path: Path) -> None:
    path = transcript(tmp_path, f"{HEADER} advice")
    event = {"transcript_path": path, "status": "completed", "loop_count": 0}
    answer = json.loads(hook(tmp_path, "stop", event, "--agent", "cursor"))
    assert REMINDER in answer["followup_message"]
    assert hook(tmp_path, "stop", {**event, "loop_count": 1}, "--agent", "cursor") == ""
    assert hook(tmp_path, "stop", {**event, "status": "aborted"}, "--agent", "cursor") == ""


def test_json_rendering_matches_the_coachs(seeded: Seeded) -> None:
    settings = Settings.load({"SPARK_HOME": str(seeded.home)})
    with Spark.open(settings) as spark:
        rec = spark.recommend("stack pandas frames with zorbify_frames", principal=LOCAL_PRINCIPAL)
    assert rec.citations
    assert render_json(rec.model_dump(mode="json")) == render(rec)


def test_a_remote_servers_hook_asks_that_server(server: Server, tmp_path: Path) -> None:
    # `spark init AGENT --server URL --hooks` writes `spark --server URL hook ...`:
    # the advice comes from that server, with nothing local at all.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARK_")}
    env.update(SPARK_HOME=str(tmp_path / "empty"), SPARK_API_KEY=server.keys["reader"])
    payload = json.dumps({"prompt": "count how often each value occurs in a pandas Series"})
    command = [SPARK, "--server", server.url, "hook", "prompt"]
    done = subprocess.run(command, input=payload, env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert "pandas.Series.value_counts" in done.stdout
    without_key = {**env, "SPARK_API_KEY": ""}
    quiet = subprocess.run(command, input=payload, env=without_key, capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout) == (0, "")
    assert not (tmp_path / "empty").exists()
