from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from spark_memory.cli.eval_cmd import eval_group


@pytest.fixture
def small_data(tmp_path: Path, problem_row, write_jsonl, result_is_one: str) -> Path:
    """A data directory in the dev layout: three problems, one model's answers."""
    folder = tmp_path / "ds1000"
    (folder / "answers").mkdir(parents=True)
    rows = [
        problem_row(0, result_is_one, library="Numpy"),
        problem_row(1, result_is_one, library="Pandas", perturbation_type="Surface"),
        problem_row(2, "import seaborn as sns\nsns.load_dataset('tips')\n", library="Matplotlib"),
    ]
    write_jsonl(folder / "ds1000-dev.jsonl.gz", rows)
    answers = [
        {"id": 0, "code": ["```python\nresult = 1\n```"], "metadata": rows[0]["metadata"]},
        {"id": 1, "code": ["<code>result = 2</code>"], "metadata": rows[1]["metadata"]},
        {"id": 2, "code": ["pass"], "metadata": rows[2]["metadata"]},
    ]
    write_jsonl(folder / "answers" / "toy.jsonl.gz", answers)
    return folder


def invoke_on(data: Path, *args: str, home: Path) -> tuple[int, str, str]:
    """`spark eval run` on `data` with this interpreter as the execution environment."""
    return invoke("run", *args, "--data-dir", str(data), "--python", sys.executable, home=home)


def invoke(*args: str, home: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        eval_group,
        list(args),
        env={"SPARK_HOME": str(home), "SPARK_EVAL_ENV": None, "SPARK_DS1000_DIR": None},
    )
    return result.exit_code, result.stdout, result.stderr


def test_run_a_model_prints_json_and_writes_the_report(small_data: Path, tmp_path: Path) -> None:
    code, out, err = invoke(
        "run", "--answers", "toy", "--data-dir", str(small_data), "--python", sys.executable,
        "--out", str(tmp_path / "runs"), "--json", home=tmp_path,
    )  # fmt: skip

    assert code == 0, err
    report = json.loads(out)
    assert [r["status"] for r in report["results"]] == ["passed", "failed", "skipped"]
    assert report["summary"]["overall"] == {
        "total": 3, "passed": 1, "failed": 1, "timeout": 0, "skipped": 1, "executed": 2, "pass_rate": 0.5,
    }  # fmt: skip
    assert report["summary"]["by_library"]["Pandas"]["failed"] == 1
    assert report["summary"]["by_perturbation"]["Surface"]["total"] == 1
    assert report["options"]["timeout"] == 120
    (saved,) = (tmp_path / "runs").glob("ds1000-toy-*.json")
    assert json.loads(saved.read_text())["results"] == report["results"]
    assert "report:" in err


def test_run_the_reference_prints_a_table(small_data: Path, tmp_path: Path) -> None:
    code, out, err = invoke(
        "run", "--answers", "reference", "--data-dir", str(small_data), "--python", sys.executable,
        "--library", "numpy", home=tmp_path,
    )  # fmt: skip

    assert code == 0, err
    assert "Numpy" in out
    assert "1.000" in out
    # the report's default place: $SPARK_HOME/eval-runs
    assert list((tmp_path / "eval-runs").glob("ds1000-reference-*.json"))


def test_an_answers_file_can_be_given_by_path(small_data: Path, tmp_path: Path) -> None:
    path = small_data / "answers" / "toy.jsonl.gz"
    code, out, err = invoke(
        "run", "--answers", str(path), "--data-dir", str(small_data), "--python", sys.executable,
        "--problem", "0", "--json", home=tmp_path,
    )  # fmt: skip

    assert code == 0, err
    assert json.loads(out)["summary"]["overall"]["passed"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--answers", "gpt-5"], "no answers for model 'gpt-5'"),
        (["--answers", "toy", "--library", "polars"], "'polars' is not one of"),
        (["--answers", "toy", "--problem", "77"], "no problem matches the filters"),
        (["--answers", "toy", "--workers", "0"], "0 is not in the range"),
        (["--answers", "toy", "--timeout", "0"], "--timeout"),
        (["--answers", "missing.jsonl"], "no such file"),
    ],
)
def test_bad_input_exits_2_with_a_reason(
    small_data: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    code, _, err = invoke_on(small_data, *args, home=tmp_path)

    assert code == 2
    assert message in err


def test_an_answers_file_missing_a_problem_is_bad_input(
    small_data: Path, tmp_path: Path, write_jsonl
) -> None:
    partial = write_jsonl(tmp_path / "partial.jsonl", [{"id": 0, "code": ["result = 1"]}])

    code, _, err = invoke_on(small_data, "--answers", str(partial), home=tmp_path)

    assert code == 2
    assert "no answer for problem 1" in err


def test_answers_for_other_problems_are_refused(
    small_data: Path, tmp_path: Path, write_jsonl, problem_row
) -> None:
    shifted = [
        {"id": i, "code": ["x"], "metadata": problem_row(i, "", library="Scipy")["metadata"]}
        for i in range(3)
    ]
    path = write_jsonl(tmp_path / "shifted.jsonl", shifted)

    code, _, err = invoke_on(small_data, "--answers", str(path), home=tmp_path)

    assert code == 2
    assert "answers and problems do not match" in err


def test_a_missing_environment_points_to_setup(small_data: Path, tmp_path: Path) -> None:
    missing_env = str(tmp_path / "none")
    code, _, err = invoke(
        "run",
        "--answers",
        "toy",
        "--data-dir",
        str(small_data),
        "--env",
        missing_env,
        home=tmp_path,
    )

    assert code == 2
    assert "spark eval setup" in err


def test_a_missing_data_directory_is_bad_input(tmp_path: Path) -> None:
    code, _, err = invoke(
        "run", "--answers", "reference", "--data-dir", str(tmp_path / "nowhere"), home=tmp_path
    )

    assert code == 2
    assert "no DS-1000 data directory" in err


@pytest.mark.slow
def test_run_real_problems_in_the_pinned_environment(
    data_dir: Path, pinned_python: Path, tmp_path: Path
) -> None:
    code, out, err = invoke(
        "run", "--answers", "gpt-4o-2024-08-06", "--data-dir", str(data_dir), "--python", str(pinned_python),
        "--problem", "2", "--problem", "519", "--json", home=tmp_path,
    )  # fmt: skip

    assert code == 0, err
    report = json.loads(out)
    assert [r["status"] for r in report["results"]] == ["passed", "skipped"]
    assert report["versions"]["pandas"] == "1.5.3"
