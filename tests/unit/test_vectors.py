from __future__ import annotations

import numpy as np
import pytest

from service.index.vectors import VectorSet


def unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("mode", ["exact", "hnsw"])
def test_search_matches_brute_force(mode: str) -> None:
    rng = np.random.default_rng(0)
    vs = VectorSet(16, mode=mode)
    data = unit(rng, 300, 16)
    for owner in range(100):
        vs.add(owner, [0, 1, 2], data[owner * 3 : owner * 3 + 3])
    q = unit(rng, 2, 16)
    found = vs.search(q, 5)
    truth = np.argsort(-(q @ data.T), axis=1)[:, :5]
    for row, expected in zip(found, truth):
        assert [o * 3 + p for o, p, _ in row] == list(expected)


def test_mask_and_removal() -> None:
    rng = np.random.default_rng(1)
    vs = VectorSet(8, mode="exact")
    data = unit(rng, 10, 8)
    for owner in range(10):
        vs.add(owner, [0], data[owner : owner + 1])
    mask = np.zeros(10, dtype=bool)
    mask[[2, 5]] = True
    assert {o for o, _, _ in vs.search(data[:1], 10, mask)[0]} == {2, 5}
    vs.remove(5)
    assert {o for o, _, _ in vs.search(data[:1], 10, mask)[0]} == {2}
    assert len(vs) == 9


def test_readd_replaces_rows() -> None:
    rng = np.random.default_rng(2)
    vs = VectorSet(8, mode="exact")
    a, b = unit(rng, 2, 8)
    vs.add(0, [0], a[None])
    vs.add(0, [0, 1], np.stack([b, b]))
    hits = vs.search(b[None], 10)[0]
    assert len(hits) == 2 and all(abs(s - 1) < 1e-5 for _, _, s in hits)
