"""Value-chain links by meaning: the template links' labels as vectors (encoded once per data dir),
the mapping of a free-text label to a template link when the model says it is the same link, and
the language of a text, read from how close it sits to the labels of each language."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from service.domain_config import LANGS, DomainConfig
from service.embeddings import Embedder
from service.label_vectors import encode_labels

_CACHE: dict[tuple[str, int], LinkVocabulary] = {}
_CACHE_LOCK = threading.Lock()
SEEN_LABELS = 20_000  # free-text labels kept per process: ~30 MB of 384-d vectors


class LinkVocabulary:
    """The template links of every sector, each with its label in every language."""

    def __init__(self, domain: DomainConfig, embedder: Embedder) -> None:
        self.domain = domain
        self.embedder = embedder
        labels: dict[str, dict[str, str]] = {}
        for sector in domain.sectors.values():
            for link in sector.links:
                labels.setdefault(link["key"], link["labels"])
        self.keys = list(labels)
        self.labels = labels
        self._vectors: np.ndarray | None = None  # (languages, keys, dims), query-encoded
        self._lock = threading.Lock()
        self._by_text: dict[str, np.ndarray] = {}  # each template label's text → its vector
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()  # labels as written, most recent last

    def _texts(self) -> list[str]:
        return [self.labels[k].get(lang) or self.labels[k].get("en") or k for lang in LANGS for k in self.keys]

    @property
    def vectors(self) -> np.ndarray:
        """One batch for every label of every link, the first time any is needed."""
        with self._lock:
            if self._vectors is None:
                texts = self._texts()
                flat = encode_labels(self.embedder, texts)  # stored in the data dir after the first time
                self._by_text = dict(zip(texts, flat))
                self._vectors = flat.reshape(len(LANGS), len(self.keys), -1)
            return self._vectors

    def label_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors of value-chain labels as profiles write them, the same as encode_queries
        gives, at a fraction of the cost at ingest: a template label's own vector, else a label
        seen lately in this process, else encoded once per distinct text."""
        dims = self.vectors.shape[-1]
        with self._lock:
            found = {t: self._by_text.get(t, self._seen.get(t)) for t in dict.fromkeys(texts)}
            for text in found:
                if text in self._seen:
                    self._seen.move_to_end(text)
        missing = [t for t, v in found.items() if v is None]
        if missing:
            found.update(zip(missing, self.embedder.encode_queries(missing)))
            with self._lock:
                for text in missing:
                    self._seen[text] = found[text]
                while len(self._seen) > SEEN_LABELS:
                    self._seen.popitem(last=False)
        if not texts:
            return np.zeros((0, dims), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    def canonical(self, vectors: np.ndarray, sectors: list[str | None], same_link: float
                  ) -> list[tuple[str | None, float]]:
        """For each label vector (query-encoded): (template key, cosine) when its best label in any
        language reaches `same_link`, else (None, best cosine). A known sector restricts the keys."""
        if not len(vectors) or not self.keys:
            return [(None, 0.0)] * len(vectors)
        sims = np.einsum("nd,lkd->nlk", vectors, self.vectors).max(axis=1)  # best language per key
        out: list[tuple[str | None, float]] = []
        for row, sector in zip(sims, sectors):
            found = self.domain.sectors.get(sector or "")
            allowed = [self.keys.index(k) for k in found.link_keys()] if found else range(len(self.keys))
            best = max(allowed, key=lambda j: row[j])
            out.append((self.keys[best] if row[best] >= same_link else None, round(float(row[best]), 4)))
        return out

    def language_profile(self, vectors: np.ndarray) -> np.ndarray:
        """(n, languages): mean cosine of each vector to the labels of each language. The labels are
        translations of each other, so the differences between columns are the model's pull
        towards a language, not meaning."""
        return np.einsum("nd,lkd->nl", vectors, self.vectors) / max(1, len(self.keys))


def link_vocabulary(domain: DomainConfig, embedder: Embedder) -> LinkVocabulary:
    """One vocabulary (and one encoding of the labels) per model and domain in a process."""
    key = (embedder.name, id(domain))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = LinkVocabulary(domain, embedder)
        return _CACHE[key]


def link_similarity(domain: DomainConfig, model_name: str, name: str) -> float:
    """A per-model threshold from config/matching.yaml `similarity` (default entry otherwise)."""
    table: dict[str, Any] = domain.matching.get("similarity", {})
    entry = table.get(model_name) or table.get("default") or {}
    defaults = table.get("default") or {}
    return float(entry.get(name, defaults.get(name, 0.9)))
