"""The passage that shows how: a guide section or gallery example that matches the task.

Documentation helps a code model mostly through its example code, and tutorials are
found from a task's words far better than API references. So when the retrieved
documentation holds a section (its symbol is ``doc#anchor``) with code among the
best six sources (the merged sources put the methods of the class a task names first,
so the section that shows how often sits fourth to sixth), the recommendation leads
with it: its heading, its code, and the APIs it uses (``SearchHit.apis``, recorded at
ingest), whose references follow.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spark_memory.coach.recall import Source
from spark_memory.models import GUIDE_KINDS, SearchHit

# A section leads only when it ranks among the best few sources found.
HOW_TO_RANK = 6
MAX_CODE_LINES = 12
MAX_TAUGHT = 4
_FENCE = re.compile(r"```[\w+-]*\n(.*?)```", re.S)


def is_section(hit: SearchHit) -> bool:
    return "#" in hit.symbol or hit.kind in GUIDE_KINDS


def pick(docs: Sequence[Source]) -> Source | None:
    """The best-ranked section with code among the first HOW_TO_RANK sources."""
    for source in docs[:HOW_TO_RANK]:
        if is_section(source.hit) and code(source.hit.text):
            return source
    return None


def code(text: str, max_lines: int = MAX_CODE_LINES) -> str:
    """The section's code: its fenced blocks, else its doctest input lines."""
    blocks = [b.strip("\n") for b in _FENCE.findall(text) if b.strip()]
    if blocks:
        lines = "\n\n".join(blocks).splitlines()
    else:
        lines = [
            line.strip()[4:]
            for line in text.splitlines()
            if line.strip().startswith((">>> ", "... "))
        ]
    kept = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return "\n".join(kept[:max_lines])


def prose(text: str) -> str:
    """The section's words without its heading line and code."""
    body = _FENCE.sub(" ", text).split("\n", 1)[-1]
    lines = [line for line in body.splitlines() if not line.strip().startswith((">>>", "..."))]
    return " ".join(" ".join(lines).split())


def taught(hit: SearchHit, library: str = "") -> list[str]:
    """The APIs the section uses, at most MAX_TAUGHT: those of ``library`` (the one the
    task is most about) first, then those its code calls (in the order the code calls
    them), then the others it links to. A plotting example's code starts by making its
    data (``np.arange``, ``np.sin``); what it teaches is the plotting."""
    shown = code(hit.text, max_lines=200)
    first = {name: _position(shown, name) for name in dict.fromkeys(hit.apis)}
    ranked = sorted(first, key=lambda name: (name.split(".", 1)[0] != library, first[name]))
    return ranked[:MAX_TAUGHT]


def _position(code_text: str, name: str) -> int:
    found = re.search(rf"\b{re.escape(name.rsplit('.', 1)[-1])}\b", code_text)
    return found.start() if found else len(code_text) + 1
