"""The hybrid retrieval hook for free-text needs (service/matching/hybrid.py), on a fake index."""
from __future__ import annotations

from typing import Any

from service.index.base import ProfileFilter
from service.matching.hybrid import fuse_lexical

CFG = {"retrieval": {"per_need_k": 40}, "hybrid": {"weight": 1.0, "lexical_k": 3}}
SEMANTIC = [f"s{i}" for i in range(50)]


class Lexical:
    def __init__(self, ranked: list[str]) -> None:
        self.ranked, self.calls = ranked, []

    def lexical(self, kind: str, text: str, k: int, flt: ProfileFilter) -> list[str]:
        self.calls.append((kind, text, k, flt))
        return self.ranked[:k]


def test_weight_zero_or_no_lexical_search_keeps_the_knn_ranking() -> None:
    index = Lexical(["x"])
    assert fuse_lexical(index, "members", "EN 1090 EXC3", ProfileFilter(), SEMANTIC,
                        {**CFG, "hybrid": {"weight": 0}}) == SEMANTIC
    assert not index.calls
    assert fuse_lexical(object(), "members", "EN 1090 EXC3", ProfileFilter(), SEMANTIC, CFG) == SEMANTIC
    assert fuse_lexical(index, "members", "x", ProfileFilter(), SEMANTIC, {"retrieval": {"per_need_k": 4}}) == SEMANTIC


def test_a_profile_found_only_by_its_exact_term_enters_the_candidates() -> None:
    flt = ProfileFilter(exclude_ids=frozenset({"me"}))
    index = Lexical(["exact", "s3", "s40", "unused"])
    fused = fuse_lexical(index, "members", "EN 1090-2 EXC3", flt, SEMANTIC, CFG)
    assert index.calls == [("members", "EN 1090-2 EXC3", 3, flt)]  # same filter, lexical_k hits
    assert fused.index("exact") < 10 and fused.index("s3") < fused.index("s1")  # found twice: ahead
    assert "unused" not in fused and set(fused) == {*SEMANTIC, "exact"}


def test_the_weight_sets_how_far_lexical_hits_climb() -> None:
    index: Any = Lexical(["exact"])
    low = fuse_lexical(index, "members", "t", ProfileFilter(), SEMANTIC, {**CFG, "hybrid": {"weight": 0.2}})
    high = fuse_lexical(index, "members", "t", ProfileFilter(), SEMANTIC, {**CFG, "hybrid": {"weight": 1.0}})
    assert high.index("exact") < low.index("exact")
