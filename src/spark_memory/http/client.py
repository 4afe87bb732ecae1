"""SparkClient: the typed Python client of a `spark serve` server, over httpx.

It has the façade's verbs and return types, minus the ``principal`` (the key decides):
each takes its request model from ``spark_memory.requests`` or that model's fields, as
the façade does, so code moves between an in-process ``Spark`` and a remote server
unchanged; errors come back as the same ``SparkError`` subclasses.

    with SparkClient("http://127.0.0.1:8765", api_key) as spark:
        rec = spark.recommend("merge two dataframes on a key column")
        spark.record_trace("merge frames", outcome="passed", served_ids=rec.cited_ids())

Writes that store new records (traces, memories) carry an idempotency key, made up
per call unless given, so the client can retry them after a lost connection without
storing anything twice. A 429 is retried after its Retry-After, up to ``retries``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from spark_memory.advice import Recommendation
from spark_memory.errors import (
    InvalidInput,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SparkError,
)
from spark_memory.http.errors import from_response
from spark_memory.http.schemas import AuditOut, EpochOut, KeyOut, ReceiptOut, RunOut, StatsOut
from spark_memory.models import Insight, Role, SearchHit, Snippet
from spark_memory.requests import (
    SESSION_HEADER,
    B,
    EnrichBody,
    FeedbackBody,
    MemoryBody,
    RecommendBody,
    SearchBody,
    TraceBody,
    given,
)
from spark_memory.results import (
    AuditEntry,
    EmbeddingSpace,
    EpochEvent,
    EpochRecord,
    EraseReport,
    Finding,
    LibraryStat,
    NewKey,
    RunOutcome,
    RunReport,
    StoreStats,
    WriteReceipt,
)

MAX_RETRY_WAIT = 10.0  # seconds; a longer Retry-After is the caller's to decide on


class SparkClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        session: str | None = None,
        timeout: float = 60.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput(
                f"a server URL starts with http:// or https://, not {base_url[:60]!r}"
            )
        headers = {"Authorization": f"Bearer {api_key}", "User-Agent": "spark-client"}
        if session:
            headers[SESSION_HEADER] = session
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SparkClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- reads ------------------------------------------------------------------------------
    def search(self, request: SearchBody | str, /, **fields: Any) -> list[SearchHit]:
        """``request``: a ``SearchBody``, or its fields (``search(query, k=5)``)."""
        data = self._call("POST", "/v1/search", json=_body(SearchBody, (request,), fields))
        return [SearchHit.model_validate(h) for h in data["hits"]]

    def recommend(self, request: RecommendBody | str, /, **fields: Any) -> Recommendation:
        """``request``: a ``RecommendBody``, or its fields (``recommend(task, error=...)``)."""
        body = _body(RecommendBody, (request,), fields)
        return Recommendation.model_validate(self._call("POST", "/v1/recommend", json=body))

    def get_memory(self, insight_id: str) -> Insight:
        return Insight.model_validate(self._call("GET", f"/v1/memories/{_seg(insight_id)}"))

    def kb_show(self, snippet_id: str) -> Snippet:
        return Snippet.model_validate(self._call("GET", f"/v1/kb/snippets/{_seg(snippet_id)}"))

    def kb_libraries(self) -> list[LibraryStat]:
        return [LibraryStat(**row) for row in self._call("GET", "/v1/kb/libraries")]

    def stats(self) -> StoreStats:
        out = StatsOut.model_validate(self._call("GET", "/v1/kb/stats"))
        space = EmbeddingSpace(**out.embedding) if out.embedding else None
        libraries = [LibraryStat(**lib.model_dump()) for lib in out.libraries]
        build = out.kb_build.model_dump() if out.kb_build else None
        return StoreStats(self.base_url, space, libraries, dict(out.records), build)

    # --- writes -----------------------------------------------------------------------------
    def create_memory(
        self,
        request: MemoryBody | str,
        /,
        *args: str,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> WriteReceipt:
        """``request``: a ``MemoryBody``, or its fields (``create_memory(title, content)``)."""
        body = _body(MemoryBody, (request, *args), fields)
        return self._write("/v1/memories", body, idempotency_key or _new_key())

    def enrich_memory(
        self, insight_id: str, request: EnrichBody | str, /, **fields: Any
    ) -> WriteReceipt:
        """``request``: an ``EnrichBody``, or its fields (``enrich_memory(id, addition)``)."""
        body = _body(EnrichBody, (request,), fields)
        # Enriching twice with the same text changes nothing, so a retry is safe as is.
        return self._write(f"/v1/memories/{_seg(insight_id)}/enrich", body, None)

    def share_feedback(self, request: FeedbackBody | str, /, **fields: Any) -> WriteReceipt:
        """``request``: a ``FeedbackBody``, or its fields (``share_feedback(id, relevant=True)``)."""
        body = _body(FeedbackBody, (request,), fields)
        # The same vote again is recorded as unchanged: retrying cannot count it twice.
        return self._write("/v1/feedback", body, None)

    def record_trace(
        self, request: TraceBody | str, /, *, idempotency_key: str | None = None, **fields: Any
    ) -> WriteReceipt:
        """``request``: a ``TraceBody``, or its fields (``record_trace(task, outcome=...)``)."""
        body = _body(TraceBody, (request,), fields)
        return self._write("/v1/traces", body, idempotency_key or _new_key())

    def record_run(self, run: RunOutcome) -> RunReport:
        body = {**vars(run), "outcome": run.outcome.value}
        out = RunOut.model_validate(self._call("POST", "/v1/runs", json=body))
        return RunReport(_receipt(out.trace), out.served_ids, out.feedback_ids)

    # --- admin ------------------------------------------------------------------------------
    def curate(self) -> EpochRecord:
        return _epoch(self._call("POST", "/v1/curate"))

    def epochs(self, *, limit: int = 20) -> list[EpochRecord]:
        return [_epoch(e) for e in self._call("GET", "/v1/epochs", params={"limit": limit})]

    def audit_log(self, *, limit: int = 100) -> list[AuditEntry]:
        rows = self._call("GET", "/v1/audit", params={"limit": limit})
        return [AuditEntry(**AuditOut.model_validate(r).model_dump()) for r in rows]

    def revert(self, target_id: str) -> WriteReceipt:
        return self._write(f"/v1/revert/{_seg(target_id)}", None, None)

    def erase(self, *, agent_id: str | None = None) -> EraseReport:
        body = {"agent_id": agent_id} if agent_id else {"whole_org": True}
        return EraseReport(**self._call("POST", "/v1/erase", json=body))

    def create_key(self, agent: str, role: Role | str = Role.WRITER) -> NewKey:
        out = KeyOut.model_validate(
            self._call("POST", "/v1/keys", json={"agent": agent, "role": str(role)})
        )
        return NewKey(out.id, out.secret, out.org_id, out.agent_id, out.role)

    def revoke_key(self, key_id: str) -> None:
        self._call("DELETE", f"/v1/keys/{_seg(key_id)}")

    # --- plumbing ---------------------------------------------------------------------------
    def _write(self, path: str, body: dict[str, Any] | None, key: str | None) -> WriteReceipt:
        headers = {"Idempotency-Key": key} if key else {}
        data = self._call("POST", path, json=body, headers=headers, retry_network=True)
        return _receipt(ReceiptOut.model_validate(data))

    def _call(
        self,
        method: str,
        path: str,
        *,
        retry_network: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Send, retrying what is safe to retry, and return the decoded JSON body."""
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                # Only an idempotent request may be sent again after a lost connection.
                if attempt >= self.retries or not (retry_network or method == "GET"):
                    raise ProviderUnavailable(f"cannot reach {self.base_url}: {exc}") from exc
                attempt += 1
                continue
            except httpx.HTTPError as exc:
                raise ProviderUnavailable(f"{self.base_url} failed: {exc}") from exc
            if response.status_code == 429 and attempt < self.retries:
                error = _error(response)
                if isinstance(error, RateLimited) and error.retry_after <= MAX_RETRY_WAIT:
                    time.sleep(error.retry_after)
                    attempt += 1
                    continue
            if response.status_code >= 400:
                raise _error(response)
            return self._json(response)

    def _json(self, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError(
                f"{self.base_url} is not a Spark server: its reply is not JSON"
            ) from exc


def _error(response: httpx.Response) -> SparkError:
    try:
        body = response.json()
    except ValueError:
        body = None
    return from_response(response.status_code, body, response.headers.get("Retry-After"))


def _body(model: type[B], args: tuple[Any, ...], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a request; the server judges it (the same schema, the same reasons)."""
    return given(model, args, fields).model_dump(mode="json", warnings=False)


def _seg(value: str) -> str:
    """One path segment: an id with a '/' or '?' must not reach another route."""
    return quote(value, safe="")


def _new_key() -> str:
    return f"spark-client-{uuid.uuid4().hex}"


def _receipt(out: ReceiptOut) -> WriteReceipt:
    findings = tuple(Finding(**f) for f in out.redactions)
    return WriteReceipt(out.id, out.status, out.message, findings, out.insight_status)


def _epoch(data: Any) -> EpochRecord:
    out = EpochOut.model_validate(data)
    events = tuple(EpochEvent(**e.model_dump()) for e in out.events)
    return EpochRecord(out.id, out.started, out.finished, dict(out.counts), events)
