"""The default, offline embedder: sentence-transformers/all-MiniLM-L6-v2 without torch.

Two interchangeable forward passes compute the same vectors (cosine > 0.9999 to
each other and to sentence-transformers; see docs/embeddings.md):

- ``onnx``  — a BERT graph built from the bundled weights, run by ONNX Runtime;
  about twice as fast, the default whenever onnxruntime is installed.
- ``numpy`` — the same arithmetic in numpy; the reference and the fallback.

Constructing an embedder only locates the model files. The tokenizer, weights and
session load on the first ``embed()`` (or an explicit ``load()``), once, under a
lock, so importing or constructing costs nothing.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from spark_memory.errors import ConfigError, InvalidInput, ProviderError
from spark_memory.providers.embedder import Vectors
from spark_memory.providers.minilm_files import (
    F32,
    BertShape,
    check_model_dir,
    load_tokenizer,
    load_weights,
    locate_model_dir,
    read_shape,
    weights_sha256,
)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384

Backend = Literal["auto", "onnx", "numpy"]
_BACKENDS = ("auto", "onnx", "numpy")
PRECISIONS = ("int8", "fp32")
# Queries of at least this many word pieces take the int8 graph (see embed_queries).
# From 32 (64 until session 11): the coach's longer focused queries, a sentence or two,
# are as close to exact as whole prompts (cosine to fp32 median 0.995, minimum 0.984 over
# 362 of them on DS-1000) and in fp32 took ~45 of recommend's ~155 ms of CPU. From 16,
# single-sentence questions changed three of docs/coach.md's ten answers, two for the worse.
INT8_MIN_TOKENS = 32

log = logging.getLogger(__name__)


class _Forward(Protocol):
    def forward(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> F32: ...


@dataclass(frozen=True)
class _Loaded:
    tokenizer: Any
    encoder: _Forward


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence vectors (384 dims, unit length), offline and torch-free.

    ``cache_dir`` holds the built ONNX graph (keyed by the weights' hash); without
    one the graph is rebuilt in memory at every start (~1 s). ``model_dir`` overrides
    the bundled model package, e.g. for a copy exported elsewhere.

    ``embed`` (what is stored) always runs the exact fp32 graph. ``embed_queries`` runs
    long queries through an int8 copy when ``query_precision`` is "int8" and ONNX is the
    backend: twice as fast on long prompts, approximate (see minilm_int8).
    """

    def __init__(
        self,
        *,
        backend: Backend = "auto",
        cache_dir: Path | None = None,
        model_dir: Path | None = None,
        batch_size: int = 32,
        threads: int = 2,
        query_precision: str = "int8",
    ) -> None:
        if backend not in _BACKENDS:
            raise ConfigError(f"unknown MiniLM backend {backend!r}; choose one of {_BACKENDS}")
        if query_precision not in PRECISIONS:
            raise ConfigError(
                f"unknown query precision {query_precision!r}; choose one of {PRECISIONS}"
            )
        if batch_size < 1 or threads < 1:
            raise ConfigError("MiniLM batch_size and threads must be at least 1")
        if model_dir is None:
            model_dir = locate_model_dir()
        else:
            check_model_dir(model_dir)
        self._model_dir = model_dir
        self._backend = _resolve(backend)
        self._cache_dir = cache_dir
        self._batch_size = batch_size
        self._threads = threads
        self._query_precision = query_precision
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._query_encoder: _Forward | None = None

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dim(self) -> int:
        return DIM

    @property
    def backend(self) -> str:
        """The forward pass in use: "onnx" or "numpy" ("auto" is resolved at construction)."""
        return self._backend

    def load(self) -> None:
        """Load now rather than on the first ``embed()``, e.g. while a server starts."""
        self._query_forward(self._model())

    @property
    def query_precision(self) -> str:
        """What ``embed_queries`` runs: "int8", or "fp32" (asked for, or numpy backend)."""
        return self._query_precision if self._backend == "onnx" else "fp32"

    def embed(self, texts: Sequence[str]) -> Vectors:
        _check_texts(texts)
        model = self._model()
        encodings = model.tokenizer.encode_batch(list(texts)) if texts else []
        return self._run(model.encoder, [e.ids for e in encodings])

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        _check_texts(texts)
        model = self._model()
        rows = [e.ids for e in model.tokenizer.encode_batch(list(texts))] if texts else []
        long = [i for i, ids in enumerate(rows) if len(ids) >= INT8_MIN_TOKENS]
        if not long or self.query_precision == "fp32":
            return self._run(model.encoder, rows)
        # Short queries cost a few ms exactly, and int8 errs most on them (cosine down
        # to ~0.96 on two-word queries against ~0.99 on sentences and prompts), so only
        # longer ones take the int8 graph.
        short = [i for i, ids in enumerate(rows) if len(ids) < INT8_MIN_TOKENS]
        out = np.zeros((len(rows), DIM), dtype=np.float32)
        # One int8 query per call: activations are quantised with one scale per call, so
        # in a batch a query's vector would depend on its batch-mates (and on their
        # padding). Alone, a query always gets the same vector; it is also closer to the
        # exact one (worst cosine on the test prompts 0.992 alone vs 0.984 batched).
        encoder = self._query_forward(model)
        for i in long:
            out[i] = self._run(encoder, [rows[i]])[0]
        if short:
            out[short] = self._run(model.encoder, [rows[i] for i in short])
        return out

    def _run(self, encoder: _Forward, rows: Sequence[Sequence[int]]) -> Vectors:
        out = np.zeros((len(rows), DIM), dtype=np.float32)
        for batch in _length_batches([len(r) for r in rows], self._batch_size):
            ids, mask = _pad([rows[i] for i in batch])
            out[batch] = normalise(encoder.forward(ids, mask))
        return out

    def _query_forward(self, model: _Loaded) -> _Forward:
        if self.query_precision == "fp32":
            return model.encoder
        encoder = self._query_encoder
        if encoder is None:
            with self._lock:
                if self._query_encoder is None:
                    self._query_encoder = self._open_onnx(read_shape(self._model_dir), int8=True)
                encoder = self._query_encoder
        return encoder

    def _model(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._load()
                loaded = self._loaded
        return loaded

    def _load(self) -> _Loaded:
        shape = read_shape(self._model_dir)
        if shape.hidden != DIM:
            raise ProviderError(f"{self._model_dir} holds a {shape.hidden}-dim model, not MiniLM")
        tokenizer = load_tokenizer(self._model_dir, shape.max_tokens)
        if self._backend == "numpy":
            from spark_memory.providers.minilm_numpy import NumpyBert

            return _Loaded(tokenizer, NumpyBert(load_weights(self._model_dir, shape), shape))
        return _Loaded(tokenizer, self._open_onnx(shape))

    def _open_onnx(self, shape: BertShape, *, int8: bool = False) -> _Forward:
        from spark_memory.providers.minilm_onnx import build_model, cached_model_name, open_cached

        def build() -> bytes:
            log.info("building the MiniLM ONNX graph from %s", self._model_dir)
            return build_model(load_weights(self._model_dir, shape), shape)

        def build_int8() -> bytes:
            from spark_memory.providers.minilm_int8 import quantize

            log.info("quantising the MiniLM ONNX graph to int8 for queries")
            cached = self._cache_dir / cached_model_name(digest) if self._cache_dir else None
            return quantize(cached.read_bytes() if cached and cached.is_file() else build())

        digest = weights_sha256(self._model_dir / "model.safetensors", self._cache_dir)
        if int8:
            return open_cached(self._cache_dir, digest, build_int8, self._threads, variant="int8")
        return open_cached(self._cache_dir, digest, build, self._threads)


def _resolve(backend: Backend) -> str:
    """Resolve "auto": ONNX Runtime when it is installed (it is a default dependency)."""
    if backend != "auto":
        return backend
    has_ort = importlib.util.find_spec("onnxruntime") is not None
    has_onnx = importlib.util.find_spec("onnx") is not None
    if has_ort and has_onnx:
        return "onnx"
    log.warning("onnxruntime or onnx is not installed; MiniLM runs on the slower numpy forward")
    return "numpy"


def _check_texts(texts: Sequence[str]) -> None:
    # A bare str is a Sequence[str] too, and would be embedded character by character.
    if isinstance(texts, str):
        raise InvalidInput("embed() takes a sequence of texts, not a single str")
    if not all(isinstance(text, str) for text in texts):
        raise InvalidInput("embed() takes only str texts")


def _length_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped by similar token count, so a batch pads only to its own longest."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def _pad(rows: Sequence[Sequence[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    width = max(len(row) for row in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)  # 0 is [PAD]
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def normalise(vectors: F32) -> F32:
    """Unit rows, as sentence-transformers' Normalize module (eps guards a zero row)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: F32 = (vectors / np.maximum(norms, np.float32(1e-12))).astype(np.float32)
    return out
