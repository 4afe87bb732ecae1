"""``spark ask``: the coach's recommendation for a task, readable or as JSON.

It answers through a running `spark serve` when one is published in ``$SPARK_HOME``
(and ``$SPARK_API_KEY`` holds a key), otherwise from the local store. Input errors are
found before anything heavy loads, so they come back at once: the coach's own module
imports NumPy and pydantic, so its mode names and default budget are repeated here
(tests/cli/test_ask_cmd.py checks they agree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from spark_memory.cli.advice_text import render_json
from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.errors import InvalidInput, PayloadTooLarge

MODES = ("auto", "llm", "extractive")  # coach.models.Mode
DEFAULT_BUDGET = 800  # coach.models.DEFAULT_BUDGET_TOKENS


@click.command("ask")
@click.argument("task")
@click.option(
    "--code",
    "code_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file with the code the task is about.",
)
@click.option("--error", default="", help="The error message or traceback you got.")
@click.option(
    "--env", "environment", multiple=True, metavar="PKG=VER", help="An installed package."
)
@click.option(
    "--budget",
    default=DEFAULT_BUDGET,
    show_default=True,
    help="Most tokens the recommendation may take.",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="auto",
    show_default=True,
    help="llm needs an LLM configured; extractive never calls one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def ask(
    obj: CliContext,
    task: str,
    code_file: Path | None,
    error: str,
    environment: tuple[str, ...],
    budget: int,
    mode: str,
    as_json: bool,
) -> None:
    """Advice before you write code, or when you hit an error."""
    if not task.strip():
        raise click.BadParameter("the task is empty", param_hint="TASK")
    request = {
        "task": task,
        "code": _read_code(code_file),
        "error": error,
        "environment": _packages(environment),
        "budget_tokens": budget,
        "mode": mode,
    }
    rec = _recommend(obj, request)
    if as_json:
        emit_json(rec)
        return
    click.echo(render_json(rec))
    click.echo("")
    click.echo(_footer(rec))


def _recommend(obj: CliContext, request: dict[str, Any]) -> dict[str, Any]:
    served = obj.served
    if served is not None:
        answer = obj.through_server(lambda: served.post("/recommend", request))
        if isinstance(answer, dict):
            return answer
    from spark_memory.requests import RecommendBody  # pydantic: only on the local path

    rec = obj.spark.recommend(RecommendBody.given(**request))
    dumped: dict[str, Any] = rec.model_dump(mode="json")
    return dumped


def _read_code(path: Path | None) -> str:
    if path is None:
        return ""
    from spark_memory.models import MAX_TEXT_CHARS

    if path.stat().st_size > MAX_TEXT_CHARS * 4:  # cheap guard before reading a huge file
        raise PayloadTooLarge(f"{path} is too large; the limit is {MAX_TEXT_CHARS} characters")
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text") from exc


def _packages(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, version = item.partition("=")
        if not sep or not name.strip() or not version.strip():
            raise click.BadParameter(f"expected PKG=VERSION, got {item!r}", param_hint="--env")
        out[name.strip()] = version.strip()
    return out


def _footer(rec: dict[str, Any]) -> str:
    intent = rec.get("intent") or {}
    versions = intent.get("versions") or {}
    libs = ", ".join(
        f"{lib} {versions.get(lib, '')}".strip() for lib in intent.get("libraries") or []
    )
    kind = intent.get("task_kind", "general")
    lines = [f"intent: {kind}; libraries: {libs or 'none detected'}"]
    for lib, others in (intent.get("lookalikes") or {}).items():
        lines.append(f"  not to be confused with {lib}: {', '.join(others)}")
    if intent.get("error_signature"):
        lines.append(f"  error signature: {intent['error_signature']}")
    queries = rec.get("queries") or []
    lines.append("queries: " + " | ".join(f"{q['purpose']}: {q['text'][:60]}" for q in queries))
    tokens = rec.get("tokens") or {}
    model = f" ({rec['model']})" if rec.get("model") else ""
    usage = f"tokens: {tokens.get('used')}/{tokens.get('budget')}; mode: {rec.get('mode')}{model}"
    if tokens.get("llm_calls"):
        usage += (
            f"; llm: {tokens['llm_calls']} call(s), {tokens.get('llm_prompt', 0)} prompt"
            f" + {tokens.get('llm_completion', 0)} completion tokens"
        )
    lines.append(usage)
    return "\n".join(lines)
