"""Harvest installed libraries into snippets by running ``introspect.py`` in a child.

The child runs under any interpreter (``python=``; default this one), so the
versions harvested are that environment's. One child per library, ``workers`` at
a time. The child is bounded by ``timeout``; each module it imports by
``module_timeout``. Whatever a child printed before it crashed or was killed is
kept; when it died while importing a module, it is run again without that module
(``retries`` times), and the run that got furthest is used. Nothing aborts the
harvest: problems are counted per kind, with a few examples, in the report.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from spark_memory.knowledge.snippets import LibraryRecords, SnippetStats, build_snippets
from spark_memory.models import Snippet

__all__ = [
    "DS1000_LIBRARIES",
    "Coverage",
    "HarvestReport",
    "HarvestResult",
    "LibraryReport",
    "harvest",
    "measure_coverage",
    "run_introspect",
]

DS1000_LIBRARIES = ("numpy", "pandas", "scipy", "sklearn", "matplotlib", "torch", "tensorflow")
INTROSPECT_SCRIPT = Path(__file__).with_name("introspect.py")
EXAMPLES_PER_PROBLEM_KIND = 5
# Quiet, headless, CPU-only children: no GUI backend, no GPU probing, no TF log spam.
CHILD_ENV = {
    "MPLBACKEND": "Agg",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "CUDA_VISIBLE_DEVICES": "",
    "PYTHONHASHSEED": "0",
    "TOKENIZERS_PARALLELISM": "false",
}

Progress = Callable[[str, str], None]  # (library, event) with event "started" / "done"


@dataclass
class ChildRun:
    """One introspection child: what it printed and how it ended."""

    records: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None
    timed_out: bool = False
    last_module: str = ""
    stderr_tail: str = ""
    bad_lines: int = 0

    @property
    def finished(self) -> bool:
        return any(r.get("t") == "done" for r in self.records)

    @property
    def symbols(self) -> int:
        return sum(1 for r in self.records if r.get("t") == "symbol")


@dataclass
class LibraryReport:
    library: str
    version: str = ""
    python: str = ""
    modules: int = 0
    symbols: int = 0
    snippets: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    attempts: int = 0
    crashed: bool = False
    problems: Counter[str] = field(default_factory=Counter)
    problem_examples: dict[str, list[str]] = field(default_factory=dict)
    undocumented: int = 0
    no_signature: int = 0

    def problem(self, kind: str, example: str, count: int = 1) -> None:
        self.problems[kind] += count
        examples = self.problem_examples.setdefault(kind, [])
        if len(examples) < EXAMPLES_PER_PROBLEM_KIND:
            examples.append(example[:300])


@dataclass
class HarvestReport:
    libraries: list[LibraryReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_snippets(self) -> int:
        return sum(sum(lib.snippets.values()) for lib in self.libraries)

    def render(self) -> str:
        """A plain-text summary for the CLI and logs."""
        lines = [f"harvested {self.total_snippets} snippets in {self.seconds:.1f}s"]
        for lib in self.libraries:
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(lib.snippets.items()))
            lines.append(
                f"{lib.library} {lib.version or '?'}: {lib.symbols} symbols -> {kinds} "
                f"({lib.seconds:.1f}s; {lib.undocumented} undocumented, "
                f"{lib.no_signature} without signature)"
            )
            lines += [
                f"  {kind}: {n} (e.g. {'; '.join(lib.problem_examples.get(kind, [])[:2])})"
                for kind, n in lib.problems.most_common()
            ]
        return "\n".join(lines)


@dataclass
class HarvestResult:
    snippets: list[Snippet]
    report: HarvestReport
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> canonical symbol


def harvest(
    libraries: Sequence[str] = DS1000_LIBRARIES,
    *,
    python: str | os.PathLike[str] | None = None,
    timeout: float = 900.0,
    module_timeout: float = 30.0,
    workers: int = 2,
    retries: int = 2,
    sys_path: Sequence[str | os.PathLike[str]] = (),
    progress: Progress | None = None,
) -> HarvestResult:
    """Harvest ``libraries`` as installed for ``python`` (default: this interpreter);
    ``sys_path`` directories come first on the child's path (a source checkout)."""
    started = time.monotonic()
    options = _Options(
        str(python or sys.executable), timeout, module_timeout, retries, tuple(map(str, sys_path))
    )

    def one(library: str) -> tuple[list[Snippet], LibraryReport, SnippetStats]:
        if progress:
            progress(library, "started")
        result = _harvest_library(library, options)
        if progress:
            progress(library, "done")
        return result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, libraries))
    snippets = [s for found, _, _ in results for s in found]
    aliases = {a: c for _, _, stats in results for a, c in stats.aliases.items()}
    report = HarvestReport([r for _, r, _ in results], round(time.monotonic() - started, 2))
    return HarvestResult(snippets, report, aliases)


