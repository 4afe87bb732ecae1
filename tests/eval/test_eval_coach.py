"""`spark eval coach` end to end: a pipeline test against a rule-based local model.

The "model" is the local OpenAI-compatible test server with a responder that
answers a problem with its reference solution only when the prompt names the
problem's gold API, and otherwise with a wrong one. The knowledge base is a real
SQLite store holding a documentation snippet and a curated insight for two of
the problems' APIs, so only with-Spark prompts can contain them. The candidates
execute in the real pinned DS-1000 environment. Five problems, one per outcome:

    345 numpy.cumsum   stored          passes only with Spark
    381 numpy.argsort  stored          passes only with Spark
    420 numpy.where    not stored      fails both ways
    334 numpy.mean     always right    passes both ways
    301 numpy.reshape  right without   passes only without Spark (advice "confuses" it)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tests.support.openai_server import OpenAIServer, completion

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.eval.coach_prompt import ADVICE_BEGIN
from spark_memory.eval.ds1000 import DS1000, Problem, select
from spark_memory.models import Insight, InsightKind, Scope, Snippet, SnippetKind, Trust, make_id
from spark_memory.service import Spark

STORED, NOT_STORED, ALWAYS, WITHOUT_ONLY = (345, 381), 420, 334, 301
PROBLEM_IDS = (*STORED, NOT_STORED, ALWAYS, WITHOUT_ONLY)
WRONG = "result = None\n</code>"
DOC_MARK, LESSON_MARK = "Reference documentation", "Lesson learned by agents"
JUDGE_MODEL = "judge-model"
GOLD = {345: "numpy.cumsum", 381: "numpy.argsort"}  # apis_core[0] of the stored problems


@dataclass
class Run:
    result: Result
    report: dict[str, Any]
    out: Path
    prompts: list[str]  # what the server received, in order


def gold(data: DS1000, problem_id: int) -> str:
    return data.api_targets()[problem_id].apis_core[0]


def fill_store(home: Path, problems: list[Problem], data: DS1000) -> None:
    """One snippet and one insight per stored problem, each naming its gold API."""
    with Spark.open(Settings.load(home=home, embedder="hash")) as spark:
        chosen = [p for p in problems if p.problem_id in STORED]
        snippets = [
            Snippet.build(
                library="numpy",
                version="1.26.4",
                symbol=gold(data, p.problem_id),
                kind=SnippetKind.API,
                title=gold(data, p.problem_id),
                text=f"{gold(data, p.problem_id)}(a)\n\n{DOC_MARK}: {p.prompt[:300]}",
            )
            for p in chosen
        ]
        vectors = spark.embedder.embed([s.embed_text for s in snippets])
        spark.store.upsert_snippets(snippets, vectors, spark.space)
        for p in chosen:
            api = gold(data, p.problem_id)
            insight = Insight(
                id=make_id("ins", api),
                org_id="org-a",
                agent_id="agent-1",
                scope=Scope.PUBLIC,
                title=f"{LESSON_MARK}: use {api}",
                content=f"{LESSON_MARK}: for this task call {api}. {p.prompt[:300]}",
                query=p.prompt[:300],
                tags=["numpy"],
                kind=InsightKind.PRACTICE,
                trust=Trust(alpha=9.0, beta=1.0),
            )
            text = f"{insight.title}\n{insight.query}\n{insight.content}"
            spark.store.put_insight(insight, spark.embedder.embed([text])[0], spark.space)


class Responder:
    """The scripted model: right only when the rule for the problem says so."""

    def __init__(self, problems: list[Problem], data: DS1000) -> None:
        self.problems = problems
        self.gold = {p.problem_id: gold(data, p.problem_id) for p in problems}

    def __call__(self, body: dict[str, Any]) -> Any:
        if body["model"] == JUDGE_MODEL:
            return "The code looks fine to me, four out of five."  # not the JSON asked for
        prompt = body["messages"][-1]["content"]
        problem = next(p for p in self.problems if prompt.endswith(p.prompt))
        right = self.right(problem.problem_id, prompt, ADVICE_BEGIN in prompt)
        text = problem.reference_code + "\n</code>" if right else WRONG
        return completion(text, prompt_tokens=len(prompt) // 4, completion_tokens=len(text) // 4)

    def right(self, problem_id: int, prompt: str, advised: bool) -> bool:
        if problem_id == ALWAYS:
            return True
        if problem_id == WITHOUT_ONLY:
            return not advised
        return self.gold[problem_id] in prompt


def invoke(home: Path, server: OpenAIServer, out: Path, python: Path, *extra: str) -> Result:
    args = ["--home", str(home), "eval", "coach", "--base-url", server.base_url]
    args += ["--model", "rule-based", "--out", str(out), "--python", str(python)]
    args += ["--exec-timeout", "60", "--resamples", "2000", *extra]
    return CliRunner().invoke(cli, args, env={"SPARK_EMBEDDER": "hash"})


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, pinned_python: Path) -> Run:
    data = DS1000(data_dir)
    problems = select(data.problems(), problem_ids=PROBLEM_IDS)
    tmp = tmp_path_factory.mktemp("coach")
    fill_store(tmp / "home", problems, data)
    responder = Responder(problems, data)
    out = tmp / "report"
    ids = [arg for pid in PROBLEM_IDS for arg in ("--problem", str(pid))]
    with OpenAIServer() as server:
        server.respond_with(responder)
        result = invoke(tmp / "home", server, out, pinned_python, "--pipeline-test", *ids)
        prompts = [body["messages"][-1]["content"] for body in server.chat_requests]
    assert result.exit_code == 0, result.output
    report = json.loads((out / "coach.json").read_text())
    return Run(result, report, out, prompts)


def attempts(run: Run, condition: str) -> dict[int, dict[str, Any]]:
    return {a["problem_id"]: a for a in run.report["attempts"] if a["condition"] == condition}


# --- the pipeline test -----------------------------------------------------------------


@pytest.mark.parametrize("condition", ["docs", "experience", "both"])
def test_with_spark_pass_at_1_beats_without(pipeline: Run, condition: str) -> None:
    rates = pipeline.report["pass_at_1"]
    assert rates[condition]["overall"]["pass_at_1"] == pytest.approx(3 / 5)
    assert rates["none"]["overall"]["pass_at_1"] == pytest.approx(2 / 5)


@pytest.mark.parametrize("condition", ["docs", "experience", "both"])
def test_paired_counts_are_one_per_scripted_outcome(pipeline: Run, condition: str) -> None:
    counts = pipeline.report["paired_vs_none"][condition]["counts"]
    assert counts == {"both": 1, "only_with": 2, "only_without": 1, "neither": 1, "n": 5}


def test_the_difference_carries_an_interval_and_a_mcnemar_p(pipeline: Run) -> None:
    cmp = pipeline.report["paired_vs_none"]["docs"]
    assert cmp["difference"]["estimate"] == pytest.approx(0.2)
    assert cmp["difference"]["low"] <= 0.2 <= cmp["difference"]["high"]
    assert cmp["mcnemar_exact_p"] == pytest.approx(1.0)  # 2 vs 1 discordant: no evidence


def test_each_problem_passes_exactly_as_scripted(pipeline: Run) -> None:
    none, docs = attempts(pipeline, "none"), attempts(pipeline, "docs")
    assert {pid for pid, a in none.items() if a["status"] == "passed"} == {ALWAYS, WITHOUT_ONLY}
    assert {pid for pid, a in docs.items() if a["status"] == "passed"} == {*STORED, ALWAYS}


def test_the_advice_reaches_the_model_only_under_spark_conditions(pipeline: Run) -> None:
    bare = [p for p in pipeline.prompts if ADVICE_BEGIN not in p]
    assert len(pipeline.prompts) == 5 * 4
    assert len(bare) == 5
    assert not [p for p in bare for api in GOLD.values() if api in p]
    for attempt in pipeline.report["attempts"]:
        if attempt["condition"] != "none":
            assert any(attempt["advice"] in p for p in pipeline.prompts)


def test_the_stored_apis_reach_the_model_with_spark(pipeline: Run) -> None:
    advised = [p for p in pipeline.prompts if ADVICE_BEGIN in p]
    for api in GOLD.values():
        assert sum(api in p for p in advised) >= 3  # docs, experience and both


def test_docs_and_experience_draw_on_their_own_kind_only(pipeline: Run) -> None:
    docs, experience = attempts(pipeline, "docs"), attempts(pipeline, "experience")
    for pid in STORED:
        assert docs[pid]["cited"]
        assert all(i.startswith("snp_") for i in docs[pid]["cited"])
        assert make_id("ins", GOLD[pid]) in experience[pid]["cited"]
        assert all(i.startswith("ins_") for i in experience[pid]["cited"])
    assert attempts(pipeline, "none")[STORED[0]]["advice"] is None


def test_cost_is_recorded_per_condition(pipeline: Run) -> None:
    cost = pipeline.report["cost_per_problem"]
    assert cost["both"]["prompt_tokens"]["mean"] > cost["none"]["prompt_tokens"]["mean"]
    assert cost["none"]["spark_seconds"]["mean"] is None
    assert cost["docs"]["spark_seconds"]["mean"] > 0
    assert cost["docs"]["model_seconds"]["mean"] > 0
    assert cost["docs"]["tokens_estimated"] == 0


def test_the_report_is_labelled_a_pipeline_test(pipeline: Run) -> None:
    summary = (pipeline.out / "coach.md").read_text()
    assert summary.startswith("# Coach evaluation on DS-1000 — PIPELINE TEST")
    assert "no real model is claimed" in summary
    assert pipeline.report["pipeline_test"] is True
    assert "no real model is claimed" in pipeline.report["label"]
    assert "PIPELINE TEST" in pipeline.result.output


def test_the_report_has_plots_and_repeatable_metadata(pipeline: Run) -> None:
    assert (pipeline.out / "pass1_by_library.png").stat().st_size > 0
    assert (pipeline.out / "pass1_by_type.png").stat().st_size > 0
    meta = pipeline.report["meta"]
    assert meta["model"]["name"] == "rule-based"
    assert meta["model"]["base_url"].startswith("http://127.0.0.1:")
    assert meta["seed"] == 0
    assert meta["knowledge_base"][0]["snippets"] == 2
    assert meta["insights"] == {"active": 2}
    assert "spark_version" in meta
