"""The one exception tree of Spark.

    SparkError                      base; every error Spark raises on purpose
    ├── InvalidInput                the caller sent something malformed (HTTP 422, exit 2)
    │   └── UnknownFilter           a filter names a library/version/kind that does not exist
    ├── PayloadTooLarge             a text or batch is over its limit (HTTP 413, exit 2)
    ├── NotFound                    no such id *visible to the caller* (HTTP 404, exit 1)
    ├── Unauthorized                missing, malformed or revoked key (HTTP 401)
    ├── Forbidden                   the key's role may not do this (HTTP 403)
    ├── RateLimited                 an org went over its rate (HTTP 429)
    ├── Rejected                    content refused by a filter: secrets, unsafe advice (HTTP 422)
    ├── Conflict                    a write conflicts with stored state (HTTP 409)
    ├── StoreError                  the store cannot do its job
    │   ├── CorruptStore            the database file is not a usable Spark store
    │   ├── StoreUnavailable        it cannot write now: read-only, full, unreachable (503)
    │   └── EmbeddingMismatch       vectors from another model / dimension than the store's
    ├── ProviderError               an embedder or LLM failed
    │   ├── ProviderUnavailable     not installed, not configured or not reachable
    │   └── MalformedReply          the LLM answered something that does not parse
    └── ConfigError                 configuration is invalid

Third-party exceptions are translated into these at the boundary where they occur.
"""

from __future__ import annotations


class SparkError(Exception):
    """Base of every error Spark raises on purpose."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SparkError):
    exit_code = 2
    http_status = 422


class UnknownFilter(InvalidInput):
    pass


class PayloadTooLarge(SparkError):
    exit_code = 2
    http_status = 413


class NotFound(SparkError):
    exit_code = 1
    http_status = 404


class Unauthorized(SparkError):
    exit_code = 2
    http_status = 401


class Forbidden(SparkError):
    exit_code = 2
    http_status = 403


class RateLimited(SparkError):
    exit_code = 1
    http_status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(SparkError):
    exit_code = 2
    http_status = 422


class Conflict(SparkError):
    exit_code = 1
    http_status = 409


class StoreError(SparkError):
    exit_code = 1
    http_status = 500


class CorruptStore(StoreError):
    exit_code = 1
    http_status = 500


class StoreUnavailable(StoreError):
    exit_code = 1
    http_status = 503


class EmbeddingMismatch(StoreError):
    exit_code = 2
    http_status = 409


class ProviderError(SparkError):
    exit_code = 1
    http_status = 502


class ProviderUnavailable(ProviderError):
    http_status = 503


class MalformedReply(ProviderError):
    http_status = 502


class ConfigError(SparkError):
    exit_code = 2
    http_status = 500
