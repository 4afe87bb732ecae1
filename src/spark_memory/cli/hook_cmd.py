"""`spark hook prompt|stop`: what agent hooks run, so advice arrives without being asked.

``spark init AGENT --hooks`` installs them. On each user prompt the agent runs
``spark hook prompt`` with the prompt as JSON on stdin; what it prints (a compact
recommendation, about 1k tokens) the agent adds to the model's context, and when
nothing relevant clears the coach's relevance gate it prints nothing at all. On stop,
``spark hook stop`` asks the model, once, to record the outcome of advice it got.

A hook must never block or break the agent: every failure (no store, a bad config, a
server that is down, malformed input) ends in silence and exit status 0. It answers
through a running `spark serve` when one is published in ``$SPARK_HOME`` and a key is
set (a loopback request), otherwise from the local store.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from spark_memory.cli.context import API_KEY_ENV, CliContext, pass_ctx
from spark_memory.cli.executable import spark_executable

if TYPE_CHECKING:
    from spark_memory.cli.served import Served

HOOK_AGENTS = ("claude-code", "codex", "cursor")
PROMPT_BUDGET = 1000  # tokens: enough for guidance, a few steps and their sources
PROMPT_CHARS = 4000  # a prompt's opening holds its ask; the rest is pasted material
MIN_PROMPT_CHARS = 12  # "ok", "go on", "yes please": nothing to advise on
HEADER = "Spark advice for this prompt (shared memory; read a source in full with get_memory):"
STDIN_LIMIT = 1 << 20
SERVER_TIMEOUT = 10.0  # seconds; the agent waits for the hook, so a hung server must not hang it
TRANSCRIPT_TAIL = 2 << 20
# Advice given: the prompt hook's header, or a call of a Spark tool. An outcome recorded:
# a call of these tools or a command through `spark run`. Only calls count: transcripts
# also hold the tool listing and system prompt, which name all of them.
ADVICE_MARKS = ("mcp__spark",)
RECORD_MARKS = ("record_trace", "share_feedback", " run -- ")
# How Claude Code (tool_use) and Codex (function_call and kin) write a call.
CALL_TYPES = frozenset(
    {"tool_use", "function_call", "custom_tool_call", "local_shell_call", "mcp_tool_call"}
)


@click.group("hook")
def hook_group() -> None:
    """Commands that agent hooks run (installed by `spark init AGENT --hooks`)."""


@hook_group.command("prompt")
@click.option("--agent", type=click.Choice(HOOK_AGENTS), default="claude-code")
@click.option("--budget", default=PROMPT_BUDGET, show_default=True, help="Most tokens to add.")
@pass_ctx
def prompt_cmd(obj: CliContext, agent: str, budget: int) -> None:
    """Print a compact recommendation for the prompt on stdin, or nothing."""
    try:
        text = _advice(obj, _read_event(), budget)
    except Exception:  # noqa: BLE001 -- the top of a hook: it must never fail the agent
        return
    if text:
        click.echo(f"{HEADER}\n\n{text}")


@hook_group.command("stop")
@click.option("--agent", type=click.Choice(HOOK_AGENTS), default="claude-code")
def stop_cmd(agent: str) -> None:
    """Remind the model, once, to record how advice it followed worked out."""
    try:
        answer = _stop_answer(agent, _read_event())
    except Exception:  # noqa: BLE001 -- the top of a hook: it must never fail the agent
        return
    if answer is not None:
        click.echo(json.dumps(answer))


def _read_event() -> dict[str, Any]:
    data = json.loads(sys.stdin.read(STDIN_LIMIT) or "{}")
    return data if isinstance(data, dict) else {}


def _advice(obj: CliContext, event: dict[str, Any], budget: int) -> str:
    prompt = event.get("prompt")
    if not isinstance(prompt, str) or len(prompt.strip()) < MIN_PROMPT_CHARS:
        return ""
    task = prompt.strip()[:PROMPT_CHARS]
    from spark_memory.cli.served import Served, Unreachable, find_server

    key = os.environ.get(API_KEY_ENV, "").strip()
    if obj.server is not None:  # `spark --server URL hook ...`: that server or nothing
        return _served_advice(Served(obj.server, key), task, budget) if key else ""
    settings = obj.settings
    if not settings.database_url and not settings.db_path.is_file():
        return ""  # no store here: a hook must not create one
    served = find_server(settings.home, os.environ)
    if served is not None:
        try:
            return _served_advice(served, task, budget)
        except Unreachable:
            pass  # a server that died without removing server.json: answer locally
    from spark_memory.coach.render import render
    from spark_memory.requests import RecommendBody

    request = RecommendBody.given(task=task, budget_tokens=budget, mode="extractive")
    local = obj.spark.recommend(request)
    return render(local) if local.citations else ""


def _served_advice(served: Served, task: str, budget: int) -> str:
    from spark_memory.cli.advice_text import render_json

    body = {"task": task, "budget_tokens": budget, "mode": "extractive"}
    rec = served.post("/recommend", body, timeout=SERVER_TIMEOUT)
    return render_json(rec) if rec.get("citations") else ""


def _stop_answer(agent: str, event: dict[str, Any]) -> dict[str, str] | None:
    if agent == "cursor":
        if event.get("loop_count") or event.get("status", "completed") != "completed":
            return None
    elif event.get("stop_hook_active"):
        return None  # this stop already follows our reminder
    if not _advice_unrecorded(event.get("transcript_path")):
        return None
    reason = _reminder()
    return (
        {"followup_message": reason}
        if agent == "cursor"
        else {"decision": "block", "reason": reason}
    )


def _advice_unrecorded(transcript: object) -> bool:
    """Whether the transcript's last Spark advice came after its last recorded outcome."""
    if not isinstance(transcript, str) or not transcript:
        return False
    path = Path(transcript)
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - TRANSCRIPT_TAIL))
        text = handle.read().decode("utf-8", "replace")
    advised = recorded = -1
    for number, line in enumerate(text.splitlines()):
        if HEADER in line:
            advised = number
        for call in _calls(_json_or_none(line)):
            if any(mark in call for mark in RECORD_MARKS):
                recorded = number
            elif any(mark in call for mark in ADVICE_MARKS):
                advised = number
    return advised >= 0 and advised > recorded


def _json_or_none(line: str) -> object:
    try:
        return json.loads(line)
    except ValueError:  # the tail's cut first line, or a line that is not JSON
        return None


def _calls(node: object) -> list[str]:
    """Each tool call inside a transcript entry, as its JSON text."""
    if isinstance(node, list):
        return [call for item in node for call in _calls(item)]
    if not isinstance(node, dict):
        return []
    if node.get("type") in CALL_TYPES:
        return [json.dumps(node)]
    return [call for value in node.values() for call in _calls(value)]


def _reminder() -> str:
    spark = spark_executable()
    return (
        "Spark gave advice in this session and how it worked out is not recorded yet. "
        f"If you changed or ran code, record the outcome: run the tests with `{spark} run -- "
        "<test command>`, or call the `record_trace` tool (outcome passed, failed or error), "
        "and `share_feedback` on advice that was wrong or irrelevant. If nothing was tried, "
        "just stop."
    )
