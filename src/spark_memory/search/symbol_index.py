"""Exact name lookups over the knowledge base: which symbols end in ``.value_counts``.

Full-text search answers them badly (common words have huge posting lists); a
dictionary built from one pass over the snippets answers them at once. ``SymbolIndex``
rebuilds it when the knowledge base changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from spark_memory.models import DocType, SearchFilters, SearchHit, Snippet
from spark_memory.search import symbols
from spark_memory.store.filters import pick_version
from spark_memory.store.protocol import Store

MAX_CANDIDATES = 8  # symbols one name may denote, shortest paths first
_API_KINDS = frozenset({"api", "example"})


@dataclass(frozen=True)
class _Entry:
    id: str
    symbol: str
    library: str
    version: str
    kind: str

    def hit(self) -> SearchHit:
        """A hit without text: lookups may return hundreds; text is fetched for few."""
        return SearchHit(
            id=self.id,
            doc_type=DocType.SNIPPET,
            title=self.symbol,
            library=self.library,
            version=self.version,
            symbol=self.symbol,
            kind=self.kind,
            text="",
            score=0.0,
        )


@dataclass(frozen=True)
class SymbolNames:
    """One snapshot of the knowledge base's symbols."""

    by_last: dict[str, list[_Entry]]  # last part of the symbol -> API snippets
    where: dict[str, tuple[str, str]]  # snippet id -> (library, version)
    versions: dict[str, list[str]]  # library -> stored versions
    # symbol -> the public name of the API it documents, where that is another path
    # (an inherited copy's public subclass, a documented public alias)
    public: dict[str, str] = field(default_factory=dict)

    def public_name(self, symbol: str) -> str:
        return self.public.get(symbol, symbol)

    def lookup(self, name: str, filters: SearchFilters) -> list[_Entry]:
        """The API snippets ``name`` may denote, at most MAX_CANDIDATES."""
        entries = self.by_last.get(name.rsplit(".", 1)[-1], [])
        exact = [e for e in entries if e.symbol == name]
        if not exact and "." in name:
            exact = [e for e in entries if e.symbol.endswith("." + name)]
        libraries = filters.libraries
        chosen = exact or [e for e in entries if not libraries or e.library in libraries]
        served = [e for e in chosen if self.served(e.library, e.version, filters)]
        served.sort(key=lambda e: (e.symbol.count("."), len(e.symbol), e.symbol))
        return served[:MAX_CANDIDATES]

    def admits(self, snippet_id: str, filters: SearchFilters) -> bool:
        """Whether a filtered search would have returned this snippet."""
        library, version = self.where.get(snippet_id, ("", ""))
        if filters.libraries and library not in filters.libraries:
            return False
        return self.served(library, version, filters)

    def served(self, library: str, version: str, filters: SearchFilters) -> bool:
        available = self.versions.get(library, [version])
        return len(available) < 2 or version == pick_version(
            available, filters.versions.get(library)
        )


class SymbolIndex:
    """Builds ``SymbolNames`` on first use and again when the knowledge base changes
    (its per-library counts differ), so lookups never read a stale snapshot."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._stamp: tuple[tuple[str, str, int], ...] = ()
        self._names = SymbolNames({}, {}, {})
        self._lock = threading.Lock()

    def current(self) -> SymbolNames:
        stats = self.store.library_stats()
        stamp = tuple((s.library, s.version, s.snippets) for s in stats)
        with self._lock:
            if stamp != self._stamp:
                self._names = _build(self.store.iter_snippets(4096))
                self._stamp = stamp
            return self._names


def _build(batches: Iterable[list[Snippet]]) -> SymbolNames:
    by_last: dict[str, list[_Entry]] = {}
    where: dict[str, tuple[str, str]] = {}
    versions: dict[str, set[str]] = {}
    groups: dict[str, set[str]] = {}  # API identity -> every name of its pages
    members: dict[str, str] = {}  # symbol -> API identity
    for batch in batches:
        for s in batch:
            where[s.id] = (s.library, s.version)
            versions.setdefault(s.library, set()).add(s.version)
            kind = s.kind.value
            if kind in _API_KINDS and s.symbol and not symbols.is_section(s.symbol, kind):
                entry = _Entry(s.id, s.symbol, s.library, s.version, kind)
                by_last.setdefault(s.symbol.rsplit(".", 1)[-1], []).append(entry)
                key = symbols.identity(s.symbol, kind, s.text, s.id)
                groups.setdefault(key, set()).update(symbols.names(s.symbol, kind, s.text))
                members[s.symbol] = key
    public = {}
    for symbol, key in members.items():
        if symbols.is_private(symbol):
            shown = symbols.display_name(groups[key])
            if shown != symbol and not symbols.is_private(shown):
                public[symbol] = shown
    return SymbolNames(by_last, where, {lib: sorted(v) for lib, v in versions.items()}, public)
