"""The model, loaded on the first text that must be embedded.

A stored-seeker match reads every vector it needs from the store and the label store
(service.label_vectors): without this it would import torch and load the model (most of a
command's cold start) for nothing. Servers and workers still load it before serving (`warm()`).

With a BackendChoice (MAILLON_EMBED_BACKEND=auto), the backend follows the data dir's record
(service.embed_backend): documents are embedded on the recorded backend, and queries too.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from service.embed_backend import BackendChoice
from service.embeddings import Embedder
from service.label_vectors import LabelVectorStore


class LazyEmbedder:
    """An Embedder whose name (and, for known models, size) is known before the model loads."""

    def __init__(self, name: str, load: Callable[[], Embedder], dims: int | None = None,
                 labels: LabelVectorStore | None = None, *, choice: BackendChoice | None = None,
                 load_backend: Callable[[str], Embedder] | None = None,
                 labels_for: Callable[[str], LabelVectorStore] | None = None) -> None:
        self.name = name
        self._load = load
        self._dims = dims
        self._labels = labels
        self._choice, self._load_backend, self._labels_for = choice, load_backend, labels_for
        self._label_stores: dict[str, LabelVectorStore] = {}
        self._models: dict[str, Embedder] = {}
        self._model: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def labels(self) -> LabelVectorStore | None:
        if self._choice is None or self._labels_for is None:
            return self._labels
        backend = self._choice.current()
        if backend not in self._label_stores:
            self._label_stores[backend] = self._labels_for(backend)
        return self._label_stores[backend]

    @property
    def model(self) -> Embedder:
        backend = self._choice.current() if self._choice is not None else ""
        if self._model is None or backend not in self._models:
            with self._lock:
                if backend not in self._models:
                    load = self._load if self._load_backend is None else (lambda: self._load_backend(backend))
                    model = load()
                    if self._dims is not None and model.dims != self._dims:
                        raise ValueError(f"model {self.name} gives {model.dims} dimensions, expected {self._dims}")
                    self._models[backend] = model
                self._model = self._models[backend]
        return self._models[backend]

    @property
    def backend(self) -> str:
        if self._choice is not None:
            return self._choice.current()
        return str(getattr(self.model, "backend", "torch"))

    def prefer_backend(self, backend: str) -> str:
        """A new store takes `backend` under `auto` (see BackendChoice.prefer)."""
        return self._choice.prefer(backend) if self._choice is not None else self.backend

    def prepare_fastest(self) -> None:
        if self._choice is not None:
            self._choice.prepare_fastest()

    @property
    def dims(self) -> int:
        return self._dims if self._dims is not None else self.model.dims

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self._settle(texts)
        return self.model.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self._settle(texts)
        return self.model.encode_documents(texts)

    def _settle(self, texts: Sequence[str]) -> None:
        # Stored vectors are made of both (needs are queries): the first text embedded for this
        # data dir records its backend, which every later process then follows.
        if self._choice is not None and len(texts):
            self._choice.settle()

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors of fixed label texts: stored ones without the model, the rest encoded
        (one batch) and stored for the next process."""
        labels = self.labels
        if labels is None:
            return self.encode_queries(texts)
        found = labels.lookup(texts)
        missing = list(dict.fromkeys(t for t, v in zip(texts, found) if v is None))
        if missing:
            fresh = dict(zip(missing, self.model.encode_queries(missing)))
            labels.add(missing, np.stack([fresh[t] for t in missing]))
            found = [v if v is not None else fresh[t] for t, v in zip(texts, found)]
        if not found:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack(found).astype(np.float32, copy=False)
