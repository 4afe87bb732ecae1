"""The coach: Spark's retrieval agent, in eight explicit steps.

    1 analyse intent        intent.analyse
    2 plan the search       plan.plan_queries
    3 recall experience     \\ recall: one batch of focused queries over insights
    4 retrieve docs         /   and snippets, plus the symbols the request names
    5 draft                 \\ drafting (LLM) or extractive (deterministic), both
    6 link to sources        |  citing snippet / insight ids with a reason each
    7 synthesise            /
    8 respond               budget.fit: within the caller's token budget

The coach sees the world through ports only: a ``Retriever`` (search and symbol
lookups, implemented by the service over the store's channels) and, optionally, a
``ChatModel`` factory.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from pydantic import ValidationError

from spark_memory.coach import apinames, drafting, extractive, howto
from spark_memory.coach.budget import fit
from spark_memory.coach.intent import analyse
from spark_memory.coach.models import (
    DEFAULT_BUDGET_TOKENS,
    MAX_BUDGET_TOKENS,
    MAX_ENVIRONMENT_PACKAGES,
    MIN_BUDGET_TOKENS,
    CoachRequest,
    Intent,
    Mode,
    PlannedQuery,
    Recommendation,
)
from spark_memory.coach.plan import WHOLE, plan_queries, task_prose
from spark_memory.coach.recall import (
    Evidence,
    Retriever,
    Source,
    fold_variants,
    merge,
    prefer_focus,
    split,
)
from spark_memory.errors import InvalidInput, PayloadTooLarge, ProviderUnavailable
from spark_memory.libraries import library_of_distribution, lookalikes
from spark_memory.models import (
    MAX_QUERY_CHARS,
    MAX_TEXT_CHARS,
    DocType,
    Principal,
    SearchFilters,
    SearchHit,
)
from spark_memory.providers.llm import ChatModel
from spark_memory.signatures import normalise_error

HITS_PER_QUERY = 20
# Sources ranked below this are never cited, so their text is not fetched.
TEXT_DEPTH = 40
MAX_MATERIAL_DOCS = 8  # what an LLM gets to read: the focus APIs and the runners-up
MATERIAL_EXAMPLES = 2
# A lesson is advice only when it is about this task: it records the same error, or
# it is the same task in other words. Paraphrases of one DS-1000 task sit at cosine
# 0.88 (median) from each other with MiniLM, different tasks of one library at 0.55:
# at 0.7, 83-87% of a task's own lessons pass and 3-12% of the closest other lessons
# (docs/benchmarks.md). Within a margin of the closest lesson, so a near-paraphrase
# does not bring its weaker neighbours.
LESSON_SAME_TASK_COSINE = 0.7
LESSON_MARGIN = 0.1
TRUST_BASE = 0.75
TRUST_SPAN = 0.5
# Feedback has shown it mostly does not help: not advice, whatever it matches. Mean,
# not lower bound: a fresh insight (uniform prior) has a low bound but is not refuted.
INSIGHT_MIN_TRUST_MEAN = 0.4
ERROR_MATCH_BONUS = 1.0
# The APIs a how-to section uses follow it, ahead of what was found on its own.
TAUGHT_SHARE = 0.95

ChatFactory = Callable[[], ChatModel]


class Coach:
    def __init__(
        self,
        retriever: Retriever,
        knowledge: Callable[[], Mapping[str, Sequence[str]]],
        chat: ChatFactory | None = None,
    ) -> None:
        """``knowledge`` gives library -> versions in the knowledge base, read per call."""
        self.retriever = retriever
        self.knowledge = knowledge
        self.chat = chat

    def recommend(self, request: CoachRequest, principal: Principal) -> Recommendation:
        validate(request)
        intent = self.ground(analyse(request), request)
        plan = plan_queries(request, intent)
        evidence = self.gather(request, plan, intent, principal)
        if self.mode(request) is Mode.LLM:
            material = _material(evidence)
            rec = drafting.draft(self._chat(), request, intent, material)
        else:
            rec = extractive.synthesise(request.task, intent, evidence, request.budget_tokens)
        rec = rec.model_copy(update={"queries": evidence.queries, "intent": intent})
        return fit(rec, request.budget_tokens)

    def mode(self, request: CoachRequest) -> Mode:
        if request.mode is Mode.AUTO:
            return Mode.LLM if self.chat is not None else Mode.EXTRACTIVE
        return request.mode

    def gather(
        self, request: CoachRequest, plan: list[PlannedQuery], intent: Intent, principal: Principal
    ) -> Evidence:
        """Steps 3 and 4: every planned query, every named and guessed symbol, merged."""
        filters = self.filters(intent)
        results = self._search(request, plan, filters, principal)
        results = [_outside_lookalikes(hits, intent) for hits in results]
        counted = [
            q.model_copy(update={"hits": len(h)}) for q, h in zip(plan, results, strict=True)
        ]
        words = apinames.guesses(task_prose(request.task))
        # symbol lookups find documentation: none of it when only experience is asked for
        with_docs = DocType.SNIPPET in request.doc_types
        symbols, guessed = self._lookups(intent, words, filters) if with_docs else ({}, {})
        sources = merge(counted, results, symbols, intent, guessed, frozenset(words))
        prefer_focus(sources, frozenset(words), intent)
        evidence = split(sources, counted)
        evidence.docs = fold_variants(evidence.docs)
        evidence.how_to = howto.pick(evidence.docs)
        if evidence.how_to is not None:
            primary = intent.libraries[0] if intent.libraries else ""
            evidence.docs = self._taught_first(evidence.docs, evidence.how_to, filters, primary)
        evidence.docs = self._with_text(evidence.docs)
        evidence.examples = self._examples(evidence.docs, filters)
        evidence.experience = self._weigh_experience(evidence.experience, intent, principal)
        return evidence

    def _search(
        self,
        request: CoachRequest,
        plan: list[PlannedQuery],
        filters: SearchFilters,
        principal: Principal,
    ) -> list[list[SearchHit]]:
        """One ranked list per planned query: the focused ones in one batch, the whole
        request as plain search ranks it, on another thread meanwhile (both wait mostly on
        the embedder and SQLite, which release the GIL)."""
        focused = [q for q in plan if q.purpose != WHOLE]
        as_asked = _plain_pool().submit(
            self.retriever.search_as_asked,
            request.task,
            filters,
            principal,
            HITS_PER_QUERY,
            request.doc_types,
        )
        found = iter(
            self.retriever.search(focused, filters, principal, HITS_PER_QUERY, request.doc_types)
        )
        whole = as_asked.result()
        return [whole if q.purpose == WHOLE else next(found) for q in plan]

    def _lookups(
        self, intent: Intent, words: list[str], filters: SearchFilters
    ) -> tuple[dict[str, list[SearchHit]], dict[str, list[SearchHit]]]:
        """Symbols for the names the request mentions, and for its words that are API
        names; one lookup for both."""
        names = [m.name for m in intent.api_names]
        found = self.retriever.find_symbols([*names, *words], filters)
        symbols = {n: found.get(n, []) for n in names}
        guessed = {w: found[w] for w in words if found.get(w) and w not in symbols}
        return symbols, guessed

    def _taught_first(
        self, docs: list[Source], how_to: Source, filters: SearchFilters, library: str = ""
    ) -> list[Source]:
        """The references of the APIs the how-to section uses, right after it: those of
        ``library``, the one the task is most about, first."""
        names = howto.taught(how_to.hit, library)
        found = self.retriever.find_symbols(names, filters) if names else {}
        by_id = {s.id: s for s in docs}
        by_symbol = {s.hit.symbol: s for s in docs}
        for n, name in enumerate(names):
            hits = found.get(name, [])
            if not hits:
                continue
            hit = hits[0]
            source = by_symbol.get(hit.symbol) or by_id.get(hit.id)
            if source is None:
                source = by_id[hit.id] = Source(hit=hit)
            source.score = max(source.score, how_to.score * (TAUGHT_SHARE - 0.01 * n))
            source.found_by.append("how-to")
        return sorted(by_id.values(), key=lambda s: -s.score)

    def _with_text(self, docs: list[Source]) -> list[Source]:
        """Fetch the text of the leading sources that came from a symbol lookup only."""
        head = docs[:TEXT_DEPTH]
        missing = [s.id for s in head if not s.hit.text]
        if missing:
            full = self.retriever.snippets(missing)
            for source in head:
                if source.id in full:
                    source.hit = full[source.id]
        return [s for s in head if s.hit.text] + docs[TEXT_DEPTH:]

    def _examples(self, docs: list[Source], filters: SearchFilters) -> dict[str, SearchHit]:
        """Example snippets of the leading APIs: long examples are stored apart from
        the API's reference, and a sketch is best taken from them."""
        symbols = [s.hit.symbol for s in extractive.focus(docs, MAX_MATERIAL_DOCS)]
        found = self.retriever.find_symbols(symbols, filters) if symbols else {}
        ids = {
            hit.id: sym
            for sym in symbols
            for hit in found.get(sym, [])
            if hit.kind == "example" and hit.symbol == sym
        }
        texts = self.retriever.snippets(list(ids)) if ids else {}
        return {ids[i]: hit for i, hit in texts.items()}

    def ground(self, intent: Intent, request: CoachRequest) -> Intent:
        """With no library in sight, the classes the request names decide: "'DataFrame'
        object has no attribute 'append'" is pandas where pandas is what is installed."""
        if intent.libraries:
            return intent
        classes = [m.name for m in intent.api_names if m.where != "code" and m.name[:1].isupper()]
        filters = SearchFilters(versions=intent.versions)
        found = self.retriever.find_symbols(classes, filters) if classes else {}
        counts = Counter(hit.library for hits in found.values() for hit in hits)
        installed = {library_of_distribution(name) for name in request.environment}
        libraries = [lib for lib, _ in counts.most_common() if not installed or lib in installed]
        if not libraries:
            return intent
        versions = {lib: v for lib, v in intent.versions.items() if lib in libraries}
        update = {"libraries": libraries, "lookalikes": lookalikes(libraries), "versions": versions}
        return intent.model_copy(update=update)

    def filters(self, intent: Intent) -> SearchFilters:
        known = self.knowledge()
        libraries = [lib for lib in intent.libraries if lib in known]
        versions = {lib: v for lib, v in intent.versions.items() if lib in known}
        return SearchFilters(libraries=libraries, versions=versions)

    def _weigh_experience(
        self, sources: list[Source], intent: Intent, principal: Principal
    ) -> list[Source]:
        """Lessons about this task only: the same error, or the same task in other words
        (cosine at least LESSON_SAME_TASK_COSINE, within LESSON_MARGIN of the closest
        lesson); ranked by closeness times trust."""
        found = self.retriever.insights([s.id for s in sources], principal)
        kept: list[Source] = []
        by_error: set[str] = set()
        for source in sources:
            source.insight = found.get(source.id)
            if source.insight is None or source.insight.trust.mean < INSIGHT_MIN_TRUST_MEAN:
                continue
            same_error = _same_error(source, intent)
            if same_error or source.best_cosine >= LESSON_SAME_TASK_COSINE:
                bonus = ERROR_MATCH_BONUS if same_error else 0.0
                trust = TRUST_BASE + TRUST_SPAN * source.insight.trust.lower_bound()
                source.score = (source.best_cosine + bonus) * trust
                kept.append(source)
                if same_error:
                    by_error.add(source.id)
        closest = max((s.best_cosine for s in kept), default=0.0)
        kept = [s for s in kept if s.id in by_error or s.best_cosine >= closest - LESSON_MARGIN]
        return sorted(kept, key=lambda s: -s.score)

    def _chat(self) -> ChatModel:
        if self.chat is None:
            raise ProviderUnavailable("no LLM configured: set llm_base_url and llm_model")
        return self.chat()


