"""Candidates read again from memory (service.index.candidate_cache): a search after a data change
re-reads only what changed, and never serves a row another process replaced or removed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from service.index.base import IndexedProfile, Item, items_digest
from service.index.candidate_cache import CandidateCache
from service.index.embedded import EmbeddedIndex

DIMS = 8


def profile(pid: str, text: str, seed: int) -> IndexedProfile:
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((2, DIMS)).astype(np.float32)
    doc = {"id": pid, "name": f"Atelier {pid}", "country": "PT", "offers": [{"type": "product", "text": text}]}
    items = [Item("profile", 0, doc["name"], vecs[0]), Item("offer", 0, text, vecs[1], "product")]
    return IndexedProfile("members", pid, doc, f"h-{pid}-{text}", items)


@pytest.fixture
def paths(tmp_path: Path) -> tuple[EmbeddedIndex, EmbeddedIndex]:
    """Two processes' views of one store: a reader (a web worker) and a writer (an ingest)."""
    path = tmp_path / "maillon.sqlite3"
    writer = EmbeddedIndex(path)
    writer.check_model("test-model", DIMS)
    writer.upsert("members", [profile(f"m{i}", f"Rolhas de cortiça {i}", i) for i in range(6)])
    reader = EmbeddedIndex(path)
    reader.warm()
    return reader, writer


def test_a_second_read_comes_from_memory_and_equals_the_store(paths: tuple[EmbeddedIndex, EmbeddedIndex]) -> None:
    reader, _ = paths
    ids = ["m3", "m0", "m5", "gone"]
    first = reader.read_candidates("members", ids, 0)
    assert len(reader._candidates) == 3
    again = reader.read_candidates("members", ids, 0)
    assert list(again.docs) == ["m3", "m0", "m5"] and again.docs == first.docs == reader.get_many("members", ids)
    stored = reader.items_many("members", ["m3"])["m3"]
    assert [(it.role, it.pos, it.text, it.type) for it in again.items["m3"]] == [
        (it.role, it.pos, it.text, it.type) for it in stored]
    assert np.array_equal(np.stack([it.vector for it in again.items["m3"]]), np.stack([it.vector for it in stored]))


def test_callers_get_their_own_docs_and_cannot_write_the_vectors(paths: tuple[EmbeddedIndex, EmbeddedIndex]) -> None:
    reader, _ = paths
    read = reader.read_candidates("members", ["m1"], 0)
    read.docs["m1"]["offers"].append({"type": "service", "text": "changed by a caller"})
    assert reader.read_candidates("members", ["m1"], 0).docs["m1"]["offers"] == [
        {"type": "product", "text": "Rolhas de cortiça 1"}]
    with pytest.raises(ValueError):
        read.items["m1"][0].vector[0] = 1.0


def test_each_candidate_comes_with_its_vectors_stacked_and_their_digest(
        paths: tuple[EmbeddedIndex, EmbeddedIndex]) -> None:
    reader, writer = paths
    for _ in range(2):  # read from the store, then from memory
        read = reader.read_candidates("members", ["m1", "m2"], 0)
        for pid in ("m1", "m2"):
            matrix, digest = read.stacks[pid]
            assert np.array_equal(matrix, np.stack([it.vector for it in read.items[pid]]))
            assert not matrix.flags.writeable and all(np.shares_memory(it.vector, matrix) for it in read.items[pid])
            assert digest == items_digest(read.items[pid], matrix)
    before = read.stacks["m1"][1]
    writer.upsert("members", [profile("m1", "Tapones de corcho", 99)])
    assert reader.read_candidates("members", ["m1"], 0).stacks["m1"][1] != before


def test_a_profile_written_or_deleted_by_another_process_is_read_again(
        paths: tuple[EmbeddedIndex, EmbeddedIndex]) -> None:
    reader, writer = paths
    reader.read_candidates("members", ["m1", "m2"], 0)
    writer.upsert("members", [profile("m1", "Tapones de corcho", 99)])
    writer.delete("members", ["m2"])
    read = reader.read_candidates("members", ["m1", "m2"], 0)
    assert list(read.docs) == ["m1"] and read.docs["m1"]["offers"][0]["text"] == "Tapones de corcho"
    assert sorted(it.text for it in read.items["m1"]) == ["Atelier m1", "Tapones de corcho"]


def test_the_cache_holds_at_most_its_bytes_and_drops_the_least_recent() -> None:
    vec = np.ones(DIMS, dtype=np.float32)
    cache = CandidateCache(max_bytes=3 * (100 + 4 + DIMS * 4 + 200))
    for i in range(4):
        cache.put("members", f"m{i}", "x" * 100, [Item("offer", 0, "text", vec)])
    found, missing = cache.get("members", ["m0", "m1", "m2", "m3"])
    assert sorted(found) == ["m1", "m2", "m3"] and missing == ["m0"] and cache.bytes <= cache.max_bytes
    cache.get("members", ["m1"])  # now the most recent
    cache.put("members", "m4", "x" * 100, [])
    assert cache.get("members", ["m1", "m2"])[1] == ["m2"]
    cache.drop("members", ["m1"])
    cache.put("members", "huge", "x" * (cache.max_bytes + 1), [])  # larger than the whole cache: not kept
    assert cache.get("members", ["m1", "huge"])[1] == ["m1", "huge"]
