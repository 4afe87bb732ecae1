"""Step 2, plan the search: a few focused queries instead of one long one.

A long prompt mixes set-up, data and the actual ask; one query over all of it is
dominated by whatever is longest. The plan asks separately for: the task in prose,
the sentences that carry the ask, the API names mentioned, and the error signature;
and the whole request as written, which plain search itself answers
(``Retriever.search_as_asked``), so what search ranks best for the task is never lost to
the focused queries' cuts.
"""

from __future__ import annotations

import re

from spark_memory.coach import apinames
from spark_memory.coach.models import CoachRequest, Intent, PlannedQuery
from spark_memory.coach.recall import OBJECT_CLASSES
from spark_memory.libraries import BY_ALIAS, BY_NAME, BY_WORD
from spark_memory.task_text import for_embedding

MAX_QUERIES = 5
# Query sizes bound the cost: full-text search time grows with the terms OR-ed
# together, and the embedder's time with the tokens; past these sizes both only add
# noise to a query that is meant to be focused.
MAX_LEXICAL_WORDS = 24
MAX_EMBED_WORDS = 40
MAX_QUESTIONS = 2
# The whole request is searched as plain search reads it (all of it for full text, its
# prose without printed data for meaning: ``task_text.for_embedding``); the plan records
# the first words of each.
MAX_WHOLE_WORDS = 80
WHOLE = "whole"

_SENTENCE = re.compile(r"(?<=[.?!])\s+|\n{2,}")
_COMMENT = re.compile(r"^\s*#+\s?(.*)$", re.M)
_ASK = re.compile(
    r"\?|^\s*(how|what|which|why|is there|can i|i want|i'd like|i would like|i need|"
    r"i am trying|i'm trying|make|plot|draw|show|set|use|create|remove|add|give|get|find)\b",
    re.I,
)
_PROSE_SHARE = 0.8
_LIBRARY_WORD = re.compile(r"[^a-z\-]")
_LIBRARY_WORDS = frozenset(BY_WORD) | frozenset(BY_NAME) | frozenset(BY_ALIAS)


def plan_queries(request: CoachRequest, intent: Intent) -> list[PlannedQuery]:
    prose = task_prose(request.task)
    queries = [query("task", prose or request.task)]
    asks = questions(prose)
    if asks:
        queries.append(query("question", " ".join(asks)))
    names = api_query(intent)
    if names:
        queries.append(query("api", names))
    if intent.error_signature:
        queries.insert(0, query("error", intent.error_signature))
    # the whole request stays even when it reads as the task query: plain search ranks it
    whole = query(WHOLE, request.task, MAX_WHOLE_WORDS)
    embedded = " ".join(for_embedding(request.task).split()[:MAX_WHOLE_WORDS])
    return [*_distinct(queries)[: MAX_QUERIES - 1], whole.model_copy(update={"embed": embedded})]


def query(
    purpose: str,
    text: str,
    lexical_words: int = MAX_LEXICAL_WORDS,
    embed_words: int = MAX_EMBED_WORDS,
) -> PlannedQuery:
    words = text.split()
    # Library names match nearly every document of their library (the filters already
    # keep to it), and full-text search pays for every document a term matches.
    lexical = [w for w in words if _LIBRARY_WORD.sub("", w.lower()) not in _LIBRARY_WORDS]
    return PlannedQuery(
        purpose=purpose,
        text=" ".join(lexical[:lexical_words]),
        embed=" ".join(words[:embed_words]),
    )


def questions(prose: str) -> list[str]:
    """The sentences that carry the ask, last first (the ask usually closes a question)."""
    sentences = [s.strip() for s in _SENTENCE.split(prose) if len(s.split()) >= 3]
    asks = [s for s in sentences if _ASK.search(s)]
    return list(reversed(asks))[:MAX_QUESTIONS]


def api_query(intent: Intent) -> str:
    """The names of the APIs the prose and the error mention (their last parts: the
    module path adds only terms that match whole libraries)."""
    # The set-up code's calls (``np.random.seed``, ``read_csv``) are what the caller has
    # already: searched, they led answers with echoes of it, and DS-1000 recall is no
    # lower without them (docs/benchmarks.md, session 11).
    names = [m.name for m in intent.api_names if m.where != "code"]
    # "my DataFrame" names the object worked on; searched alone it finds its plumbing
    # (``DataFrame.columns``, ``.values``), not what the task needs
    tails = (n.rsplit(".", 1)[-1] for n in names)
    return " ".join(dict.fromkeys(t for t in tails if t not in OBJECT_CLASSES))


def task_prose(task: str) -> str:
    """Prose of the task plus code comments, which is where plotting tasks say what they want."""
    prose = apinames.prose_of(task)
    lines = [line for line in prose.splitlines() if _is_prose_line(line)]
    comments = _COMMENT.findall(task)
    # a task written as Python has its comments for prose already
    return "\n".join(dict.fromkeys([*lines, *comments])).strip()


def _is_prose_line(line: str) -> bool:
    # Data and code lines are mostly brackets, quotes, digits and operators.
    letters = sum(c.isalpha() or c.isspace() for c in line)
    return not apinames.is_code_line(line) and letters >= _PROSE_SHARE * len(line)


def _distinct(queries: list[PlannedQuery]) -> list[PlannedQuery]:
    seen: set[str] = set()
    out = []
    for q in queries:
        key = (q.embed or q.text).lower()  # the lexical text may be empty: "numpy?"
        if key and key not in seen:
            seen.add(key)
            out.append(q)
    return out
