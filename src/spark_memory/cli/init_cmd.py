"""`spark init claude-code|cursor|codex`: connect a coding agent to Spark in one command.

It writes (or, with ``--print``, shows) two things in the project folder:

- the agent's MCP server entry: `spark mcp` over stdio for the local store, or, with
  ``--server URL``, the server's ``/mcp`` endpoint with the key taken from
  ``$SPARK_API_KEY`` at run time (the secret itself is never written to a file);
- an instruction block in the agent's rules file saying when to call which tool, and
  to run tests through `spark run`, so experience is captured without being asked.

Both edits are idempotent: the ``spark`` entry and the marked block are replaced in
place, everything else in those files is kept.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from spark_memory.cli.context import API_KEY_ENV
from spark_memory.service.sessions import SESSION_HEADER, local_session

BEGIN, END = "<!-- spark:begin -->", "<!-- spark:end -->"
AGENTS = ("claude-code", "cursor", "codex")


@dataclass(frozen=True)
class Edit:
    path: Path
    text: str  # the whole new file


def instructions(server: str | None) -> str:
    run = f"spark --server {server} run --" if server else "spark run --"
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


def mcp_entry(agent: str, server: str | None, session: str) -> dict[str, Any]:
    if server is None:
        return {"command": "spark", "args": ["mcp"], "env": {"SPARK_SESSION": session}}
    url = server.rstrip("/") + "/mcp"
    if agent == "cursor":
        auth = "Bearer ${env:" + API_KEY_ENV + "}"
        return {"url": url, "headers": {"Authorization": auth, SESSION_HEADER: session}}
    auth = "Bearer ${" + API_KEY_ENV + "}"
    return {"type": "http", "url": url, "headers": {"Authorization": auth, SESSION_HEADER: session}}


def plan(agent: str, project: Path, server: str | None) -> list[Edit]:
    """The files `spark init` would write for ``agent``, with their new contents."""
    session = local_session(os.environ, project)
    block = instructions(server)
    if agent == "claude-code":
        return [
            Edit(project / ".mcp.json", _json_with(project / ".mcp.json", agent, server, session)),
            Edit(project / "CLAUDE.md", _with_block(project / "CLAUDE.md", block)),
        ]
    if agent == "cursor":
        config = project / ".cursor" / "mcp.json"
        rules = project / ".cursor" / "rules" / "spark.mdc"
        front = "---\ndescription: When to use the Spark MCP tools\nalwaysApply: true\n---\n"
        return [
            Edit(config, _json_with(config, agent, server, session)),
            Edit(rules, front + block),
        ]
    config = project / ".codex" / "config.toml"
    return [
        Edit(config, _toml_with(config, server, session)),
        Edit(project / "AGENTS.md", _with_block(project / "AGENTS.md", block)),
    ]


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
@click.option("--print", "show", is_flag=True, help="Print the files instead of writing them.")
@click.pass_context
def init(ctx: click.Context, agent: str, server: str | None, project: Path, show: bool) -> None:
    """Set up AGENT to use Spark: its MCP entry and a rules block on when to call which tool."""
    server = server or getattr(ctx.obj, "server", None)
    edits = plan(agent, project.resolve(), server)
    for edit in edits:
        if show:
            click.echo(f"--- {edit.path}\n{edit.text}")
        else:
            edit.path.parent.mkdir(parents=True, exist_ok=True)
            edit.path.write_text(edit.text, "utf-8")
            click.echo(f"wrote {edit.path}")
    if server and not show:
        click.echo(f"The agent needs {API_KEY_ENV} in its environment.", err=True)
    if agent == "codex" and not show:
        click.echo("Codex reads .codex/config.toml in trusted projects.", err=True)


def _json_with(path: Path, agent: str, server: str | None, session: str) -> str:
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text("utf-8") or "{}")
        except json.JSONDecodeError as exc:
            # Never overwrite a config we cannot read: it is the user's.
            raise click.ClickException(f"{path} is not valid JSON ({exc}); fix it first") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} does not hold a JSON object")
    servers = data.setdefault("mcpServers", {})
    servers["spark"] = mcp_entry(agent, server, session)
    return json.dumps(data, indent=2) + "\n"


def _with_block(path: Path, block: str) -> str:
    text = path.read_text("utf-8") if path.is_file() else ""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return (text.rstrip("\n") + "\n\n" if text.strip() else "") + block


_TOML_TABLE = re.compile(r"^\s*\[")


def _toml_with(path: Path, server: str | None, session: str) -> str:
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
    return (body + "\n\n" if body else "") + _codex_table(server, session)


def _codex_table(server: str | None, session: str) -> str:
    # JSON string literals are valid TOML basic strings: quotes and escapes included.
    name = json.dumps(session)
    if server is None:
        return (
            '[mcp_servers.spark]\ncommand = "spark"\nargs = ["mcp"]\n'
            f"env = {{ SPARK_SESSION = {name} }}\n"
        )
    url = json.dumps(server.rstrip("/") + "/mcp")
    return (
        f'[mcp_servers.spark]\nurl = {url}\nbearer_token_env_var = "{API_KEY_ENV}"\n'
        f'http_headers = {{ "{SESSION_HEADER}" = {name} }}\n'
    )
