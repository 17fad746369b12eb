"""Vectors of the configuration's fixed texts (template link labels in every language, value-chain gap
texts), computed once and kept in the data dir, so a process that only reads stored vectors (a
stored-seeker match) never loads the model.

One file per model and backend; each vector is keyed by a hash of its text, so editing a label in
config/value_chains.yaml or changing the model simply misses the old entries (they are encoded
again and added). Free-text needs are never kept here: only texts the caller calls labels.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    return hashlib.sha256(f"query\t{text}".encode()).hexdigest()[:32]


class LabelVectorStore:
    """Query-encoded vectors of label texts for one model, in `<dir>/<model>-<backend>.npz`."""

    def __init__(self, folder: Path, model_name: str, backend: str) -> None:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{model_name}-{backend}")
        self.path = folder / f"{safe}.npz"
        self.model_name = model_name
        self._vectors: dict[str, np.ndarray] | None = None
        self._lock = threading.Lock()

    def lookup(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        with self._lock:
            known = self._load()
            return [known.get(text_key(t)) for t in texts]

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep new vectors, merged with what another process may have written meanwhile."""
        with self._lock:
            known = self._load()
            known.update(zip(map(text_key, texts), np.asarray(vectors, dtype=np.float32)))
            self._vectors = {**self._read(), **known}
            try:
                self._write(self._vectors)
            except OSError as exc:  # a read-only data dir: the vectors still serve this process
                log.warning("label vectors not saved to %s: %s", self.path, exc)

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = self._read()
        return self._vectors

    def _read(self) -> dict[str, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["model"]) != self.model_name:
                    return {}
                return dict(zip(data["keys"].tolist(), data["vectors"].astype(np.float32)))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # damaged: encode again and rewrite it
            log.warning("label vectors in %s unreadable (%s); encoding them again", self.path, exc)
            return {}

    def _write(self, vectors: dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(vectors)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".npz", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:  # written whole, then renamed: readers never see half a file
                np.savez(out, model=np.array(self.model_name), keys=np.array(keys),
                         vectors=np.stack([vectors[k] for k in keys]))
            os.chmod(name, 0o644)
            os.replace(name, self.path)
        finally:
            Path(name).unlink(missing_ok=True)


def encode_labels(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    """Query vectors of fixed label texts: from the embedder's label store when it has one
    (service.lazy_embedder), else encoded by the model."""
    encode = getattr(embedder, "encode_labels", None)
    return encode(texts) if encode is not None else embedder.encode_queries(texts)
