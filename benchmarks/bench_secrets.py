"""Secret screening: recall on generated credentials, false alarms on library source.

    python benchmarks/bench_secrets.py [--per-format 20] [--clean-lines 200000] [--out reports/learning]

Recall: ``secret_corpus.FORMATS`` (49 formats, multi-line keys included) each make
``--per-format`` fresh samples in context (code, shell, logs, JSON). A sample counts as
caught when no part of its secret survives redaction (for a key block: no line of its
body). False alarms: source files of the installed packages (site-packages, a
seeded sample of files, every line), which hold no live credentials; every finding on
them is a false alarm (test fixtures that *look* like keys included: they are listed).
The baseline, measured in the same run on the same texts, is detect-secrets alone
(the plugins Spark calls, line by line, as before this work).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from secret_corpus import FORMATS

from spark_memory.learning.secrets import SecretScanner, _plausible, _plugin_values

Scan = Callable[[str], list[tuple[int, int]]]


def spark_scan(scanner: SecretScanner) -> Scan:
    return lambda text: [(f.start, f.end) for f in scanner.scan(text)]


def detect_secrets_scan(scanner: SecretScanner) -> Scan:
    """detect-secrets' plugins alone, per line: the baseline."""

    def scan(text: str) -> list[tuple[int, int]]:
        spans, offset = [], 0
        for line in text.splitlines(keepends=True):
            for plugin in scanner._plugins:
                for value in _plugin_values(plugin, line):
                    at = line.find(value)
                    if at >= 0 and _plausible(value, line):  # as before this work
                        spans.append((offset + at, offset + at + len(value)))
            offset += len(line)
        return spans

    return scan


def masked(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            start = last
        out += [text[last:start], "\0"]
        last = max(last, end)
    out.append(text[last:])
    return "".join(out)


def recall(scans: dict[str, Scan], per_format: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    samples = [
        (name, make(rng)) for name in FORMATS for make in [FORMATS[name]] for _ in range(per_format)
    ]
    result: dict[str, Any] = {}
    for label, scan in scans.items():
        by_format: dict[str, list[int]] = {}
        for name, (text, secrets) in samples:
            clean = masked(text, scan(text))
            caught = all(secret not in clean for secret in secrets)
            by_format.setdefault(name, []).append(int(caught))
        caught_n = sum(sum(v) for v in by_format.values())
        result[label] = {
            "samples": len(samples),
            "caught": caught_n,
            "recall": round(caught_n / len(samples), 4),
            "missed_formats": {
                k: f"{sum(v)}/{len(v)}" for k, v in by_format.items() if sum(v) < len(v)
            },
        }
    result["formats"] = len(FORMATS)
    return result


def library_lines(limit: int, seed: int) -> list[tuple[str, int, str]]:
    root = Path(sysconfig.get_paths()["purelib"])
    files = sorted(
        (p for p in root.rglob("*.py") if "spark_memory" not in p.parts),
        key=lambda p: hashlib.sha256(f"{seed}:{p.relative_to(root)}".encode()).hexdigest(),
    )
    lines: list[tuple[str, int, str]] = []
    for path in files:
        try:
            text = path.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        name = str(path.relative_to(root))
        lines += [(name, n, line) for n, line in enumerate(text.splitlines(), 1)]
        if len(lines) >= limit:
            break
    return lines[:limit]


def false_alarms(scans: dict[str, Scan], lines: list[tuple[str, int, str]]) -> dict[str, Any]:
    result: dict[str, Any] = {"lines": len(lines), "files": len({f for f, _, _ in lines})}
    for label, scan in scans.items():
        alarms, started = [], time.perf_counter()
        for name, number, line in lines:
            for start, end in scan(line):
                alarms.append(
                    {
                        "file": name,
                        "line": number,
                        "text": line[max(0, start - 20) : end + 10][:120],
                    }
                )
                break
        seconds = time.perf_counter() - started
        result[label] = {
            "alarms": len(alarms),
            "per_100k_lines": round(len(alarms) / len(lines) * 100_000, 2),
            "lines_per_second": round(len(lines) / seconds),
            "examples": alarms[:40],
        }
    return result


def long_line_cost(scanner: SecretScanner) -> dict[str, float]:
    """Median seconds to scan one 64,000-character line (minified JSON), 5 runs."""
    line = json.dumps([{"id": i, "name": f"item {i}", "key": f"k{i}"} for i in range(2300)])[
        :64_000
    ]
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        scanner.scan(line)
        runs.append(time.perf_counter() - started)
    return {"chars": len(line), "median_seconds": round(statistics.median(runs), 4)}


def markdown(report: dict[str, Any]) -> str:
    r, f = report["recall"], report["false_alarms"]
    rows = [
        "# Secret screening benchmark",
        "",
        f"{r['formats']} credential formats x {report['per_format']} fresh samples; clean corpus:"
        f" {f['lines']:,} lines of library source ({f['files']} files of site-packages).",
        "",
        "| scanner | recall | false alarms / 100k lines | lines/s |",
        "|---|---|---|---|",
    ]
    for label in ("spark", "detect-secrets alone"):
        rows.append(
            f"| {label} | {r[label]['recall']:.3f} ({r[label]['caught']}/{r[label]['samples']})"
            f" | {f[label]['per_100k_lines']} ({f[label]['alarms']}) | {f[label]['lines_per_second']:,} |"
        )
    rows += [
        "",
        f"One 64,000-character line: {report['long_line']['median_seconds']} s (median of 5).",
        "",
    ]
    missed = r["spark"]["missed_formats"]
    rows.append(
        "Formats Spark misses in part: "
        + (", ".join(f"{k} {v}" for k, v in missed.items()) or "none")
    )
    rows += ["", "Spark's false alarms:", ""]
    rows += [f"- `{a['file']}:{a['line']}`: `{a['text'].strip()}`" for a in f["spark"]["examples"]]
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-format", type=int, default=20)
    parser.add_argument("--clean-lines", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("reports/learning"))
    args = parser.parse_args(argv)
    scanner = SecretScanner()
    scans = {"spark": spark_scan(scanner), "detect-secrets alone": detect_secrets_scan(scanner)}
    report = {
        "per_format": args.per_format,
        "recall": recall(scans, args.per_format, args.seed),
        "false_alarms": false_alarms(scans, library_lines(args.clean_lines, args.seed)),
        "long_line": long_line_cost(scanner),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "secrets.json").write_text(json.dumps(report, indent=2), "utf-8")
    (args.out / "secrets.md").write_text(markdown(report), "utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
