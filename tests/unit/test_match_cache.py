"""The per-process match cache: one ranking per search and data version, copies handed out,
memory bounded, and a write to the embedded store (in any process) empties it."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from service.access.keys import Principal
from service.index.base import IndexedProfile, Item
from service.index.embedded import EmbeddedIndex
from service.match_cache import CachedMatcher, MatchCache, SharedTier, canonical, data_version
from service.matching.filters import MatchRequest
from service.matching.matcher import Match, MatchPage

SEEKER = MatchRequest(target="members", seeker_kind="clusters", seeker_id="kunststoff-cluster-nrw", foreign_only=True,
                      limit=20, audience="members", seeker_owned=True)


class VersionedIndex:
    """An index whose data version the test moves by hand."""

    def __init__(self) -> None:
        self.version = "v1"

    def data_version(self) -> str | None:
        return self.version


class RankingMatcher:
    """Ranks 130 candidates the same way every time and counts how often it had to."""

    def __init__(self, index: object) -> None:
        self.index = index
        self.cfg = {"weights": {"members": {"complementarity": 3.0}}}
        self.calls: list[MatchRequest] = []

    def find(self, req: MatchRequest) -> MatchPage:
        self.calls.append(req)
        ranked = [Match(id=f"m-{i:03d}", kind=req.target, name=f"Entreprise {i}", country="ES", score=1 - i / 200,
                        criteria={}, pairs=[{"need": "moulage", "offer": "injection", "similarity": 0.7}],
                        gaps_filled=[], sentence=f"Entreprise {i} (ES): offre injection.",
                        profile={"owned": req.seeker_owned}) for i in range(130)]
        return MatchPage(seeker={"id": req.seeker_id, "gaps": {"moulage": "missing"}}, search_type=req.search_type,
                         items=ranked[req.offset : req.offset + req.limit], total=len(ranked))


def cached() -> tuple[CachedMatcher, RankingMatcher, VersionedIndex]:
    index = VersionedIndex()
    inner = RankingMatcher(index)
    return CachedMatcher(inner, MatchCache()), inner, index


def test_smaller_pages_of_the_same_search_are_slices_of_one_ranking() -> None:
    matcher, inner, _ = cached()
    first = matcher.find(SEEKER)
    assert [m.id for m in first.items] == [f"m-{i:03d}" for i in range(20)] and first.total == 130
    assert [m.id for m in matcher.find(replace(SEEKER, limit=25)).items] == [f"m-{i:03d}" for i in range(25)]
    assert [m.id for m in matcher.find(replace(SEEKER, offset=20, limit=10)).items] == [
        f"m-{i:03d}" for i in range(20, 30)]
    assert len(inner.calls) == 1
    beyond = matcher.find(replace(SEEKER, offset=100, limit=20))  # past the kept ranking: ranked again
    assert [m.id for m in beyond.items] == [f"m-{i:03d}" for i in range(100, 120)] and len(inner.calls) == 2


def test_a_hit_is_a_copy_nobody_else_holds() -> None:
    matcher, _, _ = cached()
    matcher.find(SEEKER).items[0].name = "changed by a caller"
    assert matcher.find(SEEKER).items[0].name == "Entreprise 0"


def test_what_changes_the_answer_changes_the_key() -> None:
    matcher, inner, index = cached()
    matcher.find(SEEKER)
    matcher.find(replace(SEEKER, seeker_owned=False))  # private needs may not feed this one
    matcher.find(replace(SEEKER, audience="public"))
    matcher.find(replace(SEEKER, countries=frozenset({"ES"})))
    matcher.find(replace(SEEKER, participants=frozenset({"m-001"})))
    assert len(inner.calls) == 5
    assert matcher.find(replace(SEEKER, seeker_owned=False)).items[0].profile == {"owned": False}
    inner.cfg["weights"]["members"]["complementarity"] = 2.0  # an admin applied learned weights
    matcher.find(SEEKER)
    index.version = "v2"  # a write somewhere
    matcher.find(SEEKER)
    assert len(inner.calls) == 7


def test_memo_follows_the_same_version_and_a_backend_without_one_is_not_cached() -> None:
    matcher, _, index = cached()
    made = []
    assert matcher.memo(("consortia", "a"), lambda: made.append(1) or {"n": len(made)}) == {"n": 1}
    assert matcher.memo(("consortia", "a"), lambda: made.append(1) or {"n": len(made)}) == {"n": 1}
    index.version = "v2"
    assert matcher.memo(("consortia", "a"), lambda: made.append(1) or {"n": len(made)}) == {"n": 2}
    index.version = None
    matcher.find(SEEKER)
    matcher.find(SEEKER)
    assert len(matcher.matcher.calls) == 2  # ranked each time


def test_memory_bound_drops_the_least_recently_used() -> None:
    cache = MatchCache(max_bytes=3000)
    for i in range(5):
        cache.put("v1", i, "x" * 900)
    assert cache.size <= 3000 and cache.get("v1", 0) is None and cache.get("v1", 4) == "x" * 900
    cache.put("v1", "huge", "y" * 5000)  # larger than the whole budget: not kept
    assert cache.get("v1", "huge") is None and cache.size <= 3000


def profile(pid: str, name: str) -> IndexedProfile:
    vector = np.array([0.6, 0.8, 0.0, 0.0], dtype=np.float32)
    return IndexedProfile("members", pid, {"id": pid, "name": name, "country": "PT"}, f"hash-{name}",
                          [Item("offer", 0, "cortiça técnica", vector)])


def test_embedded_store_version_moves_with_every_write_seen_from_another_process(tmp_path: Path) -> None:
    path = tmp_path / "maillon.sqlite3"
    writer, reader = EmbeddedIndex(path), EmbeddedIndex(path)  # two processes' views of one store
    empty = data_version(reader)
    writer.upsert("members", [profile("corticeira-norte", "Corticeira do Norte")])
    after_ingest = data_version(reader)
    writer.upsert("members", [profile("corticeira-norte", "Corticeira do Norte, Lda")])  # an edit
    after_edit = data_version(reader)
    writer.delete("members", ["corticeira-norte"])
    assert len({empty, after_ingest, after_edit, data_version(reader)}) == 4
    assert data_version(reader) == data_version(writer)


def test_shared_key_is_the_same_in_every_process() -> None:
    key = ("memo", ("consortia", Principal("k1", "cluster_manager", "pole-mecanique"),
                    replace(SEEKER, countries=frozenset({"ES", "PT", "IT", "DE"}))), "cfg")
    assert canonical(frozenset({"b", "a"})) == canonical(frozenset({"a", "b"}))
    code = ("from dataclasses import replace; from service.access.keys import Principal; "
            "from service.match_cache import SharedTier; from tests.unit.test_match_cache import SEEKER; "
            "print(SharedTier._name('v9', ('memo', ('consortia', Principal('k1', 'cluster_manager', "
            "'pole-mecanique'), replace(SEEKER, countries=frozenset({'ES', 'PT', 'IT', 'DE'}))), 'cfg')))")
    names = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
             for seed in ("1", "2", "3")}
    assert names == {SharedTier._name("v9", key)}
    assert SharedTier._name("v9", key) != SharedTier._name("v10", key)
    other = ("memo", ("consortia", Principal("k2", "cluster_manager", "pole-mecanique"), key[1][2]), "cfg")
    assert SharedTier._name("v9", other) != SharedTier._name("v9", key)  # another caller, another entry
