"""score_bounds: every candidate's bound ranks it no lower than its score does, and scoring best
bound first until the page is settled gives the page that scoring everyone gives."""
from __future__ import annotations

import numpy as np
import pytest

from service.index.base import Item
from service.matching.candidate_texts import CACHE, candidate_texts_many
from service.matching.coverage import Coverage
from service.matching.pair_bounds import may_pair
from service.matching.score_bounds import best_first, score_bounds
from service.matching.scoring import SeekerContext, score_candidate
from service.matching.seeker import Seeker
from tests.support.scoring_stubs import BareDomain, near, unit

WEIGHTS = {"complementarity": 0.45, "gap_filling": 0.15, "cross_border": 0.1, "market_access": 0.1, "scope": 0.05,
           "maturity": 0.05, "trust": 0.05, "capacity": 0.1, "competitor_penalty": 0.25}
CFG = {"gap": {"missing": 1.0, "weak": 0.5, "strategic_bonus": 0.3}, "cross_border": {},
       "scope": {"ideal_offers": [1, 6]}, "capacity": {}}
COUNTRIES = {"FR": {"at": [48.9, 2.3], "languages": ["fr"]}, "DE": {"at": [52.5, 13.4], "languages": ["de"]},
             "ES": {"at": [40.4, -3.7], "languages": ["es"]}}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    CACHE.clear()


@pytest.mark.parametrize(("forward", "backward", "sells"), [(True, True, [False, False, True]),
                                                             (True, False, [False, False, False]),
                                                             (False, True, [True, True, True])])
def test_bounds_rank_no_candidate_too_low(forward: bool, backward: bool, sells: list[bool]) -> None:
    rng = np.random.default_rng(11)
    dims = 32
    need_vecs, offer_vecs = unit(rng.normal(size=(3, dims))), unit(rng.normal(size=(2, dims)))
    gap_vecs = unit(rng.normal(size=(2, dims)))
    seeker = Seeker("members", "s1", {"country": "FR", "stage": "growth", "networks": ["een"]},
                    [{"text": f"need {i}", "type": None, "link": None} for i in range(3)], need_vecs,
                    [{"text": f"offer {i}", "type": None} for i in range(2)], offer_vecs)
    ctx = SeekerContext(seeker=seeker, search_type="members", target="members", weights=WEIGHTS,
                        gaps={"cutting": ("missing", True), "coating": ("weak", False)}, strong={"assembly"},
                        use_forward=forward, use_backward=backward, commercial=True, floor=0.78, ceiling=0.92,
                        cfg=CFG, coop={}, countries=COUNTRIES, sells=sells, targets={"DE"},
                        thresholds={"answers": 0.835, "peer_floor": 0.89, "peer_ceiling": 0.97, "same_link": 0.9},
                        gap_vectors=gap_vecs, gap_needs=[0, None], strong_vectors=unit(rng.normal(size=(1, dims))),
                        known_links=frozenset({"cutting", "coating", "assembly"}))
    items, docs = {}, {}
    anchors = np.concatenate([need_vecs, offer_vecs, gap_vecs])
    for k in range(300):  # texts at cosines around every floor, some far below
        level = rng.choice([0.2, 0.7, 0.78, 0.8, 0.84, 0.88, 0.9, 0.93, 0.97])
        own = [Item(role, j, f"c{k} {role} {j}", near(rng, anchors[rng.integers(len(anchors))], level),
                    "strong" if role == "link" else None, "cutting" if role == "link" and j == 0 else None)
               for role in ("offer", "request", "link") for j in range(rng.integers(0, 3))]
        items[f"c{k}"] = own
        docs[f"c{k}"] = {"id": f"c{k}", "country": ["FR", "DE", "ES"][k % 3], "stage": "growth",
                         "networks": ["een"] if k % 4 == 0 else [], "markets": ["DE"] if k % 5 == 0 else [],
                         "active_cooperations": k % 9,
                         "offers": [{"text": it.text} for it in own if it.role == "offer"],
                         "requests": [{"text": it.text} for it in own if it.role == "request"]}
        if k % 7 == 0:
            docs[f"c{k}"]["visibility"] = {"requests": "private"}
    ids = list(items)
    texts = candidate_texts_many(items, ids)
    may = may_pair(ctx, docs, texts)
    coverage = Coverage(None, BareDomain())  # type: ignore[arg-type]
    bounds = score_bounds(ctx, docs, texts, ids, may, coverage)

    def score(cid: str) -> object:
        return score_candidate(ctx, docs[cid], items[cid], coverage, texts[cid], False, may[cid])

    everyone = sorted(((score(cid), cid) for cid in ids), key=lambda p: (not p[0].evidence, -p[0].score, p[1]))
    for result, cid in everyone:
        assert bounds[cid] <= (not result.evidence, -result.score, cid), cid
    # Tight enough to matter, or the test proves nothing: some bounds sit within a hundredth.
    assert sum(-bounds[cid][1] - result.score < 0.01 for result, cid in everyone) >= 5
    for need in (1, 10, 30, 300):
        got = best_first(ctx, docs, texts, ids, may, coverage, need, score)
        assert [cid for _, cid in got[:need]] == [cid for _, cid in everyone[:need]]
        assert len(got) <= len(ids) and (need == 300 or len(got) < len(ids))
