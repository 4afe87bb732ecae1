"""Step 8's discipline: a recommendation never exceeds the caller's token budget.

Both synthesisers hand their full draft here; it is cut, least valuable part first,
until its rendering fits: sketch lines, then parameter detail, then trailing steps
and pitfalls, then the sketch. Citations nothing cites any more are dropped with
them, so every remaining citation still supports a claim.
"""

from __future__ import annotations

from collections.abc import Callable

from spark_memory.coach.models import Claim, CodeSketch, Recommendation, TokenUsage
from spark_memory.coach.render import estimate_tokens, render

_MIN_SKETCH_LINES = 3
_MIN_STEPS = 1


def fit(rec: Recommendation, budget: int) -> Recommendation:
    """``rec`` trimmed to ``budget`` tokens (as rendered), citations pruned to match."""
    rec = prune_citations(rec)
    for cut in _CUTS:
        while _size(rec) > budget:
            smaller = cut(rec)
            if smaller is None:
                break
            rec = prune_citations(smaller)
    return rec.model_copy(update={"tokens": _usage(rec, budget)})


def prune_citations(rec: Recommendation) -> Recommendation:
    cited = {i for claim in rec.claims() for i in claim.sources}
    kept = [c for c in rec.citations if c.id in cited]
    return rec if len(kept) == len(rec.citations) else rec.model_copy(update={"citations": kept})


def _size(rec: Recommendation) -> int:
    return estimate_tokens(render(rec))


def _usage(rec: Recommendation, budget: int) -> TokenUsage:
    return rec.tokens.model_copy(update={"budget": budget, "used": _size(rec)})


def _shorter_sketch(rec: Recommendation) -> Recommendation | None:
    lines = rec.code_sketch.code.splitlines()
    if len(lines) <= _MIN_SKETCH_LINES:
        return None
    sketch = rec.code_sketch.model_copy(update={"code": "\n".join(lines[:-1])})
    return rec.model_copy(update={"code_sketch": sketch})


def _plain_steps(rec: Recommendation) -> Recommendation | None:
    # Parameter detail goes first: the signature already names the parameters.
    for n, step in enumerate(rec.steps):
        head, sep, _ = step.text.partition(" Parameters: ")
        if sep:
            steps = [*rec.steps[:n], Claim(text=head, sources=step.sources), *rec.steps[n + 1 :]]
            return rec.model_copy(update={"steps": steps})
    return None


def _fewer_pitfalls(rec: Recommendation) -> Recommendation | None:
    return rec.model_copy(update={"pitfalls": rec.pitfalls[:-1]}) if rec.pitfalls else None


def _fewer_steps(rec: Recommendation) -> Recommendation | None:
    if len(rec.steps) <= _MIN_STEPS:
        return None
    return rec.model_copy(update={"steps": rec.steps[:-1]})


def _no_sketch(rec: Recommendation) -> Recommendation | None:
    return rec.model_copy(update={"code_sketch": CodeSketch()}) if rec.code_sketch.code else None


def _last_step(rec: Recommendation) -> Recommendation | None:
    return rec.model_copy(update={"steps": []}) if rec.steps else None


def _short_guidance(rec: Recommendation) -> Recommendation | None:
    words = rec.guidance.text.split()
    if len(words) <= 12:
        return None
    text = " ".join(words[: max(12, len(words) * 2 // 3)]) + " …"
    return rec.model_copy(update={"guidance": Claim(text=text, sources=rec.guidance.sources)})


def _single_source_guidance(rec: Recommendation) -> Recommendation | None:
    if len(rec.guidance.sources) <= 1:
        return None
    text = rec.guidance.text.split(" Related: ")[0]
    return rec.model_copy(update={"guidance": Claim(text=text, sources=rec.guidance.sources[:1])})


_CUTS: tuple[Callable[[Recommendation], Recommendation | None], ...] = (
    _shorter_sketch,
    _plain_steps,
    _fewer_pitfalls,
    _fewer_steps,
    _no_sketch,
    _last_step,
    _single_source_guidance,
    _short_guidance,
)
