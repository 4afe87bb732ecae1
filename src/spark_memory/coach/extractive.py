"""The deterministic synthesiser (steps 5-7 without an LLM).

It writes nothing the sources do not say: the guidance and each step quote an API's
signature and summary, parameter lines are the documented ones whose words the task
uses, the sketch is the API's own example, pitfalls come from insights (experience,
ranked by trust) and from the warnings in the cited docs. Focus matters more than
coverage: a handful of APIs, each cited with the reason it was chosen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from spark_memory.api_names import method_key
from spark_memory.coach import docs, howto
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
from spark_memory.models import API_KINDS, InsightKind, SearchHit
from spark_memory.signatures import normalise_error
from spark_memory.store.lexical import STOP_WORDS

# APIs explained step by step: a few, since past the best three the see-also step's
# order (plain search's) finds more of what a task uses than the coach's fused one
# (DS-1000 development split: recommend's distinctive R@10 0.380 with five, 0.391 with
# three, 0.390 with two; docs/benchmarks.md).
MAX_APIS = 3
MAX_APIS_AFTER_HOW_TO = 2  # the section's code already shows how they fit together
MAX_SIGNATURE_CHARS = 120
MAX_INSIGHTS = 3
MAX_SKETCH_LINES = 8
MAX_PARAMS_PER_STEP = 2
MAX_DOC_PITFALLS = 2
# An API is cited only if its fused score is at least this share of the best one:
# a long tail of weak matches would make the advice unfocused.
RELATIVE_FLOOR = 0.25
# Beyond the APIs explained step by step, the rest of what the searches ranked best
# (other sections, other APIs) is named in one line, as many distinct sources in all
# as a page of search results, none far below the best.
MAX_SOURCES = 10
SEE_ALSO_FLOOR = 0.1
# Sections of one page say one thing: four of numpy's nditer page filled a see-also line.
# One a page leaves the places to other pages (recommend's distinctive R@10 0.394 ->
# 0.398 on the DS-1000 development split, against two).
MAX_SECTIONS_PER_PAGE = 1
SEE_ALSO = "see-also"

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
_PITFALL_KINDS = (InsightKind.PITFALL, InsightKind.WORKAROUND)


def synthesise(task: str, intent: Intent, evidence: Evidence, budget: int) -> Recommendation:
    how = evidence.how_to
    apis = focus(evidence.docs, MAX_APIS_AFTER_HOW_TO if how else MAX_APIS)
    lessons = evidence.experience[:MAX_INSIGHTS]
    lowered = task.lower()
    terms = set(_WORD.findall(lowered)) | set(_IDENTIFIER.findall(lowered))
    steps = [_insight_step(s) for s in lessons if not _is_pitfall(s)]
    steps += [_api_step(s, terms) for s in apis]
    more = see_also(evidence.docs, [*([how] if how else []), *apis], MAX_SOURCES)
    if more:
        steps.append(_see_also_step(more))
    pitfalls = [_insight_pitfall(s) for s in lessons if _is_pitfall(s)]
    pitfalls += _doc_pitfalls(apis)[: max(0, MAX_DOC_PITFALLS - len(pitfalls))]
    used = [*lessons, *([how] if how else []), *apis, *more]
    sketch = _sketch(apis, lessons, evidence.examples, how)
    return Recommendation(
        guidance=_guidance(intent, apis, lessons, how),
        steps=steps,
        pitfalls=pitfalls,
        code_sketch=sketch,
        citations=[citation(s, intent) for s in used],
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
        hit = source.hit
        if hit.kind in API_KINDS and not howto.is_section(hit) and not _is_module(hit):
            groups.setdefault(hit.symbol, []).append(source)
    strength = {sym: sum(s.score for s in group) for sym, group in groups.items()}
    ranked = sorted(groups, key=lambda sym: -strength[sym])
    if not ranked:
        return []
    floor = strength[ranked[0]] * RELATIVE_FLOOR
    chosen: list[Source] = []
    seen: set[str] = set()
    for sym in ranked:
        best = min(groups[sym], key=_representative)
        keys = api_keys(best.hit)
        if strength[sym] < floor or len(chosen) >= limit or keys & seen:
            continue
        seen |= keys
        chosen.append(best)
    return chosen


def api_keys(hit: SearchHit) -> set[str]:
    """Keys shared by the pages of one API, to cite it once: a method every class
    inherits from one base is documented by the same words under each class
    (``DataFrame.sample``, ``Series.sample``), and an alias by the same words under
    the same class (``Index.tolist``, ``Index.to_list``). A class's method also shares
    its library and name with the same method of other classes holding the same data:
    ``Categorical.tolist`` or ``CategoricalIndex.fillna`` beside ``Series.tolist`` or
    ``DataFrame.fillna`` is one more page of the same advice, while ``Rolling.mean`` is
    another API than ``Series.mean`` (``api_names.method_key``). DS-1000 development
    split: recommend's R@10 0.369 / 0.345 -> 0.376 / 0.355, all / distinctive."""
    if not hit.text or howto.is_section(hit):
        return {hit.symbol or hit.id}
    method = method_key(hit.symbol)
    keys = {f"{hit.library}:{method}"} if method else set()
    owner, _, name = hit.symbol.rpartition(".")
    summary = docs.read(hit.text).summary
    if not summary:
        return keys | {hit.symbol or hit.id}
    return keys | {f"{name}: {summary}", f"{owner}. {summary}"}


