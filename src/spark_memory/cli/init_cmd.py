"""`spark init claude-code|cursor|codex`: connect a coding agent to Spark in one command.

It writes (or, with ``--print``, shows) in the project folder:

- the agent's MCP server entry: the absolute path of this `spark` running ``mcp`` over
  stdio on this store, or, with ``--server URL``, the server's ``/mcp`` endpoint with
  the key taken from ``$SPARK_API_KEY`` at run time (never written to a file);
- an instruction block in the agent's rules file saying when to call which tool, and
  to run tests through `spark run` (by absolute path), so experience is captured
  without being asked;
- with ``--hooks``, the agent's hooks: advice for each prompt, and a reminder on stop
  to record the outcome (see cli/hook_cmd.py).

Agents start these commands from their own environment, not the user's shell: a
GUI-started Cursor has no virtual environment on PATH, and Codex gives MCP servers a
minimal environment. So every entry names `spark` by absolute path and carries the
store's location (``SPARK_HOME``, ``SPARK_DATABASE_URL``); a database URL holding a
password is passed by variable reference instead, like an API key.

All edits are idempotent: Spark's entries and the marked block are replaced in place,
everything else in those files is kept.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from spark_memory.cli.context import API_KEY_ENV, CliContext
from spark_memory.cli.executable import spark_executable
from spark_memory.service.sessions import SESSION_HEADER, local_session

BEGIN, END = "<!-- spark:begin -->", "<!-- spark:end -->"
AGENTS = ("claude-code", "cursor", "codex")
DATABASE_ENV = "SPARK_DATABASE_URL"
HOOK_MARK = " hook "  # in a hook command line: which hook entries are Spark's


@dataclass(frozen=True)
class Edit:
    path: Path
    text: str  # the whole new file


@dataclass(frozen=True)
class Setup:
    """What every file of one `spark init` shares."""

    agent: str
    project: Path
    spark: str  # absolute path of the `spark` to run
    home: Path
    database_url: str
    server: str | None
    session: str

    @property
    def database_is_secret(self) -> bool:
        return bool(self.database_url) and urlsplit(self.database_url).password is not None

    def store_env(self) -> dict[str, str]:
        """Environment of a local `spark mcp`: where the store is (secrets by reference)."""
        env = {"SPARK_SESSION": self.session, "SPARK_HOME": str(self.home)}
        if self.database_url and not self.database_is_secret:
            env[DATABASE_ENV] = self.database_url
        elif self.database_url and self.agent == "claude-code":
            env[DATABASE_ENV] = "${" + DATABASE_ENV + "}"
        elif self.database_url and self.agent == "cursor":
            env[DATABASE_ENV] = "${env:" + DATABASE_ENV + "}"
        return env  # Codex: env_vars passes the variable through (see _codex_table)

    def hook_command(self, event: str) -> str:
        where = ["--server", self.server] if self.server else ["--home", str(self.home)]
        words = [self.spark, *where, "hook", event, "--agent", self.agent]
        prefix = ""
        if self.database_url and not self.database_is_secret:
            prefix = f"{DATABASE_ENV}={shlex.quote(self.database_url)} "
        return prefix + shlex.join(words)


def instructions(setup: Setup) -> str:
    where = f" --server {setup.server}" if setup.server else ""
    run = f"{setup.spark}{where} run --"
    return f"""{BEGIN}
## Spark: shared memory for this project (MCP server "spark")
- Before writing code that uses a library, call `recommend` with the task and the
  versions you have installed. Read a cited source in full with `get_memory`.
- When a command fails with an error, call `recommend` again with the error text and code.
- Run tests and builds through Spark: `{run} <command>` (for example
  `{run} pytest -x`). It records the outcome and credits the advice you followed.
- After a non-obvious fix, save the lesson with `create_memory` (content, the failing code,
  the error, the fix). Never put secrets in it.
