"""The BERT forward pass of MiniLM in plain numpy: the reference and the fallback.

It reproduces ``sentence-transformers`` (BertModel + mean pooling) operation for
operation, in float32. It is slower than the ONNX Runtime graph (see
docs/embeddings.md) but needs nothing beyond numpy, and it is what the ONNX graph
is checked against.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from spark_memory.providers.minilm_files import F32, BertLayer, BertShape, BertWeights

# Added to the attention scores of padding positions; exp() of it underflows to an
# exact 0, so padding contributes nothing (as in transformers, which uses finfo.min).
MASKED = np.float32(-1e9)


class NumpyBert:
    """Mean-pooled (not yet normalised) sentence vectors from token ids."""

    def __init__(self, weights: BertWeights, shape: BertShape) -> None:
        self._w = weights
        self._shape = shape

    def forward(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> F32:
        x = self._embed(ids)
        bias = _mask_bias(mask)
        for layer in self._w.layers:
            x = self._layer(x, bias, layer)
        return mean_pool(x, mask)

    def _embed(self, ids: NDArray[np.int64]) -> F32:
        x = self._w.word[ids] + self._w.position[: ids.shape[1]]
        return layer_norm(x, self._w.ln_g, self._w.ln_b, self._shape.eps)

    def _layer(self, x: F32, bias: F32 | None, w: BertLayer) -> F32:
        attended = self._attention(x, bias, w) @ w.out_w + w.out_b
        x = layer_norm(attended + x, w.ln1_g, w.ln1_b, self._shape.eps)
        up = gelu(x @ w.up_w + w.up_b)
        return layer_norm(up @ w.down_w + w.down_b + x, w.ln2_g, w.ln2_b, self._shape.eps)

    def _attention(self, x: F32, bias: F32 | None, w: BertLayer) -> F32:
        batch, seq, hidden = x.shape
        heads, head_dim = self._shape.heads, self._shape.head_dim
        qkv = (x @ w.qkv_w + w.qkv_b).reshape(batch, seq, 3, heads, head_dim)
        q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (batch, heads, seq, head_dim)
        scores = q @ k.transpose(0, 1, 3, 2)  # q was pre-scaled by 1/sqrt(head_dim)
        if bias is not None:
            scores += bias
        context: F32 = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
        return context


def _mask_bias(mask: NDArray[np.int64]) -> F32 | None:
    """(batch, 1, 1, seq) additive mask, or None when nothing is padded (the usual case)."""
    if mask.all():
        return None
    return np.where(mask[:, None, None, :] > 0, np.float32(0), MASKED).astype(np.float32)


def mean_pool(x: F32, mask: NDArray[np.int64]) -> F32:
    weights = mask.astype(np.float32)[:, :, None]
    counts = np.maximum(weights.sum(axis=1), np.float32(1e-9))
    pooled: F32 = (x * weights).sum(axis=1) / counts
    return pooled


def layer_norm(x: F32, gain: F32, bias: F32, eps: float) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    out: F32 = centred / np.sqrt(var + np.float32(eps)) * gain + bias
    return out


def softmax(x: F32) -> F32:
    x = np.exp(x - x.max(axis=-1, keepdims=True))
    out: F32 = x / x.sum(axis=-1, keepdims=True)
    return out


def gelu(x: F32) -> F32:
    """The exact GELU, x * Phi(x), that BERT uses (not the tanh approximation)."""
    out: F32 = x * (np.float32(1.0) - np.float32(0.5) * erfc(x * np.float32(2**-0.5)))
    return out


# Chebyshev fit of erfc (Numerical Recipes "erfcc"): relative error below 1.2e-7
# everywhere, i.e. float32 rounding. scipy.special.erf would be exact too, but
# importing scipy.special costs ~0.37 s, more than loading the whole model.
_ERFC_COEFFS = (
    0.17087277,
    -0.82215223,
    1.48851587,
    -1.13520398,
    0.27886807,
    -0.18628806,
    0.09678418,
    0.37409196,
    1.00002368,
    -1.26551223,
)


def erfc(x: F32) -> F32:
    z = np.abs(x)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.5) * z)
    poly = np.full_like(t, _ERFC_COEFFS[0])
    for coeff in _ERFC_COEFFS[1:]:
        poly = poly * t + np.float32(coeff)
    tail = t * np.exp(poly - z * z)
    out: F32 = np.where(x >= 0, tail, np.float32(2.0) - tail).astype(np.float32)
    return out
