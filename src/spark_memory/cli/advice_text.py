"""A recommendation as text from its JSON form, without importing the coach.

The same layout as ``spark_memory.coach.render.render`` (tests/cli/test_advice_text.py
checks they agree), for answers that arrive as JSON from a running server: importing
the coach's models costs more than the hook's whole time budget allows.
"""

from __future__ import annotations

from typing import Any


def render_json(rec: dict[str, Any]) -> str:
    """Guidance, steps, pitfalls, sketch and sources of a recommendation's JSON."""
    citations = rec.get("citations") or []
    numbers = {c["id"]: n for n, c in enumerate(citations, 1)}
    out = [_claim(rec["guidance"], numbers)]
    steps = rec.get("steps") or []
    if steps:
        out.append(
            "Steps:\n" + "\n".join(f"{n}. {_claim(s, numbers)}" for n, s in enumerate(steps, 1))
        )
    pitfalls = rec.get("pitfalls") or []
    if pitfalls:
        out.append("Pitfalls:\n" + "\n".join(f"- {_claim(p, numbers)}" for p in pitfalls))
    sketch = rec.get("code_sketch") or {}
    if sketch.get("code"):
        refs = _refs(sketch.get("sources") or [], numbers)
        out.append(f"Sketch{refs}:\n```python\n{sketch['code']}\n```")
    if citations:
        out.append("Sources:\n" + "\n".join(_citation(n, c) for n, c in enumerate(citations, 1)))
    return "\n\n".join(out)


def _claim(claim: dict[str, Any], numbers: dict[str, int]) -> str:
    return str(claim["text"]) + _refs(claim.get("sources") or [], numbers)


def _refs(ids: list[str], numbers: dict[str, int]) -> str:
    marks = [f"[{numbers[i]}]" for i in ids if i in numbers]
    return " " + "".join(marks) if marks else ""


def _citation(n: int, c: dict[str, Any]) -> str:
    name = c.get("symbol") or c.get("title") or ""
    where = " ".join(x for x in (c.get("library"), c.get("version")) if x)
    trust = f", trust {c['trust']:.2f}" if c.get("trust") is not None else ""
    return f"[{n}] {name} ({where}{trust}) {c['id']} — {c['reason']}"
