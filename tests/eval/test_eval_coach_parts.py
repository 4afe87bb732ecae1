"""`spark eval coach`: its statistics, its judge, its conditions and its failures."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from tests.coach.conftest import APPEND_ERROR, open_spark
from tests.support.openai_server import OpenAIServer, Scripted, raw, status

from spark_memory.cli.main import cli
from spark_memory.errors import InvalidInput, MalformedReply
from spark_memory.eval.coach_stats import (
    mcnemar_exact,
    paired_bootstrap,
    paired_counts,
)
from spark_memory.eval.ds1000 import DS1000, select
from spark_memory.eval.judge import parse_verdict, rubric
from spark_memory.models import LOCAL_PRINCIPAL, DocType

ALWAYS_RIGHT = (334, 301)  # small, fast NumPy problems


# --- statistics ----------------------------------------------------------------------


def test_paired_counts_sort_each_problem_into_one_cell() -> None:
    counts = paired_counts([True, True, False, False, True], [True, False, True, False, False])
    assert counts.to_dict() == {"both": 1, "only_with": 2, "only_without": 1, "neither": 1, "n": 5}


@pytest.mark.parametrize(
    ("only_with", "only_without", "p"),
    [
        (9, 1, 22 / 1024),  # 2 * (C(10,0) + C(10,1)) / 2^10
        (8, 2, 112 / 1024),  # 2 * (1 + 10 + 45) / 2^10
        (5, 5, 1.0),
        (0, 0, 1.0),
        (6, 0, 2 / 64),
    ],
)
def test_mcnemar_exact_p_on_known_tables(only_with: int, only_without: int, p: float) -> None:
    assert mcnemar_exact(only_with, only_without) == pytest.approx(p)
    assert mcnemar_exact(only_without, only_with) == pytest.approx(p)


def sample_pairs(rng: np.random.Generator, n: int) -> tuple[list[bool], list[bool]]:
    """Pairs from a population where Spark helps on 25% and hurts on 5%: true Δ = 0.20."""
    cell = rng.choice(4, size=n, p=[0.30, 0.25, 0.05, 0.40])  # both, with, without, neither
    return [bool(c in (0, 1)) for c in cell], [bool(c in (0, 2)) for c in cell]


def test_the_bootstrap_interval_contains_the_true_difference() -> None:
    with_spark, without = sample_pairs(np.random.default_rng(7), 300)
    interval = paired_bootstrap(with_spark, without, seed=3)
    assert interval.contains(0.20)
    assert interval.low > 0  # 300 problems are enough to see a 0.20 gain
    assert interval.estimate == pytest.approx(np.mean(with_spark) - np.mean(without))


def test_the_bootstrap_covers_the_truth_about_as_often_as_it_says() -> None:
    rng = np.random.default_rng(11)
    hits = [
        paired_bootstrap(*sample_pairs(rng, 120), resamples=2000, seed=n).contains(0.20)
        for n in range(120)
    ]
    assert 0.88 <= np.mean(hits) <= 0.99


def test_the_bootstrap_repeats_with_its_seed() -> None:
    with_spark, without = sample_pairs(np.random.default_rng(1), 50)
    assert paired_bootstrap(with_spark, without, seed=5) == paired_bootstrap(
        with_spark, without, seed=5
    )


# --- judge replies ---------------------------------------------------------------------


def test_a_well_formed_verdict_is_scored() -> None:
    reply = '{"code_quality": 4, "helpfulness": "helpful", "reason": "right API"}'
    assert parse_verdict(reply, advised=True) == (4, "helpful", "right API")
    assert parse_verdict('{"code_quality": 2, "helpfulness": "none"}', advised=False) == (
        2,
        None,
        "",
    )


@pytest.mark.parametrize(
    "reply",
    [
        "Quality: 4/5, quite helpful.",
        '```json\n{"code_quality": 4, "helpfulness": "helpful"}\n```',
        '{"code_quality": 6, "helpfulness": "helpful"}',
        '{"code_quality": true, "helpfulness": "helpful"}',
        '{"code_quality": "4", "helpfulness": "helpful"}',
        '{"code_quality": 4, "helpfulness": "very helpful"}',
        '{"code_quality": 4, "helpfulness": "none"}',
        '{"code_quality": 4, "helpfulness": "helpful", "score": 9}',
        '{"code_quality": 4}',
        "[4, 3]",
    ],
)
def test_a_malformed_verdict_is_refused(reply: str) -> None:
    with pytest.raises(MalformedReply):
        parse_verdict(reply, advised=True)


def test_the_rubric_ships_with_the_package() -> None:
    text = rubric()
    assert "## Code quality (integer 1" in text
    assert all(band in text for band in ("essential", "helpful", "marginal", "misleading"))


# --- conditions ------------------------------------------------------------------------


def test_recommend_draws_on_the_document_types_asked_for(tmp_path: Path) -> None:
    with open_spark(tmp_path) as spark:
        docs, experience = (
            spark.recommend(
                "append a row",
                error=APPEND_ERROR,
                mode="extractive",
                doc_types=[t],
                principal=LOCAL_PRINCIPAL,
            )
            for t in (DocType.SNIPPET, DocType.INSIGHT)
        )
        with pytest.raises(InvalidInput):
            spark.recommend("append a row", doc_types=[], principal=LOCAL_PRINCIPAL)
    assert docs.citations
    assert {c.doc_type for c in docs.citations} == {DocType.SNIPPET}
    assert experience.citations
    assert {c.doc_type for c in experience.citations} == {DocType.INSIGHT}


# --- the command -----------------------------------------------------------------------


def run_cli(
    home: Path, base_url: str, out: Path, *extra: str, python: str = sys.executable, **env: str
) -> Result:
    args = ["--home", str(home), "eval", "coach", "--base-url", base_url, "--model", "m"]
    # any interpreter passes the start-up check; tests that execute pass the pinned one
    args += ["--python", python] if python else []
    args += ["--out", str(out), "--resamples", "200", *extra]
    return CliRunner().invoke(cli, args, env={"SPARK_EMBEDDER": "hash", **env})


def problem_args(*ids: int) -> list[str]:
    return [arg for pid in ids for arg in ("--problem", str(pid))]


def reference_responder(data_dir: Path) -> Any:
    problems = select(DS1000(data_dir).problems(), problem_ids=ALWAYS_RIGHT)

    def answer(body: dict[str, Any]) -> Scripted | str:
        prompt = body["messages"][-1]["content"]
        return next(p.reference_code for p in problems if prompt.endswith(p.prompt))

    return answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_endpoint_is_a_clear_error(tmp_path: Path, data_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli(tmp_path / "h", url, tmp_path / "out", *problem_args(*ALWAYS_RIGHT))
    assert result.exit_code == 1
    assert "error: the first 4 model calls failed" in result.output
    assert f"cannot reach the LLM at {url}" in result.output
    assert not (tmp_path / "out").exists()


def test_a_rejected_key_is_a_clear_error(tmp_path: Path, data_dir: Path) -> None:
    with OpenAIServer(api_key="right") as server:
        result = run_cli(
            tmp_path / "h",
            server.base_url,
            tmp_path / "out",
            "--api-key-env",
            "EVAL_KEY",
            *problem_args(*ALWAYS_RIGHT),
            EVAL_KEY="wrong",
        )
    assert result.exit_code == 1
    assert "answered 401" in result.output


def test_an_unset_key_variable_is_bad_input(tmp_path: Path, data_dir: Path) -> None:
    result = run_cli(
        tmp_path / "h", "http://127.0.0.1:1/v1", tmp_path / "o", "--api-key-env", "NOPE_X"
    )
    assert result.exit_code == 2
    assert "$NOPE_X is not set" in result.output


def test_a_missing_execution_environment_stops_before_any_model_call(
    tmp_path: Path, data_dir: Path
) -> None:
    with OpenAIServer() as server:
        result = run_cli(
            tmp_path / "h",
            server.base_url,
            tmp_path / "o",
            "--env",
            str(tmp_path / "no-env"),
            python="",
        )
        calls = len(server.chat_requests)
    assert result.exit_code == 2
    assert "spark eval setup" in result.output
    assert calls == 0


def test_an_unknown_condition_is_bad_input(tmp_path: Path, data_dir: Path) -> None:
    result = run_cli(tmp_path / "h", "http://127.0.0.1:1/v1", tmp_path / "o", "--conditions", "all")
    assert result.exit_code == 2
    assert "unknown condition ['all']" in result.output


def test_one_failed_call_is_recorded_not_fatal(
    tmp_path: Path, data_dir: Path, pinned_python: Path
) -> None:
    out = tmp_path / "out"
    no_usage = json.dumps({"choices": [{"message": {"content": "result = 0"}}], "model": "m"})
    with OpenAIServer() as server:
        server.script_chat(status(400, "context too long"), raw(no_usage))
        server.respond_with(reference_responder(data_dir))
        result = run_cli(
            tmp_path / "h",
            server.base_url,
            out,
            "--workers",
            "1",
            "--conditions",
            "none,docs",
            *problem_args(*ALWAYS_RIGHT),
            python=str(pinned_python),
        )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "coach.json").read_text())
    errors = [a for a in report["attempts"] if a["status"] == "model-error"]
    assert len(errors) == 1
    assert "context too long" in errors[0]["model_error"]
    overall = report["pass_at_1"][errors[0]["condition"]]["overall"]
    assert overall["model_errors"] == 1
    assert overall["executed"] == 1  # the failed call is not counted as a wrong answer
    assert sum(c["tokens_estimated"] for c in report["cost_per_problem"].values()) == 1
    assert report["paired_vs_none"]["docs"]["counts"]["n"] == 1


def test_a_malformed_judge_reply_is_recorded_as_unscored(
    tmp_path: Path, data_dir: Path, pinned_python: Path
) -> None:
    out = tmp_path / "out"
    model = reference_responder(data_dir)

    def respond(body: dict[str, Any]) -> Scripted | str:
        if body["model"] != "judge":
            answer: str = model(body)
            return answer
        advised = "(none)" not in body["messages"][-1]["content"]
        good = '{"code_quality": 5, "helpfulness": "essential", "reason": "idiomatic"}'
        return good if advised else "I would give it a 4."

    with OpenAIServer() as server:
        server.respond_with(respond)
        result = run_cli(
            tmp_path / "h",
            server.base_url,
            out,
            "--conditions",
            "none,docs",
            "--judge",
            "--judge-model",
            "judge",
            *problem_args(ALWAYS_RIGHT[0]),
            python=str(pinned_python),
        )
        judge_requests = [b for b in server.chat_requests if b["model"] == "judge"]
    assert result.exit_code == 0, result.output
    report = json.loads((out / "coach.json").read_text())
    assert report["judge"]["none"]["unscored"] == 1
    assert report["judge"]["docs"]["scored"] == 1
    assert report["judge"]["docs"]["mean_code_quality"] == 5
    assert report["judge"]["docs"]["helpfulness"]["essential"] == 1
    unscored = next(a["judge"] for a in report["attempts"] if a["condition"] == "none")
    assert unscored["unscored"].startswith("malformed judge reply")
    assert judge_requests[0]["messages"][0]["content"] == rubric()
    assert "## LLM judge" in (out / "coach.md").read_text()
