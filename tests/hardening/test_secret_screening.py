"""Findings 2, 3 and 6: private keys kept after their BEGIN line, lines scanned only to
character 4,000, formats missed (Spark's own keys, bearer tokens, short shell passwords,
`mysql -p`), and trace fields never screened (model, served ids, environment names)."""

from __future__ import annotations

import json
import random
import shutil
import string
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from spark_memory.learning.secrets import default_scanner, redact
from spark_memory.service import Spark
from tests.interfaces.server import Server
from tests.learning.conftest import TASK, spark, writer

__all__ = ["spark"]

RNG = random.Random(15)
ALICE = writer("org-a", "alice")


def _token(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _rsa_pem() -> str:
    key = _rsa_key()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _ec_pkcs8() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _ssh_keygen(tmp: Path, kind: str) -> str:
    """An OpenSSH private key from ssh-keygen, or from cryptography where it is missing."""
    if shutil.which("ssh-keygen") is None:
        key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else _rsa_key()
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ).decode()
    path = tmp / f"id_{kind}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True, timeout=60
    )
    return path.read_text()


def _body_lines(key: str) -> list[str]:
    return [line for line in key.strip().splitlines()[1:-1] if len(line) >= 8]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("keys")
    return {
        "rsa-pem": _rsa_pem(),
        "ec-pkcs8": _ec_pkcs8(),
        "openssh-ed25519": _ssh_keygen(tmp, "ed25519"),
        "openssh-rsa": _ssh_keygen(tmp, "rsa"),
    }


@pytest.mark.parametrize("kind", ["rsa-pem", "ec-pkcs8", "openssh-ed25519", "openssh-rsa"])
def test_a_real_private_key_is_redacted_whole_in_a_memory(
    server: Server, keys: dict[str, str], kind: str
) -> None:
    key = keys[kind]
    body = {
        "title": f"Load the deploy key ({kind})",
        "content": f"Connect with paramiko using the deploy key:\n\n```\n{key}\n```\nthen retry.",
        "evidence": {"error": f"AuthenticationException with\n{key}"},
    }
    headers = server.headers("writer")
    created = httpx.post(f"{server.url}/v1/memories", json=body, headers=headers, timeout=30)
    assert created.status_code == 200, created.text
    assert "private key" in created.json()["message"]
    stored = httpx.get(f"{server.url}/v1/memories/{created.json()['id']}", headers=headers).text
    assert [line for line in _body_lines(key) if line in stored] == []
    assert "then retry." in stored  # what follows the key is kept


def test_a_key_inside_a_json_string_is_redacted_whole(keys: dict[str, str]) -> None:
    key = keys["rsa-pem"]
    line = json.dumps({"service_account": {"private_key": key, "client_email": "a@b.c"}})
    found = default_scanner().scan(line)
    clean = redact(line, found)
    escaped = json.dumps(key)[1:-1].split("\\n")
    assert [part for part in escaped[1:-1] if part in clean] == []
    assert "client_email" in clean


def test_a_key_cut_off_before_its_end_line_is_redacted_to_the_end(keys: dict[str, str]) -> None:
    key = keys["openssh-ed25519"]
    truncated = "\n".join(key.splitlines()[:-2])
    clean = redact(truncated, default_scanner().scan(truncated))
    assert [line for line in _body_lines(key)[:-1] if line in clean] == []


def test_a_token_at_character_10000_of_a_line_is_caught(spark: Spark) -> None:
    token = "ghp_" + _token(36)
    log = json.dumps({"rows": ["x" * 60] * 160, "auth": token, "tail": "y" * 2000})
    assert log.index(token) > 10_000
    receipt = spark.record_trace(TASK, test_output=log, principal=ALICE)
    stored = spark.store.get_trace(receipt.id, ALICE)
    assert token not in stored.model_dump_json()
    assert "tail" in stored.test_output


MISSED = {
    "spark key in a bearer header": lambda: f"Authorization: Bearer spk_{_token(40)}",
    "bearer token": lambda: f"curl -H 'Authorization: Bearer {_token(32)}' https://api/x",
    "short unquoted shell password": lambda: f"export PGPASSWORD={_token(9)}",
    "env prefix password": lambda: f"DB_PASS={_token(8)} ./migrate.sh",
    "mysql -p": lambda: f"mysql -u root -p{_token(10)} shop < dump.sql",
    "command-line --password": lambda: f"pg_dump --password={_token(12)} -h db app",
    "curl -u": lambda: f"curl -u deploy:{_token(11)} https://registry.internal/v2/",
    "sshpass": lambda: f"sshpass -p {_token(10)} ssh ops@10.0.0.8",
}


@pytest.mark.parametrize("name", sorted(MISSED))
def test_formats_the_outside_test_found_missed_are_caught(name: str) -> None:
    for _ in range(20):  # fresh random secrets each time
        line = MISSED[name]()
        clean = redact(line, default_scanner().scan(line))
        assert "[REDACTED:" in clean, line


def test_every_trace_field_is_screened(spark: Spark) -> None:
    token = "ghp_" + _token(36)
    receipt = spark.record_trace(
        TASK,
        model=f"gpt-4o {token}",
        served_ids=[token, "snp_abc"],
        environment={token: "1.0", "pandas": "2.2.0"},
        principal=ALICE,
    )
    stored = spark.store.get_trace(receipt.id, ALICE)
    assert token not in stored.model_dump_json()
    assert token not in receipt.message
    assert all(token not in f.field for f in receipt.redactions)
    assert stored.environment["pandas"] == "2.2.0"
    assert "snp_abc" in stored.served_ids
    assert {f.field for f in receipt.redactions} == {"model", "served_ids", "environment"}


def test_reject_mode_refuses_a_secret_in_the_model_field(spark: Spark) -> None:
    from spark_memory.errors import Rejected

    with pytest.raises(Rejected, match="in model line 1"):
        spark.record_trace(TASK, model="Bearer " + _token(30), secrets="reject", principal=ALICE)
    assert spark.store.list_traces("org-a") == []
