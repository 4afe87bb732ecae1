from __future__ import annotations

from pathlib import Path

import pytest

from spark_memory.eval.ds1000 import DS1000
from spark_memory.eval.postprocess import postprocess

# Raw outputs in the shapes the six published answer files actually contain.
CASES = [
    pytest.param(
        "def replace_other(x):\n    return x\n\nresult = df.apply(replace_other)\n",
        "def replace_other(x):\n    return x\n\nresult = df.apply(replace_other)\n",
        id="codex002-plain",
    ),
    pytest.param(
        ["```python\nresult = df.apply(f)\n```"],
        "\nresult = df.apply(f)\n",
        id="gpt-4o-fenced",
    ),
    pytest.param(
        [
            "```python\n    for c in df:\n        pass\n    return df\n### END SOLUTION\n```\n</code>"
        ],
        # "### END SOLUTION" has no newline right before END, so only the fence cuts it
        "\n    for c in df:\n        pass\n    return df\n### END SOLUTION\n",
        id="gpt-3.5-fence-then-code-tag",
    ),
    pytest.param(
        ["<code>\n    df['d'] = df['d'].dt.tz_localize(None)\n    return df\n### END SOLUTION\n"],
        "\n    df['d'] = df['d'].dt.tz_localize(None)\n    return df\n### END SOLUTION\n",
        id="gpt-4-code-tag",
    ),
    pytest.param(
        ["result = a.sum()\nEND SOLUTION\n</code>\nExplanation: ..."],
        "result = a.sum()",
        id="end-solution-cut",
    ),
    pytest.param(
        ["result = 1\n</code>\n```python\nignored = 2\n```"],
        "result = 1\n",
        id="code-tag-cut-first",
    ),
    pytest.param(
        ["Here you go: ```python\nresult = 1\n``` and ```python\nresult = 2```"],
        # upstream removes every "```python", not only a leading one
        "Here you go: \nresult = 1\n",
        id="fence-removed-everywhere",
    ),
    pytest.param(["first\n", "second\n"], "first\n", id="first-sample-only"),
    pytest.param([], "", id="no-sample"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_postprocess_mirrors_upstream(raw: str | list[str], expected: str) -> None:
    assert postprocess(raw) == expected


def test_tuple_of_samples_is_a_sequence_like_a_list() -> None:
    assert postprocess(("```python\nx = 1\n```", "y")) == "\nx = 1\n"


@pytest.mark.parametrize(
    "model",
    [
        "codex002",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-0613",
        "gpt-4-0613",
        "gpt-4-turbo-2024-04-09",
        "gpt-4o-2024-08-06",
    ],
)
def test_no_markup_survives_on_the_real_answers(data_dir: Path, model: str) -> None:
    for problem_id, answer in DS1000(data_dir).answers(model).items():
        code = postprocess(answer.code)
        for markup in ("</code>", "<code>", "```", "\nEND SOLUTION"):
            assert markup not in code, (model, problem_id, markup)
