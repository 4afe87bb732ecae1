"""The learning-loop commands through the real CLI entry point, on a real store."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from spark_memory.cli.main import cli

ENV = {"SPARK_EMBEDDER": "hash"}
TASK = "Problem: sum column b by group a and broadcast the sums back to every row of a pandas DataFrame"


def run(home: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], env=ENV, input=stdin)


def test_trace_memory_feedback_curate_revert(tmp_path: Path) -> None:
    code = tmp_path / "attempt.py"
    code.write_text("df['s'] = df.groupby('a')['b'].sum()\n", "utf-8")
    fix = tmp_path / "fix.py"
    fix.write_text("df['s'] = df.groupby('a')['b'].transform('sum')\n", "utf-8")
    result = run(
        tmp_path,
        "trace", "record", "--task", TASK, "--code-file", str(code), "--outcome", "failed",
        "--error", "ValueError: cannot reindex", "--correction-file", str(fix),
        "--env", "pandas=1.5.3", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    trace = json.loads(result.output)
    assert trace["status"] == "created"
    assert trace["id"].startswith("trc_")

    result = run(
        tmp_path, "memory", "create", "--title", "Use transform", "--content", "-", "--json"
    )
    assert result.exit_code == 0  # "-" is literal content here, not stdin
    memory = json.loads(result.output)["id"]
    assert run(tmp_path, "memory", "show", memory).output.startswith("Use transform")
    assert run(tmp_path, "memory", "enrich", memory, "--text", "Keeps the index.").exit_code == 0
    assert run(tmp_path, "feedback", memory, "--relevant", "--verified", "passed").exit_code == 0

    result = run(tmp_path, "curate", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["deferred"] == 1  # one agent: too little evidence
    assert "deferred" in run(tmp_path, "epochs", "-v").output

    audit = run(tmp_path, "audit", "--json")
    assert [e["action"] for e in json.loads(audit.output)][:2] == [
        "feedback.share",
        "insight.enrich",
    ]
    reverted = run(tmp_path, "revert", memory, "--json")
    assert json.loads(reverted.output)["status"] == "reverted"


def test_refusals_exit_2_with_the_reason(tmp_path: Path) -> None:
    key = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
    result = run(
        tmp_path,
        "trace",
        "record",
        "--task",
        TASK,
        "--error",
        f"token {key} rejected",
        "--reject-secrets",
    )
    assert result.exit_code == 2
    assert "GitHub personal access token in error line 1" in result.output
    result = run(
        tmp_path, "memory", "create", "--title", "SSL", "--content", "Just pass verify=False."
    )
    assert result.exit_code == 2
    assert "safety review" in result.output
    assert run(tmp_path, "erase", "--yes").exit_code == 2  # neither --agent nor --org
    assert run(tmp_path, "memory", "show", "ins_nope").exit_code == 1
    result = run(tmp_path, "unmerge", "ins_nope")
    assert result.exit_code == 1
    assert "no merge of your org" in result.output


def test_erase_the_local_org(tmp_path: Path) -> None:
    run(tmp_path, "trace", "record", "--task", TASK, "--outcome", "passed")
    result = run(tmp_path, "erase", "--org", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["traces"] == 1
