"""Org (agents, keys, usage), Knowledge base (progress, remove), Epochs and the Dashboard."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from spark_memory.console.charts import Series, bar_chart, line_chart
from spark_memory.console.context import Console
from spark_memory.console.latency import latencies
from spark_memory.console.render import page
from spark_memory.errors import NotFound
from spark_memory.models import LOCAL_PRINCIPAL, Role
from spark_memory.service import console_reads, governance
from spark_memory.service.kb_progress import read_ingest

_DAYS = 14
_JOBS = 10  # the latest background jobs the operator sees on the knowledge base page


def routes(router: APIRouter, console: Console) -> None:
    _org(router, console)
    _kb(router, console)
    _epochs(router, console)
    _dashboard(router, console)


def _org(router: APIRouter, console: Console) -> None:
    @router.get("/org")
    def org(request: Request) -> Response:
        principal = console.principal(request)
        members = console_reads.org_members(console.spark, principal=principal)
        usage = bar_chart(
            "Audited writes per agent",
            [(m.agent.name, sum(m.actions.values())) for m in members],
        )
        return page(
            console.views,
            request,
            "org.html",
            principal,
            members=members,
            roles=list(Role),
            usage=usage,
        )

    @router.post("/org/keys")
    def create_key(
        request: Request,
        csrf: Annotated[str, Form()] = "",
        agent: Annotated[str, Form(max_length=63)] = "",
        role: Annotated[str, Form()] = "writer",
        org: Annotated[str, Form(max_length=63)] = "",
    ) -> Response:
        principal = console.acting(request, csrf)
        # Only the operator names another org; the service refuses it to anyone else.
        org = org.strip() or principal.org_id
        key = console.spark.create_key(org, agent.strip(), role, principal=principal)
        return page(console.views, request, "key_created.html", principal, key=key)

    @router.get("/org/keys/{key_id}/revoke")
    def confirm_revoke(request: Request, key_id: str) -> Response:
        principal = console.principal(request)
        members = console_reads.org_members(console.spark, principal=principal)
        if key_id not in {k.id for m in members for k in m.keys}:
            raise NotFound(f"no API key {key_id!r}")  # as revoke_key answers
        return page(console.views, request, "revoke.html", principal, key_id=key_id)

    @router.post("/org/keys/{key_id}/revoke")
    def revoke(request: Request, key_id: str, csrf: Annotated[str, Form()] = "") -> Response:
        principal = console.acting(request, csrf)
        console.spark.revoke_key(key_id, principal=principal)
        done = quote_plus(f"Revoked {key_id}")
        return RedirectResponse(f"{console.ui(request)}/org?done={done}", status_code=303)


def _kb(router: APIRouter, console: Console) -> None:
    @router.get("/kb")
    def kb(request: Request) -> Response:
        principal = console.principal(request)
        found = console.spark.stats()
        stats = found.libraries
        per_library: dict[str, int] = {}
        for s in stats:
            per_library[s.library] = per_library.get(s.library, 0) + s.snippets
        kinds = sorted({k for s in stats for k in s.by_kind})
        chart = bar_chart("Snippets per library", sorted(per_library.items()))
        operator = principal == LOCAL_PRINCIPAL
        return page(
            console.views,
            request,
            "kb.html",
            principal,
            stats=stats,
            kinds=kinds,
            chart=chart,
            build=found.kb_build,
            ingest=read_ingest(console.spark.settings.home),
            jobs=console.spark.jobs(limit=_JOBS) if operator else [],
            removals=console_reads.kb_removals(console.spark, principal=principal),
        )

    @router.get("/kb/remove")
    def confirm_remove(request: Request, library: str, version: str = "") -> Response:
        principal = console.principal(request)
        held = [
            s
            for s in console.spark.kb_libraries()
            if s.library == library and version in ("", s.version)
        ]
        if not held:
            raise NotFound(f"the knowledge base holds no {library} {version}".strip())
        count = sum(s.snippets for s in held)
        return page(
            console.views,
            request,
            "kb_remove.html",
            principal,
            library=library,
            lib_version=version,  # "version" is Spark's, in the footer
            count=count,
        )

    @router.post("/kb/remove")
    def remove(
        request: Request,
        csrf: Annotated[str, Form()] = "",
        library: Annotated[str, Form(max_length=100)] = "",
        version: Annotated[str, Form(max_length=100)] = "",
        reason: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        principal = console.acting(request, csrf)
        result = governance.remove_library(
            console.spark, library, version or None, reason=reason, principal=principal
        )
        done = quote_plus(f"Removed {result.deleted} snippets of {library} {version}".strip())
        return RedirectResponse(f"{console.ui(request)}/kb?done={done}", status_code=303)


def _epochs(router: APIRouter, console: Console) -> None:
    @router.get("/epochs")
    def epochs(request: Request) -> Response:
        principal = console.principal(request)
        records = console.spark.epochs(limit=30, principal=principal)
        shown = list(reversed(records))  # oldest first on the chart
        names = ("created", "merged", "rejected", "promoted")
        chart = line_chart(
            "What each epoch did",
            [r.started.strftime("%m-%d %H:%M") for r in shown],
            [Series(n, [r.counts.get(n, 0) for r in shown]) for n in names[:3]],
        )
        return page(console.views, request, "epochs.html", principal, epochs=records, chart=chart)


def _dashboard(router: APIRouter, console: Console) -> None:
    @router.get("/dashboard")
    def dashboard(request: Request) -> Response:
        principal = console.principal(request)
        days = console_reads.activity(console.spark, _DAYS, principal=principal)
        labels = [d.day[5:] for d in days]
        served = line_chart(
            f"Served and feedback per day, last {_DAYS} days",
            labels,
            [
                Series("served", [d.served for d in days]),
                Series("feedback", [d.feedback for d in days]),
            ],
        )
        outcomes = line_chart(
            f"Verified outcomes per day, last {_DAYS} days",
            labels,
            [
                Series("passed", [d.passed for d in days]),
                Series("failed", [d.failed for d in days]),
            ],
        )
        timings = latencies(console.metrics_text()) if console.metrics_text else []
        speed = bar_chart(
            "Latency since this server started, ms (p50 and p95)",
            [
                (f"{t.name} {q}", v)
                for t in timings
                for q, v in (("p50", t.p50_ms), ("p95", t.p95_ms))
            ],
        )
        return page(
            console.views,
            request,
            "dashboard.html",
            principal,
            days=days,
            served=served,
            outcomes=outcomes,
            timings=timings,
            speed=speed,
        )
