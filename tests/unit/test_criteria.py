from __future__ import annotations

import pytest

from service.matching import criteria as c

GAP_CFG = {"missing": 1.0, "weak": 0.5, "strategic_bonus": 0.5}
COUNTRIES = {"FR": {"at": [46.6, 2.4], "languages": ["fr"]}, "DE": {"at": [51.1, 10.4], "languages": ["de"]},
             "BE": {"at": [50.6, 4.6], "languages": ["fr", "nl"]}, "JP": {"at": [36.2, 138.3], "languages": ["ja"]}}


@pytest.mark.parametrize(("sim", "expected"), [(0.5, 0.0), (0.78, 0.0), (0.85, 0.5), (0.92, 1.0), (0.99, 1.0)])
def test_calibrate(sim: float, expected: float) -> None:
    assert c.calibrate(sim, 0.78, 0.92) == pytest.approx(expected)


def pair(sim: float, pos: int, direction: str = "forward") -> c.Pair:
    return c.Pair(f"need {pos}", f"offer {pos}", sim, direction, pos)


def test_complementarity_best_need_dominates_and_breadth_counts() -> None:
    one = c.complementarity([pair(1.0, 0)], [], n_needs=2, n_backward_needs=0)
    both = c.complementarity([pair(1.0, 0), pair(1.0, 1)], [], n_needs=2, n_backward_needs=0)
    assert one.score == pytest.approx(0.875)  # one strong answer is not averaged away
    assert both.score == pytest.approx(1.0)
    assert "relates to your need" in one.reason  # below the model's "answers" threshold
    sure = c.complementarity([c.Pair("cork stoppers", "rolhas de cortiça", 0.9, "forward", 0, True)], [], 1, 0)
    assert sure.reason == "their offer “rolhas de cortiça” answers your need “cork stoppers”"


def test_reciprocal_reason_reads_the_right_way_round() -> None:
    back = c.Pair("their need: a cork supplier", "our natural cork stoppers", 0.9, "backward", 0, True)
    assert c.pair_reason(back) == ("your offer “our natural cork stoppers” answers their need "
                                   "“their need: a cork supplier”")
    sells = c.Pair("Wir suchen Naturkorken", "we seek distributors for our corks", 0.8, "backward", 0, True, "request")
    assert c.pair_reason(sells).startswith("they need “Wir suchen Naturkorken”, which you offer")


def test_answering_pairs_lead_the_reason() -> None:
    close = c.Pair("need", "same-language near miss", 0.7, "forward", 0, False)
    sure = c.Pair("need 2", "true answer", 0.6, "forward", 1, True)
    assert "true answer" in c.complementarity([close, sure], [], 2, 0).reason


def test_complementarity_reciprocal_uses_both_directions() -> None:
    fwd_only = c.complementarity([pair(0.6, 0)], [], 1, 1, True, True)
    both = c.complementarity([pair(0.6, 0)], [pair(1.0, 0, "backward")], 1, 1, True, True)
    assert fwd_only.score == pytest.approx(0.6) and both.score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("gaps", "strong", "expected"),
    [
        ({"a": ("missing", False)}, {"a"}, 1.0),
        ({"a": ("missing", False)}, {"b"}, 0.0),
        ({"a": ("weak", False)}, {"a"}, 1.0),  # the only gap, reinforced
        ({"a": ("missing", False), "b": ("missing", False), "c": ("missing", False)}, {"a"}, 0.5),
        ({"a": ("missing", True), "b": ("missing", False), "c": ("missing", False)}, {"a"}, 0.75),
        ({}, {"a"}, 0.0),
    ],
)
def test_gap_filling(gaps: dict, strong: set, expected: float) -> None:
    assert c.gap_filling(gaps, strong, GAP_CFG).score == pytest.approx(expected)


def test_cross_border_costs_distance_and_language() -> None:
    cfg = {"distance_scale_km": 2500, "language_weight": 0.4}
    domestic = c.cross_border("FR", "FR", set(), set(), COUNTRIES, cfg)
    near_same_language = c.cross_border("FR", "BE", set(), set(), COUNTRIES, cfg)
    near_other_language = c.cross_border("FR", "DE", set(), set(), COUNTRIES, cfg)
    far = c.cross_border("FR", "JP", set(), set(), COUNTRIES, cfg)
    assert domestic.score == 0.0
    assert near_same_language.score > near_other_language.score > far.score > 0
    assert "common language fr" in near_same_language.reason


