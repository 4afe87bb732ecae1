"""`spark init`: each agent's MCP entry and rules block, written idempotently or printed."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from spark_memory.cli.init_cmd import AGENTS, BEGIN, END
from spark_memory.cli.main import cli

SPARK = str(Path(sys.executable).with_name("spark"))


def init(project: Path, *args: str, **env: str) -> Result:
    environ = {"SPARK_SESSION": "", "SPARK_HOME": str(project / "home"), **env}
    result = CliRunner().invoke(cli, ["init", *args, "--dir", str(project)], env=environ)
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
    assert spark["command"] == SPARK  # absolute: found from any shell
    assert spark["args"] == ["mcp"]
    assert spark["env"]["SPARK_SESSION"]
    assert spark["env"]["SPARK_HOME"] == str((tmp_path / "home").resolve())
    assert rules.startswith("# My project")
    assert rules.count(BEGIN) == 1
    assert rules.count(END) == 1
    assert "`recommend`" in rules
    assert f"{SPARK} run -- pytest -x" in rules


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
    assert f"{SPARK} --server http://spark.example:8765 run --" in rules


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


def test_codex_entry_carries_the_store_and_waits_for_it(tmp_path: Path) -> None:
    url = "postgresql://spark@db.example:5432/spark"
    init(tmp_path, "codex", SPARK_DATABASE_URL=url)
    spark = tomllib.loads((tmp_path / ".codex" / "config.toml").read_text())["mcp_servers"]["spark"]
    assert spark["command"] == SPARK
    assert spark["env"]["SPARK_HOME"] == str((tmp_path / "home").resolve())
    assert spark["env"]["SPARK_DATABASE_URL"] == url
    assert spark["required"] is True  # Codex drops a server's tools if it starts slowly
    assert "env_vars" not in spark


def test_a_database_password_is_passed_by_reference(tmp_path: Path) -> None:
    url = "postgresql://spark:s3cret@db.example:5432/spark"
    outputs = [init(tmp_path, agent, SPARK_DATABASE_URL=url).output for agent in AGENTS]
    claude = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]["spark"]
    cursor = json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]["spark"]
    codex = tomllib.loads((tmp_path / ".codex" / "config.toml").read_text())["mcp_servers"]
    assert claude["env"]["SPARK_DATABASE_URL"] == "${SPARK_DATABASE_URL}"
    assert cursor["env"]["SPARK_DATABASE_URL"] == "${env:SPARK_DATABASE_URL}"
    assert codex["spark"]["env_vars"] == ["SPARK_DATABASE_URL"]
    assert "SPARK_DATABASE_URL" not in codex["spark"]["env"]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert "s3cret" not in path.read_text(), path
    assert all("passed as $SPARK_DATABASE_URL" in out for out in outputs)


def test_cursor_files_have_the_formats_cursor_reads(tmp_path: Path) -> None:
    # Cursor has no headless mode to drive, so its files are checked by format.
    init(tmp_path, "cursor", "--hooks")
    config = json.loads((tmp_path / ".cursor" / "mcp.json").read_text())
    assert set(config) == {"mcpServers"}
    spark = config["mcpServers"]["spark"]
    assert spark == {"command": SPARK, "args": ["mcp"], "env": spark["env"]}
    assert all(isinstance(v, str) for v in spark["env"].values())
    rules = (tmp_path / ".cursor" / "rules" / "spark.mdc").read_text()
    front, body = rules.split("---\n", 2)[1:]
    assert "alwaysApply: true" in front
    assert body.startswith(BEGIN)
    hooks = json.loads((tmp_path / ".cursor" / "hooks.json").read_text())
    assert hooks["version"] == 1
    assert set(hooks["hooks"]) == {"stop"}  # Cursor's prompt hook cannot add context
    (stop,) = hooks["hooks"]["stop"]
    assert stop["command"].startswith(SPARK)
    assert "hook stop --agent cursor" in stop["command"]


def test_hooks_are_off_unless_asked_and_merge_with_the_users(tmp_path: Path) -> None:
    init(tmp_path, "claude-code")
    settings = tmp_path / ".claude" / "settings.local.json"
    assert not settings.exists()
    theirs = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}}
    settings.parent.mkdir()
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash(ls)"]}, **theirs}))
    init(tmp_path, "claude-code", "--hooks")
    init(tmp_path, "claude-code", "--hooks")  # twice: still one of each
    data = json.loads(settings.read_text())
    assert data["permissions"] == {"allow": ["Bash(ls)"]}
    prompt = data["hooks"]["UserPromptSubmit"]
    assert len(prompt) == 1
    assert prompt[0]["hooks"][0]["command"].startswith(f"{SPARK} --home ")
    assert prompt[0]["hooks"][0]["command"].endswith("hook prompt --agent claude-code")
    stops = [h["command"] for g in data["hooks"]["Stop"] for h in g["hooks"]]
    assert stops[0] == "notify-send done"
    assert len(stops) == 2
    assert stops[1].endswith("hook stop --agent claude-code")


def test_codex_hooks_use_claude_codes_format(tmp_path: Path) -> None:
    result = init(tmp_path, "codex", "--hooks")
    data = json.loads((tmp_path / ".codex" / "hooks.json").read_text())
    assert set(data["hooks"]) == {"UserPromptSubmit", "Stop"}
    assert (
        "hook prompt --agent codex" in data["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"]
    )
    assert "trust the new hooks" in result.output


@pytest.mark.parametrize(
    ("agent", "step"),
    [
        ("claude-code", 'approve the project MCP server "spark"'),
        ("codex", "trust this folder"),
        ("cursor", "Settings > MCP"),
    ],
)
def test_init_ends_with_what_the_agent_still_needs(tmp_path: Path, agent: str, step: str) -> None:
    assert step in init(tmp_path, agent).output


def test_hooks_for_a_remote_server_ask_that_server(tmp_path: Path) -> None:
    init(tmp_path, "claude-code", "--server", "http://spark.example:8765", "--hooks")
    data = json.loads((tmp_path / ".claude" / "settings.local.json").read_text())
    command = data["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"]
    assert command == f"{SPARK} --server http://spark.example:8765 hook prompt --agent claude-code"
