"""A recommendation as the text an agent reads, and its size in (estimated) tokens.

The token budget is about what lands in the caller's context, so it is measured on
this rendering. The estimate counts words and punctuation marks, which tracks BPE
tokenisers of code and English within about 15% without shipping a tokenizer.
"""

from __future__ import annotations

import re

from spark_memory.coach.models import Citation, Claim, Recommendation

_TOKEN = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def render(rec: Recommendation) -> str:
    """Markdown-ish plain text: guidance, steps, pitfalls, sketch, sources."""
    numbers = {c.id: n for n, c in enumerate(rec.citations, 1)}
    out = [_claim(rec.guidance, numbers)]
    if rec.steps:
        out.append(
            "Steps:\n" + "\n".join(f"{n}. {_claim(s, numbers)}" for n, s in enumerate(rec.steps, 1))
        )
    if rec.pitfalls:
        out.append("Pitfalls:\n" + "\n".join(f"- {_claim(p, numbers)}" for p in rec.pitfalls))
    if rec.code_sketch.code:
        refs = _refs(rec.code_sketch.sources, numbers)
        out.append(f"Sketch{refs}:\n```python\n{rec.code_sketch.code}\n```")
    if rec.citations:
        out.append(
            "Sources:\n" + "\n".join(_citation(n, c) for n, c in enumerate(rec.citations, 1))
        )
    return "\n\n".join(out)


def _claim(claim: Claim, numbers: dict[str, int]) -> str:
    return claim.text + _refs(claim.sources, numbers)


def _refs(ids: list[str], numbers: dict[str, int]) -> str:
    marks = [f"[{numbers[i]}]" for i in ids if i in numbers]
    return " " + "".join(marks) if marks else ""


def _citation(n: int, c: Citation) -> str:
    name = c.symbol or c.title
    where = " ".join(x for x in (c.library, c.version) if x)
    trust = f", trust {c.trust:.2f}" if c.trust is not None else ""
    return f"[{n}] {name} ({where}{trust}) {c.id} — {c.reason}"
