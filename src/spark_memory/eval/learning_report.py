"""The learning benchmark's report: learning.json, learning.md and PNG plots in one folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spark_memory.eval.learning_measure import TEST_TYPES
from spark_memory.eval.reporting import bar_plot, markdown_table, write_json

ASKERS = ("newcomer", "members")
PLOTS = {
    "hit3_newcomer.png": ("newcomer", "hit_at_3"),
    "hit3_members.png": ("members", "hit_at_3"),
    "noise_newcomer.png": ("newcomer", "noise"),
}


def write_report(report: dict[str, Any], folder: Path) -> Path:
    """Write the three kinds of file; returns the Markdown summary's path."""
    write_json(folder, "learning.json", report)
    for name, (asker, metric) in PLOTS.items():
        series = {
            when: [report[when][asker][t][metric] for t in TEST_TYPES]
            for when in ("before", "after")
        }
        if metric == "hit_at_3":  # its ceiling, beside it
            series["coverage after"] = [report["after"][asker][t]["coverage"] for t in TEST_TYPES]
        label = metric.replace("_at_", "@")
        bar_plot(
            folder / name,
            f"{label} by perturbation type ({asker})",
            list(TEST_TYPES),
            series,
            label,
        )
    path = folder / "learning.md"
    path.write_text(markdown(report), "utf-8")
    return path


def markdown(report: dict[str, Any]) -> str:
    meta, c = report["meta"], report["curation"]
    rows = [
        [
            asker,
            kind,
            report["after"][asker][kind]["questions"],
            *(report[w][asker][kind][m] for w, m in _COLUMNS),
        ]
        for asker in ASKERS
        for kind in TEST_TYPES
    ]
    headers = [
        "asker",
        "perturbation",
        "questions",
        *(f"{m.replace('_at_', '@')} {w}" for w, m in _COLUMNS),
    ]
    store = report["store_after"]
    parts = [
        f"# Learning: DS-1000 perturbation transfer ({meta['mode']}, via `{report['via']}`)",
        f"**Split:** {meta['split']}.",
        f"{report['origins']} Origin problems (sample: {meta['sample'] or 'all'}, seed"
        f" {meta['seed']}) x {len(report['agents'])} agents, one org each:"
        f" {report['attempts']} executed attempts, {report['attempts_passed']} passed,"
        f" {report['attempts_corrected']} failed ones corrected with the execution-verified"
        f" reference -> {report['traces']} traces. Programs executed by this run (answers shared"
        f" by two models once, references included): {report['executed_now']}, in"
        f" {report['execute_seconds']} s; the others' verdicts came from the cache. Questions: "
        + ", ".join(f"{k} {v}" for k, v in report["questions"].items())
        + ".",
        f"Store: a temporary SQLite store with no documentation ({store['snippets']} snippets,"
        f" {store['insights']} insights at the end); embedder `{meta['embedder']}`; curation"
        " deterministic (no LLM); `recommend` extractive.",
        f"Curation ({c['seconds']} s): {c['traces_in']} traces -> {c['clusters']} clusters ->"
        f" {c['insights_created']} insights created, {c['merged']} merged as endorsements,"
        f" {c['promoted_public']} promoted to public, {c['redacted']} redacted."
        f" Rejected: {_reasons(c['rejected'])}. Deferred: {_reasons(c['deferred'])}.",
        markdown_table(headers, rows),
        *_conditions(report),
        "hit@3: an insight learned from the question's own origin problem is among the first"
        " three insights cited (hit@1: it is the first). noise: share of cited insights"
        " learned only from unrelated problems. coverage: the origin produced an insight the"
        " asker can see (the ceiling of hit@3). newcomer: an org with no traces of its own;"
        f" members: the sum over {', '.join(report['asking_members'])}.",
        " ".join(f"![{name}]({name})" for name in PLOTS),
        "Run metadata:\n\n```json\n" + json.dumps(meta, indent=2, default=str) + "\n```",
    ]
    return "\n\n".join(parts) + "\n"


_COLUMNS = (
    ("before", "hit_at_3"),
    ("after", "hit_at_3"),
    ("after", "hit_at_1"),
    ("before", "noise"),
    ("after", "noise"),
    ("after", "coverage"),
)


def _conditions(report: dict[str, Any]) -> list[str]:
    """After curation, plain and with unrelated lessons added to the store."""
    conditions = report.get("conditions") or {}
    if not conditions:
        return []
    runs = {"after (plain)": report["after"], **{f"after + {k}": v for k, v in conditions.items()}}
    headers = ["asker", "perturbation", *(f"{name} hit@3 / noise" for name in runs)]
    rows = [
        [
            asker,
            kind,
            *(
                f"{r[asker][kind]['hit_at_3']:.3f} / {r[asker][kind]['noise']:.3f}"
                for r in runs.values()
            ),
        ]
        for asker in ASKERS
        for kind in TEST_TYPES
    ]
    return ["Conditions (each adds to the store of the one before):", markdown_table(headers, rows)]


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in counts.items()) or "none"
