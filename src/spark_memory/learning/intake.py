"""Building what agents write (traces, memories, feedback) from request fields.

Every text field is screened for secrets first. With ``secrets="reject"`` a finding
refuses the whole write (``Rejected``, nothing stored); with ``"redact"`` each secret
is replaced by ``[REDACTED:<kind>]`` and the caller is told what was removed and where.
Agent-written lessons also pass the safety review; unsafe advice, instructions aimed
at the reader's agent and hidden text are refused at write time.

Ids are derived from content, so sending the same thing twice stores it once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from spark_memory.errors import InvalidInput, PayloadTooLarge, Rejected
from spark_memory.learning.policy import SecretPolicy
from spark_memory.learning.safety import (
    Issue,
    hidden_content,
    review_code,
    review_markdown,
    review_served_text,
)
from spark_memory.learning.secrets import Finding, default_scanner, redact
from spark_memory.models import (
    MAX_K,
    MAX_TITLE_CHARS,
    Evidence,
    Feedback,
    Insight,
    InsightKind,
    InsightStatus,
    Outcome,
    Principal,
    Provenance,
    Scope,
    Trace,
    content_hash,
    make_id,
    utcnow,
)
from spark_memory.signatures import normalise_error

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=Enum)
MAX_ENVIRONMENT = 200
_ENV = "environment."
# A distribution name (PEP 508), with extras; anything else is not shown in a field name.
_PACKAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}(?:\[[A-Za-z0-9,._-]*\])?")
MAX_COMMENT_CHARS = 4_000


@dataclass(frozen=True)
class Screened:
    fields: dict[str, str]
    findings: list[Finding] = field(default_factory=list)

    def message(self) -> str:
        if not self.findings:
            return ""
        listed = "; ".join(f.describe() for f in self.findings)
        return f"redacted {len(self.findings)} secret(s) before storing: {listed}"


def screen(fields: Mapping[str, str], policy: SecretPolicy, what: str) -> Screened:
    """Find secrets in ``fields``; refuse (``reject``) or replace them (``redact``)."""
    if policy not in ("redact", "reject"):
        raise InvalidInput(f"secrets must be 'redact' or 'reject', got {policy!r}")
    refuse_nul(fields)
    findings = default_scanner().scan_fields(fields)
    if not findings:
        return Screened(dict(fields))
    if policy == "reject":
        listed = "; ".join(f.describe() for f in findings)
        raise Rejected(
            f"{what} rejected: it contains {len(findings)} secret(s) ({listed}); nothing was"
            " stored. Remove them, or send with secrets='redact' to store a redacted copy."
        )
    clean = {k: redact(v, [f for f in findings if f.field == k]) for k, v in fields.items()}
    return Screened(clean, findings)


@dataclass(frozen=True)
class IdempotentRequest:
    """An idempotency key as stored: scoped to the org's agent and the verb, hashed (the
    header is the client's free text and is never stored), with a hash of the body."""

    key: str
    body: str


def idempotent_request(
    principal: Principal, verb: str, key: str | None, **body: object
) -> IdempotentRequest | None:
    if not key:
        return None
    scoped = hashlib.sha256(f"{principal.agent_id}\0{verb}\0{key}".encode()).hexdigest()
    canonical = json.dumps(body, sort_keys=True, default=_plain)
    return IdempotentRequest(f"{verb}:{scoped}", hashlib.sha256(canonical.encode()).hexdigest())


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return str(value)


def refuse_nul(fields: Mapping[str, str]) -> None:
    """NUL (U+0000) is refused in every text: PostgreSQL cannot store it, and SQLite
    must not keep what a PostgreSQL import of the same store would then refuse."""
    for name, text in fields.items():
        if "\x00" in text:
            raise InvalidInput(f"{name} contains a NUL character (U+0000); remove it")


def refuse_unsafe(issues: Sequence[Issue], what: str) -> None:
    if issues:
        listed = "; ".join(i.describe() for i in issues[:3])
        raise Rejected(f"{what} rejected by the safety review: {listed}; nothing was stored")


