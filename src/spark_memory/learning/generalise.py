"""Turning one org's traces of a cluster into a lesson.

Two generalisers share the :class:`Generaliser` protocol:

- :class:`DeterministicGeneraliser` (no LLM): states the failing approach with its
  error, the working approach with the APIs that changed, and a minimal raw excerpt
  of evidence (the lines where the failing attempt and the fix differ);
- :class:`LlmGeneraliser`: asks a chat model for the title, query and prose of the
  lesson as JSON; the evidence excerpt stays the deterministic one, because evidence
  must be raw, not rewritten. A reply that is not the JSON asked for raises
  ``MalformedReply``; the caller records the fallback it takes.

A generaliser sees only the traces of one org: whatever it writes stays in that org.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from spark_memory.learning.clustering import failed, is_specific, signature_of
from spark_memory.learning.codeinfo import (
    api_names,
    describe_task,
    diff_excerpt,
    first_sentence,
    libraries_in,
    most_common,
    new_apis,
)
from spark_memory.models import MAX_TITLE_CHARS, Evidence, InsightKind, Outcome, Trace

EVIDENCE_HEADING = "#### Evidence"
# distribution name -> import name, for tags (trace environments list distributions)
_IMPORT_NAMES = {"scikit-learn": "sklearn", "tensorflow-cpu": "tensorflow", "pillow": "PIL"}


@dataclass(frozen=True)
class Group:
    """What a generaliser sees: one org's traces of one cluster, and the cluster's counts."""

    org_id: str
    traces: tuple[Trace, ...]
    cluster_agents: int  # independent agents with traces in the whole cluster
    cluster_attempts: int
    cluster_failures: int
    task_centric: bool = True
    signature: str = ""  # shared error signature of an error-centric cluster
    cluster_orgs: int = 1  # distinct orgs among those agents: one org's are not independent


@dataclass(frozen=True)
class Lesson:
    title: str
    content: str  # markdown; ends with the evidence section
    query: str
    tags: list[str]
    kind: InsightKind
    evidence: Evidence
    key_apis: list[str] = field(default_factory=list)


class Generaliser(Protocol):
    @property
    def name(self) -> str: ...

    def generalise(self, group: Group) -> Lesson: ...


@dataclass(frozen=True)
class Facts:
    """The raw material of a lesson, extracted deterministically from the traces."""

    description: str
    failing_code: str
    working_code: str
    signature: str
    error_line: str
    key_apis: list[str]
    failing_apis: list[str]
    libraries: list[str]
    tags: list[str]
    failures: int
    passes: int
    corrected: bool

    @property
    def kind(self) -> InsightKind:
        return InsightKind.PITFALL if self.failures else InsightKind.PRACTICE


def working_approach(traces: Sequence[Trace]) -> str:
    """The code that worked: the most common correction, else the most common passing code."""
    fixes = [t.correction for t in traces if failed(t) and t.correction.strip()]
    passes = [t.code for t in traces if t.outcome is Outcome.PASSED and t.code.strip()]
    return most_common(fixes) or most_common(passes)


def extract_facts(group: Group) -> Facts:
    traces = list(group.traces)
    fails = [t for t in traces if failed(t)]
    working = working_approach(traces)
    sample = _failing_sample(fails)
    failing_code = sample.code if sample else ""
    signature = group.signature or (signature_of(sample) if sample else "")
    # the task's own code template (imports) names libraries the excerpts leave implicit
    libraries = sorted(set(libraries_in(f"{working}\n{failing_code}\n{traces[0].task}")))
    return Facts(
        description=_description(traces[0].task),
        failing_code=failing_code,
        working_code=working,
        signature=signature,
        error_line=_error_line(sample) if sample else "",
        key_apis=(new_apis(working, [t.code for t in fails]) or api_names(working))[:6],
        failing_apis=api_names(failing_code)[:5],
        libraries=libraries,
        tags=_tags(libraries, traces),
        failures=len(fails),
        passes=sum(t.outcome is Outcome.PASSED for t in traces),
        corrected=any(t.correction.strip() for t in fails),
    )


class DeterministicGeneraliser:
    name = "deterministic"

    def generalise(self, group: Group) -> Lesson:
        facts = extract_facts(group)
        evidence = make_evidence(facts)
        title = _title(facts, group)
        prose = "\n\n".join(p for p in (facts.description, _approaches(facts, group)) if p)
        return Lesson(
            title=title,
            content=prose + "\n\n" + render_evidence(evidence),
            query=_query(facts),
            tags=facts.tags,
            kind=facts.kind,
            evidence=evidence,
            key_apis=facts.key_apis,
        )


def make_evidence(facts: Facts) -> Evidence:
    if facts.failing_code and facts.working_code:
        failing, fix = diff_excerpt(facts.failing_code, facts.working_code)
    else:
        failing = diff_excerpt(facts.failing_code, "")[0] if facts.failing_code else ""
        fix = diff_excerpt("", facts.working_code)[1] if facts.working_code else ""
    return Evidence(failing_code=failing, error=facts.error_line, fix=fix)


def render_evidence(evidence: Evidence) -> str:
    parts = [EVIDENCE_HEADING]
    if evidence.failing_code:
        said = f" (fails with `{evidence.error}`)" if evidence.error else ""
        parts.append(f"Failing attempt{said}:\n```python\n{evidence.failing_code}\n```")
    if evidence.fix:
        parts.append(f"What worked:\n```python\n{evidence.fix}\n```")
    return "\n\n".join(parts)


def prose_of(content: str) -> str:
    """An insight's content without its evidence section."""
    return content.split("\n\n" + EVIDENCE_HEADING, 1)[0]


