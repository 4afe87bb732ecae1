"""Weighted reciprocal-rank fusion of ranked channels.

RRF adds ``weight / (k + rank)`` per channel a document appears in. It needs no score
calibration between channels (BM25 and cosine are on unrelated scales), which is why
it is the fusion of choice here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from spark_memory.models import ChannelHit, ChannelScore


def rrf(
    channels: Iterable[tuple[str, Sequence[ChannelHit]]], weights: Mapping[str, float], k: float
) -> list[tuple[str, float, dict[str, ChannelScore]]]:
    """Fused (id, score, per-channel explanation), best first; ties keep first-seen order.

    A channel name may come more than once (one list per document type): ranks from
    different indexes are not comparable by score, but are by position.
    """
    fused: dict[str, float] = {}
    explain: dict[str, dict[str, ChannelScore]] = {}
    for name, hits in channels:
        weight = weights.get(name, 0.0)
        for hit in hits:
            fused[hit.id] = fused.get(hit.id, 0.0) + weight / (k + hit.rank)
            explain.setdefault(hit.id, {})[name] = ChannelScore(rank=hit.rank, score=hit.score)
    order = sorted(fused, key=lambda i: -fused[i])
    return [(i, fused[i], explain[i]) for i in order]
