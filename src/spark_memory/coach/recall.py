"""Steps 3 and 4, recall experience and retrieve documentation, then merge.

The coach asks its ``Retriever`` port for one ranked list per planned query (both
snippets and insights) and for the knowledge-base symbols the request names. The
lists are fused by weighted reciprocal rank, so a document several focused queries
agree on rises, and each source remembers which queries found it: that is the
reason its citation gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from spark_memory.coach.models import ApiMention, Intent, PlannedQuery
from spark_memory.models import DocType, Insight, Principal, SearchFilters, SearchHit

# Weight of each query purpose in the fusion; an error signature is the sharpest cue.
QUERY_WEIGHTS = {"task": 1.0, "question": 0.8, "api": 1.0, "error": 1.5}
# A symbol named in prose or in an error is what the caller asks about.
MENTION_WEIGHTS = {"error": 2.5, "prose": 2.0, "code": 0.8}
RRF_K = 20.0  # smaller than search's 60: here the top of each focused list matters most
CANDIDATES_PER_NAME = 2  # a bare method name may denote several classes' methods


class Retriever(Protocol):
    """What the coach needs from search; the service implements it over HybridSearch."""

    def search(
        self, queries: Sequence[str], filters: SearchFilters, principal: Principal, k: int
    ) -> list[list[SearchHit]]:
        """One ranked list per query (implementations embed all queries in one batch)."""
        ...

    def find_symbols(
        self, names: Sequence[str], filters: SearchFilters
    ) -> dict[str, list[SearchHit]]:
        """Snippets whose symbol is ``name`` or ends with ``.name``, per name."""
        ...

    def insights(self, ids: Sequence[str], principal: Principal) -> dict[str, Insight]: ...


@dataclass
class Source:
    """A retrieved snippet or insight, its fused score and what found it."""

    hit: SearchHit
    score: float = 0.0
    found_by: list[str] = field(default_factory=list)
    mention: ApiMention | None = None
    insight: Insight | None = None
    lexical: bool = False  # some query matched it by words, not only by vector
    best_cosine: float = 0.0

    @property
    def id(self) -> str:
        return self.hit.id

    @property
    def is_insight(self) -> bool:
        return self.hit.doc_type is DocType.INSIGHT


@dataclass
class Evidence:
    docs: list[Source]  # snippets, best first
    experience: list[Source]  # insights, best first (trust already in their score)
    queries: list[PlannedQuery]


def merge(
    plan: Sequence[PlannedQuery],
    results: Sequence[Sequence[SearchHit]],
    symbols: Mapping[str, Sequence[SearchHit]],
    intent: Intent,
) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for query, hits in zip(plan, results, strict=True):
        weight = QUERY_WEIGHTS.get(query.purpose, 1.0)
        for rank, hit in enumerate(hits, 1):
            _credit(sources, hit, weight / (RRF_K + rank), f"{query.purpose} #{rank}")
    for rank, mention in enumerate(intent.api_names, 1):
        for hit in pick_candidates(mention, symbols.get(mention.name, ()), sources):
            weight = MENTION_WEIGHTS.get(mention.where, 1.0)
            source = _credit(sources, hit, weight / (RRF_K + rank), f"named:{mention.where}")
            source.mention = source.mention or mention
    return sources


def pick_candidates(
    mention: ApiMention, candidates: Sequence[SearchHit], sources: Mapping[str, Source]
) -> list[SearchHit]:
    """The symbols a mentioned name most likely means: exact spelling first, then what
    the searches also found, then the shortest (most central) path."""
    exact = [c for c in candidates if c.symbol == mention.name]
    if exact:
        return exact[:1]

    def key(c: SearchHit) -> tuple[float, int, int]:
        found = sources.get(c.id)
        return (-(found.score if found else 0.0), c.symbol.count("."), len(c.symbol))

    return sorted(candidates, key=key)[:CANDIDATES_PER_NAME]


def split(sources: Mapping[str, Source], plan: Sequence[PlannedQuery]) -> Evidence:
    ranked = sorted(sources.values(), key=lambda s: -s.score)
    return Evidence(
        docs=[s for s in ranked if not s.is_insight],
        experience=[s for s in ranked if s.is_insight],
        queries=list(plan),
    )


def _credit(sources: dict[str, Source], hit: SearchHit, score: float, why: str) -> Source:
    source = sources.setdefault(hit.id, Source(hit=hit))
    source.score += score
    source.found_by.append(why)
    source.lexical = source.lexical or "bm25" in hit.channels
    vector = hit.channels.get("vector")
    if vector is not None and vector.score is not None:
        source.best_cosine = max(source.best_cosine, vector.score)
    return source
