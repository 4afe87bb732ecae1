"""Run the real Claude Code and Codex CLIs headless against a model peer on loopback.

The CLIs come from npm (``scripts/agents-setup`` installs the pinned versions into
``.agents/``). Each run gets its own HOME (so no user settings, credentials or MCP
entries leak in) and a PATH without Spark's virtual environment, as a fresh terminal
or a GUI-started agent would have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SPARK = str(Path(sys.executable).with_name("spark"))
AGENTS_ENV = "SPARK_AGENTS_BIN"
BARE_PATH = "/usr/bin:/bin"


def agents_bin() -> Path | None:
    """Where `claude`, `codex` and their Node live, or None when not installed."""
    where = Path(os.environ.get(AGENTS_ENV) or REPO / ".agents" / "node_modules" / ".bin")
    needed = ("claude", "codex", "node")
    return where if all((where / name).exists() for name in needed) else None


def claude_env(bin_dir: Path, home: Path, peer_url: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{bin_dir}:{BARE_PATH}",
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": peer_url,
        "ANTHROPIC_API_KEY": "sk-ant-loopback-peer",  # the peer checks nothing
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        # Claude Code defers MCP tools behind its ToolSearch tool; with it off, the
        # request lists them, so a one-turn scripted model can call one.
        "ENABLE_TOOL_SEARCH": "false",
        **extra,
    }


def run_claude(
    bin_dir: Path,
    cwd: Path,
    env: dict[str, str],
    prompt: str,
    *args: str,
) -> subprocess.CompletedProcess[str]:
    command = [str(bin_dir / "claude"), "-p", prompt, "--output-format", "text", *args]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def mcp_config(path: Path, home: Path) -> Path:
    """A Claude Code ``--mcp-config`` file starting `spark mcp` on the store at ``home``."""
    entry = {"command": SPARK, "args": ["mcp"], "env": {"SPARK_HOME": str(home)}}
    path.write_text(json.dumps({"mcpServers": {"spark": entry}}))
    return path


def codex_home(path: Path, peer_url: str, *, trusted: Path | None = None, mcp: str = "") -> Path:
    """A CODEX_HOME whose config sends the model's traffic to the peer.

    Model providers are read from CODEX_HOME only (a project's .codex/config.toml
    cannot set them); ``trusted`` marks a project whose own .codex/config.toml Codex
    then reads; ``mcp`` is extra TOML (an ``[mcp_servers.*]`` table).
    """
    path.mkdir(parents=True, exist_ok=True)
    lines = [
        'model = "gpt-5.1"',
        'model_provider = "peer"',
        'approval_policy = "never"',
        'sandbox_mode = "read-only"',
        "",
        "[model_providers.peer]",
        'name = "loopback peer"',
        f'base_url = "{peer_url}/v1"',
        'env_key = "PEER_API_KEY"',
        'wire_api = "responses"',
        "",
    ]
    if trusted is not None:
        lines += [f"[projects.{json.dumps(str(trusted))}]", 'trust_level = "trusted"', ""]
    (path / "config.toml").write_text("\n".join(lines) + mcp)
    return path


def codex_env(bin_dir: Path, home: Path, codex: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{bin_dir}:{BARE_PATH}",  # codex is a Node script; node is beside it
        "HOME": str(home),
        "CODEX_HOME": str(codex),
        "PEER_API_KEY": "loopback-peer",
        **extra,
    }


def run_codex(
    bin_dir: Path, cwd: Path, env: dict[str, str], prompt: str
) -> subprocess.CompletedProcess[str]:
    command = [str(bin_dir / "codex"), "exec", "--skip-git-repo-check", prompt]
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def trust_codex_hooks(bin_dir: Path, project: Path, env: dict[str, str]) -> None:
    """What a user's review in Codex's /hooks does: record each project hook as trusted.

    Codex runs a project's command hooks only once trusted, by a hash of the hook it
    computes itself; its app-server (JSON lines over stdio) lists the hooks with that
    hash, and the trust goes into CODEX_HOME/config.toml as ``[hooks.state."KEY"]``.
    """
    command = [str(bin_dir / "codex"), "app-server"]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.DEVNULL}
    with subprocess.Popen(command, cwd=project, env=env, text=True, **pipes) as server:
        stdin, stdout = server.stdin, server.stdout
        assert stdin is not None
        assert stdout is not None

        def call(n: int, method: str, params: dict[str, object]) -> Any:
            stdin.write(json.dumps({"id": n, "method": method, "params": params}) + "\n")
            stdin.flush()
            for line in stdout:
                message = json.loads(line)
                if message.get("id") == n:
                    return message["result"]
            raise RuntimeError(f"codex app-server ended before answering {method}")

        try:
            call(1, "initialize", {"clientInfo": {"name": "spark-tests", "version": "0"}})
            stdin.write(json.dumps({"method": "initialized"}) + "\n")
            listed = call(2, "hooks/list", {"cwds": [str(project)]})
        finally:
            server.terminate()
    hooks = [hook for entry in listed["data"] for hook in entry["hooks"]]
    config = Path(env["CODEX_HOME"]) / "config.toml"
    tables = [
        f"[hooks.state.{json.dumps(h['key'])}]\ntrusted_hash = {json.dumps(h['currentHash'])}\n"
        for h in hooks
    ]
    config.write_text(config.read_text() + "\n" + "\n".join(tables))
