"""pair_bounds.may_pair rules out only what cannot pair: scoring every candidate with its bounds
gives exactly what scoring it without them gives, on cosines spread around every floor."""
from __future__ import annotations

import numpy as np
import pytest

from service.index.base import Item
from service.matching.candidate_texts import CACHE, candidate_texts_many
from service.matching.coverage import Coverage
from service.matching.pair_bounds import _stacked, may_pair, stacked_once
from service.matching.scoring import SeekerContext, score_candidate
from service.matching.seeker import Seeker
from tests.support.scoring_stubs import BareDomain, near, unit

WEIGHTS = {"complementarity": 0.45, "gap_filling": 0.15, "cross_border": 0.1, "market_access": 0.1, "scope": 0.05,
           "maturity": 0.0, "trust": 0.05, "capacity": 0.1, "competitor_penalty": 0.25}
CFG = {"gap": {}, "cross_border": {}, "scope": {"ideal_offers": [1, 6]}, "capacity": {}}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    CACHE.clear()


def test_bounded_scores_are_the_unbounded_ones() -> None:
    rng = np.random.default_rng(3)
    dims, n_needs = 32, 4
    need_vecs = unit(rng.normal(size=(n_needs, dims)))
    offer_vecs = unit(rng.normal(size=(2, dims)))
    seeker = Seeker("members", "s1", {"country": "FR"}, [{"text": f"need {i}", "type": None, "link": None}
                                                          for i in range(n_needs)], need_vecs,
                    [{"text": f"offer {i}", "type": None} for i in range(2)], offer_vecs)
    ctx = SeekerContext(seeker=seeker, search_type="members", target="members", weights=WEIGHTS, gaps={},
                        strong=set(), use_forward=True, use_backward=True, commercial=True, floor=0.78,
                        ceiling=0.92, cfg=CFG, coop={}, countries={},
                        sells=[False, False, False, True],
                        thresholds={"answers": 0.835, "peer_floor": 0.89, "peer_ceiling": 0.97, "same_link": 0.9})
    items, docs = {}, {}
    for k in range(300):  # each candidate's texts at cosines around the floors, some far below
        level = rng.choice([0.2, 0.7, 0.77, 0.78, 0.79, 0.85, 0.88, 0.89, 0.9, 0.95])
        own = [Item("offer", j, f"c{k} offer {j}",  # answering our needs, or like our offers (a rival)
                    near(rng, need_vecs[rng.integers(n_needs)] if j % 2 == 0 else offer_vecs[rng.integers(2)],
                         level), None)
               for j in range(rng.integers(0, 3))]
        own += [Item("request", j, f"c{k} request {j}",
                     near(rng, (need_vecs if j % 2 else offer_vecs)[rng.integers(2)], level), None)
                for j in range(rng.integers(0, 3))]
        items[f"c{k}"] = own
        docs[f"c{k}"] = {"id": f"c{k}", "country": "DE", "offers": [{"text": it.text} for it in own
                                                                     if it.role == "offer"]}
    texts = candidate_texts_many(items, list(items))
    may = may_pair(ctx, docs, texts)
    coverage = Coverage(None, BareDomain())  # type: ignore[arg-type]
    for pid in items:
        bounded = score_candidate(ctx, docs[pid], items[pid], coverage, texts[pid], False, may[pid])
        assert bounded == score_candidate(ctx, docs[pid], items[pid], coverage, texts[pid], False), pid
    # The bounds rule out something and keep something, or the test proves nothing.
    for kind in ("forward", "backward", "requests", "offers"):
        flags = [getattr(m, kind) for pid, m in may.items() if items[pid]]
        assert any(flags) and not all(flags), kind


