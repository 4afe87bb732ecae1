"""The deterministic test embedder: stable across processes, unit rows, word overlap."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from spark_memory.errors import ConfigError, InvalidInput
from spark_memory.providers.embedder import Embedder
from spark_memory.providers.hash_embedder import HashEmbedder


def test_names_its_dimension() -> None:
    embedder = HashEmbedder(64)
    assert isinstance(embedder, Embedder)
    assert embedder.model_name == "spark-test-hash-64"
    assert embedder.dim == 64
    assert HashEmbedder().model_name == "spark-test-hash-256"


def test_rows_are_unit_float32() -> None:
    vectors = HashEmbedder(32).embed(["pandas groupby", "", "!!!", "日本語"])
    assert vectors.shape == (4, 32)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_empty_list_and_bare_string() -> None:
    assert HashEmbedder(8).embed([]).shape == (0, 8)
    with pytest.raises(InvalidInput):
        HashEmbedder(8).embed("text")


def test_shared_words_make_texts_closer() -> None:
    query, near, far = HashEmbedder().embed(
        ["pandas groupby mean", "groupby mean in pandas dataframes", "matplotlib colour bar"]
    )
    assert float(query @ near) > float(query @ far) + 0.3


def test_case_and_punctuation_do_not_matter() -> None:
    a, b = HashEmbedder().embed(["Pandas, GroupBy!", "pandas groupby"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_same_vectors_in_another_process() -> None:
    # hash() is salted per interpreter; the embedder must not depend on it.
    code = (
        "from spark_memory.providers.hash_embedder import HashEmbedder\n"
        "print(HashEmbedder(16).embed(['stable across runs']).tobytes().hex())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = HashEmbedder(16).embed(["stable across runs"]).tobytes().hex()
    assert done.stdout.strip() == here


def test_too_small_a_dimension_is_refused() -> None:
    with pytest.raises(ConfigError):
        HashEmbedder(1)
