"""The exact vector search over a subset finds the same top k however large the subset."""

from __future__ import annotations

import numpy as np
import pytest

from spark_memory.store.sqlite.vector_index import VectorIndex


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    m = rng.standard_normal((n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


@pytest.mark.parametrize("share", [0.05, 0.5, 0.95, 1.0])
def test_a_filtered_search_returns_the_best_allowed_keys(share: float) -> None:
    rng = np.random.default_rng(7)
    keys = np.arange(100, 400, dtype=np.int64)
    vectors = _unit(rng, len(keys), 32)
    index = VectorIndex(32, ann_threshold=10**9)  # exact only
    index.upsert(keys, vectors)
    index.remove(keys[:10])  # removed keys stay out even when allowed
    allowed = rng.permutation(keys)[: int(share * len(keys))]
    allowed = np.concatenate([allowed, np.array([9_999, 10_000], dtype=np.int64)])  # unknown
    query = _unit(rng, 1, 32)[0]
    found, sims = index.search(query, 12, allowed)
    present = [k for k in allowed if k in set(keys[10:].tolist())]
    scores = {int(k): float(vectors[int(k) - 100] @ query) for k in present}
    expected = sorted(scores, key=lambda k: -scores[k])[:12]
    assert [int(k) for k in found] == expected
    assert np.allclose(sims, [scores[k] for k in expected], atol=1e-5)
