"""Step 1, analyse intent: libraries, look-alikes, task kind, error signature, versions.

Libraries are scored by evidence: an import is strong, a conventional alias used in
code (``pd.``) or the library named in prose is good, the environment alone only
supplies versions. The task's own code blocks count as code: agents paste code into
the task as often as they pass it separately.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from spark_memory.coach import apinames
from spark_memory.coach.models import CoachRequest, Intent, TaskKind
from spark_memory.libraries import (
    BY_ALIAS,
    BY_NAME,
    BY_WORD,
    library_of_distribution,
    library_of_module,
    lookalikes,
)
from spark_memory.signatures import error_type, normalise_error

_IMPORT = re.compile(
    r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)", re.M
)
_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([\w\s,]+?)\)?\s*$", re.M)
_ALIAS_USE = re.compile(r"\b([A-Za-z_]\w*)\.[A-Za-z_]")
_WORDS = re.compile(r"[a-z][a-z\-]+")
_VERSION_MENTION = re.compile(
    r"\b([A-Za-z][\w\-]*)\s*(?:version\s*)?v?(\d+\.\d+(?:\.\d+)?)\b", re.I
)

_IMPORT_WEIGHT = 3.0
_WORD_WEIGHT = 2.0
_ALIAS_WEIGHT = 0.5  # per use, capped
_ALIAS_CAP = 3.0

# Words that reveal the kind of task; the kind with most of its words in the task wins.
_KIND_WORDS: tuple[tuple[TaskKind, str], ...] = (
    (
        TaskKind.PLOT,
        "plot plots plotting chart figure axis axes legend xlabel ylabel xticks yticks"
        " subplot subplots histogram scatter colorbar heatmap",
    ),
    (
        TaskKind.MODEL_TRAINING,
        "train training fit model classifier regression regressor epoch epochs optimizer"
        " loss predict prediction layer network neural",
    ),
    (TaskKind.IO, "csv read write file files load save excel json parquet"),
    (TaskKind.PERFORMANCE, "faster slow slower speed speedup efficient efficiently performance"),
    (
        TaskKind.DATA_WRANGLING,
        "dataframe column columns row rows groupby merge join pivot index series aggregate",
    ),
    (
        TaskKind.NUMERIC,
        "array matrix tensor vector integral integrate optimize interpolate sum mean distance"
        " element elements",
    ),
)
_KIND_LIBRARIES = {TaskKind.PLOT: ("matplotlib", "seaborn", "plotly")}
_KIND_BONUS = 2.0


def analyse(request: CoachRequest) -> Intent:
    code = "\n".join([request.code, *apinames.code_blocks(request.task)])
    aliases = imported_aliases(code)
    kind = task_kind(request)
    scores = _library_scores(request.task, code, aliases, kind)
    libraries = [lib for lib, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Intent(
        libraries=libraries,
        versions=_versions(request, libraries),
        lookalikes=lookalikes(libraries),
        task_kind=kind,
        error_type=error_type(request.error),
        error_signature=normalise_error(request.error),
        api_names=apinames.mentioned(request.task, code, aliases, request.error),
        aliases=aliases,
    )


def imported_aliases(code: str) -> dict[str, str]:
    """Name bound by each import -> the module path or object it names."""
    out: dict[str, str] = {}
    for found in _IMPORT.finditer(code):
        for part in found[1].split(","):
            module, _, alias = (p.strip() for p in part.partition(" as "))
            out[alias or module.split(".", 1)[0]] = module if alias else module.split(".", 1)[0]
    for found in _FROM_IMPORT.finditer(code):
        for part in found[2].replace("\n", ",").split(","):
            name, _, alias = (p.strip() for p in part.strip().partition(" as "))
            if name and name != "*":
                out[alias or name] = f"{found[1]}.{name}"
    return out


def task_kind(request: CoachRequest) -> TaskKind:
    if request.error.strip():
        return TaskKind.FIX_ERROR
    words = Counter(_WORDS.findall(request.task.lower()))
    votes = [(sum(words[w] for w in vocab.split()), kind) for kind, vocab in _KIND_WORDS]
    best = max(votes, key=lambda v: v[0])  # first kind wins a tie
    return best[1] if best[0] else TaskKind.GENERAL


def _library_scores(
    task: str, code: str, aliases: Mapping[str, str], kind: TaskKind
) -> dict[str, float]:
    scores: defaultdict[str, float] = defaultdict(float)
    for module in set(aliases.values()):
        lib = library_of_module(module)
        scores[lib] = max(scores[lib], _IMPORT_WEIGHT)
    _add_alias_uses(scores, task + "\n" + code, aliases)
    for lib in _named_in_prose(task):
        scores[lib] += _WORD_WEIGHT
    for lib in _KIND_LIBRARIES.get(kind, ()):
        if lib in scores:
            scores[lib] += _KIND_BONUS
    return {lib: score for lib, score in scores.items() if lib.isidentifier()}


def _add_alias_uses(scores: defaultdict[str, float], text: str, aliases: Mapping[str, str]) -> None:
    uses: Counter[str] = Counter()
    for name in _ALIAS_USE.findall(text):
        module = aliases.get(name)
        lib = library_of_module(module) if module else BY_ALIAS.get(name)
        if lib:
            uses[lib] += 1
    for lib, n in uses.items():
        scores[lib] += min(_ALIAS_CAP, n * _ALIAS_WEIGHT)


def _named_in_prose(task: str) -> set[str]:
    prose = apinames.prose_of(task)
    text = "\n".join(line for line in prose.splitlines() if not apinames.is_code_line(line)).lower()
    found = {BY_WORD[w] for w in _WORDS.findall(text) if w in BY_WORD}
    found |= {lib for word, lib in BY_WORD.items() if " " in word and word in text}
    return found


def _versions(request: CoachRequest, libraries: Iterable[str]) -> dict[str, str]:
    # Versions of the libraries in play; with none detected, of every library the
    # coach knows by name, so version preference still works on a vague task.
    wanted = set(libraries) or set(BY_NAME)
    versions: dict[str, str] = {}
    for found in _VERSION_MENTION.finditer(request.task):
        lib = BY_WORD.get(found[1].lower())
        if lib:
            versions.setdefault(lib, found[2])
    for dist, ver in request.environment.items():
        if ver.strip():
            versions[library_of_distribution(dist)] = ver.strip()  # installed beats prose
    return {lib: ver for lib, ver in versions.items() if lib in wanted}
