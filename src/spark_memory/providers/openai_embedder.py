"""Embeddings from any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, Ollama, TEI...).

``POST {base_url}/embeddings`` with ``{"model": ..., "input": [...]}``, in batches.
Failures are translated here, at the boundary, into Spark's errors:

    network error, timeout, 401/403/404, 502/503/504   -> ProviderUnavailable
    other 4xx, 500, 429 after retries                  -> ProviderError
    not JSON, missing/short/ragged/non-finite vectors  -> MalformedReply

429 and 5xx are retried ``max_retries`` times with exponential back-off (honouring
a short ``Retry-After``). Returned vectors are re-normalised: servers differ on it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from spark_memory import __version__
from spark_memory.errors import (
    ConfigError,
    InvalidInput,
    MalformedReply,
    ProviderError,
    ProviderUnavailable,
)
from spark_memory.providers.embedder import Vectors

_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_UNAVAILABLE = frozenset({401, 403, 404, 502, 503, 504})
_MAX_RETRY_AFTER = 10.0  # seconds; a longer wait is the caller's decision, not ours
_DIM_PROBE = "dimension probe"
# OpenAI's own models, so that reading ``dim`` costs no request for them. Python
# 3.11's isinstance() against a runtime-checkable Protocol reads every property,
# so a probe in ``dim`` would otherwise fire on a mere type check.
KNOWN_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIEmbedder:
    """Vectors from an OpenAI-compatible ``/embeddings`` endpoint.

    ``dim`` may be given; otherwise it is OpenAI's published size for its own
    models, or learned from the first reply (reading ``.dim`` before any
    ``embed()`` then sends one probe request). Every reply must match it.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        dim: int | None = None,
        batch_size: int = 128,
        timeout: float = 30.0,
        max_retries: int = 2,
        retry_backoff: float = 0.5,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"embedding base URL must start with http:// or https://: {base_url!r}"
            )
        if not model:
            raise ConfigError("an embedding model name is required")
        if batch_size < 1 or timeout <= 0 or max_retries < 0 or (dim is not None and dim < 1):
            raise ConfigError("batch_size, timeout and dim must be positive, max_retries >= 0")
        self._url = base_url.rstrip("/") + "/embeddings"
        self._model = model
        self._api_key = api_key
        self._dim = dim if dim is not None else KNOWN_DIMS.get(model)
        self._batch_size = batch_size
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = retry_backoff
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed([_DIM_PROBE])
        assert self._dim is not None  # set by the reply, or embed() raised
        return self._dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        if isinstance(texts, str):
            raise InvalidInput("embed() takes a sequence of texts, not a single str")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._embed_batch(list(texts[start : start + self._batch_size]))
            for start in range(0, len(texts), self._batch_size)
        ]
        return np.concatenate(parts)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.embed(texts)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> OpenAIEmbedder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _embed_batch(self, batch: list[str]) -> Vectors:
        response = self._post({"model": self._model, "input": batch})
        vectors = parse_reply(response, len(batch))
        self._check_dim(vectors.shape[1])
        return vectors

    def _check_dim(self, dim: int) -> None:
        with self._lock:
            if self._dim is None:
                self._dim = dim
            elif dim != self._dim:
                raise MalformedReply(
                    f"{self._url} returned {dim}-dim vectors for {self._model!r}, expected {self._dim}"
                )

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        attempt = 0
        while True:
            response, error = self._attempt(body)
            retryable = error is not None or (
                response is not None and response.status_code in _RETRYABLE
            )
            if not retryable or attempt >= self._max_retries:
                break
            self._sleep(attempt, response)
            attempt += 1
        if error is not None:
            raise error
        assert response is not None  # _attempt returns exactly one of the two
        return _raise_for_status(response, self._url)

    def _attempt(self, body: dict[str, Any]) -> tuple[httpx.Response | None, ProviderError | None]:
        """One request: the response, or the error that a network failure becomes."""
        try:
            return self._http().post(self._url, json=body), None
        except httpx.TimeoutException as exc:
            error = ProviderUnavailable(f"{self._url} timed out after {self._timeout} s")
            error.__cause__ = exc
        except httpx.TransportError as exc:
            error = ProviderUnavailable(f"cannot reach {self._url}: {exc}")
            error.__cause__ = exc
        return None, error

    def _sleep(self, attempt: int, response: httpx.Response | None) -> None:
        delay = self._backoff * 2**attempt
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after is not None:
            # An HTTP-date instead of seconds is rare: keep our own back-off then.
            with contextlib.suppress(ValueError):
                delay = min(max(float(retry_after), 0.0), _MAX_RETRY_AFTER)
        time.sleep(delay)

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                headers = {"User-Agent": f"spark-memory/{__version__}"}
                if self._api_key:
                    headers["Authorization"] = f"Bearer {self._api_key}"
                self._client = httpx.Client(timeout=self._timeout, headers=headers)
            return self._client


def _raise_for_status(response: httpx.Response, url: str) -> httpx.Response:
    status = response.status_code
    if response.is_success:
        return response
    detail = _error_detail(response)
    message = f"{url} answered HTTP {status}: {detail}"
    if status in _UNAVAILABLE:
        raise ProviderUnavailable(message)
    raise ProviderError(message)


def _error_detail(response: httpx.Response) -> str:
    """The server's own error message when it sent the usual {"error": {"message": ...}}."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:300]
    if isinstance(error, str):
        return error[:300]
    return response.text[:300] or response.reason_phrase


def parse_reply(response: httpx.Response, expected: int) -> Vectors:
    """Unit vectors in input order from an embeddings reply, or MalformedReply."""
    try:
        payload = response.json()
    except ValueError as exc:
        raise MalformedReply(f"embeddings reply is not JSON: {response.text[:200]!r}") from exc
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or len(data) != expected:
        got = len(data) if isinstance(data, list) else "no"
        raise MalformedReply(f"embeddings reply has {got} vectors for {expected} inputs")
    rows = _ordered_rows(data)
    return _unit_rows(rows)


def _ordered_rows(data: list[Any]) -> list[Any]:
    """Rows sorted by their "index" (the API does not promise order)."""
    if not all(isinstance(item, dict) and "embedding" in item for item in data):
        raise MalformedReply("embeddings reply items lack an 'embedding'")
    indices = [item.get("index", position) for position, item in enumerate(data)]
    if sorted(indices) != list(range(len(data))):
        raise MalformedReply(f"embeddings reply has indices {indices[:10]}, not 0..{len(data) - 1}")
    by_index = dict(zip(indices, data, strict=True))
    return [by_index[i]["embedding"] for i in range(len(data))]


def _unit_rows(rows: list[Any]) -> Vectors:
    try:
        vectors = np.array(rows, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise MalformedReply(f"embeddings are not equal-length lists of numbers: {exc}") from exc
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        raise MalformedReply(f"embeddings have shape {vectors.shape}, not (n, dim)")
    if not np.isfinite(vectors).all():
        raise MalformedReply("embeddings contain NaN or infinity")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if (norms == 0).any():
        raise MalformedReply("embeddings contain an all-zero vector, which has no direction")
    out: Vectors = (vectors / norms).astype(np.float32)
    return out
