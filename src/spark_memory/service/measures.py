"""What the evaluations (``spark eval``) read and write beyond the agent verbs.

A benchmark measures parts an agent never sees on its own: each search channel
before fusion, the whole knowledge base, which traces a lesson was learned from,
and a pool of lessons planted as they are. They are the operator's reads, over every
org; interfaces reach them here, never through the store.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Literal

from spark_memory.learning.admission import insight_text
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    DocType,
    Insight,
    Principal,
    SearchFilters,
    Snippet,
    Vectors,
)
from spark_memory.service.base import ServiceBase
from spark_memory.store.protocol import LinkKind

Channel = Literal["bm25", "vector"]
_ALL = 10**9


class Measures(ServiceBase):
    # --- the knowledge base -------------------------------------------------------------------
    def kb_batches(self, batch: int = 4096) -> Iterator[list[Snippet]]:
        """Every snippet of the knowledge base (public), in batches."""
        return self.store.iter_snippets(batch)

    def kb_snippets(self, snippet_ids: Sequence[str]) -> dict[str, Snippet]:
        """The snippets among ``snippet_ids``, by id (an id that is not one is left out)."""
        return self.store.get_snippets(snippet_ids)

    def channel(self, name: Channel, query: str, vector: Vectors, k: int) -> list[str]:
        """The snippet ids one search channel ranks first, before fusion (operator's view)."""
        filters, me = SearchFilters(), LOCAL_PRINCIPAL
        if name == "bm25":
            hits = self.store.lexical_search(query, DocType.SNIPPET, filters, me, k)
        else:
            hits = self.store.vector_search(vector, DocType.SNIPPET, filters, me, k)
        return [h.id for h in hits]

    # --- lessons ------------------------------------------------------------------------------
    def visible_insights(self, *, principal: Principal, limit: int = 100_000) -> list[Insight]:
        """Every insight ``principal`` may see, any library."""
        return self.store.list_insights(principal, SearchFilters(), limit=limit)

    def learned_from(self, insight_id: str) -> set[str]:
        """The ids of the traces an insight was learned from, its sources' included.

        A public copy or a merge survivor holds its sources' evidence only through its
        links (and their snapshots, when a source is gone).
        """
        ids, snapshots = {insight_id}, []
        for link in self.store.links_of([insight_id]):
            if link.target_id == insight_id and link.kind in (LinkKind.PROMOTED, LinkKind.MERGED):
                ids.add(link.source_id)
                if link.snapshot:
                    snapshots.append(json.loads(link.snapshot))
        found = self.store.unscoped_insights(sorted(ids)).values()
        traces = {t for i in found for t in i.provenance.trace_ids}
        return traces | {t for s in snapshots for t in s["provenance"]["trace_ids"]}

    def insights_by_scope_and_status(self) -> dict[str, int]:
        """How many insights of every org there are, as ``scope/status`` -> count."""
        insights = self.store.unscoped_insights_since(None, limit=_ALL)
        counts = Counter(f"{i.scope.value}/{i.status.value}" for i in insights)
        return dict(sorted(counts.items()))

    def plant(self, insights: Sequence[Insight], batch: int = 256) -> list[str]:
        """Store ready-made insights as they are, embedded; their ids (a benchmark's pool).

        They bypass the learning loop's admission on purpose: the pool stands for what
        curation already let in.
        """
        ids = []
        for start in range(0, len(insights), batch):
            chunk = insights[start : start + batch]
            vectors = self.embedder.embed([insight_text(i) for i in chunk])
            for insight, vector in zip(chunk, vectors, strict=True):
                self.store.put_insight(insight, vector, self.space)
                ids.append(insight.id)
        return ids