def see_also(docs: Sequence[Source], cited: Sequence[Source], total: int) -> list[Source]:
    """Sections and APIs not cited yet, one per symbol, until ``total`` distinct sources
    are cited; none below SEE_ALSO_FLOOR of the best but what plain search ranks among
    its first ``total``. A section is named only for APIs not named yet: one that teaches
    none, or only those already cited, gives the agent nothing new to look up
    (recommend's distinctive R@10 0.388 -> 0.394 on the DS-1000 development split).

    In the order plain search ranked the whole request, then the rest by fused score:
    past the leading APIs, plain search's order finds more of what the task uses than
    the fusion of the focused queries (DS-1000 development samples of 150: recommend's
    R@10 0.298 -> 0.344 and 0.283 -> 0.321 with the whole request embedded in full)."""
    seen = {s.hit.symbol or s.id for s in cited}
    same = {key for s in cited for key in api_keys(s.hit)}
    pages = Counter(_page(s.hit) for s in cited if howto.is_section(s.hit))
    named = {s.hit.symbol for s in cited} | {api for s in cited for api in s.hit.apis}
    best = max((s.score for s in docs), default=0.0)
    out: list[Source] = []
    for source in sorted(docs, key=_whole_rank):
        if len(seen) >= total:
            break
        hit = source.hit
        key = hit.symbol or source.id
        wanted = hit.kind in API_KINDS or howto.is_section(hit)
        keys = api_keys(hit)
        if key in seen or keys & same or not wanted or _is_module(hit):
            continue
        if source.score < best * SEE_ALSO_FLOOR and _whole_rank(source) > total:
            continue
        if howto.is_section(hit):
            page = _page(hit)
            if pages[page] >= MAX_SECTIONS_PER_PAGE or set(hit.apis) <= named:
                continue
            pages[page] += 1
        seen.add(key)
        named |= {hit.symbol, *hit.apis}
        same |= keys
        source.found_by.append(SEE_ALSO)
        out.append(source)
    return out


def _page(hit: SearchHit) -> str:
    """The documentation page a section belongs to (``user_guide/groupby`` of
    ``user_guide/groupby#transformation``)."""
    return hit.symbol.partition("#")[0]


def _whole_rank(source: Source) -> int:
    """Where plain search ranked a source for the whole request, or after all of them."""
    ranks = [int(w.rpartition("#")[2]) for w in source.found_by if w.startswith("whole #")]
    return min(ranks, default=1_000_000)


def _see_also_step(sources: Sequence[Source]) -> Claim:
    names = [
        f"“{s.hit.title}”" if howto.is_section(s.hit) else f"`{s.hit.symbol}`" for s in sources
    ]
    return Claim(text=f"See also: {', '.join(names)}.", sources=[s.id for s in sources])


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
    """One line for the agent: what this source is to the task."""
    hit = source.hit
    if source.insight:
        error = normalise_error(source.insight.evidence.error)
        same = bool(intent.error_signature) and error == intent.error_signature
        return "lesson learnt from the same error" if same else "lesson learnt on this task"
    if howto.is_section(hit):
        # only the section that leads shows how; a see-also one is related reading
        return (
            "a guide section on the task" if SEE_ALSO in source.found_by else "shows how, with code"
        )
    parts = []
    if source.mention:
        parts.append(f"`{source.mention.name}` is named in your {source.mention.where}")
    elif "how-to" in source.found_by:
        parts.append("reference of an API the how-to uses")
    else:
        said = [
            w.removeprefix("says:").replace("_", " ")
            for w in source.found_by
            if w.startswith("says:")
        ]
        if said:
            parts.append(f'your task says "{said[0]}"')
    if hit.version and intent.versions.get(hit.library) == hit.version:
        parts.append(f"your version {hit.version}")
    if not parts and hit.kind == "example":
        parts.append(f"the documented example of `{hit.symbol}`")
    return "; ".join(parts) or "reference"


