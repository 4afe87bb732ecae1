"""An int8 copy of the MiniLM graph, used for queries only.

A query is embedded while an agent waits; a full DS-1000 prompt (256 word pieces)
costs ~45 ms through the fp32 graph on two cores, about the machine's fp32 matrix
throughput, so no fp32 trick gets it under the search's 50 ms budget. Dynamic int8
quantisation of the weight matrices (per output channel; activations quantised per
call) halves that. Its vectors are not the model's exact ones (cosine ~0.995 to fp32,
top-10 neighbour overlap ~0.90), so stored vectors — snippets and insights — always
come from the fp32 graph and only the query side is approximated; on the DS-1000
retrieval task this left API recall unchanged (docs/embeddings.md).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path


def quantize(fp32_model: bytes) -> bytes:
    """The int8 graph of a serialised fp32 graph (weights quantised per channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="spark-minilm-") as tmp, _quiet_root_logger():
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(fp32_model)
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            extra_options={"MatMulConstBOnly": True},  # weights only; attention stays fp32
        )
        return target.read_bytes()


class _DropWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    # The quantiser logs advice ("consider pre-processing") on the root logger, which
    # would reach the user's terminal on every first query; it is not actionable here.
    root, quiet = logging.getLogger(), _DropWarnings()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)
