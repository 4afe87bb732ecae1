"""The operator of a local install signs in to the console with `spark keys create --operator`.

The operator is the local principal (org ``local``): what `spark mcp` and the CLI write
without a key is its. Its key is made on the store's machine only, and acts as the
operator in the console: it sees the local lessons and may create keys for any org.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from spark_memory.config import Settings
from spark_memory.errors import Forbidden
from spark_memory.models import LOCAL_PRINCIPAL, Principal, Role
from spark_memory.service import Spark
from tests.console.conftest import Seeded, csrf_of, spark_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def operator_key(seeded: Seeded) -> dict[str, str]:
    code, out = spark_cli(seeded, "keys", "create", "--operator", "--json")
    assert code == 0, out
    made: dict[str, str] = json.loads(out)
    return made


@pytest.fixture
def operator(seeded: Seeded, operator_key: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=seeded.ui, follow_redirects=False, timeout=30) as client:
        assert client.post("/signin", data={"key": operator_key["secret"]}).status_code == 303
        yield client


def test_the_operator_key_is_the_local_admins(operator_key: dict[str, str]) -> None:
    assert operator_key["org_id"] == LOCAL_PRINCIPAL.org_id
    assert operator_key["agent_id"] == LOCAL_PRINCIPAL.agent_id
    assert operator_key["role"] == "admin"
    assert operator_key["secret"].startswith("spk_")


def test_the_operator_sees_what_local_agents_wrote(seeded: Seeded, operator: httpx.Client) -> None:
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=seeded.server.home)
    with Spark.open(settings) as spark:  # as `spark mcp` without a key writes
        local = spark.create_memory(
            "Local lesson: read parquet with pyarrow",
            "Pass `engine='pyarrow'` to `pandas.read_parquet` for nested columns.",
            principal=LOCAL_PRINCIPAL,
        )
    listed = operator.get("/memories")
    assert listed.status_code == 200
    assert "Local lesson: read parquet with pyarrow" in listed.text
    page = operator.get(f"/memories/{local.id}")
    assert page.status_code == 200
    assert "Provenance" in page.text  # its own org's lesson: provenance and actions
    assert f"/memories/{local.id}/confirm/erase" in page.text
    org = operator.get("/org").text
    assert "Org: local" in org
    assert "signed in as the operator" in org


def test_the_operator_creates_a_key_for_any_org(seeded: Seeded, operator: httpx.Client) -> None:
    token = csrf_of(operator.get("/org").text)
    made = operator.post(
        "/org/keys", data={"csrf": token, "org": "initech", "agent": "lead", "role": "admin"}
    )
    assert made.status_code == 200
    secret = re.search(r'value="(spk_[A-Za-z0-9_-]{40})"', made.text)
    assert secret is not None
    assert "initech/lead" in made.text
    api = httpx.get(
        f"{seeded.server.url}/v1/kb/libraries",
        headers={"Authorization": f"Bearer {secret.group(1)}"},
        timeout=10,
    )
    assert api.status_code == 200


def test_an_org_admin_cannot_name_another_org(seeded: Seeded) -> None:
    with httpx.Client(base_url=seeded.ui, follow_redirects=False, timeout=30) as admin:
        admin.post("/signin", data={"key": seeded.key("admin")})
        org = admin.get("/org").text
        assert 'name="org"' not in org  # no org field for an org admin
        refused = admin.post(
            "/org/keys", data={"csrf": csrf_of(org), "org": "globex", "agent": "spy"}
        )
    assert refused.status_code == 403
    assert "only its own org" in refused.text


def test_only_the_operator_makes_an_operator_key(seeded: Seeded) -> None:
    for args in (["--org", "acme"], ["--agent", "x"], ["--role", "reader"]):
        code, out = spark_cli(seeded, "keys", "create", "--operator", *args)
        assert code == 2, out
        assert "--operator makes the local operator's key" in out
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=seeded.server.home)
    with Spark.open(settings) as spark, pytest.raises(Forbidden):
        spark.create_operator_key(
            principal=Principal(org_id="acme", agent_id="acme/lead", role=Role.ADMIN)
        )


def test_a_revoked_operator_key_signs_out(seeded: Seeded) -> None:
    code, out = spark_cli(seeded, "keys", "create", "--operator", "--json")
    assert code == 0, out
    made = json.loads(out)
    cookies = {"spark_console_key": made["secret"]}
    assert httpx.get(f"{seeded.ui}/ask", cookies=cookies, timeout=30).status_code == 200
    code, out = spark_cli(seeded, "keys", "revoke", made["id"])
    assert code == 0, out
    gone = httpx.get(f"{seeded.ui}/ask", cookies=cookies, timeout=30)
    assert gone.status_code == 303
    assert "/signin" in gone.headers["location"]


def test_spark_serve_says_where_the_console_is_and_how_to_sign_in(seeded: Seeded) -> None:
    log = seeded.server.log()
    assert f"Web console at {seeded.server.url}/ui" in log
    assert "spark keys create --operator" in log
