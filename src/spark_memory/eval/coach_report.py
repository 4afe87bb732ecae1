"""The `spark eval coach` report: coach.json, coach.md and pass@1 plots in one folder.

pass@1 counts only attempts whose test ran: a model call that failed is listed,
never counted as a wrong answer, and the paired comparison keeps only problems on
which both conditions have a verdict.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from spark_memory.eval.coach_prompt import Condition, estimate_tokens
from spark_memory.eval.coach_run import MODEL_ERROR, Attempt
from spark_memory.eval.coach_stats import mcnemar_exact, paired_bootstrap, paired_counts
from spark_memory.eval.judge import HELPFULNESS_BANDS
from spark_memory.eval.reporting import bar_plot, markdown_table, write_json

PIPELINE_TEST_BANNER = (
    "PIPELINE TEST: the model is a scripted local test server, not a language model. "
    "These figures only show that the pipeline is wired correctly; no real model is claimed."
)
JSON_NAME, MARKDOWN_NAME = "coach.json", "coach.md"


def tally(attempts: Iterable[Attempt]) -> dict[str, Any]:
    rows = list(attempts)
    judged = [a for a in rows if a.has_verdict]
    passed = sum(a.passed for a in judged)
    return {
        "attempts": len(rows),
        "executed": len(judged),
        "passed": passed,
        "pass_at_1": passed / len(judged) if judged else None,
        "model_errors": sum(a.status == MODEL_ERROR for a in rows),
    }


def pass_at_1(attempts: Sequence[Attempt], condition: Condition) -> dict[str, Any]:
    mine = [a for a in attempts if a.condition is condition]
    return {
        "overall": tally(mine),
        "by_library": _grouped(mine, lambda a: a.problem.library),
        "by_perturbation": _grouped(mine, lambda a: a.problem.perturbation_type),
    }


def _grouped(attempts: Sequence[Attempt], key: Callable[[Attempt], str]) -> dict[str, Any]:
    groups: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        groups[key(a)].append(a)
    return {name: tally(rows) for name, rows in sorted(groups.items())}


def paired(
    attempts: Sequence[Attempt], condition: Condition, *, seed: int, resamples: int
) -> dict[str, Any]:
    """``condition`` against ``none`` on the problems where both have a verdict."""
    base = {a.problem.problem_id: a for a in attempts if a.condition is Condition.NONE}
    pairs = [
        (a.passed, base[a.problem.problem_id].passed)
        for a in attempts
        if a.condition is condition
        and a.has_verdict
        and a.problem.problem_id in base
        and base[a.problem.problem_id].has_verdict
    ]
    with_spark = [w for w, _ in pairs]
    without = [o for _, o in pairs]
    counts = paired_counts(with_spark, without)
    interval = paired_bootstrap(with_spark, without, resamples=resamples, seed=seed)
    return {
        "counts": counts.to_dict(),
        "difference": interval.to_dict(),
        "mcnemar_exact_p": mcnemar_exact(counts.only_with, counts.only_without),
    }


def cost(attempts: Sequence[Attempt], condition: Condition) -> dict[str, Any]:
    """Per problem: tokens and latency of the model call, and of recommend."""
    answered = [a for a in attempts if a.condition is condition and a.status != MODEL_ERROR]

    def summary(values: list[float]) -> dict[str, float | None]:
        if not values:
            return {"mean": None, "median": None}
        return {"mean": statistics.fmean(values), "median": statistics.median(values)}

    advised = condition is not Condition.NONE
    return {
        "problems": len(answered),
        "prompt_tokens": summary([a.prompt_tokens for a in answered]),
        "completion_tokens": summary([a.completion_tokens for a in answered]),
        "advice_tokens_estimated": summary(
            [estimate_tokens(a.advice or "") for a in answered] if advised else []
        ),
        "model_seconds": summary([a.model_seconds for a in answered]),
        "spark_seconds": summary([a.spark_seconds for a in answered] if advised else []),
        "tokens_estimated": sum(a.tokens_estimated for a in answered),
    }


def judge_summary(attempts: Sequence[Attempt], condition: Condition) -> dict[str, Any]:
    verdicts = [a.judge for a in attempts if a.condition is condition and a.judge is not None]
    scored = [v for v in verdicts if v.scored]
    qualities = [v.code_quality for v in scored if v.code_quality is not None]
    bands = Counter(v.helpfulness for v in scored if v.helpfulness)
    return {
        "judged": len(verdicts),
        "scored": len(scored),
        "unscored": len(verdicts) - len(scored),
        "mean_code_quality": statistics.fmean(qualities) if qualities else None,
        "helpfulness": {band: bands.get(band, 0) for band in HELPFULNESS_BANDS},
    }


def report_json(
    attempts: Sequence[Attempt],
    conditions: Sequence[Condition],
    meta: dict[str, Any],
    *,
    pipeline_test: bool,
    seed: int,
    resamples: int,
    left_out: Sequence[int] = (),
) -> dict[str, Any]:
    spark_conditions = [c for c in conditions if c is not Condition.NONE]
    judged = any(a.judge is not None for a in attempts)
    return {
        "benchmark": "DS-1000 coach",
        "pipeline_test": pipeline_test,
        "label": PIPELINE_TEST_BANNER if pipeline_test else "",
        "meta": meta,
        "conditions": [c.value for c in conditions],
        "problems": len({a.problem.problem_id for a in attempts}),
        "left_out_network_data": list(left_out),
        "pass_at_1": {c.value: pass_at_1(attempts, c) for c in conditions},
        "paired_vs_none": {
            c.value: paired(attempts, c, seed=seed, resamples=resamples) for c in spark_conditions
        },
        "cost_per_problem": {c.value: cost(attempts, c) for c in conditions},
        "judge": {c.value: judge_summary(attempts, c) for c in conditions} if judged else None,
        "attempts": [a.to_dict() for a in attempts],
    }


def write_report(data: dict[str, Any], folder: Path) -> Path:
    """coach.json, coach.md and two plots in ``folder``; returns coach.md."""
    write_json(folder, JSON_NAME, data)
    _plots(data, folder)
    path = folder / MARKDOWN_NAME
    path.write_text(markdown(data) + "\n", "utf-8")
    return path


def _plots(data: dict[str, Any], folder: Path) -> None:
    by_condition = data["pass_at_1"]
    suffix = " — PIPELINE TEST" if data["pipeline_test"] else ""
    for kind, key in (("library", "by_library"), ("type", "by_perturbation")):
        groups = sorted({g for c in by_condition.values() for g in c[key]})
        series = {
            name: [(c[key].get(g, {}).get("pass_at_1") or 0.0) for g in groups]
            for name, c in by_condition.items()
        }
        title = f"pass@1 by {kind}{suffix}"
        bar_plot(folder / f"pass1_by_{kind}.png", title, groups, series, "pass@1")


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    model = meta.get("model", {})
    parts = [
        "# Coach evaluation on DS-1000" + (" — PIPELINE TEST" if data["pipeline_test"] else "")
    ]
    if data["pipeline_test"]:
        parts.append(f"> **{PIPELINE_TEST_BANNER}**")
    parts.append(
        f"Model `{model.get('name')}` at `{model.get('base_url')}` (temperature "
        f"{model.get('temperature')}, max_tokens {model.get('max_tokens')}). "
        f"Problems: {data['problems']} (sample {meta.get('sample') or 'all'}, seed "
        f"{meta.get('seed')}); left out, their test needs the network: "
        f"{len(data['left_out_network_data'])}. Conditions: {', '.join(data['conditions'])}."
    )
    parts += [_pass_table(data), _paired_table(data), _cost_table(data)]
    if data["judge"]:
        parts.append(_judge_table(data))
    parts.append("![pass@1 by library](pass1_by_library.png) ![pass@1 by type](pass1_by_type.png)")
    parts.append("Run metadata:\n\n```json\n" + json.dumps(meta, indent=2, default=str) + "\n```")
    return "\n\n".join(parts)


def _rate(cell: dict[str, Any]) -> str:
    rate = cell.get("pass_at_1")
    errors = f", {cell['model_errors']} model errors" if cell.get("model_errors") else ""
    shown = "-" if rate is None else f"{rate:.3f}"
    return f"{shown} ({cell['passed']}/{cell['executed']}{errors})"


def _pass_table(data: dict[str, Any]) -> str:
    conditions = data["conditions"]
    first = data["pass_at_1"][conditions[0]]
    rows = [["all", *[_rate(data["pass_at_1"][c]["overall"]) for c in conditions]]]
    for kind, key in (("library", "by_library"), ("type", "by_perturbation")):
        for group in first[key]:
            cells = [data["pass_at_1"][c][key].get(group, {}) for c in conditions]
            rows.append([f"{kind}: {group}", *[_rate(x) if x else "-" for x in cells]])
    return "## pass@1\n\n" + markdown_table(["group", *conditions], rows)


def _paired_table(data: dict[str, Any]) -> str:
    rows = []
    for name, cmp in data["paired_vs_none"].items():
        c, d = cmp["counts"], cmp["difference"]
        rows.append(
            [
                f"{name} vs none",
                c["n"],
                c["both"],
                c["only_with"],
                c["only_without"],
                c["neither"],
                f"{d['estimate']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]",
                f"{cmp['mcnemar_exact_p']:.4g}",
            ]
        )
    headers = ["comparison", "n", "both", "only with", "only without", "neither"]
    headers += ["Δ pass@1 [95% CI]", "McNemar p"]
    note = (
        "Same problems under both conditions. Interval: paired percentile bootstrap over "
        "problems; p: McNemar's exact test on the discordant pairs."
    )
    return "## Paired comparison with `none`\n\n" + note + "\n\n" + markdown_table(headers, rows)


def _cost_table(data: dict[str, Any]) -> str:
    def cell(entry: dict[str, Any], scale: float = 1.0) -> str:
        mean, median = entry["mean"], entry["median"]
        return "-" if mean is None else f"{mean * scale:.1f} / {median * scale:.1f}"

    rows = [
        [
            name,
            c["problems"],
            cell(c["prompt_tokens"]),
            cell(c["completion_tokens"]),
            cell(c["model_seconds"], 1000),
            cell(c["spark_seconds"], 1000),
            c["tokens_estimated"],
        ]
        for name, c in data["cost_per_problem"].items()
    ]
    headers = ["condition", "problems", "prompt tokens", "completion tokens"]
    headers += ["model ms", "recommend ms", "tokens estimated"]
    return (
        "## Cost per problem (mean / median)\n\nTokens from the API's `usage`; where the "
        "server sent none, estimated from words and punctuation marks (counted in the last "
        "column).\n\n" + markdown_table(headers, rows)
    )


def _judge_table(data: dict[str, Any]) -> str:
    rows = []
    for name, j in data["judge"].items():
        quality = "-" if j["mean_code_quality"] is None else f"{j['mean_code_quality']:.2f}"
        bands = ", ".join(f"{b} {n}" for b, n in j["helpfulness"].items() if n) or "-"
        rows.append([name, j["scored"], j["unscored"], quality, bands])
    headers = ["condition", "scored", "unscored", "code quality (1-5)", "helpfulness"]
    return "## LLM judge\n\n" + markdown_table(headers, rows)
