"""Turning free text into lexical (full-text) queries, shared by the backends.

Agents send long natural-language prompts with code in them. A query with every word
of such a prompt is slow and noisy, so the text is reduced to its distinct content
words (identifiers split the way the index splits them), stop words dropped, capped.
"""

from __future__ import annotations

import re

MAX_TERMS = 48

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Quoted literals in pasted code are data ('apple', "col_a"), not API names; their words
# only match unrelated documents that happen to contain them.
_QUOTED = re.compile(r"'[^'\n]{0,80}'|\"[^\"\n]{0,80}\"")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

# Generic English function words plus words every coding question has; none of them
# names an API, so they only add posting lists to scan.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "else",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "need",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "want",
        "wanted",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "thanks",
        "thank",
        "hi",
        "hello",
        "problem",
        "question",
        "trying",
        "tried",
        "try",
        "using",
        "use",
        "used",
        "way",
        "code",
        "following",
        "want",
        "something",
        "anyone",
        "know",
        "help",
        "result",
        "results",
        "output",
        "example",
        "given",
        "one",
        "two",
        "three",
    ]
)


def terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """Distinct lower-case content words of ``text``, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(_QUOTED.sub(" ", text)):
        for part in _split_identifier(word):
            low = part.lower()
            if len(low) > 1 and low not in STOP_WORDS and low not in seen:
                seen[low] = None
                if len(seen) >= limit:
                    return list(seen)
    return list(seen)


def _split_identifier(word: str) -> list[str]:
    parts = _CAMEL.findall(word)
    if len(parts) > 1:
        return [word, *parts]
    return [word]


def fts5_query(text: str, limit: int = MAX_TERMS) -> str:
    """An FTS5 MATCH expression OR-ing the content words; empty when there are none."""
    return fts5_or(terms(text, limit))


def fts5_or(words: list[str]) -> str:
    return " OR ".join(f'"{t}"' for t in words)


def informative(words: list[str], doc_freq: dict[str, int], total: int, keep: int) -> list[str]:
    """The ``keep`` rarest words that occur at all and in at most MAX_DF_SHARE of documents.

    A word in most documents adds little to BM25 but costs a long posting list; a word
    in none costs nothing and adds nothing. When every word is that common (a short
    query such as "tensor" on a PyTorch-heavy store) they are all kept: finding
    something beats finding nothing. Query order breaks ties.
    """
    cap = max(_MIN_DF_CAP, int(total * MAX_DF_SHARE))
    present = [w for w in words if doc_freq.get(w, 0) > 0]
    usable = [w for w in present if doc_freq[w] <= cap] or present
    return sorted(usable, key=lambda w: doc_freq[w])[:keep]


MAX_DF_SHARE = 0.02
_MIN_DF_CAP = 50


def symbol_terms(symbol: str) -> str:
    """Index text for a dotted symbol: the name, its parts, and camel-case pieces."""
    pieces = [symbol]
    for part in re.split(r"[._]", symbol):
        pieces.extend(_split_identifier(part) if part else [])
    return " ".join(pieces)
