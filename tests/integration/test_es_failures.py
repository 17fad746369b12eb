"""The API on the Elasticsearch backend when the server goes away and comes back, and when
the indices hold vectors of another size. Uses its own noida-db server (it is stopped)."""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service import EXTENSION, create_app
from service.errors import ConfigurationError
from tests.conftest import keyed_client
from tests.support.index_data import clusters, prefix
from tests.support.noida import NoidaServer, NoidaUnavailableError, restart_elasticsearch, start_elasticsearch

pytestmark = pytest.mark.elasticsearch


class TinyEmbedder:
    """Deterministic unit vectors from a hash of the text: no model, same interface."""

    def __init__(self, dims: int = 8, name: str = "test-model") -> None:
        self.name, self.dims = name, dims

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dims], dtype=np.uint8) for t in texts]
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dims) + 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    encode_queries = encode_documents = _encode


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, NoidaServer]]:
    """A private server the test may stop and restart (same port, same data)."""
    if os.environ.get("ES_URL"):
        pytest.skip("stops and restarts its own noida-db; not run against a shared ES_URL")
    try:
        holder = {"es": start_elasticsearch(tmp_path / "es-data")}
    except NoidaUnavailableError as exc:
        pytest.skip(f"noida-db could not start: {exc}")
    yield holder
    holder["es"].stop()


def make_app(tmp_path: Path, url: str, index_prefix: str, embedder: Any = None) -> Any:
    return create_app({"data_dir": tmp_path / "data", "backend": "elasticsearch", "es_url": url,
                       "es_index_prefix": index_prefix, "es_timeout_s": 2,
                       "embedder": embedder or TinyEmbedder(), "model_name": "test-model"})


def test_outage_answers_503_then_recovers(tmp_path: Path, server: dict[str, NoidaServer]) -> None:
    app = make_app(tmp_path, server["es"].url, prefix())
    app.extensions[EXTENSION].index.upsert("clusters", clusters())
    client = keyed_client(app)
    assert client.get("/clusters").get_json()["total"] == 4

    server["es"].stop()
    down = client.get("/clusters")
    assert down.status_code == 503
    # The cause is named; the server's address is not disclosed (no internal URL in error bodies).
    message = down.get_json()["message"]
    assert "Elasticsearch unreachable" in message and server["es"].url not in message
    assert client.get("/clusters/fr-aero").status_code == 503

    server["es"] = restart_elasticsearch(server["es"])
    up = client.get("/clusters")  # same app, same client object: nothing to reset
    assert up.status_code == 200 and up.get_json()["total"] == 4
    assert client.get("/clusters/fr-aero").get_json()["name"] == "Aéro Sud"


def test_app_starts_while_es_is_down_and_checks_later(tmp_path: Path, server: dict[str, NoidaServer]) -> None:
    server["es"].stop()
    app = make_app(tmp_path, server["es"].url, prefix())  # the model check is deferred, not fatal
    client = keyed_client(app)
    assert client.get("/clusters").status_code == 503
    server["es"] = restart_elasticsearch(server["es"])
    assert client.get("/clusters").get_json()["total"] == 0
    assert app.extensions[EXTENSION].index.dims == 8


def test_dims_mismatch_fails_at_startup(tmp_path: Path, server: dict[str, NoidaServer]) -> None:
    shared = prefix()
    make_app(tmp_path, server["es"].url, shared, TinyEmbedder(dims=8))
    with pytest.raises(ConfigurationError) as err:
        make_app(tmp_path, server["es"].url, shared, TinyEmbedder(dims=16))
    message = err.value.message
    assert f"{shared}-clusters-items" in message and "8 dimensions" in message and "16" in message
