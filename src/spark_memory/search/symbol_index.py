"""Exact name lookups over the knowledge base: which symbols end in ``.value_counts``.

Full-text search answers them badly (common words have huge posting lists); a
dictionary built from one pass over the snippets answers them at once. ``SymbolIndex``
rebuilds it when the knowledge base changes.

The same pass finds the *internal* pages: an API page every name of which is a
private path (``pandas.core.internals.Block.shift``, ``numpy.core.arrayprint...``) and
that no documentation section teaches. Introspection documents them, but no user
guide uses them, and they crowd the pages an agent needs out of a short answer (41%
of the pandas pages in the DS-1000 knowledge base). Private paths that the guides do
teach stay (pandas documents its GroupBy methods as ``pandas.core.groupby.*``).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from spark_memory.models import DocType, SearchFilters, SearchHit, Snippet
from spark_memory.search import symbols
from spark_memory.store.filters import pick_version
from spark_memory.store.protocol import Store

MAX_CANDIDATES = 8  # symbols one name may denote, shortest paths first
# What a name lookup returns: an API's reference and its examples (its notes, also an
# API's page in ``models.API_KINDS``, add nothing to a lookup).
_LOOKUP_KINDS = frozenset({"api", "example"})


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
    internal: frozenset[str] = frozenset()  # snippet ids of internal pages (see above)
    # API -> the documentation sections whose code or links use it (``rank.used``)
    uses: dict[str, int] = field(default_factory=dict)

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

    def __init__(self, store: Store, build_behind: bool = False) -> None:
        """``build_behind``: ``peek`` rebuilds a stale snapshot on a thread of its own,
        which ``close`` must then stop before the store closes (the service does)."""
        self.store = store
        self.build_behind = build_behind
        self._stamp: tuple[tuple[str, str, int], ...] = ()
        self._names = SymbolNames({}, {}, {})
        self._lock = threading.Lock()
        self._start = threading.Lock()  # one background build at a time
        self._building = threading.Event()
        self._closed = threading.Event()
        self._behind: threading.Thread | None = None

    def current(self) -> SymbolNames:
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp:
                self._names = _build(self.store.iter_snippets(4096))
                self._stamp = stamp
            return self._names

    def peek(self) -> SymbolNames:
        """The last snapshot without waiting for a build; with ``build_behind`` a
        stale or missing one is rebuilt on a background thread. Search uses it: a first
        build reads every snippet (seconds on a large knowledge base), which a search
        must not wait for."""
        if not self.build_behind or self._current_stamp() == self._stamp:
            return self._names
        with self._start:
            if not self._building.is_set() and not self._closed.is_set():
                self._building.set()
                # Not a daemon, and stopped between batches by close() and at exit: a
                # query cut off by its connection closing under it crashes SQLite.
                self._behind = threading.Thread(target=self._build_behind, name="spark-symbols")
                self._behind.start()
        return self._names

    def close(self) -> None:
        """Stop a background build and wait for it; call before the store closes."""
        with self._start:
            self._closed.set()
            behind = self._behind
        if behind is not None and behind is not threading.current_thread():
            behind.join()

    def _build_behind(self) -> None:
        try:
            stamp = self._current_stamp()
            names = _build(_until(self.store.iter_snippets(4096), self._stopping))
            if not self._stopping():
                with self._lock:
                    self._names, self._stamp = names, stamp
        finally:
            self._building.clear()

    def _stopping(self) -> bool:
        return self._closed.is_set() or _exiting().is_set()

    def _current_stamp(self) -> tuple[tuple[str, str, int], ...]:
        return tuple((s.library, s.version, s.snippets) for s in self.store.library_stats())


@functools.cache
def _exiting() -> threading.Event:
    """Set when the interpreter starts to exit, before it joins non-daemon threads."""
    event = threading.Event()
    threading._register_atexit(event.set)  # type: ignore[attr-defined]  # as concurrent.futures
    return event


def _until(batches: Iterable[list[Snippet]], stop: Callable[[], bool]) -> Iterator[list[Snippet]]:
    for batch in batches:
        if stop():
            return
        yield batch


def _build(batches: Iterable[list[Snippet]]) -> SymbolNames:
    by_last: dict[str, list[_Entry]] = {}
    where: dict[str, tuple[str, str]] = {}
    versions: dict[str, set[str]] = {}
    groups: dict[str, set[str]] = {}  # API identity -> every name of its pages
    members: dict[str, str] = {}  # symbol -> API identity
    taught: set[str] = set()  # every API a documentation section teaches
    page_keys: dict[str, str] = {}  # API page id -> API identity
    uses: Counter[str] = Counter()
    for batch in batches:
        for s in batch:
            where[s.id] = (s.library, s.version)
            versions.setdefault(s.library, set()).add(s.version)
            kind = s.kind.value
            if symbols.is_section(s.symbol, kind):
                taught.update(symbols.names(s.symbol, kind, s.text, s.apis))
                uses.update(set(s.apis))
                continue
            if kind in _LOOKUP_KINDS and s.symbol:
                names = symbols.names(s.symbol, kind, s.text)
                entry = _Entry(s.id, s.symbol, s.library, s.version, kind)
                by_last.setdefault(s.symbol.rsplit(".", 1)[-1], []).append(entry)
                key = symbols.identity(s.symbol, kind, s.text, s.id)
                groups.setdefault(key, set()).update(names)
                members[s.symbol] = key
                page_keys[s.id] = key
    public = {}
    shown_by_key: dict[str, str] = {}  # an inherited method's group has hundreds of names
    for symbol, key in members.items():
        if symbols.is_private(symbol):
            if key not in shown_by_key:
                shown_by_key[key] = symbols.display_name(groups[key])
            shown = shown_by_key[key]
            if shown != symbol and not symbols.is_private(shown):
                public[symbol] = shown
    # an API is internal when none of its names is public and no section teaches it
    inside = {
        key
        for key, names in groups.items()
        if taught.isdisjoint(names) and all(symbols.is_private(n) for n in names)
    }
    internal = frozenset(i for i, key in page_keys.items() if key in inside)
    listed = {lib: sorted(v) for lib, v in versions.items()}
    return SymbolNames(by_last, where, listed, public, internal, dict(uses))
