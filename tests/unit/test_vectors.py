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


def test_filtered_graph_search_finds_the_exact_neighbours_among_the_allowed() -> None:
    # Past EXACT_SUBSET_MAX allowed rows the graph answers, with a filter callback when more than a
    # few rows are hidden; its breadth follows the share hidden (a fifth here).
    rng = np.random.default_rng(4)
    data = unit(rng, 26_000, 12)
    vs = VectorSet.from_rows(12, "hnsw", 50_000, data.copy(), np.arange(len(data)), np.zeros(len(data)))
    mask = np.ones(len(data), dtype=bool)
    mask[::5] = False
    q = unit(rng, 8, 12)
    found = vs.search(q, 20, mask)
    scores = np.where(mask, q @ data.T, -np.inf)
    truth = np.argsort(-scores, axis=1)[:, :20]
    assert all(mask[o] for row in found for o, _, _ in row)
    hits = sum(len({o for o, _, _ in row} & set(expected)) for row, expected in zip(found, truth))
    assert hits / truth.size >= 0.95


@pytest.mark.parametrize("mode", ["exact", "hnsw"])
def test_bulk_rows_in_one_run_or_scattered_are_removed_whole(mode: str) -> None:
    """from_rows keeps an owner's rows as a range when they are one run, as a list when they are
    not (a profile rewritten after others): removing either drops exactly its rows."""
    rng = np.random.default_rng(4)
    data = unit(rng, 7, 8)
    owner = np.array([5, 5, 6, 5, 7, 7, 8])  # owner 5 scattered, 6, 7 and 8 in one run
    pos = np.array([0, 1, 0, 2, 0, 1, 0])
    alive = np.array([True, True, True, True, True, True, False])  # 8 is a tombstone
    vs = VectorSet.from_rows(8, mode, 0, data, owner, pos, alive)
    if mode == "hnsw":
        vs.prepare()
    assert vs._rows_of[5] == [0, 1, 3] and vs._rows_of[7] == range(4, 6) and 8 not in vs._rows_of
    vs.remove(5)
    vs.remove(7)
    assert [o for row in vs.search(data, 7) for o, _, _ in row] == [6] * 7
    vs.add(9, [0, 1], data[:2])
    assert vs._rows_of[9] == range(7, 9)
    assert {o for o, _, _ in vs.search(data[:1], 3)[0]} == {6, 9}


def test_few_hidden_owners_give_the_masked_search() -> None:
    """The shortcut for a mask hiding a few owners (the seeker) returns what applying the mask to
    every row returns: hiding none, one, a few or many, a mask shorter than the owners, owners
    re-added (rows in two runs) and removed."""
    rng = np.random.default_rng(6)
    vs = VectorSet(8, mode="exact")
    data = unit(rng, 900, 8)
    for owner in range(300):
        vs.add(owner, list(range(1 + owner % 3)), data[owner * 3 : owner * 3 + 1 + owner % 3])
    for owner in (7, 40, 41):
        vs.add(owner, [0, 1], data[owner * 3 : owner * 3 + 2])
    vs.remove(12)
    q = unit(rng, 3, 8)
    masks = [np.ones(300, dtype=bool) for _ in range(5)]
    masks[1][7] = False
    masks[2][[7, 12, 40, 299]] = False
    masks[3][::2] = False
    masks[4] = masks[4][:250]
    for mask in masks:
        shortcut = vs.search(q, 700, mask)  # every row: a wrongly kept one shows
        vs._hide_few = lambda alive, mask: False  # type: ignore[method-assign]
        assert shortcut == vs.search(q, 700, mask)
        del vs._hide_few


@pytest.mark.parametrize("mode", ["exact", "hnsw"])
def test_hits_are_plain_numbers_equal_to_the_backend_values(mode: str) -> None:
    # Hits are built from whole arrays at once: each (owner, pos, score) must still be Python
    # numbers, the seeker's hidden rows left out, the score the float32 the backend gave.
    rng = np.random.default_rng(5)
    data = unit(rng, 24_000, 12)
    owners, positions = np.arange(len(data)) // 2, np.arange(len(data)) % 2
    vs = VectorSet.from_rows(12, mode, 1_000, data.copy(), owners, positions)
    mask = np.ones(len(data) // 2, dtype=bool)
    mask[[3, 40]] = False
    q = unit(rng, 6, 12)
    found = vs.search(q, 15, mask)
    for row, query in zip(found, q):
        assert len(row) == 15 and not {3, 40} & {o for o, _, _ in row}
        for owner, pos, score in row:
            assert type(owner) is int and type(pos) is int and type(score) is float
            # A float32 value (the backend's), close to the exact cosine.
            assert score == float(np.float32(score)) and abs(score - float(query @ data[2 * owner + pos])) < 1e-5
