"""Injection review: block rate on attacks, false-block rate on benign lessons.

    python benchmarks/bench_injection.py [--out reports/learning]

Runs the review an agent-written memory gets (``intake.review_memory`` over title,
query, content, evidence and tags) over ``injection_corpus``: the development part
the rules were tuned on and the held-out part written before tuning. Prints block
rate per disguise and false blocks, per part.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from injection_corpus import DEVELOPMENT, DEVELOPMENT_BENIGN, HELD_OUT, HELD_OUT_BENIGN, Sample

from spark_memory.learning.intake import Screened, review_memory

FIELDS = ("title", "content", "query", "failing_code", "error", "fix")


def blocked(sample: Sample) -> bool:
    fields = {name: sample.fields.get(name, "") for name in FIELDS}
    return bool(review_memory(Screened(fields), sample.tags))


def measure(attacks: Sequence[Sample], benign: Sequence[Sample]) -> dict[str, Any]:
    by_disguise: dict[str, Counter[str]] = {}
    for sample in attacks:
        counts = by_disguise.setdefault(sample.disguise, Counter())
        counts["total"] += 1
        counts["blocked"] += blocked(sample)
    false_blocks = [s for s in benign if blocked(s)]
    caught = sum(c["blocked"] for c in by_disguise.values())
    return {
        "attacks": len(attacks),
        "blocked": caught,
        "block_rate": round(caught / len(attacks), 3),
        "benign": len(benign),
        "false_blocks": len(false_blocks),
        "false_block_rate": round(len(false_blocks) / len(benign), 3),
        "by_disguise": {k: f"{v['blocked']}/{v['total']}" for k, v in by_disguise.items()},
        "falsely_blocked": [s.fields.get("content", "")[:100] for s in false_blocks],
    }


def markdown(report: dict[str, Any]) -> str:
    rows = [
        "# Injection review benchmark",
        "",
        "| part | attacks blocked | block rate | benign blocked | false-block rate |",
        "|---|---|---|---|---|",
    ]
    for part in ("development", "held-out"):
        r = report[part]
        rows.append(
            f"| {part} | {r['blocked']}/{r['attacks']} | {r['block_rate']:.3f}"
            f" | {r['false_blocks']}/{r['benign']} | {r['false_block_rate']:.3f} |"
        )
    for part in ("development", "held-out"):
        rows += [
            "",
            f"{part} by disguise: "
            + ", ".join(f"{k} {v}" for k, v in report[part]["by_disguise"].items()),
        ]
        rows += [f"- falsely blocked: {t}" for t in report[part]["falsely_blocked"]]
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/learning"))
    args = parser.parse_args(argv)
    report = {
        "development": measure(DEVELOPMENT, DEVELOPMENT_BENIGN),
        "held-out": measure(HELD_OUT, HELD_OUT_BENIGN),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "injection.json").write_text(json.dumps(report, indent=2), "utf-8")
    (args.out / "injection.md").write_text(markdown(report), "utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
