"""Maillon must beat whole-profile cosine and BM25 on the hand-labelled set (tests/eval)."""
from __future__ import annotations

import pytest

from tests.bench.bench_matching import build_index, evaluate

pytestmark = pytest.mark.model


def test_complementarity_beats_similarity_baselines(tmp_path, embedder, domain) -> None:
    results = evaluate(build_index(tmp_path / "eval.sqlite3", embedder, domain), embedder, domain)
    maillon, cosine, bm25 = results["maillon"], results["cosine"], results["bm25"]
    assert maillon.recall_at_10 >= 0.85
    assert maillon.mrr >= 0.7
    assert maillon.mrr > cosine.mrr + 0.3 and maillon.mrr > bm25.mrr + 0.3
    assert maillon.lookalike_first < cosine.lookalike_first / 2
