"""The embedder: one sentence-transformers model, batch encoding of needs (queries) and offers."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dims: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Needs are queries and offers/competences are documents: the model's own prompts
    (e.g. e5's "query: " / "passage: ") are applied, and vectors are unit length."""

    def __init__(self, model: Any, name: str, batch_size: int = 64) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        dims_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dims = int(dims_of())
        prompts = getattr(model, "prompts", None) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._document_prompt = "document" if "document" in prompts else None
        # torch releases the GIL; one encode at a time keeps 2 cores from thrashing.
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._document_prompt)

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                prompt_name=prompt_name,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(model_name: str, cache_dir: Path, batch_size: int = 64, backend: str = "torch",
                  threads: int = 0, one_shot: bool = False) -> Embedder:
    """Load the configured model offline (building it once from its PyPI package if needed) on
    the chosen backend: PyTorch, or ONNX Runtime float32/int8 (MAILLON_EMBED_BACKEND).

    `one_shot`: a process that embeds a text or two and exits (`maillon match --text`). Instead of
    PyTorch it takes the float32 ONNX export of the same model when one was already made: the
    same vectors (cosine ≥ 0.9999, tests/integration/test_onnx_embedder.py) in a fraction of the
    load time. Servers and ingest keep the configured backend."""
    import os

    if one_shot and backend == "torch":
        from service.model_assets import materialise_model
        from service.onnx_embedder import exported

        if exported(materialise_model(model_name, cache_dir), "onnx"):
            backend = "onnx"
    if backend != "torch":
        from service.model_assets import materialise_model
        from service.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(materialise_model(model_name, cache_dir), model_name, backend, batch_size, threads)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    from service.model_assets import KNOWN_MODELS, materialise_model

    path = materialise_model(model_name, cache_dir)
    info = KNOWN_MODELS.get(model_name)
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True,
                                trust_remote_code=bool(info and info.trust_remote_code))
    return SentenceTransformerEmbedder(model, model_name, batch_size)
