"""The nouns of Spark (design section 2) as typed, validated models.

Ids are deterministic where content defines identity (snippets: library, version,
symbol, kind, part), so that re-ingesting the same documentation is a no-op.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Limits shared by every interface; the interfaces turn violations into 413/422.
MAX_QUERY_CHARS = 8_000
MAX_TEXT_CHARS = 64_000
MAX_TITLE_CHARS = 300
MAX_TAGS = 32
MAX_K = 200

# Rows of unit-length float32 vectors, one per text.
Vectors = NDArray[np.float32]

ShortText = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS)]
LongText = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]


def utcnow() -> datetime:
    return datetime.now(UTC)


def content_hash(*parts: str) -> str:
    """Stable hash of text parts; the unit of idempotency for content."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def make_id(prefix: str, *parts: str) -> str:
    return f"{prefix}_{content_hash(*parts)[:20]}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- knowledge base -----------------------------------------------------------------


class SnippetKind(StrEnum):
    API = "api"
    GUIDE = "guide"
    EXAMPLE = "example"
    NOTE = "note"


# An API's own documentation: its reference and, stored apart when long, its Examples and
# Notes sections (each opens with the API's signature and summary; its symbol is the
# API's name). A guide section is another document, one that teaches APIs (its symbol is
# a ``doc#anchor`` path).
API_KINDS = frozenset({SnippetKind.API, SnippetKind.EXAMPLE, SnippetKind.NOTE})
GUIDE_KINDS = frozenset({SnippetKind.GUIDE})


class Snippet(_Model):
    """One documentation entry: an API symbol, a doc section, an example or a note."""

    id: str
    library: str  # import name, lower case: numpy, pandas, sklearn, torch, ...
    version: str  # version of the library the text was harvested from
    symbol: str  # canonical dotted name, e.g. pandas.DataFrame.groupby; doc path for guides
    kind: SnippetKind
    title: str
    text: str
    # What the embedder sees: what identifies the symbol (signature, summary,
    # parameter names). Kept short so a full ingest embeds in minutes, not hours.
    embed_text: str = ""
    source: str = ""  # module path, file path or URL the text came from
    content_hash: str = ""
    # Canonical API names a guide section or example teaches (its reference links,
    # reST roles and the calls in its code), so a hit can cite and count for them.
    apis: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        library: str,
        version: str,
        symbol: str,
        kind: SnippetKind,
        title: str,
        text: str,
        embed_text: str = "",
        source: str = "",
        part: str = "",
        apis: Sequence[str] = (),
    ) -> Snippet:
        """Make a snippet with its deterministic id and content hash."""
        return cls(
            id=make_id("snp", library, version, symbol, kind.value, part),
            library=library,
            version=version,
            symbol=symbol,
            kind=kind,
            title=title,
            text=text,
            embed_text=embed_text or f"{title}\n{text[:600]}",
            source=source,
            # apis join the hash only when present, so snippets without any keep theirs
            content_hash=content_hash(title, text, embed_text, source, *_apis_part(apis)),
            apis=tuple(apis),
        )


def _apis_part(apis: Sequence[str]) -> tuple[str, ...]:
    return ("apis:" + " ".join(apis),) if apis else ()


# --- tenancy ------------------------------------------------------------------------


class Role(StrEnum):
    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"


class Org(_Model):
    id: str
    name: str
    created: datetime = Field(default_factory=utcnow)


class Agent(_Model):
    id: str
    org_id: str
    name: str
    standing: float = 0.5  # 0..1; sets the trust prior of what this agent writes
    created: datetime = Field(default_factory=utcnow)


class ApiKey(_Model):
    id: str
    org_id: str
    agent_id: str
    role: Role
    key_hash: str  # sha256 of the secret; the secret itself is shown once, never stored
    revoked: bool = False
    created: datetime = Field(default_factory=utcnow)


class Principal(_Model):
    """Who is asking. Comes from the API key only, never from a request field."""

    org_id: str
    agent_id: str
    role: Role = Role.WRITER


LOCAL_PRINCIPAL = Principal(org_id="local", agent_id="local", role=Role.ADMIN)


