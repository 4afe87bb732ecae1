"""Asking perturbations and scoring which insights are cited, for the learning benchmark.

A perturbation's family is its (library, origin problem) pair, so whether a cited
insight was learned from the question's own origin is exact: an insight's origins
are read from its provenance (trace ids, following promotion and merge links), and
every trace id maps back to the problem it was recorded for.

    hit@3     an insight learned from the question's own origin is among the first three cited
    hit@1     it is the first
    noise     share of cited insights (first three) learned only from unrelated problems
    coverage  the origin produced an insight the asker can see (the ceiling of hit@3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from spark_memory.eval.ds1000 import Problem
from spark_memory.models import DocType, Principal, Role
from spark_memory.requests import RecommendBody, SearchBody
from spark_memory.service import Spark

TEST_TYPES = ("Surface", "Semantic", "Difficult-Rewrite")
VIA = ("recommend", "search")
NEWCOMER = Principal(org_id="org-newcomer", agent_id="agent-newcomer", role=Role.WRITER)
FamilyKey = tuple[str, int]  # (library, library_problem_id of the origin)
Progress = Callable[[int, int], None]


def family(problem: Problem) -> FamilyKey:
    return problem.library, problem.metadata.perturbation_origin_id


def member(model: str) -> Principal:
    return Principal(org_id=f"org-{model}", agent_id=f"agent-{model}", role=Role.WRITER)


@dataclass
class Tally:
    questions: int = 0
    hits: int = 0
    first_hits: int = 0
    covered: int = 0
    cited: int = 0
    unrelated: int = 0
    noisy_questions: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, Any]:
        q = max(self.questions, 1)
        return {
            **vars(self),
            "hit_at_3": round(self.hits / q, 4),
            "hit_at_1": round(self.first_hits / q, 4),
            "coverage": round(self.covered / q, 4),
            "noise": round(self.unrelated / self.cited, 4) if self.cited else 0.0,
            "noisy_question_share": round(self.noisy_questions / q, 4),
        }


class Provenance:
    """Which origin problems each insight was learned from (read with curator rights)."""

    def __init__(self, spark: Spark, origin_of: dict[str, FamilyKey]) -> None:
        self.spark = spark
        self.origin_of = origin_of
        self._cache: dict[str, set[FamilyKey]] = {}

    def __call__(self, insight_id: str) -> set[FamilyKey]:
        if insight_id not in self._cache:
            traces = self.spark.learned_from(insight_id)
            self._cache[insight_id] = {self.origin_of[t] for t in traces if t in self.origin_of}
        return self._cache[insight_id]


def cited_insights(spark: Spark, prompt: str, asker: Principal, via: str) -> list[str]:
    if via == "recommend":
        # extractive: an LLM configured on the machine must not change what is measured
        asked = RecommendBody.given(task=prompt, mode="extractive")
        answer = spark.recommend(asked, principal=asker)
        return [c.id for c in answer.citations if c.doc_type is DocType.INSIGHT][:3]
    query = SearchBody.given(query=prompt[:8000], k=3)
    hits = spark.search(query, principal=asker, doc_types=(DocType.INSIGHT,))
    return [h.id for h in hits]


def visible_families(spark: Spark, asker: Principal, learned: Provenance) -> set[FamilyKey]:
    insights = spark.visible_insights(principal=asker)
    return {key for i in insights for key in learned(i.id)}


def measure(
    spark: Spark, tests: Sequence[Problem], asker: Principal, via: str, learned: Provenance
) -> dict[str, Tally]:
    visible = visible_families(spark, asker, learned)
    out = {t: Tally() for t in TEST_TYPES}
    for problem in tests:
        key = family(problem)
        cited = cited_insights(spark, problem.prompt, asker, via)
        sources = [learned(i) for i in cited]
        unrelated = sum(key not in s for s in sources)
        out[problem.perturbation_type].add(
            Tally(
                questions=1,
                hits=int(any(key in s for s in sources)),
                first_hits=int(bool(sources) and key in sources[0]),
                covered=int(key in visible),
                cited=len(cited),
                unrelated=unrelated,
                noisy_questions=int(unrelated > 0),
            )
        )
    return out


def measure_all(
    spark: Spark,
    tests: Sequence[Problem],
    members: Sequence[str],
    via: str,
    learned: Provenance,
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """Per perturbation type: the newcomer's tallies, and the member orgs' summed."""
    askers = [NEWCOMER, *(member(m) for m in members)]
    results = []
    for n, asker in enumerate(askers):
        results.append(measure(spark, tests, asker, via, learned))
        if progress:
            progress(n + 1, len(askers))
    summed = {t: Tally() for t in TEST_TYPES}
    for per_type in results[1:]:
        for kind, tally in per_type.items():
            summed[kind].add(tally)
    return {
        "newcomer": {k: v.as_dict() for k, v in results[0].items()},
        "members": {k: v.as_dict() for k, v in summed.items()},
    }


def asking_members(models: Sequence[str], everyone: bool) -> list[str]:
    """Member orgs that ask: all, or the first and last answer file (by default
    codex002 and gpt-4o, the weakest and the strongest) to bound the run time."""
    return list(models) if everyone or len(models) <= 2 else [models[0], models[-1]]
