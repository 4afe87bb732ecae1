"""The CLI's read and write commands against a remote `spark serve` (``--server URL``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from click.testing import CliRunner, Result

from spark_memory.cli.main import cli
from tests.interfaces.server import Server


def remote(server: Server, *args: str, who: str = "writer") -> Result:
    env = {"SPARK_API_KEY": server.keys[who], "SPARK_SESSION": "cli-remote"}
    return CliRunner().invoke(cli, ["--server", server.url, *args], env=env)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_search_and_ask_remotely(server: Server) -> None:
    hits = as_json(remote(server, "search", "indices that sort an array", "--json"))
    answer = as_json(remote(server, "ask", "count unique values of a pandas series", "--json"))
    readable = remote(server, "search", "unique elements of an array")
    assert hits[0]["symbol"] == "numpy.argsort"
    assert answer["citations"]
    assert "numpy.unique" in readable.output


def test_memory_trace_and_feedback_remotely(server: Server) -> None:
    title = f"Remote lesson {uuid.uuid4().hex[:6]}"
    made = as_json(
        remote(server, "memory", "create", "--title", title, "--content", "Check dtypes.", "--json")
    )
    shown = as_json(remote(server, "memory", "show", made["id"], "--json"))
    traced = as_json(
        remote(
            server, "trace", "record", "--task", f"{title} task", "--outcome", "failed", "--json"
        )
    )
    voted = as_json(
        remote(server, "feedback", made["id"], "--verified", "passed", "--json", who="admin")
    )
    assert shown["title"] == title
    assert shown["org_id"] == "acme"
    assert traced["id"].startswith("trc_")
    assert voted["status"] == "created"


def test_kb_stats_work_remotely_and_local_only_commands_refuse(server: Server) -> None:
    stats = as_json(remote(server, "kb", "stats", "--json"))
    refused = remote(server, "kb", "ingest", "numpy")
    assert stats["snippets"] == 5
    assert refused.exit_code == 2
    assert "local store only" in refused.output


def test_remote_errors_keep_their_exit_codes(server: Server) -> None:
    missing = remote(server, "memory", "show", "ins_nope")
    forbidden = remote(server, "trace", "record", "--task", "t", who="reader")
    no_key = CliRunner().invoke(
        cli, ["--server", server.url, "search", "x"], env={"SPARK_API_KEY": ""}
    )
    assert missing.exit_code == 1
    assert "no insight" in missing.output
    assert forbidden.exit_code == 2
    assert "read" in forbidden.output
    assert no_key.exit_code == 2
    assert "SPARK_API_KEY" in no_key.output


def test_keys_for_the_callers_own_org_remotely(server: Server) -> None:
    made = as_json(remote(server, "keys", "create", "--agent", "cli-made", "--json", who="admin"))
    other_org = remote(server, "keys", "create", "--org", "globex", "--agent", "x", who="admin")
    revoked = remote(server, "keys", "revoke", made["id"], who="admin")
    assert made["org_id"] == "acme"
    assert made["secret"].startswith("spk_")
    assert other_org.exit_code == 2
    assert revoked.exit_code == 0
