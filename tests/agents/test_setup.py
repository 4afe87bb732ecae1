"""`spark init` as the real agents read it: from a shell without Spark's virtual
environment on PATH, each agent starts the entry and reaches the configured store,
and Claude Code's prompt hook puts Spark's advice in front of its model.

The approvals a user gives in the agent (Claude Code's project server and folder
trust, Codex's project trust) are written into the agents' own files here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from spark_memory.cli.hook_cmd import HEADER
from tests.agents.agents import (
    BARE_PATH,
    SPARK,
    claude_env,
    codex_env,
    codex_home,
    run_claude,
    run_codex,
    trust_codex_hooks,
)
from tests.agents.conftest import API, GUIDANCE, TASK, Seeded
from tests.agents.peers import AnthropicPeer, ResponsesPeer, ToolCall

pytestmark = pytest.mark.slow
NO_TOOL = ToolCall("no_such_tool", {})  # the scripted model answers without a tool call


def spark_init(project: Path, seeded: Seeded, agent: str, *args: str) -> str:
    """Run the installed `spark init` as a user would, on the seeded store."""
    project.mkdir(exist_ok=True)
    (project / ".git").mkdir(exist_ok=True)  # a project root, as agents expect
    env = {"PATH": BARE_PATH, "HOME": str(project.parent), "SPARK_HOME": str(seeded.home)}
    done = subprocess.run(
        [SPARK, "init", agent, "--dir", str(project), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def approve_in_claude_code(project: Path, home: Path) -> None:
    """What the user does on first start: trust the folder, approve the "spark" server."""
    state = home / ".claude.json"
    data = json.loads(state.read_text()) if state.exists() else {}
    data.setdefault("projects", {})[str(project)] = {"hasTrustDialogAccepted": True}
    state.write_text(json.dumps(data))
    local = project / ".claude" / "settings.local.json"
    settings = json.loads(local.read_text()) if local.exists() else {}
    settings["enabledMcpjsonServers"] = ["spark"]
    local.parent.mkdir(exist_ok=True)
    local.write_text(json.dumps(settings))


def test_claude_code_connects_to_the_entry_from_a_bare_path(
    agents: Path, seeded: Seeded, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    said = spark_init(project, seeded, "claude-code")
    assert 'approve the project MCP server "spark"' in said
    approve_in_claude_code(project, tmp_path)
    env = claude_env(agents, tmp_path, "http://127.0.0.1:9")
    done = subprocess.run(
        [str(agents / "claude"), "mcp", "list"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("spark:")), "")
    assert SPARK in line, done.stdout + done.stderr
    assert "Connected" in line, done.stdout + done.stderr


def test_codex_lists_the_entry_and_it_reaches_the_configured_store(
    agents: Path, seeded: Seeded, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    said = spark_init(project, seeded, "codex")
    assert "trust this folder" in said
    with ResponsesPeer(ToolCall("recommend", {"task": TASK})) as peer:
        codex = codex_home(tmp_path / "codex", peer.base_url, trusted=project)
        env = codex_env(agents, tmp_path, codex)  # no SPARK_HOME: the entry carries it
        listed = subprocess.run(
            [str(agents / "codex"), "mcp", "list"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        row = next((x for x in listed.stdout.splitlines() if x.startswith("spark ")), "")
        assert SPARK in row, listed.stdout + listed.stderr
        assert "enabled" in row
        done = run_codex(agents, project, env, "Stack two frames.")
        assert done.returncode == 0, done.stdout + done.stderr
        sent = "\n".join(peer.tool_results())
    # The seeded lesson came back: Codex's `spark mcp` read the store of `spark init`,
    # not an empty ~/.spark under Codex's minimal environment.
    assert GUIDANCE in sent, sent
    assert API in sent


def test_claude_code_hooks_bring_advice_and_ask_for_the_outcome(
    agents: Path, seeded: Seeded, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    spark_init(project, seeded, "claude-code", "--hooks")
    approve_in_claude_code(project, tmp_path)
    with AnthropicPeer(NO_TOOL) as peer:
        env = claude_env(agents, tmp_path, peer.base_url)
        done = run_claude(agents, project, env, f"How do I {TASK}?")
        assert done.returncode == 0, done.stdout + done.stderr
        first = json.dumps(peer.requests[0]["messages"])
        sent = peer.everything_sent()
    # The prompt hook's advice is in the model's first request: nobody called a tool.
    assert HEADER in first, first
    assert API in first
    assert GUIDANCE in first
    assert not peer.tool_results()
    # The stop hook asked once for the outcome; the model got that as a new turn.
    assert "how it worked out is not recorded yet" in sent, sent[-3000:]


def test_codex_hooks_bring_advice_and_ask_for_the_outcome(
    agents: Path, seeded: Seeded, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    spark_init(project, seeded, "codex", "--hooks")
    with ResponsesPeer(NO_TOOL) as peer:
        codex = codex_home(tmp_path / "codex", peer.base_url, trusted=project)
        env = codex_env(agents, tmp_path, codex)
        trust_codex_hooks(agents, project, env)  # the user's review in /hooks
        done = run_codex(agents, project, env, f"How do I {TASK}?")
        assert done.returncode == 0, done.stdout + done.stderr
        first = json.dumps(peer.requests[0]["input"])
        sent = peer.everything_sent()
    assert HEADER in first, first[-3000:]
    assert API in first
    assert GUIDANCE in first
    assert not peer.tool_results()
    assert "how it worked out is not recorded yet" in sent
    assert len(peer.requests) == 2  # the reminder once, then the stop goes through
