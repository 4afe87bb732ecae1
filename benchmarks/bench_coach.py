"""Does the coach point at the APIs the reference solution uses? DS-1000, one run.

    python benchmarks/bench_coach.py --home /work/kb-ds1000 [--sample 140] \\
        [--json coach.json] [--markdown coach.md]

For every DS-1000 problem (the prompt is the task; the environment is DS-1000's
pinned versions) three systems name APIs, compared with the APIs the reference
solution calls (``apis_core`` of api-targets-dev.jsonl.gz):

- coach:   ``recommend()`` offline (extractive): the API symbols it cites;
- search:  plain hybrid ``search`` of the prompt, top 5: their symbols;
- trivial: the 10 most frequent target APIs of the problem's library (constant per
  library; the only place target frequencies are used); trivial5 is its first 5, the
  size of the other two systems' answers.

A snippet counts as naming the symbols it documents: its own and the aliases its
text declares ("Also available as: ..."). Per system: hit rate (share of problems
where at least one gold API is named), recall of the gold APIs (mean per problem),
and how many distinct APIs it names. For the coach also the distinct API names its
whole text mentions, and the median / p90 latency of ``recommend`` (timed around
the call, knowledge base warm) with its median process CPU time, which does not
depend on what else the machine is running. Problems with no core API are left out of the
scores. Perturbations share their origin's APIs, so results are reported for the
Origin problems per library and per perturbation type, never averaged together.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from spark_memory.coach import docs
from spark_memory.coach.models import Recommendation
from spark_memory.coach.render import render
from spark_memory.config import Settings
from spark_memory.eval import DS1000, PERTURBATION_TYPES, PINS, Problem
from spark_memory.models import LOCAL_PRINCIPAL, DocType
from spark_memory.service import Spark

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ds1000"
LIBRARY = {
    "Pandas": "pandas",
    "Numpy": "numpy",
    "Matplotlib": "matplotlib",
    "Sklearn": "sklearn",
    "Scipy": "scipy",
    "Pytorch": "torch",
    "Tensorflow": "tensorflow",
}
SYSTEMS = ("coach", "search", "trivial", "trivial5")
SEARCH_K = 5
TRIVIAL_K = 10
_API_NAME = re.compile(r"(?<![\w.])([a-z_]\w*(?:\.[A-Za-z_]\w*)+)")


@dataclass
class Row:
    problem_id: int
    library: str
    perturbation: str
    gold: list[str]
    named: dict[str, list[str]] = field(default_factory=dict)  # system -> API symbols
    # system -> the symbols plus the aliases their snippets declare (what gold is matched to)
    covers: dict[str, list[str]] = field(default_factory=dict)
    mentioned: int = 0  # distinct API names anywhere in the coach's text
    coach_ms: float = 0.0
    coach_cpu_ms: float = 0.0  # process CPU time: what the call costs without contention
    search_ms: float = 0.0
    tokens: int = 0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--home", type=Path, required=True, help="SPARK_HOME of the knowledge base")
    p.add_argument("--data", type=Path, default=DATA, help="DS-1000 data directory")
    p.add_argument("--sample", type=int, default=0, help="N problems, stratified by library")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--libraries", default="", help="only these DS-1000 libraries, comma-separated")
    p.add_argument("--origin-only", action="store_true", help="only Origin problems")
    p.add_argument("--budget", type=int, default=800, help="coach token budget")
    p.add_argument("--no-environment", action="store_true", help="do not pass DS-1000's pins")
    p.add_argument("--json", type=Path, help="write all numbers and per-problem rows here")
    p.add_argument("--markdown", type=Path, help="write the report here as well")
    return p.parse_args(argv)


def pinned_environment() -> dict[str, str]:
    pins = (p.split("==", 1) for p in PINS if "==" in p)
    return {name: version for name, version in pins}


def select(problems: list[Problem], n: int, seed: int) -> list[Problem]:
    """A deterministic sample with each library in proportion to its share."""
    if not n or n >= len(problems):
        return problems
    by_lib: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        by_lib[p.library].append(p)
    rng = random.Random(seed)
    out: list[Problem] = []
    for lib in sorted(by_lib):
        share = max(1, round(n * len(by_lib[lib]) / len(problems)))
        out += rng.sample(by_lib[lib], min(share, len(by_lib[lib])))
    return sorted(out, key=lambda p: p.problem_id)


def trivial_baseline(
    gold: dict[int, list[str]], problems: Iterable[Problem]
) -> dict[str, list[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for p in problems:
        counts[p.library].update(gold.get(p.problem_id, []))
    return {lib: [api for api, _ in c.most_common(TRIVIAL_K)] for lib, c in counts.items()}


def snippet_names(spark: Spark, ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Symbols of the snippets, and symbols plus declared aliases; in order, no repeats."""
    found = spark.store.get_snippets(list(ids))
    symbols = [found[i].symbol for i in ids if i in found]
    covers = list(symbols)
    for i in ids:
        if i in found:
            covers += docs.read(found[i].text).aliases
    return list(dict.fromkeys(symbols)), list(dict.fromkeys(n for n in covers if n))