- Advice that was wrong or irrelevant: say so with `share_feedback`.
{END}
"""


def mcp_entry(setup: Setup) -> dict[str, Any]:
    if setup.server is None:
        return {"command": setup.spark, "args": ["mcp"], "env": setup.store_env()}
    url = setup.server.rstrip("/") + "/mcp"
    if setup.agent == "cursor":
        auth = "Bearer ${env:" + API_KEY_ENV + "}"
        return {"url": url, "headers": {"Authorization": auth, SESSION_HEADER: setup.session}}
    auth = "Bearer ${" + API_KEY_ENV + "}"
    headers = {"Authorization": auth, SESSION_HEADER: setup.session}
    return {"type": "http", "url": url, "headers": headers}


def plan(setup: Setup, hooks: bool = False) -> list[Edit]:
    """The files `spark init` would write, with their new contents."""
    project, block = setup.project, instructions(setup)
    if setup.agent == "claude-code":
        edits = [
            Edit(project / ".mcp.json", _json_with(project / ".mcp.json", setup)),
            Edit(project / "CLAUDE.md", _with_block(project / "CLAUDE.md", block)),
        ]
        if hooks:  # local settings: the hook lines hold this machine's paths
            path = project / ".claude" / "settings.local.json"
            edits.append(Edit(path, _claude_hooks(path, setup)))
        return edits
    if setup.agent == "cursor":
        config = project / ".cursor" / "mcp.json"
        rules = project / ".cursor" / "rules" / "spark.mdc"
        front = "---\ndescription: When to use the Spark MCP tools\nalwaysApply: true\n---\n"
        edits = [Edit(config, _json_with(config, setup)), Edit(rules, front + block)]
        if hooks:
            path = project / ".cursor" / "hooks.json"
            edits.append(Edit(path, _cursor_hooks(path, setup)))
        return edits
    config = project / ".codex" / "config.toml"
    edits = [
        Edit(config, _toml_with(config, setup)),
        Edit(project / "AGENTS.md", _with_block(project / "AGENTS.md", block)),
    ]
    if hooks:
        path = project / ".codex" / "hooks.json"
        edits.append(Edit(path, _claude_hooks(path, setup)))  # Codex reads Claude's format
    return edits


def next_steps(setup: Setup, hooks: bool) -> list[str]:
    """What the user still has to do in the agent itself."""
    steps = []
    if setup.agent == "claude-code":
        steps.append(
            "Claude Code: start `claude` in this folder and approve the project MCP server "
            '"spark" when asked (`claude mcp list` shows whether it connects).'
        )
    elif setup.agent == "codex":
        steps.append(
            "Codex: it reads .codex/ only in trusted projects; trust this folder when Codex "
            "asks (`codex mcp list` shows the server)."
        )
        if hooks:
            steps.append("Codex: review and trust the new hooks with /hooks.")
    else:
        steps.append('Cursor: enable the "spark" server under Settings > MCP.')
        if hooks:
            steps.append(
                "Cursor hooks cannot add text to a prompt, so only the stop reminder is installed."
            )
    if setup.server:
        steps.append(f"The agent needs {API_KEY_ENV} in its environment.")
    if setup.database_is_secret:
        steps.append(
            f"The database URL holds a password, so it is passed as ${DATABASE_ENV}: the "
            "agent needs it in its environment."
        )
    return steps


@click.command("init")
@click.argument("agent", type=click.Choice(AGENTS))
@click.option("--server", default=None, metavar="URL", help="A `spark serve` to connect to.")
@click.option(
    "--dir",
    "project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="The project folder (default: the current one).",
)
@click.option(
    "--hooks",
    is_flag=True,
    help="Also install hooks: advice on each prompt, a reminder to record outcomes on stop.",
)
@click.option("--print", "show", is_flag=True, help="Print the files instead of writing them.")
@click.pass_context
def init(
    ctx: click.Context, agent: str, server: str | None, project: Path, hooks: bool, show: bool
) -> None:
    """Set up AGENT to use Spark: its MCP entry and a rules block on when to call which tool."""
    obj = ctx.find_object(CliContext)
    server = server or (obj.server if obj is not None else None)
    settings = (obj or CliContext()).settings
    setup = Setup(
        agent=agent,
        project=project.resolve(),
        spark=spark_executable(),
        home=settings.home.expanduser().resolve(),
        database_url=settings.database_url,
        server=server,
        session=local_session(os.environ, project.resolve()),
    )
    edits = plan(setup, hooks)
    for edit in edits:
        if show:
            click.echo(f"--- {edit.path}\n{edit.text}")
        else:
            edit.path.parent.mkdir(parents=True, exist_ok=True)
            edit.path.write_text(edit.text, "utf-8")
            click.echo(f"wrote {edit.path}")
    if not show:
        click.echo("\nStill to do:", err=True)
        for step in next_steps(setup, hooks):
            click.echo(f"- {step}", err=True)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8") or "{}")
    except json.JSONDecodeError as exc:
        # Never overwrite a config we cannot read: it is the user's.
        raise click.ClickException(f"{path} is not valid JSON ({exc}); fix it first") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} does not hold a JSON object")
    return data


def _json_with(path: Path, setup: Setup) -> str:
    data = _read_json(path)
    servers = data.setdefault("mcpServers", {})
    servers["spark"] = mcp_entry(setup)
    return json.dumps(data, indent=2) + "\n"


def _claude_hooks(path: Path, setup: Setup) -> str:
    """Claude Code's (and Codex's) hooks: event -> [{"hooks": [{"type", "command"}]}]."""
    data = _read_json(path)
    events = data.setdefault("hooks", {})
    for event, which in (("UserPromptSubmit", "prompt"), ("Stop", "stop")):
        groups = [g for g in events.get(event, []) if not _is_ours(g.get("hooks", []))]
        command = {"type": "command", "command": setup.hook_command(which), "timeout": 30}
        events[event] = [*groups, {"hooks": [command]}]
    return json.dumps(data, indent=2) + "\n"


def _cursor_hooks(path: Path, setup: Setup) -> str:
    """Cursor's hooks: version 1, event -> [{"command"}]; its prompt hook cannot add text."""
    data = _read_json(path)
    data.setdefault("version", 1)
    events = data.setdefault("hooks", {})
    kept = [h for h in events.get("stop", []) if not _is_ours([h])]
    events["stop"] = [*kept, {"command": setup.hook_command("stop"), "loop_limit": 1}]
    return json.dumps(data, indent=2) + "\n"


