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
