"""Search filters as SQL clauses, shared by every backend so visibility means one thing.

The clauses use plain SQL that SQLite and PostgreSQL read alike; only the parameter
placeholder differs (``?`` for sqlite3, ``%s`` for psycopg), so each backend passes its
own ``mark``. Table aliases are fixed: ``s`` for snippets, ``i`` for insights. Both
backends store an insight's libraries as ``' numpy pandas '`` for the LIKE below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from spark_memory.models import InsightStatus, Principal, SearchFilters
from spark_memory.store.protocol import LibraryStat

Clauses = tuple[list[str], list[Any]]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:4])


def pick_version(available: Sequence[str], wanted: str | None) -> str:
    """The stored version to serve: the caller's, else the nearest below, else above."""
    if wanted is not None and wanted in available:
        return wanted
    ordered = sorted(available, key=version_key)
    if wanted is None:
        return ordered[-1]
    key = version_key(wanted)
    below = [v for v in ordered if version_key(v) <= key]
    return below[-1] if below else ordered[0]


def snippet_clauses(
    filters: SearchFilters, stats: Sequence[LibraryStat], mark: str = "?"
) -> Clauses:
    """Library, version and kind clauses (alias ``s``); an empty list means everything."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.libraries:
        clauses.append(f"s.library IN ({_marks(filters.libraries, mark)})")
        params.extend(filters.libraries)
    if filters.kinds:
        clauses.append(f"s.kind IN ({_marks(filters.kinds, mark)})")
        params.extend(filters.kinds)
    version_sql, version_params = _version_clause(filters, stats, mark)
    if version_sql:
        clauses.append(version_sql)
        params.extend(version_params)
    return clauses, params


def _version_clause(
    filters: SearchFilters, stats: Sequence[LibraryStat], mark: str
) -> tuple[str, list[Any]]:
    # One version per library is served, so several stored versions never show the
    # same symbol twice; libraries with a single stored version need no clause.
    versions: dict[str, list[str]] = {}
    for stat in stats:
        versions.setdefault(stat.library, []).append(stat.version)
    parts: list[str] = []
    params: list[Any] = []
    pinned: set[str] = set()
    for library, available in versions.items():
        wanted = filters.versions.get(library)
        if len(available) == 1 and wanted is None:
            continue
        parts.append(f"(s.library = {mark} AND s.version = {mark})")
        params.extend([library, pick_version(available, wanted)])
        pinned.add(library)
    if not parts:
        return "", []
    others = [lib for lib in versions if lib not in pinned]
    if others:
        parts.append(f"s.library IN ({_marks(others, mark)})")
        params.extend(others)
    return "(" + " OR ".join(parts) + ")", params


def insight_clauses(filters: SearchFilters, principal: Principal, mark: str = "?") -> Clauses:
    """Visibility, status, scope, library and kind clauses (alias ``i``); never empty.

    Visible: public; org-scoped of the caller's org; private of the caller. Status must
    be one asked for, except that authors always see their own quarantined insights.
    """
    me = {"org": principal.org_id, "agent": principal.agent_id}
    clauses = [
        f"(i.scope = 'public' OR (i.scope = 'org' AND i.org_id = {mark})"
        f" OR (i.scope = 'private' AND i.org_id = {mark} AND i.agent_id = {mark}))"
    ]
    params: list[Any] = [me["org"], me["org"], me["agent"]]
    statuses = [s.value for s in filters.statuses]
    status_marks = _marks(statuses, mark) if statuses else "''"
    clauses.append(
        f"(i.status IN ({status_marks})"
        f" OR (i.status = 'quarantined' AND i.org_id = {mark} AND i.agent_id = {mark}))"
    )
    params.extend([*statuses, me["org"], me["agent"]])
    if filters.scopes:
        clauses.append(f"i.scope IN ({_marks(filters.scopes, mark)})")
        params.extend(s.value for s in filters.scopes)
    if filters.libraries:
        likes = " OR ".join(f"i.libraries LIKE {mark}" for _ in filters.libraries)
        clauses.append(f"(i.libraries = ' ' OR {likes})")
        params.extend(f"% {lib} %" for lib in filters.libraries)
    if filters.kinds:
        clauses.append(f"i.kind IN ({_marks(filters.kinds, mark)})")
        params.extend(filters.kinds)
    return clauses, params


def visible_filters() -> SearchFilters:
    """What fetching one insight by id may return: any status but others' quarantine."""
    return SearchFilters(statuses=[s for s in InsightStatus if s != InsightStatus.QUARANTINED])


def libraries_column(libraries: Sequence[str]) -> str:
    """The stored form of an insight's libraries that the LIKE clause above expects."""
    return " " + " ".join(libraries) + " "


def _marks(values: Sequence[Any], mark: str) -> str:
    return ", ".join(mark for _ in values)
