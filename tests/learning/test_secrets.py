"""Secret detection on freshly generated keys, and look-alikes that must pass."""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from spark_memory.learning.secrets import SecretScanner, redact

RNG = random.Random(20250101)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def rnd(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


# One generator per provider format; each call makes a new random key.
GENERATED: dict[str, Callable[[], str]] = {
    "aws access key id": lambda: "AKIA" + rnd(string.ascii_uppercase + "234567", 16),
    "aws secret key": lambda: f'aws_secret_access_key = "{rnd(ALNUM + "/+", 40)}"',
    "github pat": lambda: "ghp_" + rnd(ALNUM, 36),
    "github oauth": lambda: "gho_" + rnd(ALNUM, 36),
    "github fine-grained": lambda: "github_pat_" + rnd(ALNUM + "_", 82),
    "gitlab pat": lambda: "glpat-" + rnd(ALNUM, 20),
    "slack bot token": lambda: (
        f"xoxb-{rnd(string.digits, 11)}-{rnd(string.digits, 13)}-{rnd(ALNUM, 24)}"
    ),
    "slack webhook": lambda: (
        "https://hooks.slack.com/services/T"
        + rnd(ALNUM, 8)
        + "/B"
        + rnd(ALNUM, 8)
        + "/"
        + rnd(ALNUM, 24)
    ),
    "stripe live key": lambda: "sk_live_" + rnd(ALNUM, 24),
    "openai legacy key": lambda: "sk-" + rnd(ALNUM, 20) + "T3BlbkFJ" + rnd(ALNUM, 20),
    "openai project key": lambda: "sk-proj-" + rnd(ALNUM + "_-", 120),
    "anthropic key": lambda: "sk-ant-api03-" + rnd(ALNUM + "_-", 93) + "AA",
    "google api key": lambda: "AIza" + rnd(ALNUM + "_-", 35),
    "hugging face token": lambda: "hf_" + rnd(string.ascii_letters, 34),
    "sendgrid key": lambda: f"SG.{rnd(ALNUM, 22)}.{rnd(ALNUM, 43)}",
    "twilio key": lambda: "SK" + rnd(HEX, 32),
    "npm token": lambda: "npm_" + rnd(ALNUM, 36),
    "pypi token": lambda: "pypi-AgEIcHlwaS5vcmc" + rnd(ALNUM + "_-", 70),
    "databricks token": lambda: "dapi" + rnd(HEX, 32),
    "jwt": lambda: (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI"
        + rnd(ALNUM, 30)
        + "."
        + rnd(ALNUM + "_-", 43)
    ),
    "postgres url": lambda: f"postgresql://app:{rnd(ALNUM, 16)}@db.internal:5432/prod",
    "mysql url": lambda: f"mysql+pymysql://root:{rnd(ALNUM, 12)}@10.0.0.3/app",
    "mongodb url": lambda: f"mongodb+srv://svc:{rnd(ALNUM, 14)}@cluster0.example.net/test",
    "redis url": lambda: f"redis://default:{rnd(ALNUM, 20)}@cache:6379/0",
    "rsa private key": lambda: (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA"
        + rnd(ALNUM, 64)
        + "\n-----END RSA PRIVATE KEY-----"
    ),
    "openssh private key": lambda: (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk"
        + rnd(ALNUM, 64)
        + "\n-----END OPENSSH PRIVATE KEY-----"
    ),
    "env file token": lambda: "API_TOKEN=" + rnd(ALNUM, 32),
    "password in code": lambda: f'db_password = "{rnd(ALNUM, 14)}"',
}

LOOK_ALIKES = {
    "git sha": lambda: hashlib.sha1(rnd(ALNUM, 10).encode()).hexdigest(),
    "short sha in a log": lambda: (
        f"commit {hashlib.sha1(rnd(ALNUM, 9).encode()).hexdigest()[:7]} fixes it"
    ),
    "sha256 digest": lambda: "sha256:" + hashlib.sha256(rnd(ALNUM, 10).encode()).hexdigest(),
    "md5 digest": lambda: hashlib.md5(rnd(ALNUM, 10).encode()).hexdigest(),
    "uuid": lambda: str(uuid.UUID(int=RNG.getrandbits(128))),
    "aws documentation key": lambda: "AKIAIOSFODNN7EXAMPLE",
    "url without password": lambda: "postgresql://localhost:5432/app",
    "url with placeholder": lambda: "postgresql://user:${PGPASSWORD}@localhost/app",
    "password from the environment": lambda: 'password = os.environ["DB_PASSWORD"]',
    "tokenizer call": lambda: "tok = AutoTokenizer.from_pretrained('bert-base-uncased')",
    "token pattern": lambda: "vec = TfidfVectorizer(token_pattern=r'(?u)\\b\\w\\w+\\b')",
    "sort key": lambda: "rows.sort(key=lambda item: item[1])",
    "secret in prose": lambda: "The secret to fast groupby is sort=False.",
    "dataframe with a key column": lambda: (
        "df = pd.DataFrame({'key': ['a', 'b'], 'value': [1, 2]})"
    ),
    "random seed array": lambda: (
        "np.random.seed(42); x = np.random.rand(" + rnd(string.digits, 3) + ")"
    ),
}


@pytest.fixture(scope="module")
def scanner() -> SecretScanner:
    return SecretScanner()


@pytest.mark.parametrize("kind", sorted(GENERATED))
def test_generated_keys_are_found_every_time(scanner: SecretScanner, kind: str) -> None:
    for _ in range(5):
        text = f"config loaded\n{GENERATED[kind]()}\nrunning"
        findings = scanner.scan(text, "code")
        assert findings, f"{kind} not found in {text!r}"
        assert findings[0].line == 2
        assert "[REDACTED:" in redact(text, findings)


@pytest.mark.parametrize("kind", sorted(LOOK_ALIKES))
def test_look_alikes_pass(scanner: SecretScanner, kind: str) -> None:
    for _ in range(5):
        text = LOOK_ALIKES[kind]()
        assert scanner.scan(text) == [], f"{kind} flagged: {text!r}"


def test_redaction_keeps_everything_else(scanner: SecretScanner) -> None:
    key = GENERATED["github pat"]()
    text = f"headers = {{'Authorization': 'token {key}'}}\nprint(resp.json())"
    findings = scanner.scan(text, "code")
    assert len(findings) == 1
    assert findings[0].describe() == "GitHub personal access token in code line 1"
    clean = redact(text, findings)
    assert key not in clean
    assert clean.endswith("print(resp.json())")
    assert "[REDACTED:GitHub personal access token]" in clean


DS1000 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ds1000"


@pytest.mark.slow
@pytest.mark.skipif(not DS1000.is_dir(), reason="the DS-1000 development split is not here")
def test_real_data_science_code_has_no_false_alarms(scanner: SecretScanner) -> None:
    from spark_memory.eval import DS1000 as Data

    problems = Data(DS1000).problems()
    flagged = [
        p.problem_id for p in problems if scanner.scan(p.prompt) or scanner.scan(p.reference_code)
    ]
    # Nothing in 672 real prompts and reference solutions is a credential.
    assert flagged == []
