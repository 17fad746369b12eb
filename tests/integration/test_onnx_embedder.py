"""The ONNX Runtime backends of the default model give the PyTorch backend's vectors (float32:
the same up to rounding; int8: close enough to keep rankings), with the same prompts, and each
process opens its own session. Quality on ESCO is measured by tests/bench/bench_backends.py."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from service.embeddings import load_embedder
from service.settings import load_settings

pytestmark = pytest.mark.model
TEXTS = ["Usinage 5 axes de pièces en titane", "Wir suchen einen Partner für Eloxieren von Aluminium",
         "proveedor de envases de vidrio para vino", "cybersecurity audits for hospitals (ISO 27001)",
         "tessuti tecnici ignifughi per treni"]


@pytest.fixture(scope="module", params=["onnx", "onnx-int8"])
def onnx_embedder(request: pytest.FixtureRequest, embedder: Any) -> Any:
    return load_embedder(embedder.name, load_settings().models_dir, 16, backend=request.param)


def test_same_vectors_as_pytorch(embedder: Any, onnx_embedder: Any) -> None:
    floor = 0.9999 if onnx_embedder.backend == "onnx" else 0.97
    for encode in ("encode_queries", "encode_documents"):
        ours = getattr(onnx_embedder, encode)(TEXTS)
        theirs = getattr(embedder, encode)(TEXTS)
        assert ours.shape == theirs.shape == (len(TEXTS), embedder.dims)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        assert (np.sum(ours * theirs, axis=1) >= floor).all(), np.sum(ours * theirs, axis=1)
    # Queries and documents carry their prompts: the same text differs between the two roles.
    assert (onnx_embedder.encode_queries(TEXTS[:1]) @ onnx_embedder.encode_documents(TEXTS[:1]).T).item() < 0.999


def test_rankings_hold(embedder: Any, onnx_embedder: Any) -> None:
    needs = ["anodisation de pièces aéronautiques", "Glasflaschen für Wein", "fire-retardant train seat fabric"]
    ours = onnx_embedder.encode_queries(needs) @ onnx_embedder.encode_documents(TEXTS).T
    theirs = embedder.encode_queries(needs) @ embedder.encode_documents(TEXTS).T
    assert (ours.argmax(axis=1) == theirs.argmax(axis=1)).all()


def test_a_forked_child_opens_its_own_session(onnx_embedder: Any) -> None:
    before = onnx_embedder.encode_queries(TEXTS[:2])
    parent_session = onnx_embedder._session
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            onnx_embedder.after_fork()
            again = onnx_embedder.encode_queries(TEXTS[:2])
            ok = onnx_embedder._session is not parent_session and np.allclose(again, before, atol=1e-5)
        except BaseException:
            ok = False
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert onnx_embedder._session is parent_session


def test_shipped_sample_vectors_serve_their_backend_only(embedder: Any, onnx_embedder: Any) -> None:
    """indexers/sample_data/vectors.npz was made on the default backend (PyTorch, the `embedder`
    fixture's): a process on that backend reads it; another (ONNX here) gets no cached vector and
    embeds everything itself, never a mix of the two."""
    from indexers import vector_cache
    from indexers.runner import SAMPLE_VECTORS

    made_on = str(np.load(SAMPLE_VECTORS)["backend"])
    assert made_on == vector_cache.made_on(SAMPLE_VECTORS) == embedder.backend == "torch"
    assert vector_cache.load(SAMPLE_VECTORS, embedder) is not None
    assert vector_cache.load(SAMPLE_VECTORS, onnx_embedder) is None