# --- experience ---------------------------------------------------------------------


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    UNKNOWN = "unknown"


class Trace(_Model):
    """One agent's experience. Private to its org, always."""

    id: str
    org_id: str
    agent_id: str
    task: LongText
    code: LongText = ""
    outcome: Outcome = Outcome.UNKNOWN
    test_output: LongText = ""
    error: LongText = ""
    error_signature: str = ""
    correction: LongText = ""
    environment: dict[str, str] = Field(default_factory=dict)
    model: str = ""
    served_ids: list[str] = Field(default_factory=list)
    created: datetime = Field(default_factory=utcnow)


class Scope(StrEnum):
    PRIVATE = "private"
    ORG = "org"
    PUBLIC = "public"


class InsightKind(StrEnum):
    PRACTICE = "practice"
    PITFALL = "pitfall"
    WORKAROUND = "workaround"
    CONVENTION = "convention"


class InsightStatus(StrEnum):
    QUARANTINED = "quarantined"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    RETIRED = "retired"


class Evidence(_Model):
    failing_code: str = ""
    error: str = ""
    fix: str = ""


class Provenance(_Model):
    trace_ids: list[str] = Field(default_factory=list)
    orgs: list[str] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)


class Trust(_Model):
    """Beta(alpha, beta) posterior on 'following this insight helps'."""

    alpha: float = 1.0
    beta: float = 1.0

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def lower_bound(self, z: float = 1.645) -> float:
        """Normal approximation of the lower credible bound (one-sided 95% by default)."""
        n = self.alpha + self.beta
        mean = self.alpha / n
        var = self.alpha * self.beta / (n * n * (n + 1.0))
        return max(0.0, mean - z * math.sqrt(var))


class Insight(_Model):
    id: str
    org_id: str  # owning org; public insights keep it for provenance, never shown raw
    agent_id: str
    scope: Scope = Scope.PRIVATE
    title: ShortText
    content: LongText
    query: str = ""  # what someone would search to find this
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)  # library[:version]
    kind: InsightKind = InsightKind.PRACTICE
    evidence: Evidence = Field(default_factory=Evidence)
    provenance: Provenance = Field(default_factory=Provenance)
    trust: Trust = Field(default_factory=Trust)
    status: InsightStatus = InsightStatus.ACTIVE
    supersedes: str | None = None
    content_hash: str = ""
    created: datetime = Field(default_factory=utcnow)
    updated: datetime = Field(default_factory=utcnow)

    @property
    def libraries(self) -> list[str]:
        return sorted({t.split(":", 1)[0] for t in self.tags})


class Feedback(_Model):
    id: str
    target_id: str
    org_id: str
    agent_id: str
    relevant: bool | None = None
    correct: bool | None = None
    verified: Outcome | None = None  # tests passed/failed after following it
    comment: str = ""
    created: datetime = Field(default_factory=utcnow)


# --- search -------------------------------------------------------------------------


class DocType(StrEnum):
    SNIPPET = "snippet"
    INSIGHT = "insight"


class SearchFilters(_Model):
    libraries: list[str] = Field(default_factory=list)
    # library -> version the caller has; matching versions rank first, others still allowed
    versions: dict[str, str] = Field(default_factory=dict)
    kinds: list[str] = Field(default_factory=list)
    scopes: list[Scope] = Field(default_factory=list)
    statuses: list[InsightStatus] = Field(default_factory=lambda: [InsightStatus.ACTIVE])


class ChannelHit(_Model):
    """One document's place in one retrieval channel."""

    id: str
    rank: int  # 1-based
    score: float


class ChannelScore(_Model):
    rank: int | None = None
    score: float | None = None


class SearchHit(_Model):
    id: str
    doc_type: DocType
    title: str
    library: str
    version: str
    symbol: str
    kind: str
    text: str
    score: float  # fused score
    # explanation: rank and score in each channel ("bm25", "vector", "trust")
    channels: dict[str, ChannelScore] = Field(default_factory=dict)
    apis: list[str] = Field(default_factory=list)  # a doc section: the APIs it teaches