def coach_names(spark: Spark, rec: Recommendation) -> tuple[list[str], list[str]]:
    api_kinds = {"api", "example"}
    ids = [c.id for c in rec.citations if c.doc_type is DocType.SNIPPET and c.kind in api_kinds]
    return snippet_names(spark, ids)


def mentioned_apis(rec: Recommendation, libraries: set[str]) -> int:
    text = render(rec).split("\nSources:\n")[0]
    names = {n for n in _API_NAME.findall(text) if n.split(".")[0] in libraries}
    return len(names | set(rec.apis))


def run_problem(spark: Spark, p: Problem, gold: list[str], env: dict[str, str], budget: int) -> Row:
    row = Row(p.problem_id, p.library, p.perturbation_type, gold)
    started, cpu = time.perf_counter(), time.process_time()
    rec = spark.recommend(
        p.prompt,
        environment=env,
        budget_tokens=budget,
        mode="extractive",
        principal=LOCAL_PRINCIPAL,
    )
    row.coach_ms = (time.perf_counter() - started) * 1000
    row.coach_cpu_ms = (time.process_time() - cpu) * 1000
    started = time.perf_counter()
    hits = spark.search(
        p.prompt, k=SEARCH_K, doc_types=[DocType.SNIPPET], principal=LOCAL_PRINCIPAL
    )
    row.search_ms = (time.perf_counter() - started) * 1000
    row.named["coach"], row.covers["coach"] = coach_names(spark, rec)
    row.named["search"], row.covers["search"] = snippet_names(spark, [h.id for h in hits])
    row.mentioned = mentioned_apis(rec, set(LIBRARY.values()))
    row.tokens = rec.tokens.used
    return row


def score(rows: Sequence[Row], system: str) -> dict[str, float]:
    scored = [r for r in rows if r.gold]
    if not scored:
        return {"problems": 0}
    hits = [bool(set(r.covers[system]) & set(r.gold)) for r in scored]
    recall = [len(set(r.covers[system]) & set(r.gold)) / len(set(r.gold)) for r in scored]
    return {
        "problems": len(scored),
        "hit_rate": round(statistics.mean(hits), 3),
        "recall": round(statistics.mean(recall), 3),
        "apis_named": round(statistics.mean(len(r.named[system]) for r in scored), 2),
    }


@dataclass
class Summary:
    # group -> system -> scores; groups are DS-1000 libraries (Origin problems) or
    # perturbation types (all libraries), never mixed
    origin_by_library: dict[str, dict[str, dict[str, float]]]
    by_perturbation: dict[str, dict[str, dict[str, float]]]
    latency_ms: dict[str, float]
    coach_text: dict[str, float]


