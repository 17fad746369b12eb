"""Reciprocal rank fusion of rankings, done in our code (Elasticsearch's RRF needs a paid licence)."""
from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60  # the constant of Cormack et al.; damps the weight of the very first ranks


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K,
                           weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Ids by summed weight/(k + rank), best first; ties broken by id so the order is deterministic."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, key in enumerate(dict.fromkeys(ranking), start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
