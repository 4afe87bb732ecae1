"""Insights listed newest first walk the ``updated`` index (migration 0008), not a sort."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from spark_memory.models import (
    Insight,
    InsightKind,
    InsightStatus,
    Principal,
    Role,
    Scope,
    SearchFilters,
    utcnow,
)
from spark_memory.store.sqlite import SqliteStore
from spark_memory.store.sqlite.records import insight_filter_sql

ADMIN = Principal(org_id="acme", agent_id="acme/lead", role=Role.ADMIN)


def _lesson(n: int) -> Insight:
    status = InsightStatus.QUARANTINED if n % 10 == 0 else InsightStatus.ACTIVE
    when = utcnow() - timedelta(hours=(n * 37) % 500)
    return Insight(
        id=f"ins_order{n:04d}",
        org_id="acme",
        agent_id=f"acme/agent{n % 3}",
        scope=Scope.PUBLIC if n % 7 == 0 else Scope.ORG,
        status=status,
        kind=list(InsightKind)[n % len(InsightKind)],
        title=f"lesson {n}",
        content=f"content {n}",
        query=f"query {n}",
        tags=["pandas:2.0"],
        created=when,
        updated=when,
    )


def _plan(path: Path, filters: SearchFilters) -> str:
    where, params = insight_filter_sql(filters, ADMIN)
    sql = f"SELECT i.body FROM insights i WHERE {where} ORDER BY i.updated DESC LIMIT 100"
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return " | ".join(str(r[3]) for r in rows)


def test_lists_newest_first_through_the_index(tmp_path: Path) -> None:
    path = tmp_path / "spark.db"
    store = SqliteStore(path)
    try:
        lessons = [_lesson(n) for n in range(300)]
        for lesson in lessons:
            store.put_insight(lesson, None, None)
        every = SearchFilters(statuses=list(InsightStatus))
        listed = store.list_insights(ADMIN, every, limit=40)
        newest = sorted(lessons, key=lambda i: i.updated, reverse=True)[:40]
        assert [i.updated for i in listed] == [i.updated for i in newest]
        held = store.list_insights(
            ADMIN, SearchFilters(statuses=[InsightStatus.QUARANTINED]), limit=5
        )
        assert all(i.status is InsightStatus.QUARANTINED for i in held)
        assert [i.updated for i in held] == sorted((i.updated for i in held), reverse=True)
    finally:
        store.close()
    # The console's lists: every status, one kind, the review queue's quarantine.
    for filters in (
        SearchFilters(statuses=list(InsightStatus)),
        SearchFilters(statuses=list(InsightStatus), kinds=["pitfall"]),
        SearchFilters(statuses=[InsightStatus.QUARANTINED]),
    ):
        plan = _plan(path, filters)
        assert "insights_updated" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
