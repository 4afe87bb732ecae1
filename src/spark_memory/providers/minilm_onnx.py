"""MiniLM as an ONNX Runtime session, built here from the safetensors weights.

The model package ships no .onnx file and exporting one would need torch, so the
BERT graph is written node by node with ``onnx.helper`` from the same arranged
weights the numpy forward uses. The graph is built once per weights hash and
cached as a file; later starts only open the session.

Only standard ONNX operators (opset 17) are used: ONNX Runtime's own graph
optimiser fuses LayerNormalization, GELU and MatMul+Add on load.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spark_memory.errors import ProviderError
from spark_memory.providers.minilm_files import (
    F32,
    BertLayer,
    BertShape,
    BertWeights,
    write_atomic,
)
from spark_memory.providers.minilm_numpy import MASKED

# Bump when the graph below changes, so stale cached files are never reused.
GRAPH_VERSION = 1
OPSET = 17
IR_VERSION = 8  # readable by every onnxruntime >= 1.14


def cached_model_name(weights_sha256: str, variant: str = "") -> str:
    suffix = f"-{variant}" if variant else ""
    return f"minilm-l6-{weights_sha256[:16]}-g{GRAPH_VERSION}{suffix}.onnx"


class _Graph:
    """Accumulates nodes and initialisers; every helper returns its output's name."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self._helper = helper
        self._numpy_helper = numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def const(self, name: str, value: NDArray[Any]) -> str:
        self.initializers.append(self._numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attrs: Any) -> Any:
        self._count += 1
        names = [f"{op_type.lower()}_{self._count}_{i}" for i in range(outputs)]
        self.nodes.append(self._helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    def linear(self, x: str, weight: str, bias: str) -> str:
        return str(self.op("Add", self.op("MatMul", x, weight), bias))


def build_model(weights: BertWeights, shape: BertShape) -> bytes:
    """Serialised ONNX model: (input_ids, attention_mask) int64 -> mean-pooled vectors."""
    from onnx import TensorProto, helper

    g = _Graph()
    ints = _int_constants(g, shape)
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    x = _embeddings(g, weights, shape)
    bias = _mask_bias(g, mask, ints)
    for index, layer in enumerate(weights.layers):
        x = _encoder_layer(g, x, bias, layer, shape, f"l{index}", ints)
    pooled = _mean_pool(g, x, mask, ints)
    g.nodes.append(helper.make_node("Identity", [pooled], ["pooled"]))
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        outputs=[
            helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", shape.hidden])
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION
    )
    data: bytes = model.SerializeToString()
    return data


def _int_constants(g: _Graph, shape: BertShape) -> dict[str, str]:
    def i64(*values: int) -> NDArray[np.int64]:
        return np.array(values, dtype=np.int64)

    return {
        "zero": g.const("i_zero", i64(0)),
        "one": g.const("i_one", i64(1)),
        "two": g.const("i_two", i64(2)),
        "axis12": g.const("i_axis12", i64(1, 2)),
        "split": g.const("i_split", i64(shape.hidden, shape.hidden, shape.hidden)),
        "heads": g.const("i_heads", i64(0, 0, shape.heads, shape.head_dim)),
        "merge": g.const("i_merge", i64(0, 0, shape.hidden)),
    }


def _embeddings(g: _Graph, w: BertWeights, shape: BertShape) -> str:
    word = g.op("Gather", g.const("word", w.word), "input_ids")
    seq_len = g.op("Slice", g.op("Shape", "input_ids"), "i_one", "i_two")
    position = g.op("Slice", g.const("position", w.position), "i_zero", seq_len, "i_zero")
    summed = g.op("Add", word, position)
    return _layer_norm(g, summed, w.ln_g, w.ln_b, shape.eps, "emb")


def _layer_norm(g: _Graph, x: str, gain: F32, bias: F32, eps: float, name: str) -> str:
    gain_name, bias_name = g.const(f"{name}_ln_g", gain), g.const(f"{name}_ln_b", bias)
    return str(g.op("LayerNormalization", x, gain_name, bias_name, axis=-1, epsilon=eps))


def _mask_bias(g: _Graph, mask: str, ints: dict[str, str]) -> str:
    """(batch, 1, 1, seq): 0 where a token is real, MASKED where it is padding."""
    one = g.const("f_one", np.array(1.0, dtype=np.float32))
    masked = g.const("f_masked", np.array(MASKED, dtype=np.float32))
    padding = g.op("Sub", one, mask)
    return str(g.op("Unsqueeze", g.op("Mul", padding, masked), ints["axis12"]))


def _encoder_layer(
    g: _Graph, x: str, bias: str, w: BertLayer, shape: BertShape, name: str, ints: dict[str, str]
) -> str:
    context = _attention(g, x, bias, w, name, ints)
    attended = g.linear(
        context, g.const(f"{name}_out_w", w.out_w), g.const(f"{name}_out_b", w.out_b)
    )
    x = _layer_norm(g, g.op("Add", attended, x), w.ln1_g, w.ln1_b, shape.eps, f"{name}_1")
    up = _gelu(g, g.linear(x, g.const(f"{name}_up_w", w.up_w), g.const(f"{name}_up_b", w.up_b)))
    down = g.linear(up, g.const(f"{name}_down_w", w.down_w), g.const(f"{name}_down_b", w.down_b))
    return _layer_norm(g, g.op("Add", down, x), w.ln2_g, w.ln2_b, shape.eps, f"{name}_2")


def _attention(g: _Graph, x: str, bias: str, w: BertLayer, name: str, ints: dict[str, str]) -> str:
    qkv = g.linear(x, g.const(f"{name}_qkv_w", w.qkv_w), g.const(f"{name}_qkv_b", w.qkv_b))
    q, k, v = g.op("Split", qkv, ints["split"], axis=-1, outputs=3)
    q = g.op("Transpose", g.op("Reshape", q, ints["heads"]), perm=[0, 2, 1, 3])
    k = g.op("Transpose", g.op("Reshape", k, ints["heads"]), perm=[0, 2, 3, 1])
    v = g.op("Transpose", g.op("Reshape", v, ints["heads"]), perm=[0, 2, 1, 3])
    # The query weights were pre-scaled by 1/sqrt(head_dim) when arranged.
    scores = g.op("Add", g.op("MatMul", q, k), bias)
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    return str(g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), ints["merge"]))


