"""`console_app`: the web console, a server-rendered FastAPI app mounted at ``/ui``.

Pages are Jinja2 templates; charts are SVG drawn on the server; the one stylesheet is
in the package. There is no JavaScript: every action is a form, confirmed on a page of
its own, so it works from the keyboard and under a strict Content-Security-Policy.

Who may see and do what is the API's own answer: the signed-in key's ``Principal``
goes to the service with every call, another org's ids are "not found", a reader's
forms are refused with 403. ``SparkError`` becomes an HTML page with its status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from spark_memory.console import memory_pages, org_pages
from spark_memory.console.context import Console
from spark_memory.console.render import page, templates
from spark_memory.console.session import (
    SignInNeeded,
    check_same_origin,
    forget,
    remember,
)
from spark_memory.errors import SparkError, Unauthorized
from spark_memory.service import Spark

_LOG = logging.getLogger("spark.console")


def console_app(spark: Spark, metrics_text: Callable[[], str] | None = None) -> FastAPI:
    """The console; ``metrics_text`` gives the server's Prometheus text (for latencies)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    console = Console(spark, templates(), metrics_text)
    app.mount("/static", StaticFiles(packages=[("spark_memory.console", "static")]), name="static")
    router = APIRouter()
    _sign_in_routes(router, console)
    memory_pages.routes(router, console)
    org_pages.routes(router, console)
    app.include_router(router)
    _error_pages(app, console)
    return app


def _sign_in_routes(router: APIRouter, console: Console) -> None:
    @router.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        return RedirectResponse(f"{console.ui(request)}/ask", status_code=303)

    @router.get("/signin")
    def signin_form(request: Request, next: str = "") -> Response:
        return page(console.views, request, "signin.html", None, next=_local(next))

    @router.post("/signin")
    def signin(
        request: Request, key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = ""
    ) -> Response:
        check_same_origin(request)
        try:
            console.spark.authenticate(key.strip())
        except Unauthorized as exc:
            return page(
                console.views, request, "signin.html", None, 401, error=exc.message, next=next
            )
        target = _local(next) or "/ask"
        response = RedirectResponse(f"{console.ui(request)}{target}", status_code=303)
        remember(response, request, key.strip())
        return response

    @router.post("/signout")
    def signout(request: Request) -> Response:
        response = RedirectResponse(f"{console.ui(request)}/signin", status_code=303)
        forget(response, request)
        return response


def _local(path: str) -> str:
    """A console path to return to after sign-in; anything else (another site) is dropped."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return ""


def _error_pages(app: FastAPI, console: Console) -> None:
    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInNeeded)
        here = request.url.path.removeprefix(console.ui(request))
        query = f"?next={quote(here)}" if request.method == "GET" and here != "/" else ""
        response = RedirectResponse(f"{console.ui(request)}/signin{query}", status_code=303)
        if exc.forget:
            forget(response, request)
        return response

    async def spark_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SparkError)
        return _error(request, exc.http_status, type(exc).__name__, exc.message)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        reasons = "; ".join(str(e.get("msg", "")) for e in exc.errors()[:4])
        return _error(request, 422, "InvalidInput", reasons or "invalid request")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        name = "NotFound" if exc.status_code == 404 else "HTTPError"
        return _error(request, exc.status_code, name, str(exc.detail))

    def _error(request: Request, status: int, name: str, message: str) -> Response:
        principal = console.principal_or_none(request)
        return page(
            console.views,
            request,
            "error.html",
            principal,
            status,
            status=status,
            error=name,
            message=message,
        )

    app.add_exception_handler(SignInNeeded, sign_in)
    app.add_exception_handler(SparkError, spark_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
