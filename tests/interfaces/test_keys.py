"""API keys: created for an org's agent, shown once, stored hashed, revocable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from spark_memory.models import LOCAL_PRINCIPAL, Principal, Role
from spark_memory.service import Spark


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[Spark]:
    with Spark.open(Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=tmp_path)) as s:
        yield s


def test_a_key_names_its_org_agent_and_role(spark: Spark) -> None:
    key = spark.create_key("acme", "ci-bot", "reader", principal=LOCAL_PRINCIPAL)
    principal = spark.authenticate(key.secret)
    assert principal == Principal(org_id="acme", agent_id="acme/ci-bot", role=Role.READER)
    assert key.secret.startswith("spk_")
    assert len(key.secret) == 44
    assert key.id.startswith("key_acme.")


def test_only_the_hash_is_stored(spark: Spark) -> None:
    key = spark.create_key("acme", "bot", principal=LOCAL_PRINCIPAL)
    dump = "\n".join(sqlite3.connect(spark.settings.db_path).iterdump())
    assert key.secret not in dump
    assert key.secret[4:20] not in dump


@pytest.mark.parametrize(
    "raw", ["", "spk_short", "Bearer spk_x", "sk-" + "a" * 40, "spk_" + "a" * 40]
)
def test_malformed_or_unknown_keys_are_unauthorized(spark: Spark, raw: str) -> None:
    with pytest.raises(Unauthorized):
        spark.authenticate(raw)


def test_a_revoked_key_stops_working_and_its_agent_keeps_its_standing(spark: Spark) -> None:
    first = spark.create_key("acme", "bot", principal=LOCAL_PRINCIPAL)
    spark.revoke_key(first.id, principal=LOCAL_PRINCIPAL)
    second = spark.create_key("acme", "bot", principal=LOCAL_PRINCIPAL)
    with pytest.raises(Unauthorized, match="unknown or revoked"):
        spark.authenticate(first.secret)
    assert spark.authenticate(second.secret).agent_id == "acme/bot"


@pytest.mark.parametrize(
    ("org", "agent", "role"),
    [
        ("Acme", "bot", "writer"),
        ("acme", "a b", "writer"),
        ("acme", "bot", "owner"),
        ("local", "me", "admin"),
    ],
)
def test_bad_names_and_roles_are_refused(spark: Spark, org: str, agent: str, role: str) -> None:
    with pytest.raises(InvalidInput):
        spark.create_key(org, agent, role, principal=LOCAL_PRINCIPAL)


def test_org_admins_manage_only_their_own_orgs_keys(spark: Spark) -> None:
    admin = spark.authenticate(
        spark.create_key("acme", "lead", "admin", principal=LOCAL_PRINCIPAL).secret
    )
    writer = spark.authenticate(spark.create_key("acme", "bot", principal=LOCAL_PRINCIPAL).secret)
    theirs = spark.create_key("globex", "boss", "admin", principal=LOCAL_PRINCIPAL)
    made = spark.create_key("acme", "helper", principal=admin)
    assert made.org_id == "acme"
    with pytest.raises(Forbidden):
        spark.create_key("globex", "spy", principal=admin)
    with pytest.raises(Forbidden):
        spark.create_key("acme", "x", principal=writer)
    with pytest.raises(NotFound):  # another org's key id is not even acknowledged
        spark.revoke_key(theirs.id, principal=admin)
    with pytest.raises(NotFound):
        spark.revoke_key("key_nonsense", principal=admin)
    spark.revoke_key(made.id, principal=admin)


def test_spark_keys_create_prints_the_secret_once(tmp_path: Path) -> None:
    env = {"SPARK_EMBEDDER": "hash"}
    runner = CliRunner()
    made = runner.invoke(
        cli, ["--home", str(tmp_path), "keys", "create", "--org", "acme", "--agent", "bot"], env=env
    )
    secret = made.output.splitlines()[1]
    key_id = made.output.split("id ")[1].split(":")[0]
    missing_org = runner.invoke(
        cli, ["--home", str(tmp_path), "keys", "create", "--agent", "x"], env=env
    )
    revoked = runner.invoke(cli, ["--home", str(tmp_path), "keys", "revoke", key_id], env=env)
    assert made.exit_code == 0
    assert secret.startswith("spk_")
    assert missing_org.exit_code == 2
    assert revoked.exit_code == 0
    with (
        Spark.open(Settings.load(environ=env, home=tmp_path)) as spark,
        pytest.raises(Unauthorized),
    ):
        spark.authenticate(secret)
