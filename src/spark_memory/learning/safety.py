"""Reviewing a lesson before it is stored or shared: unsafe advice and injected instructions.

A lesson is markdown: prose with inline code, and fenced code blocks. What matters is
what it *advises*. A good lesson about a pitfall names the dangerous thing ("never
pass ``verify=False``"), and a curated lesson shows the failing attempt next to the
fix. So code blocks introduced as counter-examples ("Bad:", "# fails with ...") are
not held against the lesson, and a phrase in prose counts only when its clause
recommends it (see :mod:`spark_memory.learning.safety_rules`). Instructions aimed at
the reader's agent and hidden characters count wherever they appear.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from spark_memory.learning.code_checks import check_code
from spark_memory.learning.disguise import readings
from spark_memory.learning.safety_rules import (
    CONDEMNED_AFTER,
    DISMISSAL,
    HIDDEN_CHARACTERS,
    HTML_COMMENT,
    INJECTION_PHRASES,
    NEGATION_BEFORE,
    UNSAFE_PHRASES,
    WARNING,
    PhraseRule,
)

Category = Literal["unsafe", "injection", "hidden"]

_FENCE = re.compile(r"(?ms)^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*_(\[\"'])|\n+")
# ':' and ',' split clauses only before a space, so URLs and argument lists stay whole.
_CLAUSE = re.compile(
    r"[;\u2014\u2013]|[:,](?=\s)|\s-\s|\bbut\b|\bso\b|\bthen\b|\bwhereas\b", re.IGNORECASE
)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
# An intro line that presents the next code block as what not to do ("Bad:", "Failing
# attempt (fails with ...):", "**Don't**"). It must read as a label, not as any prose.
_COUNTER_INTRO = re.compile(
    r"^\W*(?:bad|don'?t|do\s+not|avoid|never|wrong|insecure|unsafe|vulnerable|failing|failed"
    r"|broken|before|anti-?pattern|not\s+this|incorrect|dangerous|problematic)\b[^\n]*"
    r"(?::|\*\*)\s*$",
    re.IGNORECASE,
)
# A comment condemning its own line or block ("# insecure, never do this").
_COUNTER_COMMENT = re.compile(
    r"\b(?:bad|don'?t|do\s+not|avoid|never|wrong|insecure|unsafe|vulnerable|anti-?pattern"
    r"|incorrect|dangerous)\b|^\W*(?:fails|failing|failed|broken)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Issue:
    category: Category
    code: str
    reason: str
    excerpt: str

    def describe(self) -> str:
        return f"{self.category}: {self.reason} ({self.excerpt[:80]!r})"


def review_markdown(text: str) -> list[Issue]:
    """Every issue in a lesson written as markdown (agent-written insights)."""
    issues = list(_hidden(text))
    prose_parts: list[str] = []
    last = 0
    for block in _FENCE.finditer(text):
        prose_parts.append(text[last : block.start()])
        before = text[max(0, block.start() - 300) : block.start()]
        issues += review_code(block[2], counter_example=_introduces_counter_example(before))
        last = block.end()
    prose_parts.append(text[last:])
    issues += review_prose("\n".join(prose_parts))
    return _unique(issues)


def review_code(code: str, *, counter_example: bool = False) -> list[Issue]:
    """Issues in a code block: unsafe calls unless it is shown as what not to do."""
    issues = list(_injections(code))
    if counter_example or _first_comment_is_counter(code):
        return issues
    lines = code.splitlines()
    for finding in check_code(code):
        comment = _comment(lines[finding.line - 1]) if finding.line <= len(lines) else ""
        if _COUNTER_COMMENT.search(comment) and not DISMISSAL.search(comment):
            continue  # `x = eval(s)  # unsafe, never do this`
        issues.append(Issue("unsafe", finding.code, finding.reason, finding.excerpt))
    return issues


def review_prose(text: str) -> list[Issue]:
    """Unsafe advice in sentences (inline code included) and injected instructions."""
    issues = list(_injections(text))
    for sentence in _sentences(text):
        for start, end in _clauses(sentence):
            issues += _clause_issues(sentence, start, end)
    return issues


def _clause_issues(sentence: str, start: int, end: int) -> list[Issue]:
    clause = sentence[start:end]
    found = []
    for rule in UNSAFE_PHRASES:
        for match in rule.pattern.finditer(clause):
            if _recommends(sentence, clause, match.start(), match.end()):
                found.append(Issue("unsafe", rule.code, rule.reason, match[0]))
    for code in _INLINE_CODE.finditer(clause):
        for finding in check_code(code[1]):
            if _recommends(sentence, clause, code.start(), code.end()):
                found.append(Issue("unsafe", finding.code, finding.reason, code[1]))
    return found


def review_served_text(text: str) -> list[Issue]:
    """Text served verbatim but not advice (an error message, a tag): only instructions
    aimed at the reader's agent and hidden content count."""
    return _unique([*_hidden(text), *_injections(text)])


