"""The knobs of the learning loop, in one frozen value the service passes down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from spark_memory.learning.trust import TrustPolicy
from spark_memory.requests import SecretPolicy as SecretPolicy


@dataclass(frozen=True)
class LearningPolicy:
    # Scopes and promotion
    promotion_orgs: int = 3  # distinct endorsing orgs before an insight goes public
    quarantine_below: float = 0.3  # authors with lower standing start quarantined
    public_needs_trace_evidence: bool = True  # a family goes public only with a traced member
    # Curation: clustering traces (cosine of their task embeddings)
    cluster_similarity: float = 0.86
    cluster_similarity_same_error: float = 0.70  # lower bar when the error signature matches
    min_evidence_agents: int = 2  # independent agents behind a curated lesson
    defer_days: float = 30.0  # a deferred trace is offered to epochs this long
    epoch_limit: int = 5_000  # traces one epoch takes
    # Curation: near-duplicates (cosine of insight embeddings)
    merge_similarity: float = 0.93  # same org: merged as an endorsement
    endorse_similarity: float = 0.90  # other orgs: linked into one family
    contradiction_similarity: float = 0.85  # same problem, opposite advice
    # Writes
    revert_window: timedelta = timedelta(hours=24)
    secrets: SecretPolicy = "redact"
    trust: TrustPolicy = field(default_factory=TrustPolicy)
