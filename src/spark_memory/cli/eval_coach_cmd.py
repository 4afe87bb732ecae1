"""`spark eval coach`: pass@1 of a model on DS-1000 with and without Spark's advice."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from spark_memory.cli.context import CliContext, pass_ctx
from spark_memory.cli.eval_options import data_dir_option, env_option, load_data, python_option
from spark_memory.cli.progress import progress_bar
from spark_memory.coach.models import Mode
from spark_memory.eval import environment
from spark_memory.eval.coach_prompt import ADVICE_BEGIN, ADVICE_INTRO, Condition, parse_conditions
from spark_memory.eval.coach_report import PIPELINE_TEST_BANNER, report_json, write_report
from spark_memory.eval.coach_run import CoachEval, CoachOptions, choose_problems
from spark_memory.eval.coach_stats import DEFAULT_RESAMPLES
from spark_memory.eval.ds1000 import LIBRARIES
from spark_memory.eval.execution import DEFAULT_TIMEOUT, HarnessOptions, check_python
from spark_memory.eval.judge import Judge
from spark_memory.eval.reporting import run_metadata
from spark_memory.providers.llm import OpenAIChat
from spark_memory.service import Spark

# Insights are counted per status for the report; far more than any store holds today.


def _conditions(_: click.Context, __: click.Parameter, value: str) -> tuple[Condition, ...]:
    try:
        return parse_conditions(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _api_key(variable: str | None, option: str) -> str:
    """The key named by ``--api-key-env``; naming a variable that is unset is an error."""
    if not variable:
        return ""
    key = os.environ.get(variable, "").strip()
    if not key:
        raise click.BadParameter(f"${variable} is not set", param_hint=option)
    return key


@click.command("coach")
@click.option(
    "--base-url", required=True, help="OpenAI-compatible API root, e.g. http://127.0.0.1:8000/v1."
)
@click.option("--model", required=True, help="Model name sent to the endpoint.")
@click.option("--api-key-env", metavar="VAR", help="Environment variable holding the API key.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds per model call.",
)
@click.option(
    "--conditions",
    "conditions",
    default="none,docs,experience,both",
    show_default=True,
    callback=_conditions,
    help="Comma-separated: none, docs, experience, both (none is always run).",
)
@click.option("--sample", type=click.IntRange(min=1), help="A seeded random sample of N problems.")
@click.option(
    "--seed", default=0, show_default=True, help="Seed of the sample and of the bootstrap."
)
@click.option(
    "--library",
    "libraries",
    multiple=True,
    type=click.Choice(LIBRARIES, case_sensitive=False),
    help="Only this library (repeatable).",
)
@click.option(
    "--problem",
    "problem_ids",
    multiple=True,
    type=click.IntRange(min=0),
    help="Only this problem id (repeatable).",
)
@click.option("--temperature", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    default=1024,
    show_default=True,
    help="Completion tokens per answer.",
)
@click.option(
    "--budget",
    type=click.IntRange(150, 8000),
    default=800,
    show_default=True,
    help="Token budget of Spark's recommendation.",
)
@click.option(
    "--coach-mode",
    type=click.Choice([Mode.EXTRACTIVE.value, Mode.LLM.value]),
    default=Mode.EXTRACTIVE.value,
    show_default=True,
    help="How Spark writes its advice (llm uses Spark's own configured LLM).",
)
@click.option(
    "--judge", is_flag=True, help="Score code quality and advice helpfulness with an LLM judge."
)
@click.option("--judge-base-url", help="The judge's API root [default: --base-url].")
@click.option("--judge-model", help="The judge model [default: --model].")
@click.option(
    "--judge-api-key-env", metavar="VAR", help="The judge's key variable [default: --api-key-env]."
)
@click.option(
    "--pipeline-test",
    is_flag=True,
    help="Label the report a pipeline test: the endpoint is a scripted test server, no real model.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Model calls at once.",
)
@click.option(
    "--exec-workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Test programs run at once.",
)
@click.option(
    "--exec-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds per test program.",
)
@click.option(
    "--resamples",
    type=click.IntRange(min=100),
    default=DEFAULT_RESAMPLES,
    show_default=True,
    help="Bootstrap resamples.",
)
@env_option
@python_option
@data_dir_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/coach"),
    show_default=True,
    help="Folder for coach.json, coach.md and the plots.",
)
@pass_ctx
def coach_cmd(obj: CliContext, /, **opts: Any) -> None:
    """Generate DS-1000 solutions with a model, without and with Spark's advice, execute
    them and compare pass@1 on the same problems (plus cost, and optionally a judge)."""
    data = load_data(opts["data_dir"])
    problems, left_out = choose_problems(
        data.problems(),
        libraries=opts["libraries"],
        problem_ids=opts["problem_ids"],
        sample=opts["sample"],
        seed=opts["seed"],
    )
    chat = OpenAIChat(
        opts["base_url"],
        opts["model"],
        _api_key(opts["api_key_env"], "--api-key-env"),
        opts["timeout"],
    )
    conditions: tuple[Condition, ...] = opts["conditions"]
    spark = obj.local
    options = CoachOptions(
        conditions=conditions,
        max_tokens=opts["max_tokens"],
        temperature=opts["temperature"],
        budget_tokens=opts["budget"],
        coach_mode=Mode(opts["coach_mode"]),
        workers=opts["workers"],
    )
    harness = HarnessOptions(
        python=opts["python"]
        or environment.env_python(opts["env_dir"] or environment.default_path(spark.settings.home)),
        timeout=opts["exec_timeout"],
        workers=opts["exec_workers"],
    )
    check_python(harness.python)  # before any model call is paid for
    judge = _judge(opts) if opts["judge"] else None
    run = CoachEval(spark, chat, options, harness, judge)
    if opts["pipeline_test"]:
        click.echo(PIPELINE_TEST_BANNER, err=True)
    attempts = run.attempts(problems)
    with progress_bar("spark recommend") as update:
        run.advise(attempts, update)
    with progress_bar("model calls") as update:
        run.ask(attempts, update)
    with progress_bar("execution") as update:
        run.execute(attempts, update)
    if judge is not None:
        with progress_bar("judge") as update:
            run.score(attempts, update)
    meta = _metadata(spark, opts, options, harness, judge, len(problems), data.data_dir)
    data_json = report_json(
        attempts,
        conditions,
        meta,
        pipeline_test=opts["pipeline_test"],
        seed=opts["seed"],
        resamples=opts["resamples"],
        left_out=left_out,
    )
    summary = write_report(data_json, opts["out_dir"])
    click.echo(summary.read_text("utf-8").split("![pass@1")[0])
    click.echo(f"report: {summary}")


def _judge(opts: dict[str, Any]) -> Judge:
    key_env = opts["judge_api_key_env"] or opts["api_key_env"]
    chat = OpenAIChat(
        opts["judge_base_url"] or opts["base_url"],
        opts["judge_model"] or opts["model"],
        _api_key(key_env, "--judge-api-key-env"),
        opts["timeout"],
    )
    return Judge(chat)


def _metadata(
    spark: Spark,
    opts: dict[str, Any],
    options: CoachOptions,
    harness: HarnessOptions,
    judge: Judge | None,
    problems: int,
    data_dir: Path,
) -> dict[str, Any]:
    stats = spark.stats()
    return run_metadata(
        benchmark="coach",
        pipeline_test=opts["pipeline_test"],
        seed=opts["seed"],
        sample=opts["sample"],
        libraries=list(opts["libraries"]),
        problem_ids=list(opts["problem_ids"]),
        model={
            "name": opts["model"],
            "base_url": opts["base_url"],  # never the key
            "temperature": options.temperature,
            "max_tokens": options.max_tokens,
            "timeout_s": opts["timeout"],
            "workers": options.workers,
        },
        judge={"name": judge.model_name, "base_url": opts["judge_base_url"] or opts["base_url"]}
        if judge
        else None,
        prompt={
            "advice_intro": ADVICE_INTRO,
            "fence": ADVICE_BEGIN,
            "messages": "one user message",
        },
        spark={
            "coach_mode": options.coach_mode.value,
            "budget_tokens": options.budget_tokens,
            "embedder": spark.embedder.model_name,
        },
        knowledge_base=[vars(s) for s in stats.libraries],
        insights=spark.insight_counts(),
        embedding_space=vars(stats.embedding) if stats.embedding else None,
        bootstrap={"resamples": opts["resamples"], "seed": opts["seed"], "level": 0.95},
        harness={
            "python": str(harness.python),
            "timeout_s": harness.timeout,
            "workers": harness.workers,
        },
        data_dir=str(data_dir),
        problems=problems,
    )