def _is_ours(hooks: list[Mapping[str, Any]]) -> bool:
    return any(
        HOOK_MARK in str(h.get("command", "")) and "--agent" in str(h.get("command", ""))
        for h in hooks
    )


def _with_block(path: Path, block: str) -> str:
    text = path.read_text("utf-8") if path.is_file() else ""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return (text.rstrip("\n") + "\n\n" if text.strip() else "") + block


_TOML_TABLE = re.compile(r"^\s*\[")


def _toml_with(path: Path, setup: Setup) -> str:
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    kept: list[str] = []
    inside = False
    for line in lines:
        if _TOML_TABLE.match(line):
            name = line.strip().strip("[]").strip()
            inside = name == "mcp_servers.spark" or name.startswith("mcp_servers.spark.")
        if not inside:
            kept.append(line)
    body = "\n".join(kept).rstrip("\n")
    return (body + "\n\n" if body else "") + _codex_table(setup)


def _toml_inline(values: Mapping[str, str]) -> str:
    # JSON string literals are valid TOML basic strings: quotes and escapes included.
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in values.items()) + " }"


def _codex_table(setup: Setup) -> str:
    if setup.server is None:
        # `required`: Codex leaves out the tools of an optional server that has not
        # started within about a second, and `spark mcp` takes longer than that.
        lines = [
            "[mcp_servers.spark]",
            f"command = {json.dumps(setup.spark)}",
            'args = ["mcp"]',
            "required = true",
            "startup_timeout_sec = 60",
            f"env = {_toml_inline(setup.store_env())}",
        ]
        if setup.database_is_secret:
            lines.append(f'env_vars = ["{DATABASE_ENV}"]')
        return "\n".join(lines) + "\n"
    url = json.dumps(setup.server.rstrip("/") + "/mcp")
    return (
        f'[mcp_servers.spark]\nurl = {url}\nbearer_token_env_var = "{API_KEY_ENV}"\n'
        f"http_headers = {_toml_inline({SESSION_HEADER: setup.session})}\n"
    )
