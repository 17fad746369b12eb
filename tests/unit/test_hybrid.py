"""The hybrid retrieval steps for free-text needs (service/matching/hybrid.py): how many BM25 hits
to ask for, and how they are fused with the kNN ranking."""
from __future__ import annotations

from service.matching.hybrid import fuse, lexical_k

CFG = {"retrieval": {"per_need_k": 40}, "hybrid": {"weight": 1.0, "lexical_k": 3}}
SEMANTIC = [f"s{i}" for i in range(50)]


def test_weight_zero_no_hybrid_section_or_no_text_asks_for_no_lexical_ranking() -> None:
    assert lexical_k("EN 1090 EXC3", {**CFG, "hybrid": {"weight": 0}}) is None
    assert lexical_k("EN 1090 EXC3", {"retrieval": {"per_need_k": 4}}) is None
    assert lexical_k("   ", CFG) is None
    assert lexical_k("EN 1090 EXC3", CFG) == 3
    assert lexical_k("EN 1090 EXC3", {**CFG, "hybrid": {"weight": 0.5}}) == 40  # as many as kNN per need


def test_a_profile_found_only_by_its_exact_term_enters_the_candidates() -> None:
    fused = fuse(SEMANTIC, ["exact", "s3", "s40"], CFG)
    assert fused.index("exact") < 10 and fused.index("s3") < fused.index("s1")  # found twice: ahead
    assert set(fused) == {*SEMANTIC, "exact"}


def test_the_weight_sets_how_far_lexical_hits_climb() -> None:
    low = fuse(SEMANTIC, ["exact"], {**CFG, "hybrid": {"weight": 0.2}})
    high = fuse(SEMANTIC, ["exact"], {**CFG, "hybrid": {"weight": 1.0}})
    assert high.index("exact") < low.index("exact")
