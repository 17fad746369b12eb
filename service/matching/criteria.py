"""One pure function per matching criterion: a score in [0, 1] and the reason behind it."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from service.matching.phrases import N_, Joined, Phrase

STAGES = ("emerging", "growth", "mature", "declining")
# How a filled gap was declared, in the reason's words.
GAP_STATUS = {("missing", False): N_("missing"), ("missing", True): N_("missing, strategic"),
              ("weak", False): N_("weak"), ("weak", True): N_("weak, strategic")}
BEST_SHARE = 0.75  # weight of the best answered need in a side's score; the mean of all needs gets the rest


@dataclass(frozen=True)
class Pair:
    """A need of one side answered by an offer of the other, with the model's similarity."""

    need: str
    offer: str
    similarity: float  # calibrated to [0, 1]
    direction: str  # "their offer answers your need" = forward, the reverse = backward
    need_pos: int
    answers: bool = False  # the raw similarity reaches the model's calibrated "answers" threshold
    kind: str = "offer"  # offer: a need met by an offer; request: a need met by a matching request


@dataclass(frozen=True)
class Criterion:
    score: float
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def calibrate(similarity: float, floor: float, ceiling: float) -> float:
    """Map a raw cosine to [0, 1]: below `floor` is unrelated, above `ceiling` a paraphrase."""
    return min(1.0, max(0.0, (similarity - floor) / (ceiling - floor)))


def best_per_need(pairs: Iterable[Pair]) -> dict[int, Pair]:
    best: dict[int, Pair] = {}
    for pair in pairs:
        if pair.need_pos not in best or pair.similarity > best[pair.need_pos].similarity:
            best[pair.need_pos] = pair
    return best


def complementarity(forward: list[Pair], backward: list[Pair], n_needs: int,
                    n_backward_needs: int, use_forward: bool = True, use_backward: bool = False,
                    explain: bool = True) -> Criterion:
    """How well their offers answer our needs (and ours theirs, for reciprocal cooperation).
    The best answered need weighs most, so one strong answer is not averaged away by the
    seeker's other needs; breadth over all needs adds the rest. `explain` False: no reason (the
    score and the pairs shown are the same)."""

    def side(pairs: list[Pair], needs: int) -> tuple[float, list[Pair]]:
        best = best_per_need(pairs)
        if not best or needs == 0:
            return 0.0, []
        sims = sorted((p.similarity for p in best.values()), reverse=True)
        return BEST_SHARE * sims[0] + (1 - BEST_SHARE) * sum(sims) / needs, list(best.values())

    fwd, fwd_pairs = side(forward, n_needs) if use_forward else (0.0, [])
    bwd, bwd_pairs = side(backward, n_backward_needs) if use_backward else (0.0, [])
    if use_forward and use_backward and fwd_pairs and bwd_pairs:
        score = max(fwd, bwd, 0.65 * fwd + 0.35 * bwd)
    else:
        score = max(fwd if use_forward else 0.0, bwd if use_backward else 0.0)
    # The strongest evidence leads: answering pairs first, and among them what the seeker asked
    # for (their offer for a buyer, their need for a seller) before the return favour.
    primary = "forward" if fwd_pairs else "backward"
    shown = sorted((p for p in fwd_pairs + bwd_pairs if p.similarity > 0),
                   key=lambda p: (not p.answers, p.direction != primary, -p.similarity))[:4]
    return Criterion(score, _reason(shown) if explain else None, {"pairs": shown})


def _reason(shown: list[Pair]) -> str | None:
    if not shown:
        return None
    reason = pair_reason(shown[0])
    back = next((p for p in shown[1:] if p.answers and p.direction != shown[0].direction), None)
    return Phrase(N_("%(reason)s; in return, %(back)s"), reason=reason, back=pair_reason(back)) if back else reason


