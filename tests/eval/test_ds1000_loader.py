from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from spark_memory.errors import InvalidInput, NotFound
from spark_memory.eval.ds1000 import (
    DS1000,
    LIBRARIES,
    PERTURBATION_TYPES,
    load_answers,
    load_problems,
    select,
)

MODELS = [
    "codex002",
    "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo-0613",
    "gpt-4-0613",
    "gpt-4-turbo-2024-04-09",
    "gpt-4o-2024-08-06",
]


# --- the real development split -----------------------------------------------------


def test_dev_split_has_the_documented_shape(data_dir: Path) -> None:
    problems = DS1000(data_dir).problems()

    assert len(problems) == 672
    ids = [p.problem_id for p in problems]
    assert ids == sorted(set(ids))
    assert Counter(p.library for p in problems) == {
        "Pandas": 206,
        "Numpy": 124,
        "Matplotlib": 109,
        "Sklearn": 81,
        "Scipy": 63,
        "Pytorch": 54,
        "Tensorflow": 35,
    }
    assert Counter(p.perturbation_type for p in problems) == {
        "Origin": 296,
        "Semantic": 152,
        "Surface": 113,
        "Difficult-Rewrite": 111,
    }
    assert {p.library for p in problems} <= set(LIBRARIES)
    assert {p.perturbation_type for p in problems} <= set(PERTURBATION_TYPES)
    assert all("def test_execution(" in p.code_context for p in problems)


def test_first_dev_problem_reads_field_by_field(data_dir: Path) -> None:
    problem = DS1000(data_dir).problems()[0]

    assert problem.problem_id == 2
    assert problem.metadata.library_problem_id == 2
    assert problem.metadata.test_case_cnt == 2
    assert problem.metadata.perturbation_origin_id == 2
    assert problem.prompt.startswith("Problem:")
    assert "value_counts" in problem.reference_code


def test_network_data_problems_are_recognised_by_their_test_code(data_dir: Path) -> None:
    flagged = [p for p in DS1000(data_dir).problems() if p.network_data_call]

    # 13 of upstream's 15 are in this split: Matplotlib tests calling seaborn.load_dataset
    assert len(flagged) == 13
    assert {p.library for p in flagged} == {"Matplotlib"}
    assert {p.network_data_call for p in flagged} == {"load_dataset"}


@pytest.mark.parametrize("model", MODELS)
def test_every_models_answers_cover_the_split(data_dir: Path, model: str) -> None:
    data = DS1000(data_dir)
    problems = {p.problem_id: p for p in data.problems()}

    answers = data.answers(model)

    assert answers.keys() == problems.keys()
    for problem_id, answer in answers.items():
        assert answer.code, problem_id
        assert answer.metadata is not None
        assert answer.metadata == problems[problem_id].metadata


def test_codex_answers_have_no_id_and_a_plain_string(data_dir: Path) -> None:
    with gzip.open(data_dir / "answers" / "codex002.jsonl.gz", "rt") as handle:
        first = json.loads(handle.readline())
    assert "id" not in first
    assert isinstance(first["code"], str)

    answer = DS1000(data_dir).answers("codex002")[2]

    assert answer.code == (first["code"],)


def test_models_lists_the_answer_files(data_dir: Path) -> None:
    assert DS1000(data_dir).models() == MODELS


def test_api_targets_load(data_dir: Path) -> None:
    targets = DS1000(data_dir).api_targets()

    assert len(targets) == 672
    assert sum(1 for t in targets.values() if t.apis_core) == 655
    assert "pandas.Series.value_counts" in targets[2].apis_core
    assert set(targets[2].apis_core) <= set(targets[2].apis)


# --- the full upstream layout and formats ---------------------------------------------


