"""Grouping traces that are about the same thing: task similarity plus error signature.

Leader clustering: traces are taken oldest first; each joins the first cluster whose
leader's task embedding is within ``cluster_similarity`` (or within the lower
``cluster_similarity_same_error`` when both failed with the same specific error
signature), otherwise it leads a new cluster. Comparing with leaders only, not with
every member, keeps chains of "similar to something similar" from snowballing into
one cluster about everything.

A cluster whose traces all share the leader's task is *task-centric* (the lesson is
about that task); one joined through a shared error is *error-centric* (the lesson is
about that error, across tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from spark_memory.learning.codeinfo import describe_task
from spark_memory.models import Outcome, Trace, Vectors
from spark_memory.signatures import error_type, normalise_error

# Signatures that say only "the result was wrong" (or nothing): no evidence of a shared cause.
_GENERIC_TYPES = frozenset({"", "AssertionError", "Exception", "SystemExit", "TimeoutError"})
TASK_CHARS = 600


def trace_text(trace: Trace) -> str:
    """What is embedded to compare traces: the task's prose (data printouts and code
    templates say little about what is asked, and cost most of the embedding time)."""
    return describe_task(trace.task) or trace.task[:TASK_CHARS]


def signature_of(trace: Trace) -> str:
    if trace.error_signature:
        return trace.error_signature
    return normalise_error(trace.error) if trace.error else ""


def is_specific(signature: str) -> bool:
    """Whether a signature names a cause (KeyError: ..., not a bare AssertionError)."""
    return bool(signature) and error_type(signature) not in _GENERIC_TYPES


def failed(trace: Trace) -> bool:
    return trace.outcome in (Outcome.FAILED, Outcome.ERROR)


@dataclass
class Cluster:
    leader: int  # index of the leading trace in the input
    members: list[int] = field(default_factory=list)
    task_centric: bool = True
    signature: str = ""  # the shared specific signature of an error-centric cluster

    def traces(self, traces: Sequence[Trace]) -> list[Trace]:
        return [traces[i] for i in self.members]


def cluster_traces(
    traces: Sequence[Trace],
    vectors: Vectors,
    *,
    similarity: float,
    same_error_similarity: float,
) -> list[Cluster]:
    """Clusters over ``traces`` (rows of ``vectors`` are their task embeddings)."""
    if len(traces) != len(vectors):
        raise ValueError(f"{len(traces)} traces but {len(vectors)} vectors")
    signatures = [signature_of(t) for t in traces]
    clusters: list[Cluster] = []
    leaders = np.zeros((0, vectors.shape[1] if len(vectors) else 0), dtype=np.float32)
    for i in range(len(traces)):
        sims = leaders @ vectors[i] if len(clusters) else np.zeros(0, dtype=np.float32)
        home = _home(i, sims, clusters, signatures, similarity, same_error_similarity)
        if home is None:
            clusters.append(Cluster(leader=i, members=[i]))
            leaders = np.vstack([leaders, vectors[i : i + 1]])
        else:
            clusters[home].members.append(i)
    return clusters


def _home(
    i: int,
    sims: np.ndarray,
    clusters: list[Cluster],
    signatures: list[str],
    similarity: float,
    same_error_similarity: float,
) -> int | None:
    if len(sims) == 0:
        return None
    best = int(np.argmax(sims))
    if sims[best] >= similarity:
        return best
    mine = signatures[i]
    if not is_specific(mine):
        return None
    for c in np.argsort(-sims):
        cluster = clusters[int(c)]
        if sims[c] < same_error_similarity:
            break
        if signatures[cluster.leader] == mine:
            cluster.task_centric = False
            cluster.signature = mine
            return int(c)
    return None
