"""Lessons that are not about the benchmark's tasks, planted in a store for two conditions.

- **off-topic**: a handful of public lessons a real team's store holds in its first
  weeks (a few about the same libraries, none about any DS-1000 task). With them in
  the store, documentation must still outrank them on documentation questions, and
  the coach must not cite them.
- **grown pool**: a few thousand public lessons, generated deterministically from the
  installed libraries' own docstrings (each warning or deprecation sentence of a
  public function becomes a pitfall about that function, each summary line a practice
  "To ..., use `f`"), so the learning benchmark's
  lessons compete with a store of realistic size. No DS-1000 text is used.

Both are planted with ``plant`` as active public insights of an org of their own,
embedded like any insight.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from spark_memory.config import Settings
from spark_memory.errors import InvalidInput
from spark_memory.models import (
    Insight,
    InsightKind,
    InsightStatus,
    Provenance,
    Scope,
    Trust,
    content_hash,
    make_id,
)
from spark_memory.providers.embedders import make_embedder
from spark_memory.service import Spark

POOL_ORG = "org-background"
POOL_AGENT = "agent-background"
# Modules whose public functions' docstrings feed the grown pool (installed with Spark).
POOL_MODULES = (
    *("numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.ma", "pandas"),
    *("scipy.stats", "scipy.optimize", "scipy.signal", "scipy.sparse", "scipy.linalg"),
    *("scipy.interpolate", "scipy.integrate", "scipy.spatial", "scipy.ndimage"),
    *("sklearn.preprocessing", "sklearn.linear_model", "sklearn.ensemble", "sklearn.metrics"),
    *("sklearn.model_selection", "sklearn.cluster", "sklearn.decomposition", "sklearn.svm"),
    *("sklearn.feature_extraction.text", "sklearn.pipeline", "matplotlib.pyplot"),
)
_WARNING = re.compile(
    r"\b(deprecated|will be removed|warning|beware|caution|not supported|must not|do not|"
    r"is not recommended|discouraged|note that|slower|copy|in-place|inplace)\b",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True)
class Lesson:
    title: str
    content: str
    tags: tuple[str, ...]
    kind: InsightKind = InsightKind.PRACTICE


# Written for this benchmark; plausible in a young store, about no DS-1000 task.
OFF_TOPIC: tuple[Lesson, ...] = (
    Lesson(
        "np.column_stack for 1-D arrays",
        "To join 1-D arrays as the columns of a 2-D array use np.column_stack((a, b));"
        " np.hstack would concatenate them into one long 1-D array.",
        ("numpy",),
    ),
    Lesson(
        "Pass dtype to read_csv for ID columns",
        "pd.read_csv infers integer types and drops leading zeros of identifiers such as"
        " postal codes; pass dtype={'zip': str} for columns that are labels, not numbers.",
        ("pandas",),
        InsightKind.PITFALL,
    ),
    Lesson(
        "Always set a timeout on HTTP requests",
        "requests.get without timeout= can hang a worker forever when the server stops"
        " answering; pass timeout=(3.05, 30) and retry with backoff.",
        ("requests",),
        InsightKind.PITFALL,
    ),
    Lesson(
        "Use pathlib for file paths",
        "Build paths with pathlib.Path and the / operator instead of string concatenation;"
        " it handles separators on every platform and reads better.",
        ("python",),
    ),
    Lesson(
        "Pin the base image in Dockerfiles",
        "FROM python:3.11 drifts between builds; pin the digest or a full patch version so"
        " that CI and production run the same interpreter.",
        ("docker",),
    ),
    Lesson(
        "Seed numpy's Generator, not the global state",
        "Create rng = np.random.default_rng(seed) and pass it around; np.random.seed changes"
        " global state that other libraries also draw from.",
        ("numpy",),
    ),
)


def docstring_lessons(limit: int, modules: Sequence[str] = POOL_MODULES) -> list[Lesson]:
    """Up to ``limit`` lessons from public docstrings, in a fixed order (module, then
    name), so the same installed versions give the same pool: first a pitfall per
    warning sentence, then a practice per summary line ("To ..., use `f`")."""
    pitfalls: list[Lesson] = []
    practices: list[Lesson] = []
    seen: set[str] = set()
    for module_name in modules:
        library = module_name.split(".")[0]
        for name, doc in _docstrings(module_name):
            flat = " ".join(doc.split())
            summary = _SENTENCE_END.split(flat, maxsplit=1)[0]
            if 20 <= len(summary) <= 200 and summary not in seen:
                seen.add(summary)
                practices.append(_practice(name, summary, library))
            for sentence in _SENTENCE_END.split(flat):
                # ufuncs and estimators share boilerplate sentences: one lesson each
                if (
                    40 <= len(sentence) <= 300
                    and _WARNING.search(sentence)
                    and sentence not in seen
                ):
                    seen.add(sentence)
                    pitfalls.append(
                        Lesson(
                            title=f"{name}: {sentence[:80].rstrip()}",
                            content=f"When calling `{name}`: {sentence}",
                            tags=(library,),
                            kind=InsightKind.PITFALL,
                        )
                    )
    return [*pitfalls, *practices][:limit]


def _practice(name: str, summary: str, library: str) -> Lesson:
    ask = summary[0].lower() + summary[1:].rstrip(".")
    return Lesson(
        title=f"Use {name.rsplit('.', 1)[-1]}: {ask[:80]}",
        content=f"To {ask}, use `{name}`.",
        tags=(library,),
    )


def _docstrings(module_name: str) -> Iterator[tuple[str, str]]:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    for attr in sorted(dir(module)):
        if attr.startswith("_"):
            continue
        obj = getattr(module, attr, None)
        members = [(attr, obj)]
        if inspect.isclass(obj):
            members += [
                (f"{attr}.{m}", getattr(obj, m, None))
                for m in sorted(vars(obj))
                if not m.startswith("_")
            ]
        for name, member in members:
            doc = inspect.getdoc(member) if callable(member) else None
            if doc:
                yield f"{module_name}.{name}", doc


def plant(spark: Spark, lessons: Sequence[Lesson], batch: int = 256) -> list[str]:
    """Store ``lessons`` as active public insights; returns their ids."""
    return spark.plant([_insight(lesson) for lesson in lessons], batch)


def _insight(lesson: Lesson) -> Insight:
    return Insight(
        id=make_id("ins", POOL_ORG, POOL_AGENT, lesson.title, lesson.content),
        org_id=POOL_ORG,
        agent_id=POOL_AGENT,
        scope=Scope.PUBLIC,
        title=lesson.title[:200],
        content=lesson.content,
        query=lesson.title,
        tags=list(lesson.tags),
        kind=lesson.kind,
        provenance=Provenance(orgs=[POOL_ORG], agents=[POOL_AGENT]),
        # as endorsed as a lesson that reached public scope
        trust=Trust(alpha=4.0, beta=1.0),
        status=InsightStatus.ACTIVE,
        content_hash=content_hash(lesson.title, lesson.content),
    )


@contextlib.contextmanager
def store_copy(settings: Settings) -> Iterator[Spark]:
    """A Spark over a temporary copy of the configured SQLite store (deleted after), so a
    condition can plant lessons without touching the knowledge base it measures."""
    if settings.database_url:
        raise InvalidInput(
            "conditions with planted lessons copy a SQLite store; unset SPARK_DATABASE_URL"
        )
    with tempfile.TemporaryDirectory(prefix="spark-eval-copy-") as home:
        copy = replace(settings, home=Path(home), llm_base_url="", llm_model="", llm_api_key="")
        source = sqlite3.connect(f"file:{settings.db_path}?mode=ro", uri=True)
        target = sqlite3.connect(copy.db_path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        # the embedder keeps the user's home, so MiniLM's compiled model cache is reused
        with Spark.open(copy, embedder=make_embedder(settings)) as spark:
            yield spark
