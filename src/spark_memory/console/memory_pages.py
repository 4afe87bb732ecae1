"""Ask, Memories (list, an insight's page, its actions) and the Review queue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from spark_memory.console.charts import Series, line_chart
from spark_memory.console.context import Console
from spark_memory.console.filters import memory_filter
from spark_memory.console.render import page
from spark_memory.errors import InvalidInput
from spark_memory.mcp.shaping import recommend_result
from spark_memory.models import InsightKind, InsightStatus, Scope
from spark_memory.service import console_reads, governance

# action -> (button label, what confirming it does)
ACTIONS = {
    "approve": ("Approve", "Make this lesson active: agents of your org will be served it."),
    "quarantine": ("Quarantine", "Stop serving this lesson until an admin approves it."),
    "reject": ("Reject", "Retire this lesson: it stays on record but is never served."),
    "revert": ("Revert", "Undo your own latest write on this insight (within the window)."),
    "erase": ("Erase", "Delete this insight for good. This cannot be undone."),
}


def routes(router: APIRouter, console: Console) -> None:
    _ask(router, console)
    _memories(router, console)
    _actions(router, console)
    _review(router, console)


def _ask(router: APIRouter, console: Console) -> None:
    @router.get("/ask")
    def ask(request: Request, q: str = "", k: int = 8) -> Response:
        principal = console.principal(request)
        hits, answer = [], ""
        if q.strip():
            spark = console.spark
            # Side by side: the two are independent, and the store and numpy release the GIL.
            with ThreadPoolExecutor(max_workers=1) as pool:
                advice = pool.submit(spark.recommend, q, principal=principal)
                hits = spark.search(q, principal=principal, k=max(1, min(k, 50)))
                answer, _ = recommend_result(advice.result())
        return page(console.views, request, "ask.html", principal, q=q, hits=hits, answer=answer)


def _memories(router: APIRouter, console: Console) -> None:
    @router.get("/memories")
    def memories(request: Request) -> Response:
        principal = console.principal(request)
        flt = memory_filter(request.query_params)
        found = console_reads.memories(console.spark, flt, principal=principal)
        return page(
            console.views,
            request,
            "memories.html",
            principal,
            insights=found,
            flt=flt,
            scopes=list(Scope),
            statuses=list(InsightStatus),
            kinds=list(InsightKind),
            libraries=sorted({s.library for s in console.spark.kb_libraries()}),
        )

    @router.get("/memories/{insight_id}")
    def insight(request: Request, insight_id: str) -> Response:
        principal = console.principal(request)
        story = console_reads.insight_story(console.spark, insight_id, principal=principal)
        history = story.trust_history
        chart = line_chart(
            "Trust over time",
            [p.at.strftime("%m-%d") for p in history],
            [
                Series("lower bound", [p.lower for p in history]),
                Series("mean", [p.mean for p in history]),
            ],
            y_max=1.0,
        )
        return page(
            console.views,
            request,
            "insight.html",
            principal,
            story=story,
            i=story.insight,
            chart=chart,
            actions=_actions_for(story.insight.status, story.own),
            labels=ACTIONS,
        )


def _actions(router: APIRouter, console: Console) -> None:
    @router.get("/memories/{insight_id}/confirm/{action}")
    def confirm(request: Request, insight_id: str, action: str, back: str = "") -> Response:
        principal = console.principal(request)
        _known(action)
        insight = console_reads.visible_insight(console.spark, insight_id, principal=principal)
        label, what = ACTIONS[action]
        return page(
            console.views,
            request,
            "confirm.html",
            principal,
            i=insight,
            action=action,
            label=label,
            what=what,
            back="review" if back == "review" else "",
        )

    @router.post("/memories/{insight_id}/{action}")
    def act(
        request: Request,
        insight_id: str,
        action: str,
        csrf: Annotated[str, Form()] = "",
        reason: Annotated[str, Form(max_length=500)] = "",
        back: Annotated[str, Form()] = "",
    ) -> Response:
        principal = console.acting(request, csrf)
        _known(action)
        spark = console.spark
        if action == "revert":
            receipt = spark.revert(insight_id, principal=principal)
            return RedirectResponse(
                f"{console.ui(request)}/memories?done={quote_plus(receipt.message)}",
                status_code=303,
            )
        if action == "erase":
            governance.erase_insight(spark, insight_id, reason=reason, principal=principal)
            return RedirectResponse(
                f"{console.ui(request)}/memories?done=Erased+{insight_id}", status_code=303
            )
        updated = governance.set_status(
            spark, insight_id, action, reason=reason, principal=principal
        )
        done = f"{ACTIONS[action][0]}: {insight_id} is now {updated.status.value}"
        target = "/review" if back == "review" else f"/memories/{insight_id}"
        return RedirectResponse(
            f"{console.ui(request)}{target}?done={quote_plus(done)}", status_code=303
        )


def _review(router: APIRouter, console: Console) -> None:
    @router.get("/review")
    def review(request: Request, p: Annotated[int, Query(ge=1, le=100)] = 1) -> Response:
        principal = console.principal(request)
        queue = console_reads.review_queue(console.spark, principal=principal, page=p)
        return page(console.views, request, "review.html", principal, queue=queue)


def _actions_for(status: InsightStatus, own: bool) -> list[str]:
    if not own:
        return []
    moves = {
        InsightStatus.QUARANTINED: ["approve", "reject"],
        InsightStatus.ACTIVE: ["quarantine", "reject"],
    }.get(status, [])
    return [*moves, "revert", "erase"]


def _known(action: str) -> None:
    if action not in ACTIONS:
        raise InvalidInput(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
