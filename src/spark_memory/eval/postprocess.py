"""Upstream DS-1000 post-processing of raw model output into an executable solution.

This mirrors ``postprocess`` of xlang-ai/DS-1000's ``test_ds1000.py`` step for step,
quirks included, because pass rates are only comparable with upstream's when the
same text reaches the test: ``"```python"`` is removed *everywhere* (not only at the
start), everything from the first remaining ``"```"`` on is dropped, and the cut at
``"\\nEND SOLUTION"`` keeps a preceding ``"### "``-style prefix on its own line.
"""

from __future__ import annotations

from collections.abc import Sequence


def postprocess(code: str | Sequence[str]) -> str:
    """The solution upstream would execute for one raw answer (a string or a list)."""
    if not isinstance(code, str):
        # Upstream takes the first sample; an empty list is an empty answer, which fails.
        code = code[0] if code else ""
    code = code.split("</code>")[0]
    code = code.replace("```python", "")
    code = code.split("```")[0]
    code = code.split("\nEND SOLUTION")[0]
    return code.replace("<code>", "")