def test_link_bounds_keep_every_gap_filled_and_shared_link() -> None:
    """Our gaps and strong links against their strong links, around `same_link`: the bounds
    change no score, gap filled or competitor reason, and rule out some candidates, not all."""
    rng = np.random.default_rng(5)
    dims = 32
    gap_vecs, strong_vecs = unit(rng.normal(size=(3, dims))), unit(rng.normal(size=(2, dims)))
    need_vecs = unit(rng.normal(size=(1, dims)))
    offer_vecs = unit(rng.normal(size=(1, dims)))
    seeker = Seeker("members", "s1", {"country": "FR"}, [{"text": "need", "type": None, "link": None}], need_vecs,
                    [{"text": "offer", "type": None}], offer_vecs)
    ctx = SeekerContext(seeker=seeker, search_type="members", target="members", weights=WEIGHTS,
                        gaps={"cutting": ("missing", True), "free label": ("weak", False),
                              "coating": ("missing", False)},
                        strong={"assembly"}, use_forward=True, use_backward=True, commercial=True, floor=0.78,
                        ceiling=0.92, cfg={**CFG, "gap": {"missing": 1.0, "weak": 0.5, "strategic_bonus": 0.3}},
                        coop={}, countries={}, sells=[False],
                        thresholds={"answers": 0.835, "peer_floor": 0.89, "peer_ceiling": 0.97, "same_link": 0.9},
                        gap_vectors=gap_vecs, gap_needs=[None, None, None], strong_vectors=strong_vecs,
                        known_links=frozenset({"cutting", "coating", "assembly"}))
    items, docs = {}, {}
    for k in range(300):
        level = rng.choice([0.2, 0.85, 0.88, 0.89, 0.9, 0.91, 0.95])
        anchors = np.concatenate([gap_vecs, strong_vecs])
        links = [Item("link", j, f"c{k} link {j}", near(rng, anchors[rng.integers(len(anchors))], level), "strong",
                      rng.choice(["cutting", "assembly", None]))
                 for j in range(rng.integers(0, 3))]
        items[f"c{k}"] = [*links, Item("offer", 0, f"c{k} offer", unit(rng.normal(size=dims)), None)]
        docs[f"c{k}"] = {"id": f"c{k}", "country": "DE", "offers": [{"text": f"c{k} offer"}]}
    texts = candidate_texts_many(items, list(items))
    may = may_pair(ctx, docs, texts)
    coverage = Coverage(None, BareDomain())  # type: ignore[arg-type]
    for pid in items:
        for explain in (False, True):
            bounded = score_candidate(ctx, docs[pid], items[pid], coverage, texts[pid], explain, may[pid])
            assert bounded == score_candidate(ctx, docs[pid], items[pid], coverage, texts[pid], explain), pid
    for kind in ("gap_links", "strong_links"):
        flags = [getattr(m, kind) for pid, m in may.items() if texts[pid].links]
        assert any(flags) and not all(flags), kind
    assert any(score_candidate(ctx, docs[pid], items[pid], coverage, texts[pid]).gaps_filled for pid in items)


def test_a_search_stacks_the_same_candidates_once() -> None:
    from types import SimpleNamespace

    rng = np.random.default_rng(11)
    items = {f"c{k}": [Item("offer", j, f"offer {k}.{j}", v) for j, v in enumerate(rng.normal(size=(k + 1, 8)))]
             for k in range(4)}
    texts = candidate_texts_many(items, list(items))
    ctx = SimpleNamespace(memo={})
    first = stacked_once(ctx, texts, "offer")  # type: ignore[arg-type]
    assert stacked_once(ctx, dict(texts), "offer") is first  # the same texts: the same stack  # type: ignore[arg-type]
    ids, vectors, starts = first
    expected = _stacked(texts, "offer")
    assert ids == expected[0] and starts == expected[2] and np.array_equal(vectors, expected[1])
    fewer = {pid: texts[pid] for pid in ["c2", "c0"]}
    again = stacked_once(ctx, fewer, "offer")  # type: ignore[arg-type]
    assert again is not first and again[0] == ["c2", "c0"] and again[2] == [0, 3]
    other = candidate_texts_many(items, list(items))  # other texts objects, even with equal values
    assert stacked_once(ctx, other, "offer") is not stacked_once(ctx, texts, "offer")  # type: ignore[arg-type]
