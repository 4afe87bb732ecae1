"""What the real Claude Code and Codex CLIs send their model after a Spark tool call.

Both agents forward an MCP result's structured part instead of its text when a result
has both, which the MCP SDK's own client cannot show; so here the agents themselves,
from npm, talk to a scripted model peer on loopback, call `spark mcp` on a seeded
store, and the peer records what came back to the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agents.agents import (
    SPARK,
    claude_env,
    codex_env,
    codex_home,
    mcp_config,
    run_claude,
    run_codex,
)
from tests.agents.conftest import API, GUIDANCE, TASK, Seeded
from tests.agents.peers import FINAL_TEXT, AnthropicPeer, ModelPeer, ResponsesPeer, ToolCall

pytestmark = pytest.mark.slow


def calls(seeded: Seeded) -> dict[str, ToolCall]:
    return {
        "recommend": ToolCall("recommend", {"task": TASK}),
        "search": ToolCall("search", {"query": "zorbify_frames quaternion axis"}),
        "get_memory": ToolCall("get_memory", {"ids": [seeded.insight_id, seeded.snippet_id]}),
    }


def expected(tool: str) -> list[str]:
    """What the model must read from each tool: the advice, not ids."""
    if tool == "recommend":
        return [API, GUIDANCE]
    if tool == "search":  # a hit's summary: the signature and the first sentence
        return [API, "Stack frames along the quaternion axis and return one frame."]
    return [GUIDANCE, "Stack frames along the quaternion axis and return one frame."]


def assert_advice_reached(peer: ModelPeer, tool: str, output: str) -> None:
    results = peer.tool_results()
    assert results, f"the agent sent no tool result back; it said:\n{output}"
    sent = "\n".join(results)
    for text in expected(tool):
        assert text in sent, f"{text!r} did not reach the model; it read:\n{sent}"
    assert FINAL_TEXT in output


@pytest.mark.parametrize("tool", ["recommend", "search", "get_memory"])
def test_claude_code_gives_its_model_the_advice(
    agents: Path, seeded: Seeded, tmp_path: Path, tool: str
) -> None:
    config = mcp_config(tmp_path / "mcp.json", seeded.home)
    with AnthropicPeer(calls(seeded)[tool]) as peer:
        env = claude_env(agents, tmp_path, peer.base_url)
        done = run_claude(
            agents,
            tmp_path,
            env,
            "How do I stack two pandas frames?",
            "--mcp-config",
            str(config),
            "--strict-mcp-config",
            "--allowedTools",
            f"mcp__spark__{tool}",
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert_advice_reached(peer, tool, done.stdout)


@pytest.mark.parametrize("tool", ["recommend", "search", "get_memory"])
def test_codex_gives_its_model_the_advice(
    agents: Path, seeded: Seeded, tmp_path: Path, tool: str
) -> None:
    # Codex gives an optional MCP server about a second to start before it leaves its
    # tools out of the turn; `required` makes it wait (as `spark init codex` writes).
    table = (
        f'[mcp_servers.spark]\ncommand = {SPARK!r}\nargs = ["mcp"]\nrequired = true\n'
        f'env = {{ SPARK_HOME = "{seeded.home}" }}\n'
    )
    work = tmp_path / "work"
    work.mkdir()
    with ResponsesPeer(calls(seeded)[tool]) as peer:
        codex = codex_home(tmp_path / "codex", peer.base_url, mcp=table)
        done = run_codex(agents, work, codex_env(agents, tmp_path, codex), "Stack two frames.")
        assert done.returncode == 0, done.stdout + done.stderr
        assert_advice_reached(peer, tool, done.stdout)
