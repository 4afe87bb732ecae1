"""What an agent reads back from a tool: compact text within a token budget, and ids.

Progressive disclosure: `search` gives one line per hit, `recommend` the coach's
budgeted advice with numbered sources, and both name ids that `get_memory` returns
in full. Each tool also returns the same facts as structured content for clients
that read JSON instead of text.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from spark_memory.coach.models import Recommendation
from spark_memory.coach.render import estimate_tokens, render
from spark_memory.models import Insight, SearchHit, Snippet
from spark_memory.service.experience import WriteReceipt

SUMMARY_CHARS = 160
CHARS_PER_TOKEN = 3  # conservative for code and prose: cut text before it overruns


class HitOut(BaseModel):
    id: str
    type: str  # snippet | insight
    title: str
    library: str
    version: str
    kind: str
    score: float


class SearchResult(BaseModel):
    hits: list[HitOut]
    omitted: int = 0  # hits left out to stay within the budget


class RecommendResult(BaseModel):
    cited_ids: list[str]
    mode: str
    tokens_used: int


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


def search_result(hits: Sequence[SearchHit], budget_tokens: int) -> tuple[str, SearchResult]:
    lines: list[str] = []
    kept: list[HitOut] = []
    used = 0
    for n, hit in enumerate(hits, 1):
        line = _hit_line(n, hit)
        cost = estimate_tokens(line)
        if kept and used + cost > budget_tokens:
            break
        used += cost
        lines.append(line)
        kept.append(_hit_out(hit))
    omitted = len(hits) - len(kept)
    if not hits:
        lines.append("No results. Try other words, or fewer library filters.")
    elif omitted:
        lines.append(f"({omitted} more hits left out to stay within budget_tokens)")
    if kept:
        lines.append("Full text of any hit: get_memory(ids=[...]).")
    return "\n".join(lines), SearchResult(hits=kept, omitted=omitted)


def _hit_line(n: int, hit: SearchHit) -> str:
    name = hit.symbol or hit.title
    where = " ".join(x for x in (hit.library, hit.version, hit.kind) if x)
    first = hit.text.strip().splitlines()[0] if hit.text.strip() else ""
    summary = first[:SUMMARY_CHARS] + ("..." if len(first) > SUMMARY_CHARS else "")
    return f"{n}. {name} [{where}] {hit.id} — {summary}"


def _hit_out(hit: SearchHit) -> HitOut:
    return HitOut(
        id=hit.id,
        type=hit.doc_type.value,
        title=hit.symbol or hit.title,
        library=hit.library,
        version=hit.version,
        kind=hit.kind,
        score=round(hit.score, 6),
    )


# --- recommend -----------------------------------------------------------------------------


def recommend_result(rec: Recommendation) -> tuple[str, RecommendResult]:
    text = render(rec)
    if rec.citations:
        text += "\n\nRead a source in full: get_memory(ids=[...])."
    cited = [c.id for c in rec.citations]
    return text, RecommendResult(cited_ids=cited, mode=rec.mode.value, tokens_used=rec.tokens.used)


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