def hidden_content(text: str) -> list[Issue]:
    return list(_hidden(text))


def review_lesson(
    content: str, advised_code: Sequence[str] = (), counter_code: Sequence[str] = ()
) -> list[Issue]:
    """A curated lesson: markdown plus the code it advises and the code it warns about."""
    issues = review_markdown(content)
    for code in advised_code:
        issues += review_code(code)
    for code in counter_code:
        issues += review_code(code, counter_example=True)
    return _unique(issues)


# --- prose -------------------------------------------------------------------------------


def _sentences(text: str) -> Iterator[str]:
    for sentence in _SENTENCE.split(text):
        if sentence.strip():
            yield sentence.strip()


def _recommends(sentence: str, clause: str, start: int, end: int) -> bool:
    """Whether ``clause[start:end]`` is recommended rather than warned about."""
    if DISMISSAL.search(sentence):
        return True  # "the warning can be ignored": whatever it warned about is advised
    if WARNING.search(sentence):
        return False
    return not (NEGATION_BEFORE.search(clause[:start]) or CONDEMNED_AFTER.search(clause[end:]))


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """Clause spans of a sentence; separators inside inline code do not split it."""
    protected = [(m.start(), m.end()) for m in _INLINE_CODE.finditer(sentence)]
    cuts = [
        m.start()
        for m in _CLAUSE.finditer(sentence)
        if not any(a <= m.start() < b for a, b in protected)
    ]
    bounds = [0, *cuts, len(sentence)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if sentence[a:b].strip()]


def _injections(text: str) -> Iterator[Issue]:
    """Injected instructions in the text and in every undisguised reading of it
    (homoglyphs, leetspeak, accents, invisible tag characters, encoded payloads)."""
    seen: set[str] = set()
    for reading in readings(text):
        for sentence in _sentences(reading):
            for rule in INJECTION_PHRASES:
                if rule.code in seen:
                    continue
                match = rule.pattern.search(sentence)
                if match and (not rule.negatable or _injection_meant(sentence, match)):
                    seen.add(rule.code)
                    yield Issue("injection", rule.code, rule.reason, match[0])


def _injection_meant(sentence: str, match: re.Match[str]) -> bool:
    start = max((a for a, _ in _clauses(sentence) if a <= match.start()), default=0)
    return _recommends(sentence, sentence[start:], match.start() - start, match.end() - start)


def _hidden(text: str) -> Iterator[Issue]:
    found = HIDDEN_CHARACTERS.search(text)
    if found:
        reason = "contains invisible or text-direction characters that hide content from people"
        yield Issue("hidden", "invisible-characters", reason, repr(found[0]))
    for comment in HTML_COMMENT.finditer(text):
        inner = comment[1].strip()
        if any(True for _ in _injections(inner)) or _imperative_to_agent(inner):
            reason = "hides instructions in an HTML comment"
            yield Issue("hidden", "hidden-comment", reason, inner[:120])


def _imperative_to_agent(text: str) -> bool:
    return bool(re.search(r"\b(?:agent|assistant|ai|llm|model)\b", text, re.IGNORECASE)) and bool(
        re.search(r"\b(?:run|execute|install|send|ignore|must|always)\b", text, re.IGNORECASE)
    )


# --- code blocks ------------------------------------------------------------------------


def _introduces_counter_example(before: str) -> bool:
    lines = [line for line in before.splitlines() if line.strip()]
    return (
        bool(lines) and bool(_COUNTER_INTRO.search(lines[-1])) and not DISMISSAL.search(lines[-1])
    )


def _first_comment_is_counter(code: str) -> bool:
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    marker = next((m for m in ("#", "//", "--") if first.startswith(m)), None)
    return marker is not None and bool(_COUNTER_COMMENT.search(first[len(marker) :].strip()))


def _comment(line: str) -> str:
    hash_at = line.find("#")
    return line[hash_at + 1 :].strip() if hash_at >= 0 else ""


def _unique(issues: Iterable[Issue]) -> list[Issue]:
    seen: dict[tuple[str, str], Issue] = {}
    for issue in issues:
        seen.setdefault((issue.code, issue.excerpt), issue)
    return list(seen.values())


def rule_codes(rules: Sequence[PhraseRule]) -> list[str]:
    return [r.code for r in rules]
