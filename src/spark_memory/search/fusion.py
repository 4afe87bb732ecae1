"""Weighted reciprocal-rank fusion of ranked channels, after a relevance floor.

RRF adds ``weight / (k + rank)`` per channel a document appears in. It needs no score
calibration between channels (BM25 and cosine are on unrelated scales), which is why
it is the fusion of choice here.

Rank alone hides how good a match is: in a pool of five lessons the best is rank 1
however poor its score. So documentation and lessons compete in one list per channel
(``pooled``: BM25 against BM25, cosine against cosine), and a document enters that
list only when its own score clears the channel's floor (``Floors``): a share of the
channel's best BM25 score, a cosine both absolute and within a margin of the best.
A lesson that matches one common word (BM25 1e-6) or is barely similar in meaning
(cosine 0.34 beside a page at 0.73) is not a candidate at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from spark_memory.models import ChannelHit, ChannelScore


@dataclass(frozen=True)
class Floors:
    bm25_share: float = 0.2  # of the channel's best BM25 score
    cosine: float = 0.2  # absolute
    cosine_margin: float = 0.3  # below the channel's best cosine

    def bm25(self, hits: Sequence[ChannelHit]) -> list[ChannelHit]:
        best = max((h.score for h in hits), default=0.0)
        return [h for h in hits if h.score > 0 and h.score >= self.bm25_share * best]

    def vector(self, hits: Sequence[ChannelHit]) -> list[ChannelHit]:
        best = max((h.score for h in hits), default=0.0)
        floor = max(self.cosine, best - self.cosine_margin)
        return [h for h in hits if h.score >= floor]


FLOORS = Floors()


def pooled(name: str, lists: Iterable[Sequence[ChannelHit]], floors: Floors) -> list[ChannelHit]:
    """One channel's hits of every document type, best score first, above the floor,
    ranked anew."""
    hits = sorted((h for hits in lists for h in hits), key=lambda h: -h.score)
    kept = floors.bm25(hits) if name == "bm25" else floors.vector(hits)
    return [ChannelHit(id=h.id, rank=n, score=h.score) for n, h in enumerate(kept, 1)]


def rrf(
    channels: Iterable[tuple[str, Sequence[ChannelHit]]], weights: Mapping[str, float], k: float
) -> list[tuple[str, float, dict[str, ChannelScore]]]:
    """Fused (id, score, per-channel explanation), best first; ties keep first-seen order."""
    fused: dict[str, float] = {}
    explain: dict[str, dict[str, ChannelScore]] = {}
    for name, hits in channels:
        weight = weights.get(name, 0.0)
        for hit in hits:
            fused[hit.id] = fused.get(hit.id, 0.0) + weight / (k + hit.rank)
            explain.setdefault(hit.id, {})[name] = ChannelScore(rank=hit.rank, score=hit.score)
    order = sorted(fused, key=lambda i: -fused[i])
    return [(i, fused[i], explain[i]) for i in order]
