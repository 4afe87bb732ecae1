"""A tiny deterministic embedder for unit tests: no model, no files, no network.

Each text becomes a hashed bag of lower-cased words and character trigrams (the
"hashing trick"), signed to keep collisions unbiased, then L2-normalised. Texts
that share words land close together, which is enough to test ranking code; it is
not a semantic model and ``make_embedder`` only offers it as "hash" for tests.

Hashes come from blake2b, not ``hash()``, so vectors are the same in every process
(``hash()`` is salted per interpreter).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np

from spark_memory.errors import ConfigError, InvalidInput
from spark_memory.providers.embedder import Vectors

_WORD = re.compile(r"\w+")
_WORD_WEIGHT = 1.0
_TRIGRAM_WEIGHT = 0.5  # trigrams catch inflections and typos; words dominate


class HashEmbedder:
    """Deterministic hashed bag-of-features vectors of ``dim`` dimensions."""

    def __init__(self, dim: int = 256) -> None:
        if dim < 2:
            raise ConfigError(f"hash embedder dim must be at least 2, not {dim}")
        self._dim = dim

    @property
    def model_name(self) -> str:
        return f"spark-test-hash-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        if isinstance(texts, str):
            raise InvalidInput("embed() takes a sequence of texts, not a single str")
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._vector(text)
        return out

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.embed(texts)

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self._dim, dtype=np.float32)
        for feature, weight in _features(text):
            index, sign = _slot(feature, self._dim)
            vector[index] += sign * weight
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            # No words (empty or punctuation only): still a unit vector, and the same
            # one for every such text.
            vector[0] = 1.0
            return vector
        return vector / np.float32(norm)


def _features(text: str) -> Iterator[tuple[str, float]]:
    for word in _WORD.findall(text.lower()):
        yield "w:" + word, _WORD_WEIGHT
        padded = f"<{word}>"
        for start in range(len(padded) - 2):
            yield "c:" + padded[start : start + 3], _TRIGRAM_WEIGHT


@lru_cache(maxsize=65536)
def _slot(feature: str, dim: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, 1.0 if (value >> 63) & 1 else -1.0