def _gelu(g: _Graph, x: str) -> str:
    # Written as x * 0.5 * (1 + erf(x / sqrt 2)), the form ONNX Runtime fuses into
    # its Gelu kernel.
    sqrt2 = g.const(f"f_sqrt2_{x}", np.array(math.sqrt(2.0), dtype=np.float32))
    one = g.const(f"f_gelu_one_{x}", np.array(1.0, dtype=np.float32))
    half = g.const(f"f_half_{x}", np.array(0.5, dtype=np.float32))
    erf = g.op("Add", g.op("Erf", g.op("Div", x, sqrt2)), one)
    return str(g.op("Mul", g.op("Mul", x, erf), half))


def _mean_pool(g: _Graph, x: str, mask: str, ints: dict[str, str]) -> str:
    weights = g.op("Unsqueeze", mask, ints["two"])
    summed = g.op("ReduceSum", g.op("Mul", x, weights), ints["one"], keepdims=0)
    floor = g.const("f_count_floor", np.array(1e-9, dtype=np.float32))
    counts = g.op("Max", g.op("ReduceSum", weights, ints["one"], keepdims=0), floor)
    return str(g.op("Div", summed, counts))


class OnnxBert:
    """Mean-pooled (not yet normalised) sentence vectors from an ONNX Runtime session."""

    def __init__(self, model: Path | bytes, threads: int) -> None:
        try:
            self._session = _open_session(model, threads)
        except ort_errors() as exc:
            raise ProviderError(f"ONNX Runtime cannot load the MiniLM graph: {exc}") from exc

    def forward(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> F32:
        try:
            (pooled,) = self._session.run(["pooled"], {"input_ids": ids, "attention_mask": mask})
        except ort_errors() as exc:
            raise ProviderError(f"ONNX Runtime failed to embed: {exc}") from exc
        out: F32 = np.asarray(pooled, dtype=np.float32)
        return out


def ort_errors() -> tuple[type[Exception], ...]:
    """The exceptions ONNX Runtime raises: its pybind classes derive from bare Exception."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    native = (v for v in vars(state).values() if isinstance(v, type) and issubclass(v, Exception))
    return (RuntimeError, ValueError, *native)


def _open_session(model: Path | bytes, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: the optimiser's notes are noise here
    # Idle workers sleep instead of spinning: Spark shares the CPU with the agent,
    # and on a busy 2-core machine spinning made queries ~30% slower (measured).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = str(model) if isinstance(model, Path) else model
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def open_cached(
    cache_dir: Path | None,
    weights_sha256: str,
    build: Callable[[], bytes],
    threads: int,
    variant: str = "",
) -> OnnxBert:
    """Open the cached graph for these weights, building (and caching) it if needed.

    ``build`` returns the serialised model; it is called only on a cache miss, so a
    warm start never reads the safetensors file. A cache file that ONNX Runtime
    refuses (torn write on a full disk, another onnx version) is rebuilt once.
    """
    path = cache_dir / cached_model_name(weights_sha256, variant) if cache_dir else None
    if path is not None and path.is_file():
        try:
            return OnnxBert(path, threads)
        except ProviderError:  # any refusal of the file means: rebuild it
            with contextlib.suppress(OSError):  # a read-only cache: rebuild in memory
                path.unlink(missing_ok=True)
    data = build()
    if path is not None and write_atomic(path, data):
        return OnnxBert(path, threads)
    return OnnxBert(data, threads)