# --- wording -------------------------------------------------------------------------------


def _title(facts: Facts, group: Group) -> str:
    if not group.task_centric and group.signature:
        apis = ", ".join(facts.key_apis[:3])
        title = f"{group.signature}" + (f" — fixed with {apis}" if apis else "")
    else:
        title = first_sentence(facts.description) or "Lesson"
    return title[:MAX_TITLE_CHARS]


def _approaches(facts: Facts, group: Group) -> str:
    lines = []
    if facts.failures:
        outcome = (
            f"failed with `{facts.signature}`"
            if is_specific(facts.signature)
            else "failed their tests (wrong result)"
        )
        using = (
            f"; the failing approach called {_code_list(facts.failing_apis)}"
            if facts.failing_apis
            else ""
        )
        lines.append(
            f"**Pitfall.** {group.cluster_failures} of {group.cluster_attempts} attempts at this "
            f"{'task' if group.task_centric else 'error'} {outcome}{using}."
        )
    if facts.working_code:
        how = f" calls {_code_list(facts.key_apis)}" if facts.key_apis else ""
        verified = "the corrected code" if facts.corrected else "the passing code"
        lines.append(f"**What worked.** {verified.capitalize()}{how} and passed its tests.")
    lines.append(
        f"Backed by {group.cluster_agents} agent(s) in {group.cluster_orgs} org(s); libraries: "
        f"{', '.join(facts.libraries) or 'not detected'}."
    )
    return "\n".join(lines)


def _query(facts: Facts) -> str:
    parts = [facts.description[:240], " ".join(facts.key_apis)]
    if is_specific(facts.signature):
        parts.append(facts.signature)
    return " ".join(p for p in parts if p).strip()


def _code_list(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _description(task: str) -> str:
    text = describe_task(task)
    return text or " ".join(task.split())[:200]


def _failing_sample(fails: Sequence[Trace]) -> Trace | None:
    """A representative failing attempt: corrected ones first, then a specific error."""
    ranked = sorted(
        fails,
        key=lambda t: (not t.correction.strip(), not is_specific(signature_of(t)), len(t.code)),
    )
    return ranked[0] if ranked else None


def _error_line(trace: Trace) -> str:
    signature = signature_of(trace)
    if signature:
        return signature[:300]
    lines = [x.strip() for x in (trace.error or trace.test_output).splitlines() if x.strip()]
    return lines[-1][:300] if lines else ""


def _tags(libraries: Sequence[str], traces: Sequence[Trace]) -> list[str]:
    versions: dict[str, str] = {}
    for trace in traces:
        for package, version in trace.environment.items():
            versions.setdefault(_IMPORT_NAMES.get(package.lower(), package.lower()), version)
    return [f"{lib}:{versions[lib]}" if lib in versions else lib for lib in libraries][:8]