def test_full_upstream_file_and_answers_layout(
    tmp_path: Path, data_dir: Path, problem_row, write_jsonl
) -> None:
    # upstream: data/ds1000.jsonl(.gz) and data/<model>-answers.jsonl, rows in id order
    rows = [problem_row(i, "def test_execution(code):\n    pass\n") for i in (5, 0, 999)]
    write_jsonl(tmp_path / "ds1000.jsonl", rows)
    answers = [
        {"id": i, "code": [f"result = {i}"], "metadata": r["metadata"]}
        for i, r in zip((5, 0, 999), rows, strict=True)
    ]
    write_jsonl(tmp_path / "mymodel-answers.jsonl", answers)
    data = DS1000(tmp_path)

    assert data.problems_path == tmp_path / "ds1000.jsonl"
    assert [p.problem_id for p in data.problems()] == [0, 5, 999]
    assert data.answers("mymodel")[999].code == ("result = 999",)


def test_the_dev_split_is_preferred_over_a_full_file_beside_it(
    tmp_path: Path, problem_row, write_jsonl
) -> None:
    write_jsonl(tmp_path / "ds1000.jsonl.gz", [problem_row(1, "x")])
    write_jsonl(tmp_path / "ds1000-dev.jsonl.gz", [problem_row(2, "x")])

    assert [p.problem_id for p in DS1000(tmp_path).problems()] == [2]


def test_unknown_metadata_keys_are_tolerated(tmp_path: Path, problem_row, write_jsonl) -> None:
    row = problem_row(7, "x")
    row["metadata"]["origin_tags"] = ["new upstream field"]
    row["extra"] = 1

    problems = load_problems(write_jsonl(tmp_path / "p.jsonl", [row]))

    assert problems[0].problem_id == 7


# --- malformed input ------------------------------------------------------------------


def test_a_broken_line_is_reported_with_file_and_line(tmp_path: Path, problem_row) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(problem_row(1, "x")) + "\n{not json\n")

    with pytest.raises(InvalidInput, match=r"p\.jsonl:2: not JSON"):
        load_problems(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("code_context"), "'code_context' must be a string"),
        (lambda r: r.update(metadata=[]), "'metadata' must be an object"),
        (lambda r: r["metadata"].update(problem_id=True), "'problem_id' must be an integer"),
        (lambda r: r["metadata"].pop("library"), "'library' must be a string"),
    ],
)
def test_missing_or_mistyped_fields_are_invalid_input(
    tmp_path: Path, problem_row, write_jsonl, mutate, message: str
) -> None:
    row = problem_row(1, "x")
    mutate(row)
    path = write_jsonl(tmp_path / "p.jsonl", [row])

    with pytest.raises(InvalidInput, match=message):
        load_problems(path)


def test_duplicate_problem_ids_are_invalid(tmp_path: Path, problem_row, write_jsonl) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [problem_row(3, "a"), problem_row(3, "b")])

    with pytest.raises(InvalidInput, match="problem id 3 appears more than once"):
        load_problems(path)


def test_an_answer_needs_an_id_somewhere(tmp_path: Path, write_jsonl) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"code": ["x"]}])

    with pytest.raises(InvalidInput, match=r"needs 'id' or 'metadata\.problem_id'"):
        load_answers(path)


def test_a_corrupt_gzip_is_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl.gz"
    path.write_bytes(b"not gzip at all")

    with pytest.raises(InvalidInput, match="cannot read"):
        load_problems(path)


def test_missing_files_are_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no DS-1000 problem file"):
        DS1000(tmp_path).problems()
    with pytest.raises(NotFound, match=r"no answers for model 'nope'.*known: none"):
        DS1000(tmp_path).answers("nope")


# --- selection ------------------------------------------------------------------------


def test_select_filters_by_library_id_and_limit(data_dir: Path) -> None:
    problems = DS1000(data_dir).problems()

    torch = select(problems, libraries=["pytorch"])
    assert len(torch) == 54
    assert {p.library for p in torch} == {"Pytorch"}
    assert [p.problem_id for p in select(problems, problem_ids=[2, 519])] == [2, 519]
    assert len(select(problems, libraries=["Numpy", "Scipy"], limit=5)) == 5


def test_select_rejects_an_unknown_library(data_dir: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown library"):
        select(DS1000(data_dir).problems(), libraries=["polars"])
