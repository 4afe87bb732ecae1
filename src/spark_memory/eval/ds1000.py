"""Loading DS-1000: problems, model answers and API retrieval targets.

Reads the upstream *simplified* format (``data/ds1000.jsonl.gz`` of xlang-ai/DS-1000,
the same rows as the Hugging Face ``xlangai/DS-1000`` dataset), whether the full
1,000-problem file or a subset such as the development split, gzipped or not. Every
malformed row is reported with its file and line as :class:`InvalidInput`; nothing
is skipped silently.

Answers come in two upstream shapes: ``{"id", "code": [raw, ...], "metadata"}``
(the GPT answer files) and ``{"code": "raw", "metadata"}`` (codex002, no ``id``),
so the problem id is taken from ``id`` or else from ``metadata.problem_id``.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_memory.errors import InvalidInput, NotFound

LIBRARIES = ("Pandas", "Numpy", "Matplotlib", "Sklearn", "Scipy", "Pytorch", "Tensorflow")
PERTURBATION_TYPES = ("Origin", "Surface", "Semantic", "Difficult-Rewrite")

# Tried in this order inside a data directory: the development split first, so
# that dropping the full upstream file beside it never silently changes the split.
PROBLEM_FILES = ("ds1000-dev.jsonl.gz", "ds1000.jsonl.gz", "ds1000.jsonl")
API_TARGETS_FILE = "api-targets-dev.jsonl.gz"
ANSWERS_DIR = "answers"

# Test-time downloads cannot work offline, so such problems fail for every
# candidate (the reference included); they are recognised by what their test
# code calls rather than by a list of ids, which would not survive a new split.
_NETWORK_DATA = re.compile(
    r"\bload_dataset\s*\("  # seaborn.load_dataset / datasets.load_dataset
    r"|\bfetch_\w+\s*\("  # sklearn.datasets.fetch_*
    r"|\burlopen\s*\(|\burlretrieve\s*\(|\brequests\.get\s*\("
)


@dataclass(frozen=True)
class ProblemMetadata:
    problem_id: int
    library_problem_id: int
    library: str
    test_case_cnt: int
    perturbation_type: str
    perturbation_origin_id: int


@dataclass(frozen=True)
class Problem:
    """One DS-1000 problem: the prompt shown to a model and its execution test."""

    prompt: str
    reference_code: str
    code_context: str
    metadata: ProblemMetadata

    @property
    def problem_id(self) -> int:
        return self.metadata.problem_id

    @property
    def library(self) -> str:
        return self.metadata.library

    @property
    def perturbation_type(self) -> str:
        return self.metadata.perturbation_type

    @property
    def network_data_call(self) -> str | None:
        """The call that downloads data at test time, or None if the test is offline."""
        match = _NETWORK_DATA.search(self.code_context)
        return match.group(0).rstrip("( ") if match else None


@dataclass(frozen=True)
class Answer:
    """A model's raw output(s) for one problem, before post-processing."""

    problem_id: int
    code: tuple[str, ...]
    metadata: ProblemMetadata | None


@dataclass(frozen=True)
class ApiTarget:
    """The public APIs a problem's reference solution uses (retrieval gold set)."""

    problem_id: int
    library: str
    apis: tuple[str, ...]
    apis_core: tuple[str, ...]


# --- files ---------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) from a .jsonl or .jsonl.gz file, blank lines skipped."""
    try:
        with _open_text(path) as lines:
            for lineno, line in enumerate(lines, start=1):
                if line.strip():
                    yield lineno, _parse_object(path, lineno, line)
    except FileNotFoundError as exc:
        raise NotFound(f"no such file: {path}") from exc
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc


