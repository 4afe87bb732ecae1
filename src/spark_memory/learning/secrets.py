"""Finding secrets in what agents send, before anything is stored.

Two maintained detector families run over every line:

- detect-secrets (Yelp): its provider plugins, called directly rather than through its
  process-wide settings (which are not thread-safe), with its own false-positive
  heuristics (templated values, sequential strings, UUIDs, indirect references);
- the gitleaks-derived rules of :mod:`spark_memory.learning.secret_rules`, for the
  provider formats detect-secrets lacks and for passwords inside connection URLs.

detect-secrets' entropy-only plugins are left out on purpose: code and error text are
full of git SHAs, content hashes and UUIDs, which they flag and which are not secrets.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from detect_secrets.filters import heuristic
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import KeywordDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from spark_memory.learning.secret_rules import RULES, Rule, shannon_entropy
from spark_memory.results import (  # defined there; importable from here too
    Finding as Finding,
)

_PLUGINS = (
    ArtifactoryDetector,
    AWSKeyDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    JwtTokenDetector,
    KeywordDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PrivateKeyDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)
# Words (lower case) without which a plugin's patterns cannot match. KeywordDetector's
# list is its DENYLIST reduced to stems; it is the slowest plugin by far.
_PLUGIN_CUES: dict[type, tuple[str, ...]] = {
    KeywordDetector: ("key", "pass", "pwd", "secret", "contras"),
    ArtifactoryDetector: ("akc", "ap"),
    MailchimpDetector: ("-us",),
    TwilioKeyDetector: ("ac", "sk"),
    AWSKeyDetector: ("a3t", "abia", "acca", "akia", "asia", "aws"),
    AzureStorageKeyDetector: ("accountkey",),
    BasicAuthDetector: ("://",),
    GitHubTokenDetector: ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    GitLabTokenDetector: ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-",
                          "glimt-", "glptt-", "glagent-", "gloas-"),
    JwtTokenDetector: ("eyj",),
    NpmDetector: ("_authtoken",),
    OpenAIDetector: ("t3blbkfj",),
    PrivateKeyDetector: ("private key", "putty-user-key-file"),
    PypiTokenDetector: ("pypi-",),
    SendGridDetector: ("sg.",),
    SlackDetector: ("xox", "hooks.slack.com"),
    SquareOAuthDetector: ("sq0csp-",),
    StripeDetector: ("k_live_",),
}  # fmt: skip
# Long lines (minified JSON, logs) are scanned whole, in overlapping windows so that the
# cost stays linear and a token across a window edge is still seen whole by one window.
_WINDOW = 4_000
_OVERLAP = 1_000
# A key block is one secret from its BEGIN line to its END line: every line of the body
# is key material. A block cut off before its END runs to the end of the text. Escaped
# newlines (a key inside a JSON string) keep it on one line, which the same pattern covers.
_KEY_BLOCKS = (
    re.compile(
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----.*?"
        r"(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|\Z)",
        re.DOTALL,
    ),
    re.compile(r"PuTTY-User-Key-File-\d+:.*?(?:Private-MAC:\s*[0-9a-fA-F]+|\Z)", re.DOTALL),
)
_PLACEHOLDER = re.compile(
    r"(?i)^(?:x{3,}|\*{3,}|\.{3,}|<[^>]*>|\{[^}]*\}|\$\{?[\w.]+\}?|%\(\w+\)s"
    r"|(?:your|my|the)[_-]?\w*|.*(?:example|placeholder|dummy|redacted|changeme).*)$"
)


class SecretScanner:
    """Finds secrets in text. Stateless after construction; safe to share between threads."""

    def __init__(self) -> None:
        self._plugins = [plugin() for plugin in _PLUGINS]

    def scan(self, text: str, field: str = "text") -> list[Finding]:
        found: dict[tuple[int, int], Finding] = {}
        # Detectors whose cue words occur nowhere in the text cannot match any line of it:
        # deciding that once per text, not per line, is most of the cost of a long text.
        lower = text.lower()
        rules = [r for r in RULES if any(k in lower for k in r.keywords)]
        plugins = [p for p in self._plugins if _cued(p, lower)]
        for block in _key_blocks(text):
            first = text.count("\n", 0, block.start()) + 1
            span = (block.start(), block.end())
            found[span] = Finding("private key", "spark:key-block", field, first, *span)
        offset = 0
        for number, line in enumerate(text.splitlines(keepends=True), 1):
            if len(line.strip()) < 8:  # nothing that short is a credential
                offset += len(line)
                continue
            for kind, detector, start, end in _scan_long_line(line, rules, plugins):
                span = (offset + start, offset + end)
                if not any(_overlaps(span, other) for other in found):
                    found[span] = Finding(kind, detector, field, number, *span)
            offset += len(line)
        return sorted(found.values(), key=lambda f: f.start)

    def scan_fields(self, fields: Mapping[str, str]) -> list[Finding]:
        return [f for name, text in fields.items() if text for f in self.scan(text, name)]


def _cued(plugin: Any, lower: str) -> bool:
    cue = _PLUGIN_CUES.get(type(plugin))
    return cue is None or any(word in lower for word in cue)


def _scan_long_line(
    line: str, rules: list[Rule], plugins: list[Any]
) -> Iterator[tuple[str, str, int, int]]:
    if len(line) <= _WINDOW:
        yield from _scan_line(line, rules, plugins)
        return
    for at in range(0, len(line) - _OVERLAP, _WINDOW - _OVERLAP):
        for kind, detector, start, end in _scan_line(line[at : at + _WINDOW], rules, plugins):
            yield kind, detector, at + start, at + end


def _scan_line(
    line: str, rules: list[Rule], plugins: list[Any]
) -> Iterator[tuple[str, str, int, int]]:
    lower = line.lower()
    for rule in rules:
        if any(k in lower for k in rule.keywords):
            yield from _rule_matches(rule, line)
    for plugin in plugins:
        if not _cued(plugin, lower):
            continue  # the plugin's patterns cannot match: skip its (slow) regexes
        for value in _plugin_values(plugin, line):
            if _plausible(value, line, keyword=isinstance(plugin, KeywordDetector)):
                start = line.find(value)
                if start >= 0:
                    yield plugin.secret_type, "detect-secrets", start, start + len(value)


def _key_blocks(text: str) -> Iterator[re.Match[str]]:
    if "-----BEGIN" in text or "PuTTY-User-Key-File" in text:
        for pattern in _KEY_BLOCKS:
            yield from pattern.finditer(text)


def _rule_matches(rule: Rule, line: str) -> Iterator[tuple[str, str, int, int]]:
    for match in rule.pattern.finditer(line):
        group = next((g for g in range(1, (match.lastindex or 0) + 1) if match[g]), 0)
        value = match[group]
        if rule.min_entropy and shannon_entropy(value) < rule.min_entropy:
            continue
        if rule.allow is not None and rule.allow.search(value):
            continue
        yield rule.title, f"gitleaks:{rule.id}", match.start(group), match.end(group)


def _plugin_values(plugin: Any, line: str) -> set[str]:
    # analyze_string yields the raw secret strings the plugin's patterns capture.
    return {v for v in plugin.analyze_string(line) if isinstance(v, str) and v}


def _plausible(value: str, line: str, *, keyword: bool = True) -> bool:
    """detect-secrets' own heuristics, plus placeholders people write in examples."""
    value = value.strip("'\"`")
    if len(value) < 6 or _PLACEHOLDER.match(value):
        return False
    return not (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        # a value found by its name, not its format, may be a call's argument: a reference
        or (keyword and _indirect(value, line))
    )


@functools.lru_cache(maxsize=1)
def _indirect_pattern() -> re.Pattern[str]:
    # `password = get_secret("x")`, `token = os.environ["TOKEN"]`: a reference, not a value.
    return re.compile(r"[\w.]+\s*[\[(]")


def _indirect(value: str, line: str) -> bool:
    head = line[: line.find(value)] if value in line else line
    return bool(_indirect_pattern().search(head.split("=")[-1])) or value.endswith(("(", ")"))


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def redact(text: str, findings: list[Finding]) -> str:
    """``text`` with each finding's characters replaced by ``[REDACTED:<kind>]``."""
    out, last = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < last:
            continue
        out += [text[last : f.start], f"[REDACTED:{f.kind}]"]
        last = f.end
    out.append(text[last:])
    return "".join(out)


@functools.lru_cache(maxsize=1)
def default_scanner() -> SecretScanner:
    return SecretScanner()
