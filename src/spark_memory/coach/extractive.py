"""The deterministic synthesiser (steps 5-7 without an LLM).

It writes nothing the sources do not say: the guidance and each step quote an API's
signature and summary, parameter lines are the documented ones whose words the task
uses, the sketch is the API's own example, pitfalls come from insights (experience,
ranked by trust) and from the warnings in the cited docs. Focus matters more than
coverage: a handful of APIs, each cited with the reason it was chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from spark_memory.coach import docs
from spark_memory.coach.models import (
    Citation,
    Claim,
    CodeSketch,
    Intent,
    Recommendation,
    TaskKind,
    TokenUsage,
)
from spark_memory.coach.recall import Evidence, Source
from spark_memory.models import InsightKind, SearchHit
from spark_memory.store.lexical import STOP_WORDS

MAX_APIS = 5
MAX_INSIGHTS = 3
MAX_SKETCH_LINES = 8
MAX_PARAMS_PER_STEP = 2
MAX_DOC_PITFALLS = 2
# An API is cited only if its fused score is at least this share of the best one:
# a long tail of weak matches would make the advice unfocused.
RELATIVE_FLOOR = 0.25

_WORD = re.compile(r"[a-z][a-z0-9]+")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9]*(?:_[a-z0-9]+)+")  # snake_case: as_index
# Words every parameter description uses; sharing them with a task means nothing.
_GENERIC = STOP_WORDS | frozenset(
    (
        *("array", "arrays", "value", "values", "data", "default", "object", "objects"),
        *("result", "output", "input", "none", "true", "false", "type", "types", "axis"),
        *("number", "element", "elements", "function", "returns", "whether", "specified"),
        "dtype",
    )
)
_API_KINDS = ("api", "example")
_PITFALL_KINDS = (InsightKind.PITFALL, InsightKind.WORKAROUND)


def synthesise(task: str, intent: Intent, evidence: Evidence, budget: int) -> Recommendation:
    apis = focus(evidence.docs, MAX_APIS)
    lessons = evidence.experience[:MAX_INSIGHTS]
    lowered = task.lower()
    terms = set(_WORD.findall(lowered)) | set(_IDENTIFIER.findall(lowered))
    steps = [_insight_step(s) for s in lessons if not _is_pitfall(s)]
    steps += [_api_step(s, terms) for s in apis]
    pitfalls = [_insight_pitfall(s) for s in lessons if _is_pitfall(s)]
    pitfalls += _doc_pitfalls(apis)[: max(0, MAX_DOC_PITFALLS - len(pitfalls))]
    used = [*lessons, *apis]
    sketch = _sketch(apis, lessons, evidence.examples)
    return Recommendation(
        guidance=_guidance(intent, apis, lessons),
        steps=steps,
        pitfalls=pitfalls,
        code_sketch=sketch,
        citations=[citation(s, intent) for s in used] + _example_citations(sketch, evidence),
        intent=intent,
        queries=evidence.queries,
        tokens=TokenUsage(budget=budget, used=0),
    )


def focus(sources: Sequence[Source], limit: int) -> list[Source]:
    """The best source per API symbol, at most ``limit``, none far below the best.

    A symbol's strength is the sum over its snippets (api and example), so an API
    whose reference and examples both match outranks one matched once.
    """
    groups: dict[str, list[Source]] = {}
    for source in sources:
        if source.hit.kind in _API_KINDS and not source.hit.title.startswith("module "):
            groups.setdefault(source.hit.symbol, []).append(source)
    strength = {sym: sum(s.score for s in group) for sym, group in groups.items()}
    ranked = sorted(groups, key=lambda sym: -strength[sym])
    if not ranked:
        return []
    floor = strength[ranked[0]] * RELATIVE_FLOOR
    chosen = [sym for sym in ranked if strength[sym] >= floor][:limit]
    return [min(groups[sym], key=_representative) for sym in chosen]


def citation(source: Source, intent: Intent) -> Citation:
    hit = source.hit
    trust = source.insight.trust.lower_bound() if source.insight else None
    return Citation(
        id=hit.id,
        doc_type=hit.doc_type,
        library=hit.library,
        version=hit.version,
        symbol=hit.symbol,
        kind=hit.kind,
        title=hit.title,
        reason=reason(source, intent),
        trust=None if trust is None else round(trust, 3),
    )


def reason(source: Source, intent: Intent) -> str:
    """One line: how the source was found and why it is trusted."""
    parts = []
    if source.mention:
        parts.append(f"`{source.mention.name}` is named in your {source.mention.where}")
    said = [
        w.removeprefix("says:").replace("_", " ") for w in source.found_by if w.startswith("says:")
    ]
    if said and not source.mention:
        parts.append(f'your task says "{said[0]}"')
    queries = sorted({w.split(" #")[0] for w in source.found_by if " #" in w})
    if queries:
        parts.append(
            "matched the " + ", ".join(queries) + " quer" + ("ies" if len(queries) > 1 else "y")
        )
    if source.insight:
        parts.append(f"{source.insight.kind.value} learnt from experience")
    elif source.hit.version and intent.versions.get(source.hit.library) == source.hit.version:
        parts.append(f"documents your version {source.hit.version}")
    if not parts and source.hit.kind == "example":
        parts.append(f"the documented example of `{source.hit.symbol}`")
    return "; ".join(parts) or "retrieved for this task"


def _representative(source: Source) -> tuple[bool, float]:
    # The api snippet carries signature and parameters; an example snippet only code.
    return (source.hit.kind != "api", -source.score)


def _guidance(intent: Intent, apis: Sequence[Source], lessons: Sequence[Source]) -> Claim:
    if intent.task_kind is TaskKind.FIX_ERROR and lessons:
        top = lessons[0]
        return Claim(text=f"{top.hit.title}.", sources=[top.id])
    if not apis:
        if lessons:
            return Claim(text=f"{lessons[0].hit.title}.", sources=[lessons[0].id])
        return Claim(text="No documentation or experience in the knowledge base matches this task.")
    head = docs.read(apis[0].hit.text)
    text = f"Use `{apis[0].hit.symbol}`: {head.summary or apis[0].hit.title}"
    others = [f"`{s.hit.symbol}`" for s in apis[1:]]
    if others:
        text += f" Related: {', '.join(others)}."
    return Claim(text=text, sources=[s.id for s in apis])


def _api_step(source: Source, terms: set[str]) -> Claim:
    parts = docs.read(source.hit.text)
    text = f"`{docs.compact_signature(parts.headline) or source.hit.symbol}`"
    if parts.summary:
        text += f" — {parts.summary}"
    params = _relevant_params(parts.parameters, terms)
    if params:
        text += " Parameters: " + "; ".join(params)
    return Claim(text=text, sources=[source.id])


def _relevant_params(params: Sequence[docs.Param], terms: set[str]) -> list[str]:
    """Documented parameters the task talks about: by name, or by two shared words."""
    scored = []
    for p in params:
        name = p.name.lower().strip("*")
        name_hit = name in terms and name not in STOP_WORDS
        shared = len((terms - _GENERIC) & set(_WORD.findall(p.description.lower())))
        if name_hit or shared >= 2:
            scored.append((not name_hit, -shared, p))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [f"`{p.name}`: {docs.first_sentence(p.description, 120)}" for *_, p in scored][
        :MAX_PARAMS_PER_STEP
    ]


def _example_citations(sketch: CodeSketch, evidence: Evidence) -> list[Citation]:
    by_id = {hit.id: hit for hit in evidence.examples.values()}
    return [
        Citation(
            id=hit.id,
            doc_type=hit.doc_type,
            library=hit.library,
            version=hit.version,
            symbol=hit.symbol,
            kind=hit.kind,
            title=hit.title,
            reason=f"the documented example of `{hit.symbol}`",
        )
        for hit in (by_id.get(i) for i in sketch.sources)
        if hit is not None
    ]


def _insight_step(source: Source) -> Claim:
    return Claim(text=_lesson_text(source), sources=[source.id])


def _insight_pitfall(source: Source) -> Claim:
    return Claim(text=_lesson_text(source), sources=[source.id])


def _lesson_text(source: Source) -> str:
    body = docs.first_sentence(source.hit.text, 240)
    return f"{source.hit.title}: {body}" if body and body != source.hit.title else source.hit.title


def _is_pitfall(source: Source) -> bool:
    return source.insight is not None and source.insight.kind in _PITFALL_KINDS


def _doc_pitfalls(apis: Sequence[Source]) -> list[Claim]:
    out = []
    for source in apis:
        for sentence in docs.cautions(docs.read(source.hit.text), limit=1):
            out.append(Claim(text=f"`{source.hit.symbol}`: {sentence}", sources=[source.id]))
    return out


def _sketch(
    apis: Sequence[Source], lessons: Sequence[Source], examples: Mapping[str, SearchHit]
) -> CodeSketch:
    """Experience's fix first; else the example of the best-ranked API that has one."""
    for lesson in lessons:
        fix = lesson.insight.evidence.fix if lesson.insight else ""
        if fix.strip():
            lines = fix.strip().splitlines()[:MAX_SKETCH_LINES]
            return CodeSketch(code="\n".join(lines), sources=[lesson.id])
    for source in apis:
        for hit in (source.hit, examples.get(source.hit.symbol)):
            lines = docs.example_code(docs.read(hit.text).examples, MAX_SKETCH_LINES) if hit else []
            if hit and lines:
                return CodeSketch(code="\n".join(lines), sources=[hit.id])
    return CodeSketch()
