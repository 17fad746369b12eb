"""Each value-chain link's gap text ("what is missing" in every language) as a query vector.

The links are few and their labels fixed: the vectors come from the label store of the data dir
(service.label_vectors), else one batch for every link of every sector, once per process."""
from __future__ import annotations

import numpy as np

from service.domain_config import DomainConfig
from service.embeddings import Embedder
from service.label_vectors import encode_labels


def gap_vectors(domain: DomainConfig, embedder: Embedder, cache: dict[str, np.ndarray], links: list[str]
                ) -> np.ndarray:
    """(len(links), dims); `cache` is the process's dict, filled on first use."""
    if not cache:
        every = list(dict.fromkeys(e["key"] for sector in domain.sectors.values() for e in sector.links))
        cache.update(zip(every, encode_labels(embedder, [gap_text(domain, x) for x in every])))
    missing = [link for link in links if link not in cache]
    if missing:
        cache.update(zip(missing, encode_labels(embedder, [gap_text(domain, x) for x in missing])))
    return np.stack([cache[link] for link in links]) if links else np.zeros((0, 0), np.float32)


def gap_text(domain: DomainConfig, link: str) -> str:
    """A template link's labels in every language, or the key read as words."""
    for sector in domain.sectors.values():
        for entry in sector.links:
            if entry["key"] == link:
                labels = [entry["labels"].get(lang) for lang in ("en", "fr", "de", "es", "it")]
                return " / ".join(dict.fromkeys(label for label in labels if label)) or link.replace("_", " ")
    return link.replace("_", " ")
