"""Spark's exception tree on the wire, both ways, in one place.

The server turns a ``SparkError`` into its ``http_status`` and a body naming the error
class; the client turns that body back into the same class, so code written against
the façade catches the same exceptions whether Spark runs in-process or remotely.

    {"error": "NotFound", "message": "no insight 'ins_...'"}

Nothing here imports FastAPI: the client uses it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from spark_memory import errors
from spark_memory.errors import InvalidInput, RateLimited, SparkError

_MAX_REASON_CHARS = 600


class ErrorBody(BaseModel):
    error: str  # the SparkError subclass name: NotFound, InvalidInput, ...
    message: str


def http_error(exc: SparkError) -> tuple[int, ErrorBody, dict[str, str]]:
    """Status, body and headers of the response for ``exc``: the one mapping."""
    headers: dict[str, str] = {}
    if isinstance(exc, errors.Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="spark"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return exc.http_status, ErrorBody(error=type(exc).__name__, message=exc.message), headers


def from_validation(problems: Sequence[Mapping[str, Any]]) -> SparkError:
    """Request-schema violations, a field over its documented limit included: 422, with reasons.

    (413 is for a body over the server's size limit, refused before it is parsed.)
    """
    reasons = "; ".join(_reason(p) for p in problems[:8]) or "invalid request"
    if len(reasons) > _MAX_REASON_CHARS:
        reasons = reasons[:_MAX_REASON_CHARS] + "..."
    return InvalidInput(reasons)


def _reason(problem: Mapping[str, Any]) -> str:
    # Without its leading "body" / "query" / "path" the location reads like the field name
    # (only the leading one: a field may well be called "query").
    loc = [str(part) for part in problem.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path"):
        loc = loc[1:]
    where = ".".join(loc)
    message = str(problem.get("msg", "invalid"))
    return f"{where}: {message}" if where else message


def from_response(status: int, body: Any, retry_after: str | None = None) -> SparkError:
    """The ``SparkError`` a response stands for (client side)."""
    name = body.get("error") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message) if message else f"the server answered HTTP {status}"
    cls = _ERROR_CLASSES.get(str(name)) if name else None
    if cls is None:
        cls = _BY_STATUS.get(status, SparkError)
    if cls is RateLimited:
        return RateLimited(text, retry_after=_seconds(retry_after))
    return cls(text)


def _seconds(value: str | None) -> float:
    try:
        return float(value) if value is not None else 1.0
    except ValueError:
        return 1.0


def _subclasses(cls: type[SparkError]) -> list[type[SparkError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_subclasses(sub))
    return out


_ERROR_CLASSES: dict[str, type[SparkError]] = {c.__name__: c for c in _subclasses(SparkError)}
_BY_STATUS: dict[int, type[SparkError]] = {
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    413: errors.PayloadTooLarge,
    422: errors.InvalidInput,
    429: errors.RateLimited,
    502: errors.ProviderError,
    503: errors.ProviderUnavailable,
}
