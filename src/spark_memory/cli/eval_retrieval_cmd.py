"""`spark eval retrieval`: API recall of search and recommend on DS-1000."""

from __future__ import annotations

from pathlib import Path

import click

from spark_memory.cli.context import CliContext, pass_ctx
from spark_memory.cli.eval_options import data_dir_option, load_data
from spark_memory.cli.progress import progress_bar
from spark_memory.eval.learning_pool import OFF_TOPIC, plant, store_copy
from spark_memory.eval.reporting import run_metadata
from spark_memory.eval.retrieval import (
    RetrievalBench,
    RetrievalReport,
    choose_problems,
    knowledge_base,
    write_report,
)


@click.command("retrieval")
@click.option("--sample", type=click.IntRange(min=1), help="A seeded random sample of N problems.")
@click.option("--seed", default=0, show_default=True, help="Seed of the sample.")
@click.option("--no-recommend", is_flag=True, help="Measure search channels only.")
@click.option(
    "--off-topic",
    is_flag=True,
    help="Also run with a handful of unrelated public lessons planted in a copy of the store.",
)
@click.option(
    "--library", "libraries", multiple=True, help="Only this DS-1000 library (repeatable)."
)
@data_dir_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/retrieval"),
    show_default=True,
    help="Folder for retrieval.json, retrieval.md and the plots.",
)
@pass_ctx
def retrieval_cmd(
    obj: CliContext,
    sample: int | None,
    seed: int,
    no_recommend: bool,
    off_topic: bool,
    libraries: tuple[str, ...],
    data_dir: Path | None,
    out_dir: Path,
) -> None:
    """API recall@10 (all gold APIs and distinctive ones) of BM25, vector, hybrid and
    recommend, beside a constant baseline; optionally with off-topic lessons planted."""
    data = load_data(data_dir)
    spark = obj.local
    problems, targets = choose_problems(data, sample, seed, libraries)
    reports: dict[str, RetrievalReport] = {}
    with progress_bar("retrieval") as update:
        reports["plain"] = RetrievalBench(spark, not no_recommend).run(problems, targets, update)
    if off_topic:
        with store_copy(obj.settings) as copy, progress_bar("off-topic lessons") as update:
            plant(copy, OFF_TOPIC)
            bench = RetrievalBench(copy, not no_recommend)
            reports["off-topic lessons"] = bench.run(problems, targets, update)
    for report in reports.values():
        report.sample, report.seed = sample, seed
    meta = run_metadata(
        benchmark="retrieval",
        seed=seed,
        sample=sample,
        embedder=spark.embedder.model_name,
        # MiniLM embeds long queries in int8 unless SPARK_QUERY_PRECISION=fp32
        query_precision=getattr(spark.embedder, "query_precision", "exact"),
        weights=vars(spark.settings.weights),
        knowledge_base=knowledge_base(spark),
        off_topic_lessons=[lesson.title for lesson in OFF_TOPIC] if off_topic else [],
        data_dir=str(data.data_dir),
    )
    summary = write_report(reports, meta, out_dir)
    click.echo(summary.read_text("utf-8").split("Run metadata")[0])
    click.echo(f"report: {summary}")