def pair_reason(pair: Pair) -> str:
    """One need↔offer pair in words, the right way round."""
    need, offer = _short(pair.need), _short(pair.offer)
    if pair.direction == "forward":
        if pair.kind == "request":  # they seek buyers for what we need
            return Phrase(N_("they sell what you seek: “%(offer)s” for your need “%(need)s”"), offer=offer, need=need)
        if pair.answers:
            return Phrase(N_("their offer “%(offer)s” answers your need “%(need)s”"), offer=offer, need=need)
        return Phrase(N_("their offer “%(offer)s” relates to your need “%(need)s”"), offer=offer, need=need)
    if pair.kind == "request":  # we sell: they need what we sell
        return Phrase(N_("they need “%(need)s”, which you offer (“%(offer)s”)"), need=need, offer=offer)
    if pair.answers:
        return Phrase(N_("your offer “%(offer)s” answers their need “%(need)s”"), offer=offer, need=need)
    return Phrase(N_("your offer “%(offer)s” relates to their need “%(need)s”"), offer=offer, need=need)


def gap_filling(gaps: dict[str, tuple[str, bool]], strong: set[str] | dict[str, str], cfg: dict[str, float],
                label: Any = str, explain: bool = True) -> Criterion:
    """`gaps`: link -> (status missing|weak, strategic); `strong`: the links the candidate is strong
    on, or (links matched by meaning) each gap it fills -> the candidate's own label for it.
    `explain` False: no reason (the same score and links filled)."""
    if not gaps:
        return Criterion(0.0)

    def value(status: str, strategic: bool) -> float:
        return cfg.get(status, 0.0) + (cfg.get("strategic_bonus", 0.0) if strategic else 0.0)

    filled = [link for link in gaps if link in strong]
    if not filled:
        return Criterion(0.0, None, {"filled": []})
    total = sum(value(*g) for g in gaps.values())
    got = sum(value(*gaps[link]) for link in filled)
    # Filling two missing links is a full score; a long list of gaps does not dilute one fill.
    score = min(1.0, got / min(total, 2.0 * cfg.get("missing", 1.0)))
    if not explain:
        return Criterion(score, None, {"filled": filled})
    names = []
    for link in filled:
        theirs = strong.get(link) if isinstance(strong, dict) else None
        declared = (gaps[link][0], bool(gaps[link][1]))
        status = Phrase(GAP_STATUS[declared]) if declared in GAP_STATUS else declared[0]
        if theirs and theirs != link and theirs != label(link):
            names.append(Phrase(N_("%(link)s (%(status)s) with “%(theirs)s”"), link=label(link), status=status,
                                theirs=_short(theirs, 60)))
        else:
            names.append(Phrase(N_("%(link)s (%(status)s)"), link=label(link), status=status))
    return Criterion(score, Phrase(N_("fills %(links)s"), links=Joined(", ", names)), {"filled": filled})


