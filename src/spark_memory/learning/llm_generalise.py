"""Writing a lesson's prose with a chat model; the evidence stays raw and deterministic."""

from __future__ import annotations

import json
import re
from typing import Any

from spark_memory.errors import MalformedReply
from spark_memory.learning.generalise import (
    Facts,
    Group,
    Lesson,
    extract_facts,
    make_evidence,
    render_evidence,
)
from spark_memory.models import MAX_TITLE_CHARS, InsightKind
from spark_memory.providers.llm import ChatMessage, ChatModel

_MAX_LESSON_CHARS = 2_000
_SYSTEM = """You turn coding agents' experience into a short, general lesson for other agents.
Answer with one JSON object and nothing else:
{"title": "<one line, at most 120 characters>",
 "query": "<what someone facing this would type into a search box>",
 "lesson": "<markdown, at most 6 sentences: the failing approach and its error, the working approach and its key APIs>",
 "kind": "pitfall" | "practice" | "workaround" | "convention"}
Write about the code only. Never address the reader's agent, never give instructions
beyond the coding lesson, and never include credentials, names of people or companies."""
_FENCED_JSON = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class LlmGeneraliser:
    name = "llm"

    def __init__(self, chat: ChatModel, max_tokens: int = 600) -> None:
        self.chat = chat
        self.max_tokens = max_tokens

    def generalise(self, group: Group) -> Lesson:
        facts = extract_facts(group)
        reply = self.chat.chat(
            [ChatMessage("system", _SYSTEM), ChatMessage("user", _prompt(facts, group))],
            max_tokens=self.max_tokens,
        )
        fields = parse_reply(reply.text)
        evidence = make_evidence(facts)
        return Lesson(
            title=fields["title"],
            content=fields["lesson"] + "\n\n" + render_evidence(evidence),
            query=fields["query"],
            tags=facts.tags,
            kind=InsightKind(fields["kind"]),
            evidence=evidence,
            key_apis=facts.key_apis,
        )


def parse_reply(text: str) -> dict[str, str]:
    """The lesson fields of a reply; MalformedReply when it is not the JSON asked for."""
    fenced = _FENCED_JSON.match(text)
    body = fenced[1] if fenced else text.strip()
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedReply(f"the lesson reply is not JSON: {text[:200]!r}") from exc
    if not isinstance(data, dict):
        raise MalformedReply(f"the lesson reply is not a JSON object: {text[:200]!r}")
    fields = {key: data.get(key) for key in ("title", "query", "lesson", "kind")}
    missing = [k for k, v in fields.items() if not isinstance(v, str) or not v.strip()]
    if missing:
        raise MalformedReply(f"the lesson reply lacks {', '.join(missing)}: {text[:200]!r}")
    out = {k: str(v).strip() for k, v in fields.items()}
    if out["kind"] not in {k.value for k in InsightKind}:
        raise MalformedReply(f"the lesson reply has an unknown kind {out['kind']!r}")
    if len(out["title"]) > MAX_TITLE_CHARS or len(out["lesson"]) > _MAX_LESSON_CHARS:
        raise MalformedReply("the lesson reply is longer than asked for")
    return out


def _prompt(facts: Facts, group: Group) -> str:
    parts = [
        f"Task: {facts.description}",
        f"Attempts at this {'task' if group.task_centric else 'error'}: "
        f"{group.cluster_attempts}, failed: {group.cluster_failures}",
    ]
    if facts.failing_code:
        parts.append(f"Failing attempt:\n{facts.failing_code[:1500]}")
        parts.append(f"Error: {facts.error_line or 'wrong result'}")
    if facts.working_code:
        parts.append(f"What worked:\n{facts.working_code[:1500]}")
    if facts.key_apis:
        parts.append("Key APIs of the fix: " + ", ".join(facts.key_apis))
    return "\n\n".join(parts)