def trace_fields(
    *,
    task: str,
    code: str,
    test_output: str,
    error: str,
    correction: str,
    environment: Mapping[str, str],
    model: str = "",
    served_ids: Sequence[str] = (),
) -> dict[str, str]:
    """Every text field of a trace, to screen: the model and served ids too, and the
    environment's package names (field ``environment``, one a line) and versions (fields
    ``environment.<pkg>``, or ``environment.#<n>`` when the name itself holds a secret,
    so that a finding's field name never repeats the secret)."""
    env = _environment(environment)
    fields = {
        "task": task,
        "code": code,
        "test_output": test_output,
        "error": error,
        "correction": correction,
        "model": model,
        "served_ids": "\n".join(_served(served_ids)),
        "environment": "\n".join(env),
    }
    scanner = default_scanner()
    for n, (package, version) in enumerate(env.items()):
        name = package if _PACKAGE.fullmatch(package) and not scanner.scan(package) else f"#{n}"
        fields[_ENV + name] = version
    return fields


def build_trace(
    principal: Principal,
    screened: Screened,
    *,
    outcome: Outcome | str,
) -> Trace:
    f = screened.fields
    if not f["task"].strip():
        raise InvalidInput("a trace needs a task: what the agent was asked to do")
    versions = [v for k, v in f.items() if k.startswith(_ENV)]
    names = f["environment"].split("\n") if versions else []
    env = dict(zip(names, versions, strict=True))
    served = f["served_ids"].split("\n") if f["served_ids"] else []
    model = f["model"]
    texts = [f[k] for k in ("task", "code", "test_output", "error", "correction")]
    env_json = json.dumps(env, sort_keys=True)
    parts = [principal.org_id, principal.agent_id, *texts, str(outcome), env_json, model, *served]
    return _validated(
        Trace,
        id=make_id("trc", *parts),
        org_id=principal.org_id,
        agent_id=principal.agent_id,
        task=f["task"],
        code=f["code"],
        outcome=_outcome(outcome),
        test_output=f["test_output"],
        error=f["error"],
        error_signature=normalise_error(f["error"] or _last_error(f["test_output"])),
        correction=f["correction"],
        environment=env,
        model=model[:200],
        served_ids=served,
    )


def build_memory(
    principal: Principal,
    screened: Screened,
    *,
    tags: Sequence[str],
    kind: InsightKind | str,
    scope: Scope | str,
    status: InsightStatus,
) -> Insight:
    f = screened.fields
    if not f["title"].strip() or not f["content"].strip():
        raise InvalidInput("a memory needs a title and content")
    chosen = _scope(scope)
    refuse_nul({f"tags[{n}]": tag for n, tag in enumerate(tags)})
    refuse_unsafe(review_tags(tags), "memory")
    now = utcnow()
    return _validated(
        Insight,
        id=make_id("ins", principal.org_id, principal.agent_id, f["title"], f["content"]),
        org_id=principal.org_id,
        agent_id=principal.agent_id,
        scope=chosen,
        title=f["title"].strip(),
        content=f["content"],
        query=f["query"],
        tags=sorted({t.strip().lower() for t in tags if t.strip()}),
        kind=_enum(InsightKind, kind, "kind"),
        evidence=Evidence(failing_code=f["failing_code"], error=f["error"], fix=f["fix"]),
        provenance=Provenance(orgs=[principal.org_id], agents=[principal.agent_id]),
        status=status,
        content_hash=content_hash(f["title"], f["content"]),
        created=now,
        updated=now,
    )


def review_tags(tags: Sequence[str]) -> list[Issue]:
    """Tags are served verbatim to every reader of the lesson: no instructions, no hidden text."""
    return [issue for tag in tags for issue in review_served_text(tag)]


def review_memory(screened: Screened, tags: Sequence[str] = ()) -> list[Issue]:
    """Every field a memory serves to other agents: its text and advised fix in full;
    the failing code as a counter-example (its unsafe calls are the point), and the
    error and tags for instructions and hidden text."""
    f = screened.fields
    text = f"{f['title']}\n\n{f['query']}\n\n{f['content']}"
    issues = review_markdown(text)
    if f["fix"]:
        issues += review_markdown(f"```python\n{f['fix']}\n```")
    if f["failing_code"]:
        issues += review_code(f["failing_code"], counter_example=True)
        issues += hidden_content(f["failing_code"])
    return issues + review_served_text(f["error"]) + review_tags(tags)


