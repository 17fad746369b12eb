"""When a candidate fills a seeker's gap by meaning (service/matching/scoring.py `_gaps_filled`):
the thresholds decide, template links compare by key only, and an offer fills the gap its need
names only above the stricter `gap_offer` threshold."""
from __future__ import annotations

import numpy as np
import pytest

from service.index.base import Item
from service.matching import criteria as c
from service.matching.scoring import SeekerContext, _answered_strictly, _gaps_filled

THRESHOLDS = {"answers": 0.835, "same_link": 0.9, "gap_offer": 0.844}


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def context(gaps: list[str], gap_vectors: list[np.ndarray], gap_needs: list[int | None] | None = None) -> SeekerContext:
    return SeekerContext(
        seeker=None, search_type="clusters", target="clusters", weights={}, strong=set(),
        gaps={g: ("missing", False) for g in gaps}, use_forward=True, use_backward=False, commercial=True,
        floor=0.78, ceiling=0.92, cfg={}, coop={}, countries={}, thresholds=dict(THRESHOLDS),
        gap_vectors=np.stack(gap_vectors), gap_needs=gap_needs or [None] * len(gaps),
        known_links=frozenset({"viticulture", "winemaking_distilling", "surface_treatment"}))


def strong_link(text: str, vector: np.ndarray, key: str | None = None) -> Item:
    return Item("link", 0, text, vector, "strong", key)


# Cosine of unit(1, x) with unit(1, 0) is 1/sqrt(1+x²): 0.3 -> 0.958, 0.5 -> 0.894.
CLOSE, NEAR_MISS = unit(1, 0.3), unit(1, 0.5)


def test_a_free_label_above_same_link_fills_the_gap_in_its_own_words() -> None:
    ctx = context(["surface_treatment"], [unit(1, 0)])
    assert _gaps_filled(ctx, set(), [strong_link("Oberflächentechnik", CLOSE)], {}) == {
        "surface_treatment": "Oberflächentechnik"}


def test_a_free_label_below_same_link_does_not() -> None:
    ctx = context(["surface_treatment"], [unit(1, 0)])
    assert _gaps_filled(ctx, set(), [strong_link("zerstörungsfreie Prüfung", NEAR_MISS)], {}) == {}


def test_two_template_links_are_the_same_only_by_key() -> None:
    # viticulture and winemaking read alike, but both are canonical: only the key counts.
    ctx = context(["viticulture"], [unit(1, 0)])
    made = strong_link("winemaking_distilling", CLOSE, "winemaking_distilling")
    assert _gaps_filled(ctx, set(), [made], {}) == {}
    assert _gaps_filled(ctx, {"viticulture"}, [made], {}) == {"viticulture": "viticulture"}


@pytest.mark.parametrize(("raw", "fills"), [(0.84, False), (0.85, True)])
def test_an_offer_fills_the_gap_its_need_names_only_above_gap_offer(raw: float, fills: bool) -> None:
    ctx = context(["surface_treatment"], [unit(1, 0)], gap_needs=[0])
    sim = c.calibrate(raw, ctx.floor, ctx.ceiling)
    forward = [c.Pair("traitement de surface", "Eloxieren", sim, "forward", 0, raw >= THRESHOLDS["answers"])]
    filled = _gaps_filled(ctx, set(), [], _answered_strictly(ctx, forward))
    assert filled == ({"surface_treatment": "Eloxieren"} if fills else {})


def test_a_need_both_sides_seek_is_rivalry_not_an_answer() -> None:
    # We seek aluminium frames; they seek aluminium frames too (another buyer) and sell assembly.
    from types import SimpleNamespace

    from service.matching.scoring import _request_pairs

    frames, assembly = unit(1, 0.1), unit(0.2, 1)
    seeker = SimpleNamespace(needs=[{"text": "Aluminiumrahmen", "type": "supplier"}], need_vectors=np.stack([frames]))
    ctx = context(["surface_treatment"], [unit(1, 0)])
    ctx.seeker, ctx.sells = seeker, [False]
    ctx.thresholds.update(peer_floor=0.89, peer_ceiling=0.97)
    theirs = [Item("request", 0, "cadres aluminium", unit(1, 0.12), "supplier"),
              Item("request", 1, "clients for our assembly", assembly, "client")]
    found = _request_pairs(ctx, theirs, np.stack([it.vector for it in theirs]), "fr")
    assert found.shared == {(0, 0)} and found.rival > 0.9
    assert found.example == ("cadres aluminium", "Aluminiumrahmen")
    assert not found.forward and not found.backward


@pytest.mark.parametrize(("their_lang", "rival"), [("de", False), ("fr", True)])
def test_the_same_need_in_another_language_gets_the_peer_pull_back(their_lang: str, rival: bool) -> None:
    from types import SimpleNamespace

    from service.matching.scoring import _request_pairs

    honey = unit(1, 0)
    seeker = SimpleNamespace(needs=[{"text": "miele di brughiera", "type": "supplier"}], need_vectors=np.stack([honey]))
    ctx = context(["surface_treatment"], [unit(1, 0)])
    ctx.seeker, ctx.sells, ctx.need_languages = seeker, [False], ["de"]
    ctx.thresholds.update(peer_floor=0.89, peer_ceiling=0.97, peer_pull=0.03)
    theirs = [Item("request", 0, "miels de bruyère", unit(1, 0.55), "supplier")]  # cosine 0.876
    found = _request_pairs(ctx, theirs, np.stack([theirs[0].vector]), their_lang)
    assert bool(found.shared) is rival
