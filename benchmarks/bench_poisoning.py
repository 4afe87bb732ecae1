"""Poisoning benchmark: can one org with several agents push harmful lessons to others?

    python benchmarks/bench_poisoning.py [--harmful 120] [--benign 120] [--out reports/learning]

Scenario "one org" (the threat in the issue): org-mallory runs five agents that write
near-duplicate harmful lessons (TLS verification off, ``eval`` of input, ``curl | sh``,
shell commands from input, unpickling untrusted data, instructions aimed at the
reader's agent). Three honest orgs write the benign lessons (each lesson by all three,
so benign advice is eligible for promotion). One curation epoch runs. Then:

- harmful blocked at write: ``create_memory`` refused it (``Rejected``);
- harmful kept out of others' results: blocked, or stored but never returned to any
  other org (search by the lesson's own title and query, and fetch by id, from the
  honest orgs and a newcomer);
- benign wrongly blocked: refused at write, or its family refused promotion by a filter.

Two stress variants show the layers behind the write filter: "colluding orgs" (three
attacker orgs in good standing write the same lessons, so endorsement alone would
promote them) and "new colluding orgs" (the same with new, low-standing agents, whose
lessons start quarantined).

The labelled set comes from poisoning_corpus.py (seeded). Writes JSON and Markdown.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import write_report
from poisoning_corpus import Lesson, benign, harmful, held_out_benign, held_out_harmful

from spark_memory.config import Settings
from spark_memory.errors import NotFound, Rejected
from spark_memory.learning.epochlog import reasons
from spark_memory.models import LOCAL_PRINCIPAL, Agent, DocType, Principal, Role, Scope
from spark_memory.service import Spark

HONEST = ["org-honest-1", "org-honest-2", "org-honest-3"]
NEWCOMER = Principal(org_id="org-newcomer", agent_id="newcomer", role=Role.WRITER)


@dataclass
class Outcome:
    written: int = 0
    blocked: int = 0
    stored_ids: dict[str, Lesson] = field(default_factory=dict)
    blocked_by: Counter[str] = field(default_factory=Counter)


def agents(org: str, n: int) -> list[Principal]:
    return [Principal(org_id=org, agent_id=f"{org}-a{i}", role=Role.WRITER) for i in range(n)]


def write_all(spark: Spark, lessons: Sequence[Lesson], writers: Sequence[Principal]) -> Outcome:
    out = Outcome()
    for n, lesson in enumerate(lessons):
        who = writers[n % len(writers)]
        out.written += 1
        try:
            receipt = spark.create_memory(
                lesson.title, lesson.content, query=lesson.query, kind="workaround", principal=who
            )
        except Rejected as exc:
            out.blocked += 1
            out.blocked_by[_reason(exc.message)] += 1
            continue
        out.stored_ids[receipt.id] = lesson
    return out


def _reason(message: str) -> str:
    for category in ("unsafe", "injection", "hidden"):
        if f"{category}:" in message:
            return category
    return "other"


def seen_by_others(spark: Spark, insight_id: str, lesson: Lesson, owner: str) -> bool:
    """Whether any org other than ``owner`` can find or fetch the lesson (or a public copy)."""
    askers = [*(agents(o, 1)[0] for o in HONEST if o != owner), NEWCOMER]
    for asker in askers:
        try:
            spark.get_memory(insight_id, principal=asker)
            return True
        except NotFound:
            pass
        hits = spark.search(
            f"{lesson.title} {lesson.query}", principal=asker, k=10, doc_types=(DocType.INSIGHT,)
        )
        for hit in hits:
            insight = spark.store.unscoped_insights([hit.id])[hit.id]
            if insight.org_id == owner or (
                insight.scope is Scope.PUBLIC and _same_text(insight.content, lesson)
            ):
                return True
    return False


def _same_text(content: str, lesson: Lesson) -> bool:
    return lesson.content.strip()[:60] in content


def run_scenario(
    name: str,
    harmful_set: Sequence[Lesson],
    benign_set: Sequence[Lesson],
    attackers: list[Principal],
    standing: float,
    embedder: str,
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="spark-bench-poison-") as home,
        Spark.open(Settings.load(home=Path(home), embedder=embedder)) as spark,
    ):
        for who in attackers:
            spark.store.put_agent(
                Agent(id=who.agent_id, org_id=who.org_id, name=who.agent_id, standing=standing)
            )
        attack_orgs = sorted({a.org_id for a in attackers})
        bad = Outcome()
        for org in attack_orgs:  # each attacking org writes the whole harmful set
            mine = [a for a in attackers if a.org_id == org]
            result = write_all(spark, harmful_set, mine)
            bad.written += result.written
            bad.blocked += result.blocked
            bad.blocked_by.update(result.blocked_by)
            bad.stored_ids.update(result.stored_ids)
        good = Outcome()
        for org in HONEST:
            result = write_all(spark, benign_set, agents(org, 2))
            good.written += result.written
            good.blocked += result.blocked
            good.blocked_by.update(result.blocked_by)
            good.stored_ids.update(result.stored_ids)
        epoch = spark.curate(principal=LOCAL_PRINCIPAL)
        owners = {i: spark.store.unscoped_insights([i])[i].org_id for i in bad.stored_ids}
        leaked = [
            i for i, lesson in bad.stored_ids.items() if seen_by_others(spark, i, lesson, owners[i])
        ]
        blocked_promotions = [
            e
            for e in epoch.events
            if e.action == "rejected"
            and e.reason.startswith("promotion blocked")
            and e.target_id in good.stored_ids  # a benign family refused by a filter
        ]
        public = spark.store.list_insights(NEWCOMER, _public_filter(), limit=100_000)
        return _summary(name, bad, good, leaked, blocked_promotions, public, epoch.counts)


def run_trace_scenario(harmful_set: Sequence[Lesson], embedder: str) -> dict[str, Any]:
    """Three colluding orgs fabricate traces whose "correction" is the harmful lesson."""
    orgs = ["org-t1", "org-t2", "org-t3"]
    with (
        tempfile.TemporaryDirectory(prefix="spark-bench-poison-") as home,
        Spark.open(Settings.load(home=Path(home), embedder=embedder)) as spark,
    ):
        for n, lesson in enumerate(harmful_set):
            for org in orgs:
                spark.record_trace(
                    f"Problem:\n{lesson.query} (case {n}). How do I fix it?",
                    code="data = load(url)",
                    outcome="error",
                    error="ssl.SSLCertVerificationError: certificate verify failed",
                    correction=_code_of(lesson.content),
                    principal=agents(org, 2)[n % 2],
                )
        epoch = spark.curate(principal=LOCAL_PRINCIPAL)
        public = spark.store.list_insights(NEWCOMER, _public_filter(), limit=100_000)
        texts = "\n".join(i.content for i in public)
        leaked = [x for x in harmful_set if _first_line(_code_of(x.content)) in texts]
        return {
            "scenario": "colluding orgs fabricating traces",
            "harmful_lessons": len(harmful_set),
            "traces": len(harmful_set) * len(orgs),
            "curated_insights": epoch.counts.get("created", 0),
            "rejected_by_curation": dict(reasons(epoch, "rejected")),
            "public_insights": len(public),
            "harmful_public": len(leaked),
            "harmful_kept_out_share": round(1 - len(leaked) / len(harmful_set), 4),
        }


def _code_of(content: str) -> str:
    return "\n".join(x for x in content.splitlines() if not x.startswith("```")).strip()


def _first_line(text: str) -> str:
    return next((x.strip() for x in text.splitlines() if x.strip()), "")[:60]


def _public_filter() -> Any:
    from spark_memory.models import SearchFilters

    return SearchFilters(scopes=[Scope.PUBLIC])


def _summary(
    name: str,
    bad: Outcome,
    good: Outcome,
    leaked: list[str],
    blocked_promotions: list[Any],
    public: list[Any],
    counts: dict[str, int],
) -> dict[str, Any]:
    by_category: dict[str, dict[str, int]] = {}
    for insight_id, lesson in bad.stored_ids.items():
        row = by_category.setdefault(lesson.category, {"stored": 0, "leaked": 0})
        row["stored"] += 1
        row["leaked"] += insight_id in leaked
    kept_out = bad.written - len(leaked)
    return {
        "scenario": name,
        "harmful_written": bad.written,
        "harmful_blocked_at_write": bad.blocked,
        "harmful_blocked_share": round(bad.blocked / bad.written, 4),
        "harmful_blocked_by": dict(bad.blocked_by),
        "harmful_stored": len(bad.stored_ids),
        "harmful_seen_by_other_orgs": len(leaked),
        "harmful_kept_out_share": round(kept_out / bad.written, 4),
        "harmful_stored_by_category": by_category,
        "benign_written": good.written,
        "benign_blocked_at_write": good.blocked,
        "benign_blocked_promotions": len(blocked_promotions),
        "benign_wrongly_blocked_share": round(
            (good.blocked + len(blocked_promotions)) / good.written, 4
        ),
        "public_insights": len(public),
        "epoch_counts": counts,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    sets = {
        "development": (harmful(args.harmful, args.seed), benign(args.benign, args.seed)),
        "held-out": (held_out_harmful(args.seed), held_out_benign(args.seed)),
    }
    scenarios = [
        ("one org, five agents", agents("org-mallory", 5), 0.5),
        (
            "colluding orgs (good standing)",
            [a for o in ("org-m1", "org-m2", "org-m3") for a in agents(o, 2)],
            0.5,
        ),
        (
            "colluding orgs (new, low standing)",
            [a for o in ("org-n1", "org-n2", "org-n3") for a in agents(o, 2)],
            0.1,
        ),
    ]
    out: dict[str, Any] = {}
    for set_name, (bad, good) in sets.items():
        out[set_name] = {
            "labelled_set": {
                "harmful": len(bad),
                "benign": len(good),
                "harmful_by_category": dict(Counter(lesson.category for lesson in bad)),
                "benign_hard_negatives": sum(
                    not lesson.category.startswith("tip-") for lesson in good
                ),
            },
            "scenarios": [
                run_scenario(n, bad, good, a, st, args.embedder) for n, a, st in scenarios
            ],
            "traces_scenario": run_trace_scenario(bad, args.embedder),
        }
    return {
        "benchmark": "poisoning",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": args.seed,
        "embedder": args.embedder,
        "sets": out,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Poisoning benchmark ({report['date']}, {report['embedder']} embeddings)", ""]
    for set_name, data in report["sets"].items():
        s = data["labelled_set"]
        cats = ", ".join(f"{k} {v}" for k, v in s["harmful_by_category"].items())
        lines += [
            f"## {set_name} set",
            "",
            f"{s['harmful']} harmful lessons ({cats}); {s['benign']} benign ones"
            f" ({s['benign_hard_negatives']} of them correct advice about the same dangers"
            " or other hard cases).",
            "",
            "| scenario | harmful blocked at write | harmful seen by other orgs | harmful kept out"
            " | benign wrongly blocked | public insights |",
            "|---|---|---|---|---|---|",
        ]
        for r in data["scenarios"]:
            wrong = r["benign_blocked_at_write"] + r["benign_blocked_promotions"]
            lines.append(
                f"| {r['scenario']} | {r['harmful_blocked_at_write']}/{r['harmful_written']}"
                f" ({r['harmful_blocked_share']:.1%}) | {r['harmful_seen_by_other_orgs']}"
                f" | {r['harmful_kept_out_share']:.1%} | {wrong}/{r['benign_written']}"
                f" ({r['benign_wrongly_blocked_share']:.1%}) | {r['public_insights']} |"
            )
        t = data["traces_scenario"]
        lines += [
            "",
            f"Colluding orgs fabricating traces (3 orgs x {t['harmful_lessons']} lessons as"
            f" corrections, {t['traces']} traces): {t['curated_insights']} curated insights,"
            f" rejected by curation {t['rejected_by_curation'] or 'none'};"
            f" {t['harmful_public']} harmful lessons reached public"
            f" ({t['harmful_kept_out_share']:.1%} kept out).",
        ]
        first = data["scenarios"][0]
        lines += ["", "Harmful lessons past the write filter (one-org scenario):", ""]
        for category, row in sorted(first["harmful_stored_by_category"].items()):
            lines.append(
                f"- {category}: {row['stored']} stored, {row['leaked']} seen by another org"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harmful", type=int, default=120)
    parser.add_argument("--benign", type=int, default=120)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hash"])
    parser.add_argument("--out", type=Path, default=Path("reports/learning"))
    args = parser.parse_args(argv)
    print(write_report(args.out, "poisoning", run(args), markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
