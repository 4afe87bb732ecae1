"""Choosing the embedder from settings: the only place that maps a name to a class.

    minilm  the default: all-MiniLM-L6-v2 offline, ONNX Runtime (numpy fallback)
    openai  any OpenAI-compatible /embeddings server (needs embed_base_url)
    hash    deterministic hashed bag of words, for tests only

Each provider module is imported only when chosen, so picking "openai" never
touches onnxruntime and picking "minilm" never imports httpx.
"""

from __future__ import annotations

from spark_memory.config import Settings
from spark_memory.errors import ConfigError
from spark_memory.providers.embedder import Embedder

EMBEDDERS = ("minilm", "openai", "hash")


def make_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedder``; models load on first use."""
    name = settings.embedder
    if name == "minilm":
        from spark_memory.providers.minilm import PRECISIONS, MiniLMEmbedder

        precision = settings.query_precision
        if precision not in PRECISIONS:
            raise ConfigError(
                f"unknown query precision {precision!r} (SPARK_QUERY_PRECISION);"
                f" choose one of {PRECISIONS}"
            )
        return MiniLMEmbedder(cache_dir=settings.home / "models", query_precision=precision)
    if name == "openai":
        return _openai(settings)
    if name == "hash":
        from spark_memory.providers.hash_embedder import HashEmbedder

        return HashEmbedder()
    raise ConfigError(f"unknown embedder {name!r} (SPARK_EMBEDDER); choose one of {EMBEDDERS}")


def _openai(settings: Settings) -> Embedder:
    from spark_memory.providers.openai_embedder import OpenAIEmbedder

    if not settings.embed_base_url:
        raise ConfigError(
            "embedder 'openai' needs SPARK_EMBED_BASE_URL, e.g. https://api.openai.com/v1"
        )
    return OpenAIEmbedder(
        settings.embed_base_url, settings.embed_model, api_key=settings.embed_api_key
    )
