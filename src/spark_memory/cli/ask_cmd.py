"""``spark ask``: the coach's recommendation for a task, readable or as JSON."""

from __future__ import annotations

from pathlib import Path

import click

from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.coach.models import DEFAULT_BUDGET_TOKENS, Mode, Recommendation
from spark_memory.coach.render import render
from spark_memory.errors import InvalidInput, PayloadTooLarge
from spark_memory.models import MAX_TEXT_CHARS


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
    default=DEFAULT_BUDGET_TOKENS,
    show_default=True,
    help="Most tokens the recommendation may take.",
)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.AUTO.value,
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
    rec = obj.spark.recommend(
        task,
        code=_read_code(code_file),
        error=error,
        environment=_packages(environment),
        budget_tokens=budget,
        mode=mode,
    )
    if as_json:
        emit_json(rec.model_dump(mode="json"))
        return
    click.echo(render(rec))
    click.echo("")
    click.echo(_footer(rec))


def _read_code(path: Path | None) -> str:
    if path is None:
        return ""
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


def _footer(rec: Recommendation) -> str:
    intent = rec.intent
    libs = ", ".join(f"{lib} {intent.versions.get(lib, '')}".strip() for lib in intent.libraries)
    lines = [f"intent: {intent.task_kind.value}; libraries: {libs or 'none detected'}"]
    for lib, others in intent.lookalikes.items():
        lines.append(f"  not to be confused with {lib}: {', '.join(others)}")
    if intent.error_signature:
        lines.append(f"  error signature: {intent.error_signature}")
    lines.append("queries: " + " | ".join(f"{q.purpose}: {q.text[:60]}" for q in rec.queries))
    model = f" ({rec.model})" if rec.model else ""
    usage = f"tokens: {rec.tokens.used}/{rec.tokens.budget}; mode: {rec.mode.value}{model}"
    if rec.tokens.llm_calls:
        usage += (
            f"; llm: {rec.tokens.llm_calls} call(s), {rec.tokens.llm_prompt} prompt"
            f" + {rec.tokens.llm_completion} completion tokens"
        )
    lines.append(usage)
    return "\n".join(lines)
