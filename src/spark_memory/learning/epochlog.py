"""The log one curation epoch writes: every decision with its reason, and the counts.

Actions:

    created    a new insight from traces             merged     folded into a near-duplicate
    rejected   filtered out (reason says which)       deferred   too little evidence so far
    expired    deferred too long                      redacted   secrets removed from a lesson
    linked     endorses another org's near-duplicate  promoted   made public (k orgs)
    waiting    endorsed by k orgs, not public yet     released   left quarantine
    fallback   the LLM generaliser failed; the deterministic one wrote the lesson
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from spark_memory.models import make_id, utcnow
from spark_memory.store.protocol import EpochEvent, EpochRecord


@dataclass
class EpochLog:
    started: datetime = field(default_factory=utcnow)
    events: list[EpochEvent] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def id(self) -> str:
        return make_id("epc", self.started.isoformat())

    def add(self, action: str, target_id: str, org_id: str, reason: str = "") -> None:
        self.events.append(EpochEvent(action, target_id, org_id, reason))
        self.counts[action] += 1

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def finish(self) -> EpochRecord:
        return EpochRecord(
            id=self.id,
            started=self.started,
            finished=utcnow(),
            counts=dict(sorted(self.counts.items())),
            events=tuple(self.events),
        )


def for_org(record: EpochRecord, org_id: str) -> EpochRecord:
    """What one org may read of an epoch: store-wide counts and its own events."""
    mine = tuple(e for e in record.events if e.org_id == org_id)
    return EpochRecord(record.id, record.started, record.finished, record.counts, mine)


def reasons(record: EpochRecord, action: str) -> Counter[str]:
    """How often each reason was given for ``action`` (reasons cut at their first colon)."""
    return Counter(e.reason.split(":", 1)[0] for e in record.events if e.action == action)


def trace_ids(target: str) -> Sequence[str]:
    """Events about a group of traces name them space-separated in ``target_id``."""
    return target.split()