def _open_text(path: Path) -> Any:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _parse_object(path: Path, lineno: int, line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{lineno}: not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise InvalidInput(f"{path}:{lineno}: expected a JSON object")
    return obj


# --- parsing -------------------------------------------------------------------------


class _Row:
    """Typed field access on one JSON object, with errors that name file and line."""

    def __init__(self, obj: Mapping[str, Any], where: str) -> None:
        self.obj = obj
        self.where = where

    def text(self, key: str) -> str:
        value = self.obj.get(key)
        if not isinstance(value, str):
            raise InvalidInput(f"{self.where}: field {key!r} must be a string")
        return value

    def integer(self, key: str) -> int:
        value = self.obj.get(key)
        # bool is an int subclass; a true/false id is a broken file, not id 1/0
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise InvalidInput(f"{self.where}: field {key!r} must be an integer")

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.obj.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{self.where}: field {key!r} must be a list of strings")
        return tuple(value)

    def mapping(self, key: str) -> _Row:
        value = self.obj.get(key)
        if not isinstance(value, Mapping):
            raise InvalidInput(f"{self.where}: field {key!r} must be an object")
        return _Row(value, f"{self.where}: {key}")


def parse_metadata(row: _Row) -> ProblemMetadata:
    return ProblemMetadata(
        problem_id=row.integer("problem_id"),
        library_problem_id=row.integer("library_problem_id"),
        library=row.text("library"),
        test_case_cnt=row.integer("test_case_cnt"),
        perturbation_type=row.text("perturbation_type"),
        perturbation_origin_id=row.integer("perturbation_origin_id"),
    )


def parse_problem(obj: Mapping[str, Any], where: str = "problem") -> Problem:
    row = _Row(obj, where)
    return Problem(
        prompt=row.text("prompt"),
        reference_code=row.text("reference_code"),
        code_context=row.text("code_context"),
        metadata=parse_metadata(row.mapping("metadata")),
    )


def parse_answer(obj: Mapping[str, Any], where: str = "answer") -> Answer:
    row = _Row(obj, where)
    metadata = parse_metadata(row.mapping("metadata")) if "metadata" in obj else None
    if "id" in obj:
        problem_id = row.integer("id")
    elif metadata is not None:
        problem_id = metadata.problem_id
    else:
        raise InvalidInput(f"{where}: an answer needs 'id' or 'metadata.problem_id'")
    code = (row.text("code"),) if isinstance(obj.get("code"), str) else row.strings("code")
    return Answer(problem_id=problem_id, code=code, metadata=metadata)


def parse_api_target(obj: Mapping[str, Any], where: str = "api target") -> ApiTarget:
    row = _Row(obj, where)
    return ApiTarget(
        problem_id=row.integer("problem_id"),
        library=row.text("library"),
        apis=row.strings("apis"),
        apis_core=row.strings("apis_core"),
    )


# --- loading -------------------------------------------------------------------------


def load_problems(path: Path) -> list[Problem]:
    """All problems of a DS-1000 file, ordered by problem id; ids must be unique."""
    problems = [parse_problem(obj, f"{path}:{n}") for n, obj in read_jsonl(path)]
    _check_unique(path, [p.problem_id for p in problems])
    return sorted(problems, key=lambda p: p.problem_id)


def load_answers(path: Path) -> dict[int, Answer]:
    """A model's answers keyed by problem id."""
    answers = [parse_answer(obj, f"{path}:{n}") for n, obj in read_jsonl(path)]
    _check_unique(path, [a.problem_id for a in answers])
    return {a.problem_id: a for a in answers}


def load_api_targets(path: Path) -> dict[int, ApiTarget]:
    targets = [parse_api_target(obj, f"{path}:{n}") for n, obj in read_jsonl(path)]
    _check_unique(path, [t.problem_id for t in targets])
    return {t.problem_id: t for t in targets}


def _check_unique(path: Path, ids: Sequence[int]) -> None:
    seen: set[int] = set()
    for problem_id in ids:
        if problem_id in seen:
            raise InvalidInput(f"{path}: problem id {problem_id} appears more than once")
        seen.add(problem_id)


def select(
    problems: Sequence[Problem],
    libraries: Sequence[str] = (),
    problem_ids: Sequence[int] = (),
    limit: int | None = None,
) -> list[Problem]:
    """Filter problems by library (case-insensitive) and id, then keep the first `limit`."""
    wanted = {lib.lower() for lib in libraries}
    unknown = wanted - {lib.lower() for lib in LIBRARIES}
    if unknown:
        raise InvalidInput(f"unknown library {sorted(unknown)}; choose from {list(LIBRARIES)}")
    chosen = [
        p
        for p in problems
        if (not wanted or p.library.lower() in wanted)
        and (not problem_ids or p.problem_id in problem_ids)
    ]
    return chosen if limit is None else chosen[:limit]


class DS1000:
    """A DS-1000 data directory: the problem file, ``answers/`` and the API targets."""

    def __init__(self, data_dir: Path, problems_file: Path | None = None) -> None:
        self.data_dir = data_dir
        self._problems_file = problems_file

    @property
    def problems_path(self) -> Path:
        if self._problems_file is not None:
            return self._problems_file
        for name in PROBLEM_FILES:
            if (self.data_dir / name).is_file():
                return self.data_dir / name
        raise NotFound(f"no DS-1000 problem file ({', '.join(PROBLEM_FILES)}) in {self.data_dir}")

    def problems(self) -> list[Problem]:
        return load_problems(self.problems_path)

    def models(self) -> list[str]:
        """Names of the models whose answers are stored under ``answers/``."""
        folder = self.data_dir / ANSWERS_DIR
        if not folder.is_dir():
            return []
        return sorted(_model_name(p) for p in folder.iterdir() if _model_name(p))

    def answers_path(self, model: str) -> Path:
        """``answers/<model>.jsonl[.gz]``, or upstream's ``<model>-answers.jsonl[.gz]``."""
        candidates = [
            self.data_dir / ANSWERS_DIR / f"{model}.jsonl.gz",
            self.data_dir / ANSWERS_DIR / f"{model}.jsonl",
            self.data_dir / f"{model}-answers.jsonl.gz",
            self.data_dir / f"{model}-answers.jsonl",
        ]
        for path in candidates:
            if path.is_file():
                return path
        known = ", ".join(self.models()) or "none"
        raise NotFound(f"no answers for model {model!r} in {self.data_dir} (known: {known})")

    def answers(self, model: str) -> dict[int, Answer]:
        return load_answers(self.answers_path(model))

    def api_targets(self) -> dict[int, ApiTarget]:
        return load_api_targets(self.data_dir / API_TARGETS_FILE)


def _model_name(path: Path) -> str:
    for suffix in (".jsonl.gz", ".jsonl"):
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return ""
