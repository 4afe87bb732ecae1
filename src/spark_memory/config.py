"""The one place that reads configuration.

Settings come from, lowest priority first: defaults, the home's ``config.toml`` (the
home given to ``Settings.load``, else ``$SPARK_HOME``, else ``~/.spark``), then
``SPARK_*`` environment variables. Nothing is read at import; callers ask
``Settings.load()`` and pass the result down.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from spark_memory.errors import ConfigError


@dataclass(frozen=True)
class SearchWeights:
    """Reciprocal-rank-fusion weights of the channels, and RRF's k constant."""

    # Long pasted prompts make a noisy lexical query; on DS-1000 prompts the vector
    # channel is the stronger one, so BM25 counts a little less (docs/benchmarks.md).
    bm25: float = 0.6
    vector: float = 1.0
    trust: float = 0.5
    rrf_k: float = 60.0


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path.home() / ".spark")
    database_url: str = ""  # empty: the embedded SQLite file under home
    embedder: str = "minilm"  # minilm | openai | hash (hash is for tests only)
    embed_base_url: str = ""
    embed_model: str = "text-embedding-3-small"
    embed_api_key: str = ""
    # MiniLM's query vectors: int8 (twice as fast on long prompts, same retrieval
    # recall on DS-1000) or fp32 (exact). Stored vectors are always fp32.
    query_precision: str = "int8"
    llm_base_url: str = ""  # empty: no LLM, the coach runs extractively
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    weights: SearchWeights = field(default_factory=SearchWeights)
    # exact scan below this many vectors, HNSW above (exact is faster when small)
    ann_threshold: int = 20_000
    promotion_orgs: int = 3
    host: str = "127.0.0.1"
    port: int = 8765
    # `spark serve`: requests per second each org may make (0: unlimited), the burst
    # it may spend at once, the largest request body, and seconds between background
    # curation epochs (0: never; `spark curate` still runs one by hand).
    rate_limit: float = 50.0
    rate_burst: int = 100
    max_body_bytes: int = 1_048_576
    curation_interval: float = 900.0
    # `spark worker`: seconds a claimed job stays leased without a renewal (a worker
    # renews every third of it; a dead worker's job is taken again once it lapses) and
    # seconds between polls of an empty queue. test_job_delay: seconds each job sleeps,
    # leased, before its work; only tests set it, to kill a worker in mid-job.
    job_lease: float = 60.0
    worker_poll: float = 2.0
    test_job_delay: float = 0.0
    # `spark kb ingest --guides known`: folders holding doc trees named
    # <library>-<version> (numpy-1.26.4/), os.pathsep-separated; $SPARK_HOME/guides too.
    guide_dirs: str = ""

    @property
    def db_path(self) -> Path:
        return self.home / "spark.db"

    @property
    def guide_folders(self) -> list[Path]:
        extra = [Path(p).expanduser() for p in self.guide_dirs.split(os.pathsep) if p]
        return [self.home / "guides", *extra]

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings of ``home`` when given (its config.toml is the one read), else of
        ``$SPARK_HOME``, else of ``~/.spark``."""
        env = os.environ if environ is None else environ
        given = overrides.pop("home", None) or env.get("SPARK_HOME") or Path.home() / ".spark"
        home = Path(given).expanduser()
        values: dict[str, Any] = {"home": home}
        values.update(_read_file(home / "config.toml"))
        values.update(_read_env(env))
        values.update(overrides)
        weights = values.pop("weights", {})
        try:
            settings = cls(**values)
            if isinstance(weights, Mapping):
                settings = replace(settings, weights=SearchWeights(**weights))
            elif isinstance(weights, SearchWeights):
                settings = replace(settings, weights=weights)
        except TypeError as exc:
            raise ConfigError(f"invalid setting: {exc}") from exc
        return settings


_ENV = {
    "SPARK_DATABASE_URL": ("database_url", str),
    "SPARK_EMBEDDER": ("embedder", str),
    "SPARK_EMBED_BASE_URL": ("embed_base_url", str),
    "SPARK_EMBED_MODEL": ("embed_model", str),
    "SPARK_EMBED_API_KEY": ("embed_api_key", str),
    "SPARK_QUERY_PRECISION": ("query_precision", str),
    "SPARK_LLM_BASE_URL": ("llm_base_url", str),
    "SPARK_LLM_MODEL": ("llm_model", str),
    "SPARK_LLM_API_KEY": ("llm_api_key", str),
    "SPARK_LLM_TIMEOUT": ("llm_timeout", float),
    "SPARK_ANN_THRESHOLD": ("ann_threshold", int),
    "SPARK_PROMOTION_ORGS": ("promotion_orgs", int),
    "SPARK_HOST": ("host", str),
    "SPARK_PORT": ("port", int),
    "SPARK_RATE_LIMIT": ("rate_limit", float),
    "SPARK_RATE_BURST": ("rate_burst", int),
    "SPARK_MAX_BODY_BYTES": ("max_body_bytes", int),
    "SPARK_CURATION_INTERVAL": ("curation_interval", float),
    "SPARK_JOB_LEASE": ("job_lease", float),
    "SPARK_WORKER_POLL": ("worker_poll", float),
    "SPARK_TEST_JOB_DELAY": ("test_job_delay", float),
    "SPARK_GUIDE_DIRS": ("guide_dirs", str),
}

_WEIGHT_ENV = {
    "SPARK_WEIGHT_BM25": "bm25",
    "SPARK_WEIGHT_VECTOR": "vector",
    "SPARK_WEIGHT_TRUST": "trust",
    "SPARK_RRF_K": "rrf_k",
}


def _read_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (key, typ) in _ENV.items():
        if name in env:
            out[key] = _convert(name, env[name], typ)
    weights = {key: _convert(n, env[n], float) for n, key in _WEIGHT_ENV.items() if n in env}
    if weights:
        out["weights"] = weights
    return out


def _convert(name: str, raw: str, typ: type) -> Any:
    try:
        return typ(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid {typ.__name__}") from exc


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
    return data
