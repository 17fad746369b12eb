"""The embedded mirror saved next to the store (service.index.snapshot): a restarted process
loads it instead of reading every vector, and still sees every write logged after it."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.index import snapshot
from service.index.base import IndexedProfile, Item, ProfileFilter
from service.index.embedded import EmbeddedIndex

DIMS = 16
COUNTRIES = ["FR", "DE", "ES", "IT", "PL"]


def vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIMS)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def member(pid: str, n: int, rng: np.random.Generator) -> IndexedProfile:
    offers = [{"type": "service", "text": f"Prestation {k} de {pid}", "link": None} for k in range(1 + n % 3)]
    doc = {"id": pid, "name": f"Société {pid}", "country": COUNTRIES[n % 5], "sector": "agrifood",
           "org_type": "sme", "clusters": [f"c-{n % 4}"], "offers": offers, "requests": []}
    vecs = vectors(rng, len(offers) + 1)
    items = [Item("profile", 0, doc["name"], vecs[0])]
    items += [Item("offer", k, o["text"], vecs[k + 1], o["type"], None) for k, o in enumerate(offers)]
    return IndexedProfile("members", pid, doc, f"h-{pid}-{n}", items)


def opened(path: Path, mode: str = "hnsw") -> EmbeddedIndex:
    index = EmbeddedIndex(path, vector_mode=mode, snapshot_min_rows=0)
    index.warm()
    return index


def nearest(index: EmbeddedIndex, queries: np.ndarray, **flt: object) -> list[list[tuple[str, int]]]:
    rows = index.knn("members", "offer", queries, 10, ProfileFilter(**flt))  # type: ignore[arg-type]
    return [[(h.profile_id, h.pos) for h in row] for row in rows]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "maillon.sqlite3"
    writer = EmbeddedIndex(path, vector_mode="hnsw", snapshot_min_rows=10**9)  # saves none
    writer.check_model("test-model", DIMS)
    rng = np.random.default_rng(3)
    writer.upsert("members", [member(f"m-{n:03d}", n, rng) for n in range(300)])
    return path


@pytest.mark.parametrize("mode", ["hnsw", "exact"])
def test_restart_loads_the_snapshot_with_the_same_answers(store: Path, mode: str) -> None:
    first = opened(store, mode)
    assert first._seq_loaded == 0 and (snapshot.folder(first.store) / "current.json").exists()
    queries = vectors(np.random.default_rng(9), 5)
    again = opened(store, mode)
    assert again._seq_loaded == first._seq  # from the snapshot, nothing replayed
    assert nearest(again, queries) == nearest(first, queries)
    assert nearest(again, queries, countries={"FR"}, clusters={"c-1"}) == nearest(
        first, queries, countries={"FR"}, clusters={"c-1"})
    assert again.memory_bytes() > 0 and (mode == "exact") == all(
        vs._hnsw is None for vs in again._vectors.values())


def test_writes_after_the_snapshot_are_replayed(store: Path) -> None:
    opened(store)
    other = EmbeddedIndex(store, vector_mode="hnsw", snapshot_min_rows=0)  # another process writing
    rng = np.random.default_rng(11)
    fresh = member("m-new", 1, rng)
    moved = member("m-005", 6, rng)  # new vectors, another country
    other.upsert("members", [fresh, moved])
    other.delete("members", ["m-010"])
    restarted = opened(store)
    assert 0 < restarted._seq_loaded < restarted._seq
    # the replayed rows went into the file's spare rows: the mapped matrix was not copied
    assert isinstance(restarted._vectors[("members", "offer")]._matrix, np.memmap)
    for p in (fresh, moved):
        offer = next(it.vector for it in p.items if it.role == "offer")
        assert nearest(restarted, offer[None])[0][0] == (p.id, 0)
    gone = next(it.vector for it in other.items("members", "m-011") if it.role == "offer")
    assert all(pid != "m-010" for pid, _ in nearest(restarted, gone[None])[0])
    moved_offer = moved.items[1].vector[None]
    assert nearest(restarted, moved_offer, countries={"DE"})[0][0] == ("m-005", 0)  # its new country
    assert {pid for row in nearest(restarted, np.vstack([moved_offer, vectors(rng, 20)]), countries={"FR"})
            for pid, _ in row} <= {f"m-{n:03d}" for n in range(0, 300, 5) if n != 5}
    assert restarted.read_candidates("members", ["m-new"], 0).docs["m-new"]["name"] == "Société m-new"


def test_another_store_under_the_same_name_ignores_it(store: Path, tmp_path: Path) -> None:
    opened(store)
    for stale in tmp_path.glob("maillon.sqlite3*"):
        if stale.is_file():
            stale.unlink()
    writer = EmbeddedIndex(store, vector_mode="hnsw", snapshot_min_rows=10**9)
    writer.check_model("test-model", DIMS)
    rng = np.random.default_rng(4)  # same ids and change count, other vectors
    profiles = [member(f"m-{n:03d}", n, rng) for n in range(300)]
    writer.upsert("members", profiles)
    restarted = opened(store)
    assert restarted._seq_loaded == 0  # read from the store, not from the old snapshot
    offer = next(it.vector for it in profiles[7].items if it.role == "offer")
    assert nearest(restarted, offer[None])[0][0] == ("m-007", 0)


def test_a_damaged_or_foreign_snapshot_falls_back_to_the_store(store: Path) -> None:
    first = opened(store)
    folder = snapshot.folder(first.store)
    manifest = json.loads((folder / "current.json").read_text())
    next(folder.glob(f"{manifest['token']}-members-offer.owner.npy")).write_bytes(b"not numpy")
    queries = vectors(np.random.default_rng(5), 3)
    damaged = opened(store)
    assert damaged._seq_loaded == 0 and nearest(damaged, queries) == nearest(first, queries)
    # that load saved a good one again
    assert opened(store)._seq_loaded == first._seq



def test_one_snapshot_serves_every_vector_mode(store: Path) -> None:
    exact = opened(store, "exact")  # saves rows only
    graphs = opened(store, "hnsw")  # loads them, builds the graphs, saves them too
    assert graphs._seq_loaded == exact._seq and graphs._graphs_built
    again = opened(store, "hnsw")
    assert again._seq_loaded == exact._seq and not again._graphs_built
    assert all(vs._hnsw is not None for vs in again._vectors.values())
    assert all(vs._hnsw is None for vs in opened(store, "exact")._vectors.values())
    queries = vectors(np.random.default_rng(8), 4)
    assert nearest(again, queries) == nearest(graphs, queries)


def test_small_stores_save_nothing(tmp_path: Path) -> None:
    path = tmp_path / "small.sqlite3"
    index = EmbeddedIndex(path)
    index.check_model("test-model", DIMS)
    index.upsert("members", [member("m-1", 1, np.random.default_rng(1))])
    assert not snapshot.folder(index.store).exists()
