"""Rendering console pages: the Jinja2 environment, the page context, security headers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import Response

from spark_memory import __version__
from spark_memory.console.session import COOKIE, csrf_token
from spark_memory.models import LOCAL_PRINCIPAL, Principal, Role

# Nothing but the console's own files: no script at all, styles from /ui/static only.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

NAV = (
    ("ask", "Ask"),
    ("memories", "Memories"),
    ("review", "Review"),
    ("org", "Org"),
    ("kb", "Knowledge base"),
    ("epochs", "Epochs"),
    ("dashboard", "Dashboard"),
)


def templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("spark_memory.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["num"] = _num
    return Jinja2Templates(env=env)


def page(
    views: Jinja2Templates,
    request: Request,
    name: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    ui = str(request.scope.get("root_path", ""))
    key = request.cookies.get(COOKIE, "")
    base = {
        "ui": ui,
        "me": principal,
        "can_act": principal is not None and principal.role is not Role.READER,
        "is_admin": principal is not None and principal.role is Role.ADMIN,
        "operator": principal == LOCAL_PRINCIPAL,  # signed in with `keys create --operator`
        "csrf": csrf_token(key) if key and principal is not None else "",
        "nav": NAV,
        "version": __version__,
        "notice": request.query_params.get("done", "")[:300],
    }
    response = views.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    response.headers.update(HEADERS)
    return response


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _num(value: float | None, places: int = 3) -> str:
    return "" if value is None else f"{value:.{places}f}"