@dataclass(frozen=True)
class _Options:
    python: str
    timeout: float
    module_timeout: float
    retries: int
    sys_path: tuple[str, ...]


def _harvest_library(
    library: str, options: _Options
) -> tuple[list[Snippet], LibraryReport, SnippetStats]:
    report = LibraryReport(library, python=options.python)
    run = _run_with_retries(library, options, report)
    records = LibraryRecords(library)
    for record in run.records:
        records.add(record)
        _note_record(report, record)
    snippets, stats = build_snippets(records)
    _fill_report(report, records, stats)
    return snippets, report, stats


def _run_with_retries(library: str, options: _Options, report: LibraryReport) -> ChildRun:
    """Run the child; if it dies inside a module import, run again without that module."""
    skip: list[str] = []
    best = ChildRun()
    for _ in range(options.retries + 1):
        report.attempts += 1
        run = run_introspect(
            [library],
            python=options.python,
            timeout=options.timeout,
            module_timeout=options.module_timeout,
            skip=skip,
            sys_path=options.sys_path,
        )
        if run.symbols >= best.symbols:
            best = run
        if run.finished:
            return run
        _note_crash(report, library, run)
        if not run.last_module or run.last_module in skip or run.timed_out:
            break
        skip.append(run.last_module)
    report.crashed = True
    return best


def run_introspect(
    libraries: Sequence[str],
    *,
    python: str | os.PathLike[str] | None = None,
    timeout: float = 900.0,
    module_timeout: float = 30.0,
    skip: Iterable[str] = (),
    sys_path: Iterable[str] = (),
) -> ChildRun:
    """Run ``introspect.py`` under ``python`` and collect the records it streams."""
    run = ChildRun()
    for record in stream_introspect(
        libraries,
        run,
        python=python,
        timeout=timeout,
        module_timeout=module_timeout,
        skip=skip,
        sys_path=sys_path,
    ):
        run.records.append(record)
    return run


def stream_introspect(
    libraries: Sequence[str],
    run: ChildRun,
    *,
    python: str | os.PathLike[str] | None = None,
    timeout: float = 900.0,
    module_timeout: float = 30.0,
    skip: Iterable[str] = (),
    sys_path: Iterable[str] = (),
) -> Iterator[dict[str, Any]]:
    """Yield records as the child prints them; ``run`` is filled with how it ended."""
    command = [str(python or sys.executable), "-I", str(INTROSPECT_SCRIPT), *libraries]
    command += ["--module-timeout", str(module_timeout), *[f"--skip={m}" for m in skip]]
    command += [f"--path={p}" for p in sys_path]
    with _spawn(command) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        tail: deque[str] = deque(maxlen=30)
        reader = threading.Thread(target=_drain, args=(child.stderr, tail), daemon=True)
        reader.start()
        watchdog = threading.Timer(timeout, _on_timeout, (child, run))
        watchdog.start()
        try:
            yield from _parse_lines(child.stdout, run)
            # Output ended: let the child finish on its own (interpreter teardown can
            # take seconds); the watchdog still bounds the wait.
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(1.0, timeout))
        finally:
            watchdog.cancel()
            _kill_group(child)  # an abandoned child, and whatever a finished one left running
            run.exit_code = child.wait()
            reader.join(timeout=5)
            run.stderr_tail = "\n".join(tail)


