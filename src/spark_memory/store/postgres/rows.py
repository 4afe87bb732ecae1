"""Row <-> model conversion, full-text helpers and filter clauses of the PostgreSQL store."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from spark_memory.models import Insight, Principal, SearchFilters, Snippet
from spark_memory.store import filters as shared
from spark_memory.store import lexical
from spark_memory.store.protocol import LibraryStat

SNIPPET_COLUMNS = (
    "id, library, version, symbol, kind, title, text, embed_text, source, content_hash, apis"
)
_SNIPPET_KEYS = SNIPPET_COLUMNS.split(", ")

# PostgreSQL's parser keeps `df.groupby` or `a/b.py` as one token, where SQLite's
# unicode61 tokenizer splits them; indexing split words makes both stores match the
# same query words (`groupby` finds `df.groupby`).
_NOT_WORD = re.compile(r"[\W_]+")
TS_CONFIG = "english"  # stems and stop words like SQLite's porter tokenizer

# ts_rank_cd weights for {D, C, B, A}. Snippets: symbol A, title B, text C, in the
# same 4 : 2 : 1 proportion as the SQLite store's BM25 column weights. Insights: title
# and query A, content and tags C (SQLite: 3 : 3 : 1 : 1).
SNIPPET_WEIGHTS = [0.0, 0.25, 0.5, 1.0]
INSIGHT_WEIGHTS = [0.0, 0.333, 0.0, 1.0]
# 1: divide the rank by 1 + log(document length), a mild length normalisation.
RANK_NORMALISATION = 1


def snippet_from_row(row: Sequence[Any]) -> Snippet:
    return Snippet.model_validate(dict(zip(_SNIPPET_KEYS, row, strict=True)))


def insight_from_body(body: str) -> Insight:
    return Insight.model_validate_json(body)


def words(text: str) -> str:
    """Text as space-separated words, for to_tsvector."""
    return _NOT_WORD.sub(" ", text)


def snippet_search_texts(s: Snippet) -> tuple[str, str, str]:
    """What each weight of a snippet's search vector indexes: symbol, title, text."""
    return words(lexical.symbol_terms(s.symbol)), words(s.title), words(s.text)


def insight_search_texts(i: Insight) -> tuple[str, str, str, str]:
    return words(i.title), words(i.query), words(i.content), words(" ".join(i.tags))


def tsvector_sql(weights: str, marks: Sequence[str]) -> str:
    """``setweight(to_tsvector(..), 'A') || ...`` for one mark per weight letter."""
    parts = [
        f"setweight(to_tsvector('{TS_CONFIG}', {mark}), '{weight}')"
        for weight, mark in zip(weights, marks, strict=True)
    ]
    return " || ".join(parts)


def snippet_where(filters: SearchFilters, stats: Sequence[LibraryStat]) -> tuple[str, list[Any]]:
    clauses, params = shared.snippet_clauses(filters, stats, mark="%s")
    return (" AND ".join(clauses) or "TRUE"), params


def insight_where(filters: SearchFilters, principal: Principal) -> tuple[str, list[Any]]:
    clauses, params = shared.insight_clauses(filters, principal, mark="%s")
    return " AND ".join(clauses), params


def visible_where(principal: Principal) -> tuple[str, list[Any]]:
    return insight_where(shared.visible_filters(), principal)


def merge_stats(rows: Sequence[tuple[str, str, str, int]]) -> list[LibraryStat]:
    merged: dict[tuple[str, str], dict[str, int]] = {}
    for library, version, kind, n in rows:
        merged.setdefault((library, version), {})[kind] = int(n)
    return [LibraryStat(lib, ver, sum(k.values()), k) for (lib, ver), k in merged.items()]
