"""What an agent reads back from a tool: compact text within a token budget, and ids.

Progressive disclosure: `search` gives one line per hit (and its key lines),
`recommend` the coach's budgeted advice with numbered sources, and both name ids that
`get_memory` returns in full.

Every result's structured part carries the whole answer, not a digest of it: Claude
Code and Codex hand the model a result's structured content *instead of* its text when
both exist, so a structured part holding only ids would be all the model reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from spark_memory.coach.models import Citation, Claim, Recommendation
from spark_memory.coach.render import estimate_tokens, render
from spark_memory.models import Insight, SearchHit, Snippet
from spark_memory.service.experience import WriteReceipt

SUMMARY_CHARS = 240
LINE_CHARS = 160
KEY_LINES = 3
FETCH_HINT = "Full text of any hit: get_memory(ids=[...])."
SOURCE_HINT = "Read a source in full: get_memory(ids=[...])."
_WORD = re.compile(r"[a-z_][a-z0-9_]{2,}")
CHARS_PER_TOKEN = 3  # conservative for code and prose: cut text before it overruns


class HitOut(BaseModel):
    id: str
    type: str  # snippet | insight
    title: str
    library: str
    version: str
    kind: str
    score: float
    summary: str  # the hit's opening lines (signature and first sentence, for an API)
    key_lines: list[str] = []  # further lines of its text that hold the query's words


class SearchResult(BaseModel):
    hits: list[HitOut]
    omitted: int = 0  # hits left out to stay within the budget
    note: str = ""  # what to do next: fetch in full, or why nothing was found


class ClaimOut(BaseModel):
    text: str
    sources: list[str] = []  # ids of the sources the claim rests on


class SourceOut(BaseModel):
    id: str
    type: str  # snippet | insight
    title: str
    library: str = ""
    version: str = ""
    kind: str = ""
    reason: str  # why the recommendation cites it
    trust: float | None = None  # insights: lower credible bound


class RecommendResult(BaseModel):
    guidance: ClaimOut
    steps: list[ClaimOut] = []
    pitfalls: list[ClaimOut] = []
    code_sketch: ClaimOut | None = None
    sources: list[SourceOut] = []
    cited_ids: list[str]
    mode: str
    tokens_used: int
    note: str = ""


class MemoryItem(BaseModel):
    id: str
    type: str
    title: str
    text: str
    truncated: bool = False
    library: str = ""
    version: str = ""
    kind: str = ""
    scope: str = ""
    status: str = ""
    trust: float | None = None  # insights: lower credible bound


class MemoryResult(BaseModel):
    items: list[MemoryItem]
    missing: list[str] = []  # ids that do not exist or that the caller may not see


class WriteOut(BaseModel):
    id: str
    status: str
    message: str = ""


# --- search ----------------------------------------------------------------------------------


def search_result(
    hits: Sequence[SearchHit], budget_tokens: int, query: str = "", empty: str = ""
) -> tuple[str, SearchResult]:
    """``empty``: why nothing could be found (an empty or unfinished knowledge base)."""
    lines: list[str] = []
    kept: list[HitOut] = []
    used = 0
    for n, hit in enumerate(hits, 1):
        out = _hit_out(hit, query)
        block = _hit_block(n, out)
        cost = estimate_tokens(block)
        if kept and used + cost > budget_tokens:
            break
        used += cost
        lines.append(block)
        kept.append(out)
    omitted = len(hits) - len(kept)
    if not hits:
        note = empty or "No results. Try other words, or fewer library filters."
    else:
        note = FETCH_HINT
        if omitted:
            lines.append(f"({omitted} more hits left out to stay within budget_tokens)")
    lines.append(note)
    return "\n".join(lines), SearchResult(hits=kept, omitted=omitted, note=note)


def _hit_block(n: int, hit: HitOut) -> str:
    where = " ".join(x for x in (hit.library, hit.version, hit.kind) if x)
    head = f"{n}. {hit.title} [{where}] {hit.id} — {hit.summary}"
    return "\n".join([head, *(f"   | {line}" for line in hit.key_lines)])


def _hit_out(hit: SearchHit, query: str) -> HitOut:
    lines = [line.strip() for line in hit.text.splitlines() if line.strip()]
    return HitOut(
        id=hit.id,
        type=hit.doc_type.value,
        title=hit.symbol or hit.title,
        library=hit.library,
        version=hit.version,
        kind=hit.kind,
        score=round(hit.score, 6),
        summary=_clip(" ".join(lines[:2]), SUMMARY_CHARS),
        key_lines=_key_lines(lines[2:], query),
    )


def _key_lines(lines: Sequence[str], query: str) -> list[str]:
    """The lines that share the most words with the query, in the order of the text."""
    wanted = set(_WORD.findall(query.lower()))
    scored = [(len(wanted & set(_WORD.findall(line.lower()))), i) for i, line in enumerate(lines)]
    best = sorted((i for score, i in scored if score), key=lambda i: -scored[i][0])[:KEY_LINES]
    return [_clip(lines[i], LINE_CHARS) for i in sorted(best)]


def _clip(text: str, limit: int) -> str:
    return text[:limit] + ("..." if len(text) > limit else "")


# --- recommend -----------------------------------------------------------------------------


def recommend_result(rec: Recommendation, empty: str = "") -> tuple[str, RecommendResult]:
    text = render(rec)
    note = SOURCE_HINT if rec.citations else empty
    if note:
        text += f"\n\n{note}"
    sketch = rec.code_sketch
    out = RecommendResult(
        guidance=_claim_out(rec.guidance),
        steps=[_claim_out(c) for c in rec.steps],
        pitfalls=[_claim_out(c) for c in rec.pitfalls],
        code_sketch=ClaimOut(text=sketch.code, sources=sketch.sources) if sketch.code else None,
        sources=[_source_out(c) for c in rec.citations],
        cited_ids=[c.id for c in rec.citations],
        mode=rec.mode.value,
        tokens_used=rec.tokens.used,
        note=note,
    )
    return text, out


def _claim_out(claim: Claim) -> ClaimOut:
    return ClaimOut(text=claim.text, sources=list(claim.sources))


def _source_out(c: Citation) -> SourceOut:
    return SourceOut(
        id=c.id,
        type=c.doc_type.value,
        title=c.symbol or c.title,
        library=c.library,
        version=c.version,
        kind=c.kind,
        reason=c.reason,
        trust=c.trust,
    )


# --- get_memory ------------------------------------------------------------------------------


def memory_result(
    found: Sequence[Snippet | Insight], missing: Sequence[str], budget_tokens: int
) -> tuple[str, MemoryResult]:
    items: list[MemoryItem] = []
    room = budget_tokens * CHARS_PER_TOKEN
    for record in found:
        item = _snippet_item(record) if isinstance(record, Snippet) else _insight_item(record)
        share = max(200, room // max(1, len(found) - len(items)))
        if len(item.text) > share:
            item = item.model_copy(update={"text": item.text[:share], "truncated": True})
        room -= len(item.text)
        items.append(item)
    result = MemoryResult(items=items, missing=list(missing))
    return _memory_text(result), result


def _snippet_item(snippet: Snippet) -> MemoryItem:
    return MemoryItem(
        id=snippet.id,
        type="snippet",
        title=snippet.symbol or snippet.title,
        text=snippet.text,
        library=snippet.library,
        version=snippet.version,
        kind=snippet.kind.value,
    )


def _insight_item(insight: Insight) -> MemoryItem:
    parts = [insight.content]
    evidence = insight.evidence
    for label, value in (("Failing code", evidence.failing_code), ("Error", evidence.error)):
        if value:
            parts.append(f"{label}:\n{value}")
    if evidence.fix:
        parts.append(f"Fix:\n{evidence.fix}")
    return MemoryItem(
        id=insight.id,
        type="insight",
        title=insight.title,
        text="\n\n".join(parts),
        kind=insight.kind.value,
        scope=insight.scope.value,
        status=insight.status.value,
        trust=round(insight.trust.lower_bound(), 3),
        library=",".join(insight.tags),
    )


def _memory_text(result: MemoryResult) -> str:
    blocks = []
    for item in result.items:
        where = " ".join(x for x in (item.library, item.version, item.kind, item.scope) if x)
        trust = f", trust {item.trust:.2f}" if item.trust is not None else ""
        cut = "\n[truncated: raise budget_tokens for the rest]" if item.truncated else ""
        blocks.append(f"## {item.title} ({where}{trust}) {item.id}\n{item.text}{cut}")
    if result.missing:
        blocks.append("Not found or not visible to you: " + ", ".join(result.missing))
    return "\n\n".join(blocks)


# --- writes ----------------------------------------------------------------------------------


def write_result(receipt: WriteReceipt) -> tuple[str, WriteOut]:
    text = f"{receipt.status}: {receipt.id}"
    if receipt.message:
        text += f"\n{receipt.message}"
    return text, WriteOut(id=receipt.id, status=receipt.status, message=receipt.message)
