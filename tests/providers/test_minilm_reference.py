"""MiniLM without torch gives sentence-transformers' vectors (needs CPU torch).

CI installs ``torch==2.13.0 sentence-transformers``; elsewhere the test skips with
a loud reason rather than passing silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from spark_memory.providers.minilm import MiniLMEmbedder
from spark_memory.providers.minilm_files import locate_model_dir

# The session fixture from conftest.py: an embedder -> its vectors of the varied texts.
VariedVectors = Callable[[MiniLMEmbedder], np.ndarray]

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def reference() -> Any:
    try:
        # Third-party import-time deprecation noise is not ours to fail on.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        pytest.skip(
            "NOT CHECKED AGAINST sentence-transformers: it is not importable "
            f"({exc}); install with: pip install torch==2.13.0 sentence-transformers"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SentenceTransformer(str(locate_model_dir()), device="cpu")


def encode(model: Any, texts: list[str]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(model.encode(texts, batch_size=32, normalize_embeddings=True))


def test_reference_truncates_at_256(reference: Any) -> None:
    assert reference.max_seq_length == 256


def test_vectors_match_sentence_transformers(
    reference: Any, minilm: MiniLMEmbedder, varied_texts: list[str], varied_vectors: VariedVectors
) -> None:
    assert len(varied_texts) >= 50
    ours = varied_vectors(minilm)
    theirs = encode(reference, varied_texts)
    cosine = (ours * theirs).sum(axis=1)
    worst = int(cosine.argmin())
    assert cosine.min() > 0.999, f"{minilm.backend}: cos {cosine.min()} for {varied_texts[worst]!r}"
    # In practice the match is exact up to float32 rounding.
    assert np.abs(ours - theirs).max() < 1e-4


def test_a_single_text_matches_too(reference: Any, minilm: MiniLMEmbedder) -> None:
    text = "convert a torch tensor to a numpy array without copying"
    ours = minilm.embed([text])[0]
    theirs = encode(reference, [text])[0]
    assert float(ours @ theirs) > 0.9999