def _representative(source: Source) -> tuple[bool, float]:
    # The api snippet carries signature and parameters; an example snippet only code.
    return (source.hit.kind != "api", -source.score)


def _guidance(
    intent: Intent, apis: Sequence[Source], lessons: Sequence[Source], how: Source | None
) -> Claim:
    if intent.task_kind is TaskKind.FIX_ERROR and lessons:
        top = lessons[0]
        return Claim(text=f"{top.hit.title}.", sources=[top.id])
    if how is not None:
        said = docs.first_sentence(howto.prose(how.hit.text), 200)
        text = f"How: {how.hit.title}" + (f" — {said}" if said else "")
        uses = [f"`{s.hit.symbol}`" for s in apis if "how-to" in s.found_by]
        if uses:
            text += f" Uses {', '.join(uses)}."
        return Claim(text=text, sources=[how.id, *(s.id for s in apis if "how-to" in s.found_by)])
    if not apis:
        if lessons:
            return Claim(text=f"{lessons[0].hit.title}.", sources=[lessons[0].id])
        return Claim(text="No documentation or experience in the knowledge base matches this task.")
    head = docs.read(apis[0].hit.text)
    summary = head.summary or apis[0].hit.title
    others = ", ".join(f"`{s.hit.symbol}`" for s in apis[1:])
    if _named_by_caller(apis[0]):
        text = f"Use `{apis[0].hit.symbol}`: {summary}" + (f" Related: {others}." if others else "")
    else:
        # Matched by words and meaning alone the lead is often wrong (recommend's first
        # citation is an API the reference solution uses in 27% of DS-1000's development
        # problems): told "Use X" an agent follows it; told it is the nearest page, it checks.
        text = (
            f"Closest match (no how-to passage matched this task; check that it fits):"
            f" `{apis[0].hit.symbol}` — {summary}" + (f" Also close: {others}." if others else "")
        )
    return Claim(text=text, sources=[s.id for s in apis])


def _named_by_caller(source: Source) -> bool:
    return source.mention is not None and source.mention.where in ("prose", "error")


def _api_step(source: Source, terms: set[str]) -> Claim:
    parts = docs.read(source.hit.text)
    text = f"`{_short_signature(parts.headline, source.hit.symbol)}`"
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
    apis: Sequence[Source],
    lessons: Sequence[Source],
    examples: Mapping[str, SearchHit],
    how: Source | None = None,
) -> CodeSketch:
    """Experience's fix first; then the how-to section's code; else the example of the
    leading API, when that example calls it (an example of something else is not how)."""
    for lesson in lessons:
        fix = lesson.insight.evidence.fix if lesson.insight else ""
        if fix.strip():
            lines = fix.strip().splitlines()[:MAX_SKETCH_LINES]
            return CodeSketch(code="\n".join(lines), sources=[lesson.id])
    if how is not None:
        return CodeSketch(code=howto.code(how.hit.text), sources=[how.id])
    for source in apis[:1]:
        name = source.hit.symbol.rsplit(".", 1)[-1]
        for hit in (source.hit, examples.get(source.hit.symbol)):
            lines = docs.example_code(docs.read(hit.text).examples, MAX_SKETCH_LINES) if hit else []
            if hit and any(re.search(rf"\b{re.escape(name)}\b", line) for line in lines):
                # the API's example is part of its documentation: cited once, as the API
                return CodeSketch(code="\n".join(lines), sources=[source.id])
    return CodeSketch()


def _short_signature(headline: str, symbol: str) -> str:
    """The call signature, cut after a few parameters: a 1,000-character dump of every
    keyword buries the point."""
    signature = docs.compact_signature(headline) or symbol
    if len(signature) <= MAX_SIGNATURE_CHARS:
        return signature
    cut = signature[:MAX_SIGNATURE_CHARS].rsplit(",", 1)[0]
    return f"{cut}, ...)"


def _is_module(hit: SearchHit) -> bool:
    return hit.title.startswith("module ")