def distance_km(a: list[float], b: list[float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def cross_border(seeker_country: str | None, country: str, seeker_langs: set[str], langs: set[str],
                 countries: dict[str, dict[str, Any]], cfg: dict[str, float], explain: bool = True) -> Criterion:
    """Foreign partners score; distance and the lack of a common language are costs. `explain`
    False: no reason (the same score)."""
    if not seeker_country or seeker_country == country:
        return Criterion(0.0, None, {"foreign": False})
    here, there = countries.get(seeker_country), countries.get(country)
    closeness = 0.5
    km = None
    if here and there:
        km = distance_km(here["at"], there["at"])
        closeness = max(0.0, 1.0 - km / cfg.get("distance_scale_km", 2500.0))
    langs = langs or set((there or {}).get("languages", []))
    seeker_langs = seeker_langs or set((here or {}).get("languages", []))
    common = seeker_langs & langs
    language = 1.0 if common - {"en"} else 0.7 if "en" in common else 0.3
    weight = cfg.get("language_weight", 0.4)
    score = (1 - weight) * closeness + weight * language
    if not explain:
        return Criterion(score, None, {"foreign": True, "km": km, "common_languages": sorted(common)})
    where = (Phrase(N_("foreign partner in %(country)s, %(km)s km"), country=country, km=f"{km:.0f}")
             if km is not None else Phrase(N_("foreign partner in %(country)s"), country=country))
    reason = (Phrase(N_("%(where)s, common language %(languages)s"), where=where, languages="/".join(sorted(common)))
              if common else Phrase(N_("%(where)s, no common language"), where=where))
    return Criterion(score, reason, {"foreign": True, "km": km, "common_languages": sorted(common)})


def market_access(targets: set[str], country: str, markets: set[str]) -> Criterion:
    if not targets:
        return Criterion(0.0)
    if country in targets:
        return Criterion(1.0, Phrase(N_("based in your target market %(country)s"), country=country))
    opened = sorted(targets & markets)
    if opened:
        return Criterion(0.6, Phrase(N_("already sells in your target markets %(markets)s"), markets=", ".join(opened)))
    return Criterion(0.0)


def _plateau(value: float, low: float, high: float) -> float:
    """1 inside [low, high], falling linearly to 0 at 0 and at 2×high."""
    if value < low:
        return max(0.0, value / low) if low > 0 else 1.0
    if value > high:
        return max(0.0, 1.0 - (value - high) / high)
    return 1.0


def scope(strong_share: float | None, n_offers: int, cfg: dict[str, list[float]]) -> Criterion:
    """Neither a whole sector (too broad) nor a single product (too narrow)."""
    if strong_share is not None:
        score = _plateau(strong_share, *cfg["ideal_links_share"])
        broad = strong_share > cfg["ideal_links_share"][1]
        return Criterion(score, None if score >= 1 else _scope(broad))
    score = _plateau(float(n_offers), *cfg["ideal_offers"])
    broad = n_offers > cfg["ideal_offers"][1]
    return Criterion(score, None if score >= 1 else _scope(broad))


def _scope(broad: bool) -> Phrase:
    return Phrase(N_("scope broad")) if broad else Phrase(N_("scope narrow"))


def maturity(seeker_stage: str | None, stage: str | None) -> Criterion:
    """Young clusters pair better with peers; neighbouring stages are fine."""
    if seeker_stage not in STAGES or stage not in STAGES:
        return Criterion(0.5)
    gap = abs(STAGES.index(seeker_stage) - STAGES.index(stage))
    score = (1.0, 0.7, 0.3, 0.1)[gap]
    return Criterion(score, Phrase(N_("similar maturity")) if gap == 0 else None)


def trust(seeker_networks: set[str], networks: set[str]) -> Criterion:
    shared = sorted(seeker_networks & networks)
    if not shared:
        return Criterion(0.0)
    return Criterion(min(1.0, 0.6 + 0.2 * len(shared)),
                     Phrase(N_("shared networks: %(networks)s"), networks=", ".join(shared)))


def capacity(active_cooperations: int, cfg: dict[str, float]) -> Criterion:
    saturation = cfg.get("saturation", 8.0)
    score = max(0.0, 1.0 - active_cooperations / saturation)
    return Criterion(score, Phrase(N_("already in %(count)s cooperations"), count=active_cooperations)
                            if score < 0.5 else None)


def competitor_penalty(offer_overlap: float, request_overlap: float, shared_links: set[str],
                       n_links: int, examples: dict[str, tuple[str, str]], label: Any = str,
                       also_seek: bool = False) -> Criterion:
    """A competitor offers what the seeker offers (or is strong on the same links); another buyer
    seeks what the seeker seeks, so it does not answer the need. Overlaps are calibrated to [0, 1];
    `examples` holds the (theirs, yours) texts behind each overlap, for the reason. `also_seek`:
    their answers to a need they seek too were left out, which the reason must say, however small
    the overlap."""
    link_overlap = len(shared_links) / n_links if n_links else 0.0
    competitor = max(offer_overlap, link_overlap * (0.3 + 0.7 * offer_overlap))
    score = max(competitor, request_overlap)
    if score < 0.35 and not (also_seek and "request" in examples):
        return Criterion(score)
    if (request_overlap >= competitor or (also_seek and competitor < 0.35)) and "request" in examples:
        theirs, yours = examples["request"]
        return Criterion(score, Phrase(N_("another buyer: they also seek “%(theirs)s” (like your “%(yours)s”)"),
                                       theirs=_short(theirs, 70), yours=_short(yours, 50)))
    if offer_overlap >= 0.35 and "offer" in examples:
        theirs, yours = examples["offer"]
        return Criterion(score, Phrase(N_("likely competitor: they offer “%(theirs)s” like your “%(yours)s”"),
                                       theirs=_short(theirs, 70), yours=_short(yours, 50)))
    return Criterion(score, Phrase(N_("likely competitor (also in %(links)s)"),
                                   links=Joined(", ", [label(link) for link in sorted(shared_links)])))


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
