"""Provider token rules derived from gitleaks' default rule set (MIT licence).

gitleaks (github.com/gitleaks/gitleaks, ``config/gitleaks.toml``) keeps one rule per
provider token format: a regular expression, cheap keywords that must occur before
the regex runs, a minimum Shannon entropy of the captured secret, and allowlists.
This module keeps the same shape and the same rule ids for the providers detect-secrets
does not cover (or covers loosely), so a finding names the gitleaks rule it matched.
The expressions are written for Python's ``re`` (no inline flag groups mid-pattern)
and capture the secret in group 1.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

# What ends a token: quote, space, ';' or the end of the line (gitleaks' suffix).
_END = r"(?=[`'\"\s;,)]|\\[nr]|$)"
# gitleaks' "keyword ... assignment operator ... value" prefix, simplified.
_ASSIGN = r"[\w.-]{0,40}?[ \t'\"]{0,3}(?:=|:=|:|=>|,)[ \t`'\"=]{0,5}"


@dataclass(frozen=True)
class Rule:
    id: str  # the gitleaks rule id this one follows
    title: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]  # lower case; at least one must occur in the line
    min_entropy: float = 0.0
    allow: re.Pattern[str] | None = None  # a captured value matching this is allowed


def _rule(
    id: str,
    title: str,
    regex: str,
    keywords: tuple[str, ...],
    min_entropy: float = 0.0,
    allow: str | None = None,
    ignore_case: bool = False,
) -> Rule:
    flags = re.IGNORECASE if ignore_case else 0
    return Rule(
        id,
        title,
        re.compile(regex, flags),
        keywords,
        min_entropy,
        re.compile(allow) if allow else None,
    )


RULES: tuple[Rule, ...] = (
    _rule(
        "aws-access-token",
        "AWS access key id",
        r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        ("a3t", "akia", "asia", "abia", "acca"),
        3.0,
        allow=r"EXAMPLE$",  # AWS's documentation keys
    ),
    _rule(
        "aws-secret-access-key",
        "AWS secret access key",
        r"aws.{0,20}?secret.{0,20}?" + _ASSIGN + r"([A-Za-z0-9/+=]{40})" + _END,
        ("aws",),
        4.0,
        allow=r"EXAMPLEKEY$",
        ignore_case=True,
    ),
    _rule("github-pat", "GitHub personal access token", r"\b(ghp_[0-9a-zA-Z]{36})\b", ("ghp_",), 3),
    _rule("github-oauth", "GitHub OAuth token", r"\b(gho_[0-9a-zA-Z]{36})\b", ("gho_",), 3),
    _rule(
        "github-app-token",
        "GitHub app token",
        r"\b((?:ghu|ghs)_[0-9a-zA-Z]{36})\b",
        ("ghu_", "ghs_"),
        3,
    ),
    _rule(
        "github-refresh-token", "GitHub refresh token", r"\b(ghr_[0-9a-zA-Z]{36})\b", ("ghr_",), 3
    ),
    _rule(
        "github-fine-grained-pat",
        "GitHub fine-grained token",
        r"\b(github_pat_\w{82})\b",
        ("github_pat_",),
        3,
    ),
    _rule("gitlab-pat", "GitLab personal access token", r"\b(glpat-[\w-]{20,})", ("glpat-",), 3),
    _rule(
        "slack-token",
        "Slack token",
        r"\b(xox[baprse]-(?:\d+-)+[0-9A-Za-z-]{10,})",
        ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-"),
        2.5,
    ),
    _rule(
        "slack-webhook-url",
        "Slack webhook URL",
        r"(hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})",
        ("hooks.slack.com",),
    ),
    _rule(
        "stripe-access-token",
        "Stripe secret key",
        r"\b((?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99})" + _END,
        ("sk_test", "sk_live", "sk_prod", "rk_test", "rk_live", "rk_prod"),
        2.0,
    ),
    _rule(
        "openai-api-key",
        "OpenAI API key",
        r"\b(sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,200}|[a-zA-Z0-9]{20})T3BlbkFJ"
        r"[A-Za-z0-9_-]{20,200})" + _END,
        ("t3blbkfj",),
        3.0,
    ),
    _rule(
        "openai-project-key",
        "OpenAI project key",
        r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,300})" + _END,
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
        3.5,
    ),
    _rule(
        "anthropic-api-key",
        "Anthropic API key",
        r"\b(sk-ant-(?:api03|admin01)-[a-zA-Z0-9_\-]{93}AA)" + _END,
        ("sk-ant-api03", "sk-ant-admin01"),
    ),
    _rule("gcp-api-key", "Google API key", r"\b(AIza[\w-]{35})" + _END, ("aiza",), 3.0),
    _rule(
        "huggingface-access-token",
        "Hugging Face token",
        r"\b(hf_[a-zA-Z]{34})" + _END,
        ("hf_",),
        3.0,
    ),
    _rule(
        "sendgrid-api-token",
        "SendGrid API key",
        r"\b(SG\.[a-zA-Z0-9=_\-.]{66})" + _END,
        ("sg.",),
        2.0,
    ),
    _rule("twilio-api-key", "Twilio API key", r"\b(SK[0-9a-fA-F]{32})\b", ("sk",), 3.0),
    _rule("npm-access-token", "npm token", r"\b(npm_[a-zA-Z0-9]{36})" + _END, ("npm_",), 2.0),
    _rule(
        "pypi-upload-token",
        "PyPI upload token",
        r"(pypi-AgEIcHlwaS5vcmc[\w-]{50,1000})",
        ("pypi-ageichlwas5vcmc",),
    ),
    _rule(
        "databricks-api-token",
        "Databricks token",
        r"\b(dapi[a-f0-9]{32}(?:-\d)?)" + _END,
        ("dapi",),
        3,
    ),
    _rule(
        "digitalocean-pat",
        "DigitalOcean token",
        r"\b(do[opr]_v1_[a-f0-9]{64})" + _END,
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        3,
    ),
    _rule(
        "shopify-access-token",
        "Shopify token",
        r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        2,
    ),
    _rule(
        "azure-ad-client-secret",
        "Azure AD client secret",
        r"(?:^|[\\'\"`\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?=$|[\\'\"`\s<),])",
        ("q~",),
        3.0,
    ),
    _rule(
        "private-key",
        "private key",
        r"(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,64}?)",
        ("-----begin",),
    ),
    _rule(
        "spark-api-key",
        "Spark API key",
        r"\b(spk_[A-Za-z0-9_-]{40})(?![A-Za-z0-9_-])",
        ("spk_",),
        3.0,
    ),
    _rule(
        "bearer-token",
        "bearer token",
        r"\bbearer\s+([A-Za-z0-9._~+/=-]{16,2000})" + _END,
        ("bearer",),
        3.0,
        allow=r"(?i)^(?:[a-z]+(?:[_-][a-z]+)*|.*(?:example|sample|dummy|placeholder|your|token_here"
        r"|xxxx).*)$",
        ignore_case=True,
    ),
    _rule(
        "authorization-basic",
        "HTTP basic credentials",
        r"authorization['\"]?\s*[:=]\s*['\"]?basic\s+([A-Za-z0-9+/]{8,}={0,2})" + _END,
        ("authorization",),
        2.5,
        ignore_case=True,
    ),
    _rule(
        # An environment variable set in a shell (`export PGPASSWORD=hunter2`,
        # `DB_PASS=x ./run`): short and unquoted, which the generic rule lets pass.
        "shell-password-variable",
        "password in a shell variable",
        r"(?:^|[\s;&|(]|\bexport\s+|\bset\s+)[A-Z0-9_]*(?:PASSWORD|PASSWD|PASS|SECRET"
        r"|TOKEN|API_?KEY|ACCESS_KEY|AUTH_KEY|PRIVATE_KEY)(?:_[A-Z0-9_]*)?="
        r"(?:'([^'\s]{3,200})'|\"([^\"\s$`]{3,200})\"|([^\s'\"$`;&|<>(){}\[\]]{3,200}))"
        r"(?=[\s;&|)]|$)",
        ("pass", "secret", "token", "key", "auth"),
        allow=r"(?i)^(?:\d+|true|false|none|null|yes|no|on|off|\*+|x+|changeme|password|secret"
        r"|redacted|.*(?:example|placeholder|dummy|your[_-]).*|[\w.]*\.[a-z_]\w*|\$.*|%.*%)$",
    ),
    _rule(
        "mysql-password-option",
        "password on a MySQL command line",
        r"\bmysql(?:dump|admin|import|check|sh|slap)?\b[^\n|;&]{0,200}?\s-p['\"]?([^\s'\"]{2,200})",
        ("mysql",),
        allow=r"^\$.*",
    ),
    _rule(
        "password-option",
        "password on a command line",
        r"(?:--password|--passwd|--pass|--db-password|--token|--api-key|--secret)[= ]['\"]?"
        r"([^\s'\"`$<>{}]{3,200})" + _END,
        ("--pass", "--token", "--api-key", "--secret", "--db-password"),
        allow=r"(?i)^(?:-.*|\*+|x+|changeme|password|secret|token|.*(?:example|placeholder|your"
        r"|dummy).*)$",
    ),
    _rule(
        "sshpass-password",
        "password given to sshpass",
        r"\bsshpass\s+-p\s*['\"]?([^\s'\"]{2,200})",
        ("sshpass",),
        allow=r"^\$.*",
    ),
    _rule(
        "curl-user-password",
        "password given to curl -u",
        r"\bcurl\b[^\n|;&]{0,300}?\s(?:-u|--user)\s*['\"]?[^:\s'\"]+:([^\s'\"@]{3,200})",
        ("curl",),
        allow=r"^\$.*",
    ),
    _rule(
        "jwt",
        "JSON Web Token",
        r"\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/\\_-]{17,}\.(?:[a-zA-Z0-9/\\_-]{10,}={0,2})?)" + _END,
        ("ey",),
        3.0,
    ),
    _rule(
        "database-url-password",
        "password in a connection URL",
        r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql"
        r"|oracle|snowflake|clickhouse)(?:\+\w+)?://[^:/@\s'\"]+:([^@/\s'\"]{3,})@",
        ("://",),
        allow=r"^(?:\*+|x+|<[^>]*>|\{[^}]*\}|\$\{?\w+\}?|%\(\w+\)s|password|pass|secret|changeme)$",
        ignore_case=True,
    ),
    _rule(
        "generic-api-key",
        "secret assigned to a credential-like name",
        r"(?:api[_-]?key|apikey|access[_-]?key|secret|passw(?:or)?d|pwd|token|auth[_-]?key"
        r"|client[_-]?secret|credentials?)[\w-]{0,20}[ \t]{0,3}(?:=|:|=>|:=)[ \t]{0,3}"
        r"(?:['\"`]([^'\"`\s]{12,200})['\"`]|([A-Za-z0-9_+/=.~-]{20,200})" + _END + ")",
        ("key", "secret", "passw", "pwd", "token", "auth", "credential"),
        3.5,
        allow=r"(?i)^(?:[a-z_][\w.]*\(.*|[\w.]+\.[\w.]+|[a-z]+(?:[_-][a-z]+)+|.*(?:example|sample|dummy"
        r"|placeholder|your|changeme|xxxx|\*\*\*|<|>|\{|\}|\$).*)$",
        ignore_case=True,
    ),
)


def shannon_entropy(text: str) -> float:
    """Bits per character, as gitleaks computes it to reject low-randomness matches."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())
