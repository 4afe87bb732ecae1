"""The OpenAI-compatible embedder against a real HTTP server on 127.0.0.1.

The server (tests/support/openai_server.py) is a protocol peer with scripted
replies: nothing in the client is patched.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import numpy as np
import pytest

from spark_memory.errors import (
    ConfigError,
    InvalidInput,
    MalformedReply,
    ProviderError,
    ProviderUnavailable,
)
from spark_memory.providers.embedder import Embedder
from spark_memory.providers.openai_embedder import OpenAIEmbedder
from tests.support.openai_server import OpenAIServer, Scripted, embedding_vector, raw, stall, status

DIM = 16


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(embedding_dim=DIM) as running:
        yield running


def client(server: OpenAIServer, **options: object) -> OpenAIEmbedder:
    options.setdefault("retry_backoff", 0.0)
    return OpenAIEmbedder(server.base_url, "test-embed", **options)  # type: ignore[arg-type]


def reply(vectors: list[list[float]], indices: list[int] | None = None) -> Scripted:
    order = indices if indices is not None else list(range(len(vectors)))
    data = [{"index": i, "embedding": v} for i, v in zip(order, vectors, strict=True)]
    return Scripted(body=json.dumps({"object": "list", "data": data}).encode())


def test_embeds_through_the_embeddings_endpoint(server: OpenAIServer) -> None:
    with client(server, api_key="sk-test") as embedder:
        vectors = embedder.embed(["alpha", "beta", "alpha"])
        assert isinstance(embedder, Embedder)
        assert embedder.model_name == "test-embed"
        assert embedder.dim == DIM
    assert vectors.shape == (3, DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[0], embedding_vector("alpha", DIM), atol=1e-6)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    (request,) = server.received
    assert request.path == "/v1/embeddings"
    assert request.body == {"model": "test-embed", "input": ["alpha", "beta", "alpha"]}
    assert request.headers["Authorization"] == "Bearer sk-test"


def test_vectors_are_normalised_and_put_back_in_input_order(server: OpenAIServer) -> None:
    server.script_embeddings(reply([[0.0, 3.0], [4.0, 0.0]], indices=[1, 0]))
    with client(server) as embedder:
        vectors = embedder.embed(["first", "second"])
    np.testing.assert_allclose(vectors, [[1.0, 0.0], [0.0, 1.0]])


def test_large_inputs_are_sent_in_batches(server: OpenAIServer) -> None:
    texts = [f"text {i}" for i in range(5)]
    with client(server, batch_size=2) as embedder:
        vectors = embedder.embed(texts)
    assert [len(body["input"]) for body in server.embedding_requests] == [2, 2, 1]
    expected = np.array([embedding_vector(t, DIM) for t in texts])
    np.testing.assert_allclose(vectors, expected, atol=1e-6)


def test_dim_is_learned_by_one_probe_when_not_configured(server: OpenAIServer) -> None:
    with client(server) as embedder:
        assert embedder.dim == DIM
        assert embedder.embed([]).shape == (0, DIM)
    assert len(server.received) == 1


def test_a_configured_dim_needs_no_request(server: OpenAIServer) -> None:
    with client(server, dim=DIM) as embedder:
        assert embedder.dim == DIM
        assert embedder.embed([]).shape == (0, DIM)
    assert server.received == []


def test_openai_models_have_known_dims_without_a_request(server: OpenAIServer) -> None:
    embedder = OpenAIEmbedder(server.base_url, "text-embedding-3-large")
    with embedder:
        assert embedder.dim == 3072
        assert isinstance(embedder, Embedder)
        with pytest.raises(MalformedReply, match="expected 3072"):
            embedder.embed(["the test server answers 16 dims"])
    assert len(server.received) == 1


def test_a_reply_of_another_dim_is_malformed(server: OpenAIServer) -> None:
    with client(server, dim=8) as embedder, pytest.raises(MalformedReply, match="16-dim"):
        embedder.embed(["x"])


def test_a_500_is_retried_then_succeeds(server: OpenAIServer) -> None:
    server.script_embeddings(status(500, "overloaded"))
    with client(server) as embedder:
        vectors = embedder.embed(["retry me"])
    assert vectors.shape == (1, DIM)
    assert len(server.received) == 2


def test_a_persistent_500_is_a_provider_error(server: OpenAIServer) -> None:
    server.script_embeddings(*[status(500, "model crashed")] * 3)
    with client(server, max_retries=2) as embedder, pytest.raises(ProviderError) as caught:
        embedder.embed(["x"])
    assert not isinstance(caught.value, ProviderUnavailable)
    assert "HTTP 500: model crashed" in caught.value.message
    assert len(server.received) == 3


def test_a_503_means_unavailable(server: OpenAIServer) -> None:
    server.script_embeddings(status(503, "warming up"))
    with (
        client(server, max_retries=0) as embedder,
        pytest.raises(ProviderUnavailable, match="warming up"),
    ):
        embedder.embed(["x"])


def test_a_rejected_key_is_unavailable_and_not_echoed() -> None:
    with OpenAIServer(api_key="right-key", embedding_dim=DIM) as server:
        embedder = client(server, api_key="wrong-key")
        with embedder, pytest.raises(ProviderUnavailable, match="401") as caught:
            embedder.embed(["x"])
        assert "wrong-key" not in caught.value.message
        assert len(server.received) == 1  # a bad key is not retried


def test_a_400_is_not_retried(server: OpenAIServer) -> None:
    server.script_embeddings(status(400, "input too long"))
    with client(server) as embedder, pytest.raises(ProviderError, match="input too long"):
        embedder.embed(["x"])
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>Bad Gateway</html>", "not JSON"),
        ('{"data": [{"index": 0, "embedding": [1.0, 0.0]}', "not JSON"),
        ('{"object": "list"}', "no vectors for 2 inputs"),
        ('{"data": [{"index": 0, "embedding": [1.0]}]}', "1 vectors for 2 inputs"),
        (
            '{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 0, "embedding": [0, 1]}]}',
            "indices",
        ),
        (
            '{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 1, "embedding": [1]}]}',
            "equal-length",
        ),
        (
            '{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 1, "embedding": ["a", 1]}]}',
            "numbers",
        ),
        (
            '{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 1, "embedding": [0, 0]}]}',
            "all-zero",
        ),
        (
            '{"data": [{"index": 0, "embedding": [1, 0]}, {"index": 1, "embedding": [NaN, 1]}]}',
            "NaN",
        ),
        ('{"data": [{"index": 0}, {"index": 1}]}', "lack an 'embedding'"),
        ("[1, 2, 3]", "no vectors"),
    ],
)
def test_malformed_replies_raise_malformed_reply(
    server: OpenAIServer, body: str, reason: str
) -> None:
    server.script_embeddings(raw(body))
    with client(server) as embedder, pytest.raises(MalformedReply, match=reason):
        embedder.embed(["one", "two"])


def test_a_timeout_is_unavailable(server: OpenAIServer) -> None:
    server.script_embeddings(stall(5.0))
    with (
        client(server, timeout=0.2, max_retries=0) as embedder,
        pytest.raises(ProviderUnavailable, match="timed out"),
    ):
        embedder.embed(["x"])


def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        embedder = OpenAIEmbedder(
            f"http://127.0.0.1:{port}/v1", "m", max_retries=1, retry_backoff=0.0
        )
        with embedder, pytest.raises(ProviderUnavailable, match="cannot reach"):
            embedder.embed(["x"])


def test_a_bare_string_is_refused(server: OpenAIServer) -> None:
    with client(server) as embedder, pytest.raises(InvalidInput):
        embedder.embed("not a list")
    assert server.received == []


@pytest.mark.parametrize(
    "options",
    [
        {"base_url": "localhost:8080/v1"},
        {"model": ""},
        {"batch_size": 0},
        {"timeout": 0},
        {"dim": 0},
        {"max_retries": -1},
    ],
)
def test_bad_configuration_is_a_config_error(options: dict[str, object]) -> None:
    arguments: dict[str, object] = {"base_url": "http://127.0.0.1:1/v1", "model": "m", **options}
    with pytest.raises(ConfigError):
        OpenAIEmbedder(**arguments)  # type: ignore[arg-type]