def summarise(rows: Sequence[Row]) -> Summary:
    origin = [r for r in rows if r.perturbation == "Origin"]
    by_library = {lib: [r for r in origin if r.library == lib] for lib in LIBRARY}
    by_library["all"] = origin
    by_type = {t: [r for r in rows if r.perturbation == t] for t in PERTURBATION_TYPES}
    coach_ms = [r.coach_ms for r in rows]
    return Summary(
        origin_by_library=_scores(by_library),
        by_perturbation=_scores(by_type),
        latency_ms={
            "coach_median": round(statistics.median(coach_ms), 1),
            "coach_p90": round(_percentile(coach_ms, 0.9), 1),
            "coach_cpu_median": round(statistics.median(r.coach_cpu_ms for r in rows), 1),
            "search_median": round(statistics.median(r.search_ms for r in rows), 1),
            # the ratio is what compares across machines and loads: both run in this process
            "coach_to_search_ratio": round(
                statistics.median(coach_ms)
                / max(statistics.median(r.search_ms for r in rows), 1e-9),
                2,
            ),
        },
        coach_text={
            "mean_api_names_mentioned": round(statistics.mean(r.mentioned for r in rows), 2),
            "mean_tokens": round(statistics.mean(r.tokens for r in rows), 1),
        },
    )


def _scores(groups: dict[str, list[Row]]) -> dict[str, dict[str, dict[str, float]]]:
    return {name: {s: score(rows, s) for s in SYSTEMS} for name, rows in groups.items() if rows}


def markdown(summary: Summary, command: str, kb: str, n: int) -> str:
    lines = [f"Command: `{command}`", "", f"Knowledge base: {kb}; problems run: {n}.", ""]
    for title, table in (
        ("Origin problems, per library", summary.origin_by_library),
        ("All libraries, per perturbation type", summary.by_perturbation),
    ):
        lines += [f"**{title}** — hit rate / recall / APIs named", ""]
        lines += [
            "| group | n | coach | search top-5 | trivial top-10 | trivial top-5 |",
            "|---|---|---|---|---|---|",
        ]
        for group, systems in table.items():
            cells = " | ".join(_cell(systems[s]) for s in SYSTEMS)
            lines.append(f"| {group} | {systems['coach']['problems']:.0f} | {cells} |")
        lines.append("")
    lat, text = summary.latency_ms, summary.coach_text
    lines.append(
        f"Coach latency (offline, warm): median {lat['coach_median']} ms,"
        f" p90 {lat['coach_p90']} ms, CPU time median {lat['coach_cpu_median']} ms;"
        f" plain search median {lat['search_median']} ms in the same run"
        f" (ratio {lat['coach_to_search_ratio']})."
        f" Coach text: on average {text['mean_api_names_mentioned']} distinct API names"
        f" mentioned, {text['mean_tokens']} tokens."
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    data = DS1000(args.data)
    targets = data.api_targets()
    gold = {pid: list(t.apis_core) for pid, t in targets.items()}
    problems = [p for p in data.problems() if p.problem_id in targets]
    trivial = trivial_baseline(gold, problems)
    if args.libraries:
        problems = [p for p in problems if p.library in args.libraries.split(",")]
    if args.origin_only:
        problems = [p for p in problems if p.perturbation_type == "Origin"]
    chosen = select(problems, args.sample, args.seed)
    env = {} if args.no_environment else pinned_environment()
    with Spark.open(Settings.load(home=args.home)) as spark:
        spark.recommend(
            "warm up: sort an array", mode="extractive", principal=LOCAL_PRINCIPAL
        )  # loads the model
        rows = []
        for n, p in enumerate(chosen, 1):
            rows.append(run_problem(spark, p, gold[p.problem_id], env, args.budget))
            rows[-1].named["trivial"] = rows[-1].covers["trivial"] = trivial[p.library]
            five = trivial[p.library][:SEARCH_K]  # the same size as search's answer
            rows[-1].named["trivial5"] = rows[-1].covers["trivial5"] = five
            if n % 50 == 0:
                print(f"{n}/{len(chosen)}", file=sys.stderr, flush=True)
        kb = f"{spark.stats().snippets} snippets at {args.home}"
    summary = summarise(rows)
    command = "python benchmarks/bench_coach.py " + " ".join(sys.argv[1:] if argv is None else argv)
    report = markdown(summary, command, kb, len(rows))
    print(report)
    if args.json:
        payload = {
            "command": command,
            "summary": asdict(summary),
            "rows": [asdict(r) for r in rows],
        }
        args.json.write_text(json.dumps(payload, indent=1))
    if args.markdown:
        args.markdown.write_text(report)
    return 0


def _cell(m: dict[str, float]) -> str:
    return f"{m['hit_rate']:.2f} / {m['recall']:.2f} / {m['apis_named']:.1f}"


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    raise SystemExit(main())