@functools.cache
def _plain_pool() -> ThreadPoolExecutor:
    """One per process, made on first use: plain search's answer to the whole request."""
    return ThreadPoolExecutor(2, thread_name_prefix="spark-coach")


def make_request(
    task: str,
    *,
    code: str | None = None,
    error: str | None = None,
    environment: Mapping[str, str] | None = None,
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
    mode: Mode | str = Mode.AUTO,
    doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
) -> CoachRequest:
    """A validated request; any malformed field is InvalidInput, saying which."""
    if mode not in {m.value for m in Mode}:
        raise InvalidInput(f"mode must be one of {[m.value for m in Mode]}, got {mode!r}")
    if not doc_types:
        raise InvalidInput("doc_types is empty: ask for snippets, insights or both")
    try:
        request = CoachRequest(
            task=task,
            code=code or "",
            error=error or "",
            environment=dict(environment or {}),
            budget_tokens=budget_tokens,
            mode=Mode(mode),
            doc_types=list(dict.fromkeys(doc_types)),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"invalid {where}: {first.get('msg', '')}") from exc
    validate(request)
    return request


def validate(request: CoachRequest) -> None:
    """Bad input gets a clear error before any work is done."""
    if not request.task.strip():
        raise InvalidInput("the task is empty")
    _limit("task", request.task, MAX_QUERY_CHARS)
    _limit("code", request.code, MAX_TEXT_CHARS)
    _limit("error", request.error, MAX_TEXT_CHARS)
    if not MIN_BUDGET_TOKENS <= request.budget_tokens <= MAX_BUDGET_TOKENS:
        raise InvalidInput(
            f"budget_tokens must be between {MIN_BUDGET_TOKENS} and {MAX_BUDGET_TOKENS},"
            f" got {request.budget_tokens}"
        )
    if len(request.environment) > MAX_ENVIRONMENT_PACKAGES:
        raise PayloadTooLarge(
            f"the environment lists {len(request.environment)} packages;"
            f" the limit is {MAX_ENVIRONMENT_PACKAGES}"
        )


def _limit(name: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise PayloadTooLarge(f"the {name} has {len(text)} characters; the limit is {limit}")


def _same_error(source: Source, intent: Intent) -> bool:
    if not intent.error_signature or source.insight is None:
        return False
    return normalise_error(source.insight.evidence.error) == intent.error_signature


def _outside_lookalikes(hits: list[SearchHit], intent: Intent) -> list[SearchHit]:
    # Filters already keep to the caller's libraries when the knowledge base has them;
    # when it has none of them, at least do not answer with their look-alikes.
    banned = {lib for others in intent.lookalikes.values() for lib in others}
    return [h for h in hits if h.library not in banned] if banned else hits


def _material(evidence: Evidence) -> list[Source]:
    """What the LLM reads: trusted experience, the leading APIs, two of their examples."""
    docs = extractive.focus(evidence.docs, MAX_MATERIAL_DOCS)
    examples = [evidence.examples[s.hit.symbol] for s in docs if s.hit.symbol in evidence.examples]
    extra = [Source(hit=hit, found_by=["example"]) for hit in examples[:MATERIAL_EXAMPLES]]
    return [*evidence.experience[: extractive.MAX_INSIGHTS], *docs, *extra]
