"""The embedder factory: settings.embedder picks the provider, mistakes are ConfigErrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_memory.config import Settings
from spark_memory.errors import ConfigError
from spark_memory.providers.embedder import Embedder
from spark_memory.providers.embedders import make_embedder
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.providers.minilm import MiniLMEmbedder
from spark_memory.providers.openai_embedder import OpenAIEmbedder


def test_minilm_is_the_default_and_caches_under_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    embedder = make_embedder(settings)
    assert isinstance(embedder, MiniLMEmbedder)
    assert embedder.model_name == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedder.dim == 384
    assert not (tmp_path / "models").exists()  # nothing loads until the first embed


def test_hash(tmp_path: Path) -> None:
    embedder = make_embedder(Settings(home=tmp_path, embedder="hash"))
    assert isinstance(embedder, HashEmbedder)
    assert embedder.model_name.startswith("spark-test-hash-")


def test_openai_uses_the_embed_settings(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        embedder="openai",
        embed_base_url="http://127.0.0.1:9/v1",
        embed_model="text-embedding-3-small",
        embed_api_key="sk-x",
    )
    embedder = make_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder)
    assert isinstance(embedder, Embedder)
    assert embedder.model_name == "text-embedding-3-small"


def test_openai_without_a_base_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SPARK_EMBED_BASE_URL"):
        make_embedder(Settings(home=tmp_path, embedder="openai"))


def test_an_unknown_embedder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown embedder 'bert'"):
        make_embedder(Settings(home=tmp_path, embedder="bert"))


def test_selected_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.load({"SPARK_HOME": str(tmp_path), "SPARK_EMBEDDER": "hash"})
    assert isinstance(make_embedder(settings), HashEmbedder)
