"""Steps 3 and 4, recall experience and retrieve documentation, then merge.

The coach asks its ``Retriever`` port for one ranked list per planned query (both
snippets and insights) and for the knowledge-base symbols the request names. The
lists are fused by weighted reciprocal rank, so a document several focused queries
agree on rises, and each source remembers which queries found it: that is the
reason its citation gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from spark_memory.api_names import function_key, is_variant, owner_class
from spark_memory.coach.models import ApiMention, Intent, PlannedQuery
from spark_memory.models import DocType, Insight, Principal, SearchFilters, SearchHit

# Weight of each query purpose in the fusion; an error signature is the sharpest cue,
# the whole request the bluntest (its set-up code also names plumbing).
QUERY_WEIGHTS = {"task": 1.0, "question": 0.8, "api": 1.0, "error": 1.5, "whole": 0.5}
# A symbol named in prose or in an error is what the caller asks about; one merely
# used in the caller's code is mostly set-up.
MENTION_WEIGHTS = {"error": 2.5, "prose": 2.0, "code": 0.4}
# Words of the task that are also API names ("sort", "drop duplicates"): a weak cue
# alone, a useful one where the searches agree.
GUESS_WEIGHTS = {"word": 0.8, "phrase": 1.0}
# A method of a class the task names ("my dataframe") over the same method elsewhere.
OWNER_BONUS = 0.5
# The library the task is most about over the others it merely imports.
PRIMARY_BONUS = 0.5
RRF_K = 20.0  # smaller than search's 60: here the top of each focused list matters most
# Classes that name the object a task works on rather than an API it needs.
OBJECT_CLASSES = frozenset({"DataFrame", "Series", "ndarray", "array", "Tensor", "Index"})
OBJECT_CLASS_FACTOR = 0.3
CONSTRUCT_WORDS = frozenset({"create", "construct", "build", "make", "initialize", "initialise"})
CANDIDATES_PER_NAME = 2  # a bare method name may denote several classes' methods
# A long prompt's OR of rare words matches some words of almost any lesson; only a lesson
# ranked this high by words counts as found by them (see Coach._weigh_experience).
LEXICAL_GATE_RANK = 3


class Retriever(Protocol):
    """What the coach needs from search; the service implements it over HybridSearch."""

    def search(
        self,
        queries: Sequence[PlannedQuery],
        filters: SearchFilters,
        principal: Principal,
        k: int,
        doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
    ) -> list[list[SearchHit]]:
        """One ranked list per query: ``text`` for words, ``embed`` for meaning; only
        documents of ``doc_types``.

        Implementations should embed all queries in one batch.
        """
        ...

    def search_as_asked(
        self,
        request: str,
        filters: SearchFilters,
        principal: Principal,
        k: int,
        doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
    ) -> list[SearchHit]:
        """What plain search answers for the whole ``request``, within ``filters``."""
        ...

    def find_symbols(
        self, names: Sequence[str], filters: SearchFilters
    ) -> dict[str, list[SearchHit]]:
        """API snippets a name may denote: the symbol spelled so, or ending in ``.name``;
        for a bare name, any symbol of the filtered libraries whose last part it is.

        Hits come without text (there may be hundreds); ``snippets`` fetches it.
        """
        ...

    def snippets(self, ids: Sequence[str]) -> dict[str, SearchHit]:
        """Full hits (with text) for snippet ids."""
        ...

    def insights(self, ids: Sequence[str], principal: Principal) -> dict[str, Insight]: ...


@dataclass
class Source:
    """A retrieved snippet or insight, its fused score and what found it."""

    hit: SearchHit
    score: float = 0.0
    found_by: list[str] = field(default_factory=list)
    mention: ApiMention | None = None
    insight: Insight | None = None
    lexical: bool = False  # among some query's best LEXICAL_GATE_RANK by words
    best_cosine: float = 0.0

    @property
    def id(self) -> str:
        return self.hit.id

    @property
    def is_insight(self) -> bool:
        return self.hit.doc_type is DocType.INSIGHT


@dataclass
class Evidence:
    docs: list[Source]  # snippets, best first
    experience: list[Source]  # insights, best first (trust already in their score)
    queries: list[PlannedQuery]
    # symbol -> its example snippet, for the leading APIs whose examples live apart
    examples: dict[str, SearchHit] = field(default_factory=dict)
    how_to: Source | None = None  # the section that shows how, when one matches


def merge(
    plan: Sequence[PlannedQuery],
    results: Sequence[Sequence[SearchHit]],
    symbols: Mapping[str, Sequence[SearchHit]],
    intent: Intent,
    guesses: Mapping[str, Sequence[SearchHit]] | None = None,
    words: frozenset[str] = frozenset(),
) -> dict[str, Source]:
    """Weighted reciprocal-rank fusion of the query lists, named and guessed symbols.

    ``words`` are the task's words; they break ties between classes (a method of the
    class the task names first).
    """
    sources: dict[str, Source] = {}
    for query, hits in zip(plan, results, strict=True):
        weight = QUERY_WEIGHTS.get(query.purpose, 1.0)
        for rank, hit in enumerate(hits, 1):
            _credit(sources, hit, weight / (RRF_K + rank), f"{query.purpose} #{rank}")
    searched = frozenset(sources) | {s.hit.symbol for s in sources.values() if s.hit.symbol}
    for mention in intent.api_names:
        weight = MENTION_WEIGHTS.get(mention.where, 1.0)
        named = pick_candidates(mention.name, symbols.get(mention.name, ()), sources, words)
        for rank, hit in enumerate(named, 1):
            if _confirms_only(mention) and not {hit.id, hit.symbol} & searched:
                continue
            source = _credit(sources, hit, weight / (RRF_K + rank), f"named:{mention.where}")
            source.mention = source.mention or mention
    for word, found in (guesses or {}).items():
        kind = "phrase" if "_" in word else "word"
        for hit in pick_candidates(word, found, sources, words)[:1]:
            # a word of the task that is also an API name ("columns", "sum") is a cue
            # only where the searches agree; alone it is a literal match
            if kind == "phrase" or {hit.id, hit.symbol} & searched:
                _credit(sources, hit, GUESS_WEIGHTS[kind] / (RRF_K + 1), f"says:{word}")
    return sources


def _confirms_only(mention: ApiMention) -> bool:
    """A name used in the set-up code (read_csv, head) is what the caller already has,
    and a bare object class in prose ("my DataFrame") is what the task is about, not an
    API it asks for: either only confirms what the searches found."""
    if mention.where == "code":
        return True
    return mention.where == "prose" and mention.name.rsplit(".", 1)[-1] in OBJECT_CLASSES


def prefer_focus(sources: Mapping[str, Source], words: frozenset[str], intent: Intent) -> None:
    """Raise methods whose class the task names (``DataFrame.x`` when it says dataframe)
    and APIs of the task's main library (pyplot over pandas' plot for a plotting task)."""
    primary = intent.libraries[0] if len(intent.libraries) > 1 else ""
    constructs = bool(words & CONSTRUCT_WORDS)
    for source in sources.values():
        if owner_named(source.hit.symbol, words):
            source.score *= 1.0 + OWNER_BONUS
        if primary and source.hit.library == primary:
            source.score *= 1.0 + PRIMARY_BONUS
        if not constructs and _is_object_class(source.hit.symbol):
            # "my DataFrame" says what the task works on; its class page is not how
            source.score *= OBJECT_CLASS_FACTOR


def _is_object_class(symbol: str) -> bool:
    parts = symbol.split(".")
    return len(parts) == 2 and parts[1] in OBJECT_CLASSES


def owner_named(symbol: str, words: frozenset[str]) -> bool:
    owner = owner_class(symbol).lower()
    return bool(owner) and bool({owner, owner.removeprefix("nd"), owner + "s"} & words)


def pick_candidates(
    name: str,
    candidates: Sequence[SearchHit],
    sources: Mapping[str, Source],
    words: frozenset[str] = frozenset(),
) -> list[SearchHit]:
    """The symbols a name most likely means: exact spelling first, then the shallowest
    path (``pyplot.title`` over ``lines.CapStyle.title``), then what the searches also
    found, then a method of a class the task names, then the shortest."""
    exact = [c for c in candidates if c.symbol == name]
    if exact:
        return exact[:1]

    def key(c: SearchHit) -> tuple[int, float, bool, int]:
        found = sources.get(c.id)
        score = found.score if found else 0.0
        return (c.symbol.count("."), -score, not owner_named(c.symbol, words), len(c.symbol))

    return sorted(candidates, key=key)[:CANDIDATES_PER_NAME]


def split(sources: Mapping[str, Source], plan: Sequence[PlannedQuery]) -> Evidence:
    ranked = sorted(sources.values(), key=lambda s: -s.score)
    return Evidence(
        docs=[s for s in ranked if not s.is_insight],
        experience=[s for s in ranked if s.is_insight],
        queries=list(plan),
    )


def fold_variants(docs: Sequence[Source]) -> list[Source]:
    """``docs`` (best first) with each variant of a function (``numpy.ma.argsort``:
    ``api_names.is_variant``) folded into the library's own function when that was found
    too: its score and what found it go to ``numpy.argsort``, which an answer for
    ordinary data should name once, not beside its masked-array twin."""
    main: dict[tuple[str, str], Source] = {}
    for source in docs:
        key = _function(source)
        if key is not None and not is_variant(source.hit.symbol):
            main.setdefault(key, source)
    kept = []
    for source in docs:
        key = _function(source)
        if key is not None and key in main and is_variant(source.hit.symbol):
            into = main[key]
            into.score = max(into.score, source.score)
            into.found_by.extend(source.found_by)
            continue
        kept.append(source)
    return sorted(kept, key=lambda s: -s.score)


def _function(source: Source) -> tuple[str, str] | None:
    return function_key(source.hit.symbol) if source.hit.kind == "api" else None


def _credit(sources: dict[str, Source], hit: SearchHit, score: float, why: str) -> Source:
    source = sources.setdefault(hit.id, Source(hit=hit))
    source.score += score
    source.found_by.append(why)
    bm25 = hit.channels.get("bm25")
    lexical_rank = bm25.rank if bm25 is not None else None
    source.lexical = source.lexical or (
        lexical_rank is not None and lexical_rank <= LEXICAL_GATE_RANK
    )
    vector = hit.channels.get("vector")
    if vector is not None and vector.score is not None:
        source.best_cosine = max(source.best_cosine, vector.score)
    return source
