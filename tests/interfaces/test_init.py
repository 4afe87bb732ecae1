"""`spark init`: each agent's MCP entry and rules block, written idempotently or printed."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from spark_memory.cli.init_cmd import BEGIN, END
from spark_memory.cli.main import cli


def init(project: Path, *args: str) -> Result:
    result = CliRunner().invoke(
        cli, ["init", *args, "--dir", str(project)], env={"SPARK_SESSION": ""}
    )
    assert result.exit_code == 0, result.output
    return result


def test_claude_code_gets_a_stdio_entry_and_a_rules_block(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"other": {"command": "x"}}}))
    (tmp_path / "CLAUDE.md").write_text("# My project\n\nHouse rules.\n")
    init(tmp_path, "claude-code")
    init(tmp_path, "claude-code")  # twice: still one entry, one block
    config = json.loads((tmp_path / ".mcp.json").read_text())
    rules = (tmp_path / "CLAUDE.md").read_text()
    assert config["mcpServers"]["other"] == {"command": "x"}
    spark = config["mcpServers"]["spark"]
    assert spark["command"] == "spark"
    assert spark["args"] == ["mcp"]
    assert spark["env"]["SPARK_SESSION"]
    assert rules.startswith("# My project")
    assert rules.count(BEGIN) == 1
    assert rules.count(END) == 1
    assert "`recommend`" in rules
    assert "spark run -- pytest -x" in rules


def test_a_remote_server_entry_never_holds_the_secret(tmp_path: Path) -> None:
    init(tmp_path, "claude-code", "--server", "http://spark.example:8765")
    init(tmp_path, "cursor", "--server", "http://spark.example:8765")
    claude = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]["spark"]
    cursor = json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]["spark"]
    assert claude["url"] == "http://spark.example:8765/mcp"
    assert claude["headers"]["Authorization"] == "Bearer ${SPARK_API_KEY}"
    assert cursor["headers"]["Authorization"] == "Bearer ${env:SPARK_API_KEY}"
    assert claude["headers"]["X-Spark-Session"] == cursor["headers"]["X-Spark-Session"]
    rules = (tmp_path / ".cursor" / "rules" / "spark.mdc").read_text()
    assert rules.startswith("---\ndescription:")
    assert "spark --server http://spark.example:8765 run --" in rules


def test_codex_config_keeps_other_tables(tmp_path: Path) -> None:
    config = tmp_path / ".codex" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        'model = "o4"\n\n[mcp_servers.spark]\ncommand = "old"\n\n[mcp_servers.other]\ncommand = "x"\n'
    )
    init(tmp_path, "codex")
    init(tmp_path, "codex", "--server", "http://127.0.0.1:8765")
    data = tomllib.loads(config.read_text())
    assert data["model"] == "o4"
    assert data["mcp_servers"]["other"] == {"command": "x"}
    spark = data["mcp_servers"]["spark"]
    assert spark["url"] == "http://127.0.0.1:8765/mcp"
    assert spark["bearer_token_env_var"] == "SPARK_API_KEY"
    assert "command" not in spark
    assert "`create_memory`" in (tmp_path / "AGENTS.md").read_text()


def test_print_writes_nothing(tmp_path: Path) -> None:
    result = init(tmp_path, "cursor", "--print")
    assert '"spark"' in result.output
    assert BEGIN in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_config_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text("{broken")
    result = CliRunner().invoke(cli, ["init", "claude-code", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "not valid JSON" in result.output
    assert (tmp_path / ".mcp.json").read_text() == "{broken"


@pytest.mark.parametrize("agent", ["claude-code", "cursor", "codex"])
def test_every_agent_is_told_when_to_call_each_tool(tmp_path: Path, agent: str) -> None:
    output = init(tmp_path, agent, "--print").output
    for tool in ("recommend", "get_memory", "create_memory", "share_feedback"):
        assert f"`{tool}`" in output
    assert "spark run --" in output