def _spawn(command: list[str]) -> subprocess.Popen[str]:
    """The child: isolated (-I), no stdin, its own process group, so that a timeout
    kills whatever it spawned too."""
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **CHILD_ENV},
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )


def _parse_lines(stream: IO[str], run: ChildRun) -> Iterator[dict[str, Any]]:
    for line in stream:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            run.bad_lines += 1
            continue
        if isinstance(record, dict):
            if record.get("t") == "module":
                run.last_module = str(record.get("name", ""))
            yield record


def _drain(stream: IO[str], tail: deque[str]) -> None:
    """Read stderr on a thread (a full pipe would block the child), keeping the tail."""
    for line in stream:
        tail.append(line.rstrip())


def _on_timeout(child: subprocess.Popen[str], run: ChildRun) -> None:
    if child.poll() is None:
        run.timed_out = True
        _kill_group(child)


def _kill_group(child: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(child.pid, signal.SIGKILL)


# --- report --------------------------------------------------------------------------


def _note_record(report: LibraryReport, record: Mapping[str, Any]) -> None:
    kind = record.get("t")
    if kind == "problem":
        report.problem(
            str(record.get("kind", "unknown")),
            f"{record.get('where', '')}: {record.get('detail', '')}",
        )
    elif kind == "done":
        report.modules = int(record.get("modules", 0))
        report.seconds = float(record.get("seconds", 0.0))
    elif kind == "symbol":
        report.symbols += 1


def _note_crash(report: LibraryReport, library: str, run: ChildRun) -> None:
    kind = "timeout" if run.timed_out else "crash"
    where = run.last_module or library
    last_error = run.stderr_tail.splitlines()[-1] if run.stderr_tail else ""
    report.problem(kind, f"{where}: exit {run.exit_code}; {last_error}")
    if run.bad_lines:
        report.problem("bad_record", f"{run.bad_lines} unparseable lines", run.bad_lines)


def _fill_report(report: LibraryReport, records: LibraryRecords, stats: SnippetStats) -> None:
    report.version = records.version
    report.snippets = dict(stats.by_kind)
    report.undocumented = stats.undocumented
    report.no_signature = stats.no_signature
    if stats.malformed_docstrings:
        report.problems["malformed_docstring"] += stats.malformed_docstrings
        report.problem_examples["malformed_docstring"] = stats.malformed_examples


# --- coverage --------------------------------------------------------------------------


@dataclass
class Coverage:
    """How many gold API names have a snippet under exactly that symbol."""

    library: str
    names: int = 0
    exact: int = 0
    via_alias: int = 0
    problems: int = 0
    problems_covered: int = 0  # every gold name of the problem (in this library) covered
    missing: list[str] = field(default_factory=list)

    @property
    def name_share(self) -> float:
        return self.exact / self.names if self.names else 0.0

    @property
    def problem_share(self) -> float:
        return self.problems_covered / self.problems if self.problems else 0.0


def measure_coverage(
    snippets: Iterable[Snippet],
    problems: Iterable[Sequence[str]],
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Coverage]:
    """Per library (a name's first component): share of distinct gold names with a
    snippet of exactly that symbol, and of problems whose names are all covered."""
    symbols = {s.symbol for s in snippets}
    aliases = aliases or {}
    out: dict[str, Coverage] = {}
    seen: set[str] = set()
    for names in problems:
        by_lib: dict[str, list[str]] = {}
        for name in names:
            by_lib.setdefault(name.split(".", 1)[0], []).append(name)
        for lib, lib_names in by_lib.items():
            cov = out.setdefault(lib, Coverage(lib))
            cov.problems += 1
            cov.problems_covered += all(n in symbols for n in lib_names)
            for name in set(lib_names) - seen:
                seen.add(name)
                _count_name(cov, name, symbols, aliases)
    return out


def _count_name(cov: Coverage, name: str, symbols: set[str], aliases: Mapping[str, str]) -> None:
    cov.names += 1
    if name in symbols:
        cov.exact += 1
    elif aliases.get(name) in symbols:
        cov.via_alias += 1
    else:
        cov.missing.append(name)
