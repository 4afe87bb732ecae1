"""The export format: every stored record as one JSON line, the same for every backend.

Each backend reads its own tables into ``Record`` objects (store/<backend>/dump.py);
this module fixes their order, their JSON shape and the encoding of vectors, so an
export of one backend can be imported into another, and exports of two stores with
the same content are byte-identical apart from the header's timestamp.

    {"kind": "header", "format": "spark-export", "version": 1, ...}
    {"kind": "org", "data": {...}}            org, agent, api_key
    {"kind": "snippet", "data": {...}, "vector": "<base64>"}   whole-store exports only
    {"kind": "insight", "data": {...}, "vector": "<base64>" | null}
    {"kind": "trace", "data": {...}, "state": {"epoch_id": ..., "state": ...} | null}
    {"kind": "feedback" | "link" | "idempotency" | "audit", "data": {...}}
    {"kind": "epoch", "data": {...}}          whole-store exports only
    {"kind": "end", "counts": {...}}          a file without it was cut short

Vectors are the stored float32 values, little-endian, base64: exact and a quarter of
the size of decimal text.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from spark_memory.errors import InvalidInput
from spark_memory.models import Vectors
from spark_memory.store.protocol import AuditEntry, EmbeddingSpace, EpochRecord, InsightLink

FORMAT = "spark-export"
VERSION = 1
VECTOR_ENCODING = "float32-le-base64"
# The order records are written and imported in: what others refer to comes first.
KINDS = (
    "org",
    "agent",
    "api_key",
    "snippet",
    "insight",
    "trace",
    "feedback",
    "link",
    "epoch",
    "idempotency",
    "audit",
)
WHOLE_STORE_ONLY = frozenset({"snippet", "epoch"})  # the KB and epochs belong to no org


@dataclass(frozen=True)
class Record:
    kind: str
    data: dict[str, Any]
    vector: Vectors | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a trace's curation state


@dataclass(frozen=True)
class Header:
    org_id: str | None  # None: the whole store
    space: EmbeddingSpace | None
    vectors: bool
    created: datetime


# --- writing ------------------------------------------------------------------------------


def header_line(header: Header) -> str:
    space = None if header.space is None else {"model": header.space.model, "dim": header.space.dim}
    return _line(
        {
            "kind": "header",
            "format": FORMAT,
            "version": VERSION,
            "org": header.org_id,
            "embedding": space,
            "vectors": VECTOR_ENCODING if header.vectors else None,
            "created": header.created.isoformat(),
        }
    )


def record_line(record: Record) -> str:
    out: dict[str, Any] = {"kind": record.kind, "data": record.data}
    if record.kind in ("snippet", "insight"):
        out["vector"] = None if record.vector is None else encode_vector(record.vector)
    out.update(record.extra)
    return _line(out)


def end_line(counts: Mapping[str, int]) -> str:
    return _line({"kind": "end", "counts": dict(counts)})


def encode_vector(vector: Vectors) -> str:
    raw = np.asarray(vector, dtype="<f4").tobytes()
    return base64.b64encode(raw).decode("ascii")


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


# --- reading ------------------------------------------------------------------------------


def parse(lines: Iterator[str]) -> tuple[Header, Iterator[Record]]:
    """The header, and the records as they are read (InvalidInput on a damaged file)."""
    first = _load(next(lines, ""), 1)
    if first.get("kind") != "header" or first.get("format") != FORMAT:
        raise InvalidInput("not a Spark export: the first line is not its header")
    if first.get("version") != VERSION:
        raise InvalidInput(f"export format version {first.get('version')} is not supported")
    space = first.get("embedding")
    header = Header(
        org_id=first.get("org"),
        space=None if space is None else EmbeddingSpace(str(space["model"]), int(space["dim"])),
        vectors=first.get("vectors") == VECTOR_ENCODING,
        created=datetime.fromisoformat(first["created"]),
    )
    return header, _records(lines, header)


def _records(lines: Iterator[str], header: Header) -> Iterator[Record]:
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, 2):
        obj = _load(text, number)
        kind = obj.pop("kind", None)
        if kind == "end":
            if obj.get("counts") != seen:
                raise InvalidInput(f"the export's records do not add up to its end line {obj}")
            return
        if kind not in KINDS:
            raise InvalidInput(f"line {number}: unknown record kind {kind!r}")
        seen[kind] = seen.get(kind, 0) + 1
        vector = obj.pop("vector", None)
        yield Record(
            kind=kind,
            data=obj.pop("data"),
            vector=None if vector is None else decode_vector(vector, header.space),
            extra=obj,
        )
    raise InvalidInput("the export ends without its end line: the file was cut short")


def decode_vector(text: str, space: EmbeddingSpace | None) -> Vectors:
    vector = np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)
    if space is None or len(vector) != space.dim:
        raise InvalidInput(f"a vector of {len(vector)} dims does not match the header's space")
    return vector


def _load(text: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"line {number} is not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise InvalidInput(f"line {number} is not a JSON object")
    return obj


# --- shapes of records that are not models ---------------------------------------------------


def utc(at: datetime) -> str:
    """One spelling of an instant, whichever time zone a backend hands back."""
    return at.astimezone(UTC).isoformat()


def link_data(link: InsightLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "kind": link.kind.value,
        "source_id": link.source_id,
        "target_id": link.target_id,
        "org_id": link.org_id,
        "epoch_id": link.epoch_id,
        "created": utc(link.created),
        "active": link.active,
        "snapshot": link.snapshot,
    }


def epoch_data(epoch: EpochRecord) -> dict[str, Any]:
    return {
        "id": epoch.id,
        "started": utc(epoch.started),
        "finished": utc(epoch.finished),
        "counts": dict(sorted(epoch.counts.items())),
        "events": [vars(e) for e in epoch.events],
    }


def audit_data(entry: AuditEntry) -> dict[str, Any]:
    # seq is left out: the importing store numbers its own log, in the same order.
    return {
        "at": utc(entry.at),
        "org_id": entry.org_id,
        "agent_id": entry.agent_id,
        "action": entry.action,
        "target_id": entry.target_id,
        "detail": entry.detail,
    }
