"""The model, loaded on the first text that must be embedded.

A stored-seeker match reads every vector it needs from the store and the label store
(service.label_vectors): without this it would import torch and load the model (most of a
command's cold start) for nothing. Servers and workers still load it before serving (`warm()`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from service.embeddings import Embedder
from service.label_vectors import LabelVectorStore


class LazyEmbedder:
    """An Embedder whose name (and, for known models, size) is known before the model loads."""

    def __init__(self, name: str, load: Callable[[], Embedder], dims: int | None = None,
                 labels: LabelVectorStore | None = None) -> None:
        self.name = name
        self._load = load
        self._dims = dims
        self.labels = labels
        self._model: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> Embedder:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    model = self._load()
                    if self._dims is not None and model.dims != self._dims:
                        raise ValueError(f"model {self.name} gives {model.dims} dimensions, expected {self._dims}")
                    self._model = model
        return self._model

    @property
    def backend(self) -> str:
        return str(getattr(self.model, "backend", "torch"))

    @property
    def dims(self) -> int:
        return self._dims if self._dims is not None else self.model.dims

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode_documents(texts)

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors of fixed label texts: stored ones without the model, the rest encoded
        (one batch) and stored for the next process."""
        if self.labels is None:
            return self.encode_queries(texts)
        found = self.labels.lookup(texts)
        missing = list(dict.fromkeys(t for t, v in zip(texts, found) if v is None))
        if missing:
            fresh = dict(zip(missing, self.model.encode_queries(missing)))
            self.labels.add(missing, np.stack([fresh[t] for t in missing]))
            found = [v if v is not None else fresh[t] for t, v in zip(texts, found)]
        if not found:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack(found).astype(np.float32, copy=False)
