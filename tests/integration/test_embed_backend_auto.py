"""MAILLON_EMBED_BACKEND=auto with the real model: a store built on one backend is queried, and
ingested into again, with that backend, by every later process (service.embed_backend)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from service.container import build_services
from service.embed_backend import BackendRecord
from service.embeddings import load_embedder
from service.settings import load_settings

DATA = Path(__file__).parent.parent / "data"
NEED = ["Wir suchen Zulieferer für Titanschmiedeteile (Luftfahrt, EN 9100)"]
pytestmark = pytest.mark.model


def services_for(data_dir: Path, model: str) -> Any:
    """What a new process (API, worker, CLI) builds from the environment."""
    return build_services(load_settings({"data_dir": data_dir, "model_name": model, "embed_backend": "auto"},
                                        environ={}))


def ingest_small(services: Any, domain: Any) -> None:
    path = DATA / "clusters_small.jsonl"
    report = ingest(read_records(path, "clusters"), "clusters", services.index, services.embedder, domain,
                    source=path.name)
    assert report.inserted == 3 and report.embedded_texts > 0


def test_a_new_store_takes_int8_and_keeps_it(tmp_path: Path, embedder: Any, domain: Any) -> None:
    int8 = load_embedder(embedder.name, load_settings().models_dir, 64, backend="onnx-int8")  # exported if not yet
    first = services_for(tmp_path, embedder.name)
    assert first.embedder.backend == "onnx-int8"  # empty store, export made: the fastest
    ingest_small(first, domain)
    assert BackendRecord(tmp_path).read() == "onnx-int8"
    later = services_for(tmp_path, embedder.name)
    assert later.embedder.backend == "onnx-int8"
    ours = later.embedder.encode_queries(NEED)
    np.testing.assert_allclose(ours, int8.encode_queries(NEED), atol=1e-5)
    assert float(ours[0] @ embedder.encode_queries(NEED)[0]) < 0.9999  # not PyTorch's vector


def test_a_torch_store_stays_torch_though_int8_is_ready(tmp_path: Path, embedder: Any, domain: Any) -> None:
    load_embedder(embedder.name, load_settings().models_dir, 64, backend="onnx-int8")  # the export exists
    demo = services_for(tmp_path, embedder.name)
    assert demo.embedder.prefer_backend("torch") == "torch"  # as the demo does for its shipped vectors
    ingest_small(demo, domain)
    later = services_for(tmp_path, embedder.name)
    assert later.embedder.backend == "torch" and BackendRecord(tmp_path).read() == "torch"
    np.testing.assert_allclose(later.embedder.encode_queries(NEED), embedder.encode_queries(NEED), atol=1e-5)