def build_feedback(
    principal: Principal,
    target_id: str,
    *,
    relevant: bool | None,
    correct: bool | None,
    verified: Outcome | str | None,
    comment: str,
    revision: int,
) -> Feedback:
    if relevant is None and correct is None and verified is None and not comment.strip():
        raise InvalidInput("feedback needs at least one of relevant, correct, verified or comment")
    outcome = None if verified is None else _outcome(verified)
    if outcome not in (None, Outcome.PASSED, Outcome.FAILED):
        raise InvalidInput("verified must be 'passed' or 'failed' (tests after following it)")
    if len(comment) > MAX_COMMENT_CHARS:
        raise PayloadTooLarge(
            f"the comment has {len(comment)} characters; the limit is {MAX_COMMENT_CHARS}"
        )
    vote = [str(relevant), str(correct), str(outcome), comment]
    parts = [principal.org_id, principal.agent_id, target_id, str(revision), *vote]
    return _validated(
        Feedback,
        id=make_id("fb", *parts),
        target_id=target_id,
        org_id=principal.org_id,
        agent_id=principal.agent_id,
        relevant=relevant,
        correct=correct,
        verified=outcome,
        comment=comment,
    )


def same_vote(a: Feedback, b: Feedback) -> bool:
    def vote(f: Feedback) -> tuple[object, ...]:
        return (f.relevant, f.correct, f.verified, f.comment)

    return vote(a) == vote(b)


def _validated(model_class: type[M], **values: Any) -> M:
    try:
        return model_class(**values)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        if problem["type"] in ("string_too_long", "too_long"):
            raise PayloadTooLarge(f"{where} is too long: {problem['msg']}") from exc
        raise InvalidInput(f"{where}: {problem['msg']}") from exc


def _outcome(value: Outcome | str) -> Outcome:
    return _enum(Outcome, value, "outcome")


def _scope(value: Scope | str) -> Scope:
    scope = _enum(Scope, value, "scope")
    if scope is Scope.PUBLIC:
        raise InvalidInput(
            "scope 'public' is reached only through promotion (endorsement by several orgs);"
            " write with scope 'org' or 'private'"
        )
    return scope


def _enum(kind: type[E], value: object, name: str) -> E:
    try:
        return kind(value)
    except ValueError as exc:
        choices = ", ".join(str(m.value) for m in kind)
        raise InvalidInput(f"{name} must be one of {choices}; got {value!r}") from exc


def _environment(environment: Mapping[str, str]) -> dict[str, str]:
    if len(environment) > MAX_ENVIRONMENT:
        raise PayloadTooLarge(
            f"environment lists {len(environment)} packages; the limit is {MAX_ENVIRONMENT}"
        )
    out = {}
    for package, version in environment.items():
        if not isinstance(package, str) or not isinstance(version, str):
            raise InvalidInput("environment maps package names to version strings")
        if len(package) > 100 or len(version) > 100:
            raise InvalidInput(f"environment entry {package[:40]!r} is too long")
        if any(c in package for c in "\r\n"):
            raise InvalidInput("environment package names are one line each")
        out[package.strip()] = version.strip()
    return out


def _served(ids: Sequence[str]) -> list[str]:
    if len(ids) > MAX_K:
        raise PayloadTooLarge(f"served_ids lists {len(ids)} ids; the limit is {MAX_K}")
    if any(not isinstance(i, str) or len(i) > MAX_TITLE_CHARS or "\n" in i for i in ids):
        raise InvalidInput("served_ids must be ids as returned by search or recommend")
    return list(dict.fromkeys(ids))


def _last_error(text: str) -> str:
    lines = [x for x in text.splitlines() if x.strip()]
    return lines[-1] if lines else ""


def quarantine_note(status: InsightStatus) -> str:
    if status is not InsightStatus.QUARANTINED:
        return ""
    return (
        "quarantined: insights from new or low-standing contributors are visible only to"
        " their author until another trusted agent independently confirms them"
    )


def enriched(
    current: Insight, screened: Screened, tags: Sequence[str], principal: Principal
) -> Insight:
    refuse_nul({f"tags[{n}]": tag for n, tag in enumerate(tags)})
    # the query extension and the tags are served with the lesson too
    refuse_unsafe(review_tags(tags) + review_served_text(screened.fields["query"]), "addition")
    addition = screened.fields["addition"].strip()
    content = current.content
    if addition not in content:
        content = f"{content}\n\n**Addition.** {addition}"
    extra = screened.fields["query"].strip()
    query = (
        f"{current.query} {extra}".strip()
        if extra and extra not in current.query
        else current.query
    )
    merged_tags = sorted({*current.tags, *(t.strip().lower() for t in tags if t.strip())})
    agents = sorted({*current.provenance.agents, principal.agent_id})
    provenance = current.provenance.model_copy(update={"agents": agents})
    return current.model_copy(
        update={
            "content": content,
            "query": query,
            "tags": merged_tags,
            "provenance": provenance,
            "content_hash": content_hash(current.title, content),
            "updated": utcnow(),
        }
    )
