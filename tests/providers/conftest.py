"""Shared fixtures for the embedder tests: varied texts and loaded MiniLM embedders.

The embedders are session-scoped because loading is the slow part (~0.3 s each,
~1 s for the first ONNX graph build); the ONNX cache lives in a temporary
directory so tests never touch the user's ~/.spark.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from spark_memory.providers.minilm import MiniLMEmbedder

_LONG_PROSE = (
    "Spark keeps a shared memory of what coding agents learned. Each lesson carries "
    "evidence, provenance and a trust score that rises with verified outcomes. "
)
_LONG_CODE = (
    "def rolling_median(frame, window):\n"
    "    return frame.rolling(window, min_periods=1).median()  # pandas >= 2.0\n"
)


def sample_texts() -> list[str]:
    """About fifty texts covering what Spark embeds: queries, docs, code, errors, unicode."""
    short = ["", " ", "a", "pandas", "NumPy", "?", "42", "x = 1", "🚀", "東京"]
    queries = [
        "how do I group a dataframe by two columns and take the mean",
        "ValueError: operands could not be broadcast together with shapes (3,) (4,)",
        "plot a histogram with a logarithmic y axis in matplotlib",
        "sparse CSR matrix multiplication is slow in scipy",
        "fit LogisticRegression with class_weight='balanced'",
        "convert a torch tensor to a numpy array without copying",
        "tf.function retracing warning when the input shape changes",
        "rolling window median over an irregular time series",
        "KeyError: 'date' after read_csv with parse_dates",
        "np.einsum('ij,jk->ik', a, b) vs a @ b performance",
    ]
    code = [
        "import numpy as np\nnp.linalg.solve(A, b)",
        "df.groupby(['a', 'b']).agg({'c': 'mean', 'd': 'sum'}).reset_index()",
        "Traceback (most recent call last):\n  File \"x.py\", line 3, in <module>\n    import torch\nModuleNotFoundError: No module named 'torch'",
        "SELECT id, text FROM snippets WHERE library = ? ORDER BY rank LIMIT 10;",
        "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
        "fig, ax = plt.subplots(2, 2, figsize=(8, 6), sharex=True)",
        '{"model": "all-MiniLM-L6-v2", "dim": 384}',
        "https://numpy.org/doc/stable/reference/generated/numpy.linalg.solve.html",
    ]
    unicode = [
        "déjà vu, naïve café, Straße, Ørsted",
        "日本語のテキストを埋め込みます",
        "Привет, как сгруппировать DataFrame?",
        "مرحبا بالعالم",
        "emoji soup 😀🐍📊🔥 and math ∑∫√∞ ≤ ≥",
        "mixed: pandas の groupby と 集計",
        "Ελληνικά κείμενα και λέξεις",
        "\tTabs\tand\nnew\nlines\r\n",
        "ALL CAPS SHOUTING ABOUT SKLEARN PIPELINES",
        "zero\u200bwidth\u200bjoiners and combining e\u0301 accents",
    ]
    long = [
        _LONG_PROSE * 12,  # ~400 word pieces: truncated at 256
        _LONG_CODE * 20,
        "token " * 600,
        " ".join(f"word{i}" for i in range(400)),
        _LONG_PROSE * 3,  # ~100 word pieces: under the limit
        (_LONG_PROSE + _LONG_CODE) * 6,
        "日本語の長い文章。" * 80,
        "a, " * 300,
        "The quick brown fox jumps over the lazy dog. " * 30,
        "x" * 3000,
        "def f():\n" + "    pass\n" * 200,
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 25,
    ]
    return short + queries + code + unicode + long


@pytest.fixture(scope="session")
def varied_texts() -> list[str]:
    return sample_texts()


VariedVectors = Callable[[MiniLMEmbedder], np.ndarray]


@pytest.fixture(scope="session")
def varied_vectors(varied_texts: list[str]) -> VariedVectors:
    """Each embedder's vectors of the varied texts, computed once per session."""
    done: dict[int, np.ndarray] = {}

    def vectors(embedder: MiniLMEmbedder) -> np.ndarray:
        if id(embedder) not in done:
            done[id(embedder)] = embedder.embed(varied_texts)
        return done[id(embedder)]

    return vectors


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def numpy_minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder(backend="numpy")


@pytest.fixture(scope="session")
def onnx_minilm(onnx_cache: Path) -> MiniLMEmbedder:
    return MiniLMEmbedder(backend="onnx", cache_dir=onnx_cache)


@pytest.fixture(scope="session", params=["numpy", "onnx"])
def minilm(
    request: pytest.FixtureRequest, numpy_minilm: MiniLMEmbedder, onnx_minilm: MiniLMEmbedder
) -> MiniLMEmbedder:
    return numpy_minilm if request.param == "numpy" else onnx_minilm
