"""Hybrid retrieval for free-text needs: the kNN candidates fused with a BM25 ranking of the
same text, so that rare exact terms (a certification such as EN 9100, a product code, a material
grade) bring in the profiles that name them. Both backends rank lexically (Elasticsearch BM25,
SQLite FTS5); the weight of the lexical ranking is `hybrid.weight` in matching.yaml
(0: kNN only). Matcher.retrieve asks the index for the BM25 ranking in the same round as its kNN
searches (`lexical_k`), then fuses the two rankings (`fuse`)."""
from __future__ import annotations

from typing import Any

from service.index.fusion import reciprocal_rank_fusion


def lexical_k(text: str, cfg: dict[str, Any]) -> int | None:
    """How many BM25 candidates to fuse for this text, or None when hybrid is off."""
    hybrid = cfg.get("hybrid") or {}
    if float(hybrid.get("weight", 0.0)) <= 0 or not text.strip():
        return None
    return int(hybrid.get("lexical_k", cfg["retrieval"]["per_need_k"]))


def fuse(semantic: list[str], words: list[str], cfg: dict[str, Any]) -> list[str]:
    weight = float((cfg.get("hybrid") or {}).get("weight", 0.0))
    return [pid for pid, _ in reciprocal_rank_fusion([semantic, words], weights=[1.0, weight])]
