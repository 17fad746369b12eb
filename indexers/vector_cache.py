"""Vectors of the demo's sample data, shipped with it so a first run does not embed 2,441 members.

The file is keyed by the model's name, its embedding backend (torch, onnx, onnx-int8) and its
fingerprint: a few probe sentences encoded by the model that made the vectors. A model that
encodes them differently (another model, backend or build, another version of a library) gets no
cached vector: everything is embedded again, as without a cache, never a mix of the two.
Texts the file does not hold (new or edited sample records) are embedded as usual.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from service.embeddings import Embedder
from service.label_vectors import encode_labels

log = logging.getLogger(__name__)

PROBES = ("traitement de surface des pièces aéronautiques", "Oberflächentechnik für Luftfahrtbauteile",
          "we look for a distributor of cork stoppers in Portugal", "logística inversa de envases",
          "sensori per l'agricoltura di precisione")
SAME_MODEL_COSINE = 0.999  # float noise across CPUs stays far above; another model far below


def _key(role: str, text: str) -> str:
    return hashlib.sha1(f"{role}\t{text}".encode()).hexdigest()


class CachedEmbedder:
    """An Embedder that answers from stored vectors and asks the model only for the rest."""

    def __init__(self, model: Embedder, vectors: dict[str, np.ndarray]) -> None:
        self.model = model
        self.name = model.name
        self.dims = model.dims
        self.vectors = vectors
        self.hits = self.misses = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode("query", texts, self.model.encode_queries)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode("document", texts, self.model.encode_documents)

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray:
        return encode_labels(self.model, texts)  # the model's own label store (service.label_vectors)

    def _encode(self, role: str, texts: Sequence[str], encode: object) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        missing = []
        for n, text in enumerate(texts):
            cached = self.vectors.get(_key(role, text))
            if cached is None:
                missing.append(n)
            else:
                out[n] = cached
        if missing:
            out[missing] = encode([texts[n] for n in missing])  # type: ignore[operator]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        return out


class RecordingEmbedder(CachedEmbedder):
    """Encodes everything with the model and keeps every vector, to write a cache file."""

    def __init__(self, model: Embedder) -> None:
        super().__init__(model, {})

    def _encode(self, role: str, texts: Sequence[str], encode: object) -> np.ndarray:
        vectors = np.asarray(encode(list(texts)), dtype=np.float32)  # type: ignore[operator]
        for text, vector in zip(texts, vectors):
            self.vectors[_key(role, text)] = vector
        return vectors


def backend_of(model: Embedder) -> str:
    return str(getattr(model, "backend", "torch"))  # SentenceTransformerEmbedder is PyTorch


def made_on(path: Path) -> str:
    """The backend that made the file's vectors."""
    with np.load(path, allow_pickle=False) as data:
        return str(data["backend"]) if "backend" in data else "torch"


def save(path: Path, model: Embedder, vectors: dict[str, np.ndarray]) -> None:
    keys = sorted(vectors)
    np.savez_compressed(path, model=np.array(model.name), backend=np.array(backend_of(model)), keys=np.array(keys),
                        vectors=np.stack([vectors[k] for k in keys]).astype(np.float16),
                        probes=model.encode_documents(list(PROBES)).astype(np.float32))


def load(path: Path, model: Embedder) -> CachedEmbedder | None:
    """A cached embedder when the file was made by this very model, else None (say why)."""
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        made_by = (str(data["model"]), str(data["backend"]) if "backend" in data else "torch")
        if made_by != (model.name, backend_of(model)) or data["vectors"].shape[1] != model.dims:
            log.warning("%s was made with %s on %s; embedding the sample data with %s on %s", path.name,
                        *made_by, model.name, backend_of(model))
            return None
        probes = model.encode_documents(list(PROBES))
        agreement = float(np.min(np.sum(probes * data["probes"], axis=1)))
        if agreement < SAME_MODEL_COSINE:
            log.warning("%s: this build of %s encodes differently (cosine %.4f); embedding again",
                        path.name, model.name, agreement)
            return None
        stored = data["vectors"].astype(np.float32)
        stored /= np.linalg.norm(stored, axis=1, keepdims=True)  # float16 storage: unit length again
        vectors = dict(zip(data["keys"].tolist(), stored))
    return CachedEmbedder(model, vectors)


def build(path: Path) -> int:
    """Ingest the sample data into a throw-away store with the configured model and write every
    vector it embedded to `path` (python -m indexers.vector_cache)."""
    import tempfile

    from indexers.runner import SAMPLE_DIR, run_ingest
    from service.container import build_services
    from service.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(load_settings({"data_dir": tmp}))
        recorder = RecordingEmbedder(services.embedder)
        for kind in ("clusters", "members"):
            run_ingest(services, kind, SAMPLE_DIR / f"{kind}.jsonl", None, 256, embedder=recorder)
        save(path, services.embedder, recorder.vectors)
    return len(recorder.vectors)


if __name__ == "__main__":  # pragma: no cover - maintenance command
    from indexers.runner import SAMPLE_VECTORS

    print(f"{build(SAMPLE_VECTORS)} vectors written to {SAMPLE_VECTORS}")
