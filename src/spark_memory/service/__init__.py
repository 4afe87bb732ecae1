"""The service layer: the Spark façade, one method per use case.

The façade is one class assembled from a mixin per feature area (``facade.py`` holds
the core and picks the backend); each mixin only wires features to the store. Every
use case takes the caller's ``Principal``, required: the interfaces decide who calls.

The records the façade returns are re-exported here, so the interfaces name them
without importing the store.
"""

from spark_memory.service.facade import Spark, StoreStats, open_store
from spark_memory.store.protocol import (
    AuditEntry,
    EmbeddingSpace,
    EpochEvent,
    EpochRecord,
    Job,
    JobState,
    LibraryStat,
)

__all__ = [
    "AuditEntry",
    "EmbeddingSpace",
    "EpochEvent",
    "EpochRecord",
    "Job",
    "JobState",
    "LibraryStat",
    "Spark",
    "StoreStats",
    "open_store",
]
