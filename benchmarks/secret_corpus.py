"""Generated credentials in the places agents paste them, for bench_secrets.py.

Each format has a generator: ``make(rng)`` returns ``(text, secrets)``: a line or a
block as it appears in code, a shell, a log or a config file, and the secret parts
that must not survive redaction (for a key block, every line of its body). Keys are
made fresh by ``cryptography`` (RSA, EC, Ed25519; PEM, PKCS#8, OpenSSH, encrypted).
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
Sample = tuple[str, list[str]]


def rnd(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _one(text: str, secret: str) -> Sample:
    return text, [secret]


def _key(pem: bytes, context: str = "{key}") -> Sample:
    key = pem.decode()
    body = [line for line in key.strip().splitlines()[1:-1] if len(line) >= 8]
    return context.format(key=key), body


def _rsa(rng: random.Random) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024 + 1024 * rng.randint(0, 1))


NONE = serialization.NoEncryption()
PEM = serialization.Encoding.PEM
FMT = serialization.PrivateFormat


def _pgp(rng: random.Random) -> Sample:
    body = [rnd(rng, ALNUM + "+/", 64) for _ in range(12)]
    text = "\n".join(
        [
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
            "",
            *body,
            "=" + rnd(rng, ALNUM, 4),
            "-----END PGP PRIVATE KEY BLOCK-----",
        ]
    )
    return text, body


def _putty(rng: random.Random) -> Sample:
    private = [rnd(rng, ALNUM + "+/", 64) for _ in range(8)]
    text = "\n".join(
        [
            "PuTTY-User-Key-File-3: ssh-rsa",
            "Encryption: none",
            "Comment: deploy",
            "Public-Lines: 2",
            rnd(rng, ALNUM + "+/", 64),
            rnd(rng, ALNUM + "+/", 40),
            "Private-Lines: 8",
            *private,
            "Private-MAC: " + rnd(rng, HEX, 64),
        ]
    )
    return text, private


def _json_key(rng: random.Random) -> Sample:
    key = _rsa(rng).private_bytes(PEM, FMT.PKCS8, NONE).decode()
    text = json.dumps({"type": "service_account", "private_key": key, "client_id": "1234"})
    escaped = json.dumps(key)[1:-1].split("\\n")
    return text, [part for part in escaped[1:-1] if len(part) >= 8]


FORMATS: dict[str, Callable[[random.Random], Sample]] = {
    "aws access key id": lambda r: _one(
        f"AWS_ACCESS_KEY_ID={(s := 'AKIA' + rnd(r, string.ascii_uppercase + '234567', 16))}", s
    ),
    "aws secret key": lambda r: _one(
        f'aws_secret_access_key = "{(s := rnd(r, ALNUM + "/+", 40))}"', s
    ),
    "github pat": lambda r: _one(
        f"git clone https://{(s := 'ghp_' + rnd(r, ALNUM, 36))}@github.com/o/r", s
    ),
    "github oauth": lambda r: _one(f"token: {(s := 'gho_' + rnd(r, ALNUM, 36))}", s),
    "github app token": lambda r: _one(f"GH_TOKEN={(s := 'ghs_' + rnd(r, ALNUM, 36))}", s),
    "github fine-grained": lambda r: _one(
        f'headers = {{"Authorization": "token {(s := "github_pat_" + rnd(r, ALNUM + "_", 82))}"}}',
        s,
    ),
    "gitlab pat": lambda r: _one(f"GITLAB_TOKEN={(s := 'glpat-' + rnd(r, ALNUM, 20))}", s),
    "slack bot token": lambda r: _one(
        f"client = WebClient(token='{(s := f'xoxb-{rnd(r, string.digits, 11)}-{rnd(r, string.digits, 13)}-{rnd(r, ALNUM, 24)}')}')",
        s,
    ),
    "slack webhook": lambda r: _one(
        f"requests.post('https://{(s := 'hooks.slack.com/services/T' + rnd(r, ALNUM, 8) + '/B' + rnd(r, ALNUM, 8) + '/' + rnd(r, ALNUM, 24))}', json=m)",
        s,
    ),
    "stripe live key": lambda r: _one(
        f"stripe.api_key = '{(s := 'sk_live_' + rnd(r, ALNUM, 24))}'", s
    ),
    "openai legacy key": lambda r: _one(
        f"OPENAI_API_KEY={(s := 'sk-' + rnd(r, ALNUM, 20) + 'T3BlbkFJ' + rnd(r, ALNUM, 20))}", s
    ),
    "openai project key": lambda r: _one(
        f'client = OpenAI(api_key="{(s := "sk-proj-" + rnd(r, ALNUM + "_-", 120))}")', s
    ),
    "anthropic key": lambda r: _one(
        f"export ANTHROPIC_API_KEY={(s := 'sk-ant-api03-' + rnd(r, ALNUM + '_-', 93) + 'AA')}", s
    ),
    "google api key": lambda r: _one(
        f"url = base + '?key={(s := 'AIza' + rnd(r, ALNUM + '_-', 35))}'", s
    ),
    "hugging face token": lambda r: _one(
        f"login(token='{(s := 'hf_' + rnd(r, string.ascii_letters, 34))}')", s
    ),
    "sendgrid key": lambda r: _one(
        f"SENDGRID_API_KEY='{(s := f'SG.{rnd(r, ALNUM, 22)}.{rnd(r, ALNUM, 43)}')}'", s
    ),
    "twilio key": lambda r: _one(f"client = Client('{(s := 'SK' + rnd(r, HEX, 32))}', secret)", s),
    "npm token": lambda r: _one(
        f"//registry.npmjs.org/:_authToken={(s := 'npm_' + rnd(r, ALNUM, 36))}", s
    ),
    "pypi token": lambda r: _one(
        f"password = {(s := 'pypi-AgEIcHlwaS5vcmc' + rnd(r, ALNUM + '_-', 70))}", s
    ),
    "databricks token": lambda r: _one(f"DATABRICKS_TOKEN={(s := 'dapi' + rnd(r, HEX, 32))}", s),
    "digitalocean token": lambda r: _one(
        f"doctl auth init -t {(s := 'dop_v1_' + rnd(r, HEX, 64))}", s
    ),
    "shopify token": lambda r: _one(
        f"X-Shopify-Access-Token: {(s := 'shpat_' + rnd(r, HEX, 32))}", s
    ),
    "jwt in a header": lambda r: _one(
        "Authorization: Bearer "
        + (
            s := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI"
            + rnd(r, ALNUM, 30)
            + "."
            + rnd(r, ALNUM + "_-", 43)
        ),
        s,
    ),
    "spark key in a bearer header": lambda r: _one(
        f"Authorization: Bearer {(s := 'spk_' + rnd(r, ALNUM + '_-', 40))}", s
    ),
    "opaque bearer token": lambda r: _one(
        f"curl -H 'Authorization: Bearer {(s := rnd(r, ALNUM, 32))}' https://api.internal/v1", s
    ),
    "basic auth header": lambda r: _one(
        f"Authorization: Basic {(s := base64.b64encode(f'svc:{rnd(r, ALNUM, 12)}'.encode()).decode())}",
        s,
    ),
    "postgres url": lambda r: _one(
        f"postgresql://app:{(s := rnd(r, ALNUM, 16))}@db.internal:5432/prod", s
    ),
    "mysql url": lambda r: _one(
        f"engine = create_engine('mysql+pymysql://root:{(s := rnd(r, ALNUM, 12))}@10.0.0.3/app')", s
    ),
    "mongodb url": lambda r: _one(
        f"mongodb+srv://svc:{(s := rnd(r, ALNUM, 14))}@cluster0.mongo.net/test", s
    ),
    "redis url": lambda r: _one(
        f"REDIS_URL=redis://default:{(s := rnd(r, ALNUM, 20))}@cache:6379/0", s
    ),
    "short unquoted shell password": lambda r: _one(
        f"export PGPASSWORD={(s := rnd(r, ALNUM, r.randint(6, 12)))}", s
    ),
    "env prefix password": lambda r: _one(
        f"DB_PASS={(s := rnd(r, ALNUM, 9))} python manage.py migrate", s
    ),
    "mysql -p": lambda r: _one(f"mysql -u root -p{(s := rnd(r, ALNUM, 10))} shop < dump.sql", s),
    "command-line --password": lambda r: _one(
        f"redis-cli --pass {(s := rnd(r, ALNUM, 14))} ping", s
    ),
    "curl -u": lambda r: _one(f"curl -u deploy:{(s := rnd(r, ALNUM, 11))} https://registry/v2/", s),
    "password in code": lambda r: _one(f'db_password = "{(s := rnd(r, ALNUM, 14))}"', s),
    "env file token": lambda r: _one(f"API_TOKEN={(s := rnd(r, ALNUM, 32))}", s),
    "azure storage key": lambda r: _one(
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={(s := rnd(r, ALNUM + '+/', 86) + '==')};EndpointSuffix=core.windows.net",
        s,
    ),
    "discord bot token": lambda r: _one(
        f"bot.run('{(s := 'M' + rnd(r, ALNUM, 23) + '.' + rnd(r, ALNUM, 6) + '.' + rnd(r, ALNUM + '_-', 27))}')",
        s,
    ),
    "telegram bot token": lambda r: _one(
        f"TELEGRAM_TOKEN={(s := str(r.randint(10**8, 10**9)) + ':AA' + rnd(r, ALNUM + '_-', 33))}",
        s,
    ),
    "rsa private key (PEM)": lambda r: _key(
        _rsa(r).private_bytes(PEM, FMT.TraditionalOpenSSL, NONE)
    ),
    "rsa private key (PKCS#8, in a log)": lambda r: _key(
        _rsa(r).private_bytes(PEM, FMT.PKCS8, NONE),
        "paramiko.ssh_exception: bad key\n{key}\nexit 1",
    ),
    "encrypted private key": lambda r: _key(
        _rsa(r).private_bytes(PEM, FMT.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    ),
    "ec private key": lambda r: _key(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(PEM, FMT.TraditionalOpenSSL, NONE)
    ),
    "openssh ed25519 key": lambda r: _key(
        ed25519.Ed25519PrivateKey.generate().private_bytes(PEM, FMT.OpenSSH, NONE),
        "cat > ~/.ssh/id_ed25519 <<EOF\n{key}EOF",
    ),
    "openssh rsa key": lambda r: _key(_rsa(r).private_bytes(PEM, FMT.OpenSSH, NONE)),
    "pgp private key block": _pgp,
    "putty private key": _putty,
    "private key inside json": _json_key,
}
