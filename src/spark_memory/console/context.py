"""What every console page needs: the façade, the templates, and who is signed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from spark_memory.console.session import COOKIE, SignInNeeded, check_csrf, raw_key
from spark_memory.errors import Unauthorized
from spark_memory.models import Principal
from spark_memory.service import Spark


@dataclass(frozen=True)
class Console:
    spark: Spark
    views: Jinja2Templates
    metrics_text: Callable[[], str] | None = None  # the server's Prometheus text

    def principal(self, request: Request) -> Principal:
        """The signed-in key's principal, checked on every request as the API checks it."""
        key = raw_key(request)
        try:
            return self.spark.authenticate(key)
        except Unauthorized as exc:
            raise SignInNeeded(forget=True) from exc

    def acting(self, request: Request, csrf: str) -> Principal:
        """The principal behind a form post, once its CSRF token matched the key."""
        principal = self.principal(request)
        check_csrf(request, csrf)
        return principal

    def principal_or_none(self, request: Request) -> Principal | None:
        if not request.cookies.get(COOKIE):
            return None
        try:
            return self.principal(request)
        except SignInNeeded:
            return None

    @staticmethod
    def ui(request: Request) -> str:
        return str(request.scope.get("root_path", ""))
