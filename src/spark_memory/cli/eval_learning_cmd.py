"""`spark eval learning`: experience from DS-1000 Origin problems, tested on their perturbations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from spark_memory.cli.context import CliContext, pass_ctx
from spark_memory.cli.eval_options import (
    data_dir_option,
    env_option,
    load_data,
    program_timeout_option,
)
from spark_memory.eval import environment
from spark_memory.eval.execution import DEFAULT_WORKERS, HarnessOptions
from spark_memory.eval.learning import SPLIT, LearningOptions, run_learning
from spark_memory.eval.learning_measure import VIA
from spark_memory.eval.learning_report import write_report
from spark_memory.eval.learning_traces import ExecutionCache
from spark_memory.eval.reporting import run_metadata
from spark_memory.providers.embedders import EMBEDDERS, make_embedder


@click.command("learning")
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    help="N Origin problems, libraries taken in turn [default: all 287 offline ones].",
)
@click.option("--seed", default=7, show_default=True, help="Seed of the sample.")
@click.option(
    "--via",
    type=click.Choice(VIA),
    default="recommend",
    show_default=True,
    help="Ask the perturbations through recommend (the coach) or plain search.",
)
@click.option(
    "--all-members", is_flag=True, help="All six member orgs ask (default: the first and last)."
)
@click.option(
    "--off-topic",
    is_flag=True,
    help="After curation, plant a handful of unrelated public lessons and ask again.",
)
@click.option(
    "--grown-pool",
    type=click.IntRange(min=0),
    default=0,
    help="After curation, plant N docstring-derived public lessons and ask again.",
)
@click.option(
    "--embedder",
    type=click.Choice(EMBEDDERS),
    help="Embedder of the temporary store [default: the configured one, MiniLM].",
)
@env_option
@click.option("--workers", type=click.IntRange(min=1), default=DEFAULT_WORKERS, show_default=True)
@program_timeout_option
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Verdict cache [default: $SPARK_HOME/eval-cache/learning-executions.json].",
)
@data_dir_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/learning"),
    show_default=True,
    help="Folder for learning.json, learning.md and the plots.",
)
@pass_ctx
def learning_cmd(
    obj: CliContext,
    sample: int | None,
    seed: int,
    via: str,
    all_members: bool,
    off_topic: bool,
    grown_pool: int,
    embedder: str | None,
    env_dir: Path | None,
    workers: int,
    timeout: float,
    cache_path: Path | None,
    data_dir: Path | None,
    out_dir: Path,
) -> None:
    """Before/after-curation hit@3 of lessons learned from DS-1000 Origin problems.

    The six models' answers to the Origin problems are executed in the pinned
    environment (verdicts cached) and recorded as six orgs' traces in a fresh
    temporary SQLite store (your own store is never read or written; it is deleted at
    the end). The Surface, Semantic and Difficult-Rewrite perturbations of the same
    problems are asked before and after one curation epoch. Curation is
    deterministic and recommend extractive, whatever LLM is configured.
    """
    settings = obj.settings
    if embedder:
        settings = replace(settings, embedder=embedder)
    data = load_data(data_dir)
    harness = HarnessOptions(
        python=environment.env_python(env_dir or environment.default_path(settings.home)),
        timeout=timeout,
        workers=workers,
    )
    cache = ExecutionCache(cache_path or settings.home / "eval-cache" / "learning-executions.json")
    options = LearningOptions(
        sample=sample,
        seed=seed,
        via=via,
        all_members=all_members,
        off_topic=off_topic,
        grown_pool=grown_pool,
    )
    meta = run_metadata(
        benchmark="learning",
        mode="sample" if sample else "full",
        sample=sample,
        seed=seed,
        split=SPLIT,
        embedder=make_embedder(settings).model_name,
        generaliser="deterministic (no LLM)",
        knowledge_base="temporary SQLite store, no documentation: only this run's traces"
        " and the insights curated from them",
        promotion_orgs=settings.promotion_orgs,
        eval_python=str(harness.python),
        data_dir=str(data.data_dir),
        verdict_cache=str(cache.path),
    )
    figures = run_learning(data, options, harness, cache, settings, _log)
    summary = write_report({"meta": meta, "via": via, **figures}, out_dir)
    click.echo(summary.read_text("utf-8").split("Run metadata")[0])
    click.echo(f"report: {summary}")


def _log(line: str) -> None:
    click.echo(f"learning: {line}", err=True)
