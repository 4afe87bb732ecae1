"""Who is signed in to the console: an API key in a cookie, and the CSRF token of each form.

The cookie holds the key itself (HttpOnly, SameSite=Strict, Secure over HTTPS, scoped to
the console's path) so every request is authorised exactly as the API authorises the
same key: a revoked key signs the browser out at its next request. The CSRF token is an
HMAC of the key, so it needs no server-side state and any replica can check it; a page
from another site can neither read it nor send the cookie (SameSite=Strict).
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from spark_memory.errors import Forbidden

COOKIE = "spark_console_key"
_CSRF_LABEL = b"spark-console-csrf-v1"


class SignInNeeded(Exception):
    """No key, or a key the API refuses: the browser is sent to the sign-in page."""

    def __init__(self, forget: bool = False) -> None:
        super().__init__("sign in needed")
        self.forget = forget  # the cookie holds a refused key: delete it


def raw_key(request: Request) -> str:
    key = request.cookies.get(COOKIE, "")
    if not key:
        raise SignInNeeded()
    return key


def csrf_token(key: str) -> str:
    return hmac.new(key.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()[:40]


def check_csrf(request: Request, token: str) -> None:
    if not hmac.compare_digest(csrf_token(raw_key(request)), token):
        raise Forbidden("the form is stale or came from another site; reload the page")


def check_same_origin(request: Request) -> None:
    """Sign-in has no cookie yet to bind a token to: refuse a form posted by another site."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.split("://", 1)[-1] != request.headers.get("host"):
        raise Forbidden("sign-in forms from another site are refused")


def remember(response: Response, request: Request, key: str) -> None:
    response.set_cookie(
        COOKIE,
        key,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=_path(request),
    )


def forget(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path=_path(request), httponly=True, samesite="strict")


def _path(request: Request) -> str:
    return str(request.scope.get("root_path", "")) or "/"