def test_market_access() -> None:
    assert c.market_access({"DE"}, "DE", set()).score == 1.0
    assert c.market_access({"DE"}, "AT", {"DE"}).score == 0.6
    assert c.market_access({"DE"}, "AT", {"IT"}).score == 0.0
    assert c.market_access(set(), "AT", {"IT"}).score == 0.0


@pytest.mark.parametrize(("share", "expected"), [(0.5, 1.0), (0.125, 0.5), (1.0, 0.5714), (0.0, 0.0)])
def test_scope_clusters(share: float, expected: float) -> None:
    cfg = {"ideal_links_share": [0.25, 0.7], "ideal_offers": [1, 6]}
    assert c.scope(share, 0, cfg).score == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("n", "expected"), [(0, 1.0), (4, 0.5), (8, 0.0), (20, 0.0)])
def test_capacity(n: int, expected: float) -> None:
    assert c.capacity(n, {"saturation": 8}).score == pytest.approx(expected)


def test_maturity_prefers_peers() -> None:
    assert c.maturity("emerging", "emerging").score > c.maturity("emerging", "mature").score
    assert c.maturity(None, "mature").score == 0.5


def test_trust_from_shared_networks() -> None:
    assert c.trust({"EEN", "ECCP"}, {"EEN"}).score == pytest.approx(0.8)
    assert c.trust({"EEN"}, set()).score == 0.0


def test_competitor_penalty() -> None:
    offers = {"offer": ("Usinage 5 axes de pièces titane", "5-Achs-Fräsen von Titanteilen")}
    rival = c.competitor_penalty(0.9, 0.0, {"machining"}, 1, offers)
    assert rival.score >= 0.9 and rival.reason.startswith("likely competitor: they offer “Usinage")
    partner = c.competitor_penalty(0.1, 0.0, set(), 2, offers)
    assert partner.score < 0.35 and partner.reason is None
    same_link_only = c.competitor_penalty(0.0, 0.0, {"machining"}, 2, {})
    assert same_link_only.score < 0.35  # sharing a link alone is no rivalry
    buyer = c.competitor_penalty(0.0, 0.8, set(), 1, {"request": ("Cerchiamo tappi in sughero", "bouchons en liège")})
    assert buyer.score == pytest.approx(0.8) and buyer.reason.startswith("another buyer: they also seek")


def test_gap_filled_by_meaning_names_their_words() -> None:
    gaps = {"surface_treatment": ("missing", True)}
    found = c.gap_filling(gaps, {"surface_treatment": "Oberflächentechnik"}, GAP_CFG, lambda k: "Surface treatment")
    assert found.score == 1.0
    assert found.reason == "fills Surface treatment (missing, strategic) with “Oberflächentechnik”"


def test_the_seekers_own_need_leads_and_the_return_favour_follows() -> None:
    # A buyer's reason starts with the partner's offer for its need, even when the partner's need
    # met by the seeker's offer scores higher; the reciprocal part reads "your offer … their need".
    theirs = c.Pair("anodisation de nos pièces", "Eloxieren von Aluminiumbauteilen", 0.6, "forward", 0, True)
    ours = c.Pair("Suche 5-Achs-Fräsen", "Usinage 5 axes", 0.99, "backward", 0, True)
    reason = c.complementarity([theirs], [ours], 1, 1, True, True).reason
    assert reason == ("their offer “Eloxieren von Aluminiumbauteilen” answers your need “anodisation de nos pièces”; "
                      "in return, your offer “Usinage 5 axes” answers their need “Suche 5-Achs-Fräsen”")


def test_a_seller_reason_starts_with_their_need_and_a_near_miss_is_no_return_favour() -> None:
    sold = c.Pair("Procuramos rolhas", "our cork stoppers", 0.8, "backward", 0, True)
    miss = c.Pair("our need", "their loosely related offer", 0.3, "forward", 0, False)
    reason = c.complementarity([], [sold], 0, 1, False, True).reason
    assert reason == "your offer “our cork stoppers” answers their need “Procuramos rolhas”"
    both = c.complementarity([miss], [sold], 1, 1, True, True).reason
    assert both.startswith("your offer “our cork stoppers” answers") and "in return" not in both


def test_another_buyer_is_named_even_when_the_overlap_is_small() -> None:
    examples = {"request": ("Tappi in sughero", "Bouchons en liège")}
    quiet = c.competitor_penalty(0.0, 0.1, set(), 1, examples)
    said = c.competitor_penalty(0.0, 0.1, set(), 1, examples, also_seek=True)
    assert quiet.reason is None
    assert said.score == pytest.approx(0.1)
    assert said.reason == "another buyer: they also seek “Tappi in sughero” (like your “Bouchons en liège”)"
