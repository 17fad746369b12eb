"""Scores one candidate against a seeker with every criterion; contributions add up to the score."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.index.base import Item
from service.matching import criteria as c
from service.matching.coverage import Coverage, member_links
from service.matching.free_text import sells
from service.matching.language import pair_offset
from service.matching.seeker import Seeker
from service.matching.weights import CRITERIA, PENALTY
from service.privacy import usable_in_matching


@dataclass
class SeekerContext:
    """What scoring needs to know about the seeker, computed once per search."""

    seeker: Seeker
    search_type: str
    target: str
    weights: dict[str, float]
    gaps: dict[str, tuple[str, bool]]
    strong: set[str]
    use_forward: bool
    use_backward: bool
    commercial: bool
    floor: float
    ceiling: float
    cfg: dict[str, Any]
    coop: dict[str, dict[str, Any]]
    countries: dict[str, dict[str, Any]]
    label: Any = str
    targets: set[str] = field(default_factory=set)
    sells: list[bool] = field(default_factory=list)  # per need: the seeker sells (clients, distributors)
    thresholds: dict[str, float] = field(default_factory=dict)  # answers, same_link, peer_floor/ceiling
    pull: float = 0.0  # raw cosine given back to same-language need→offer pairs (unmeasured languages)
    offsets: dict[str, float] = field(default_factory=dict)  # "need>offer" language pair -> raw cosine
    need_languages: list[str | None] = field(default_factory=list)
    languages: Any = None  # matching.language.Languages, when the pull is corrected
    gap_vectors: np.ndarray | None = None  # one per gap, in ctx.gaps order
    strong_vectors: np.ndarray | None = None  # the seeker's strong links, for rivalry
    gap_needs: list[int | None] = field(default_factory=list)  # per gap: the seeker's need that names it
    known_links: frozenset[str] = frozenset()  # the template link keys (canonical links)


@dataclass
class Scored:
    score: float
    criteria: dict[str, dict[str, Any]]
    pairs: list[c.Pair]
    gaps_filled: list[str]
    evidence: bool = False  # a need↔offer pair above the answers threshold, or a gap filled


def _vectors(items: list[Item], role: str, doc: dict[str, Any],
             field_name: str) -> tuple[list[Item], np.ndarray | None]:
    if not usable_in_matching(doc, field_name):  # private needs/offers stay out of matching
        return [], None
    chosen = [it for it in items if it.role == role]
    return chosen, (np.stack([it.vector for it in chosen]) if chosen else None)


def _sells(ctx: SeekerContext, request_type: str | None, text: str = "") -> bool:
    return sells(request_type, text, {t for t, v in ctx.coop.items() if v.get("reverse")})


def _peer_pull(ctx: SeekerContext) -> float:
    """Raw cosine given back to a need↔need pair across languages: `peer_pull` where measured,
    else the need→offer pull. (Offer↔offer pairs are not corrected: giving the same back made a
    cork maker a competitor of a cognac house for sharing "spirits", tests/eval/open c03.)"""
    return ctx.thresholds.get("peer_pull", ctx.pull)


def _peer(ctx: SeekerContext, raw: float) -> float:
    return c.calibrate(raw, ctx.thresholds["peer_floor"], ctx.thresholds["peer_ceiling"])


def hubness(ctx: SeekerContext, vectors: np.ndarray) -> np.ndarray:
    """How far each text sits above the typical text in closeness to everything (mean cosine to
    its 10 nearest template labels, all languages, minus the model's usual value): a "hub" that
    resembles every need is no answer to each of them. Zero when not calibrated for the model."""
    center = ctx.thresholds.get("hub_center")
    if not center or ctx.languages is None or not len(vectors):
        return np.zeros(len(vectors), dtype=np.float32)
    refs = ctx.languages.vocabulary.vectors.reshape(-1, vectors.shape[1])
    sims = vectors @ refs.T
    return np.partition(sims, -HUB_K, axis=1)[:, -HUB_K:].mean(axis=1) - center


HUB_K = 10


def _offer_pairs(ctx: SeekerContext, needs: list[tuple[int, dict[str, Any]]], need_vecs: np.ndarray,
                 offers: list[Any], offer_vecs: np.ndarray | None, direction: str,
                 languages: tuple[list[str | None], str | None]) -> list[c.Pair]:
    """Needs against offers (query→passage cosines), same-language pull and hubness given back."""
    if offer_vecs is None or not needs:
        return []
    chosen = need_vecs[[i for i, _ in needs]]
    sims = chosen @ offer_vecs.T
    # The candidate's side is corrected for hubness: its offers (forward), its needs (backward).
    sims = sims - (hubness(ctx, offer_vecs)[None, :] if direction == "forward" else hubness(ctx, chosen)[:, None])
    need_langs, offer_lang = languages
    pairs = []
    for row, (i, need) in zip(sims, needs):
        allowed = ctx.coop.get(need.get("type") or "", {}).get("answered_by") or []  # a preference:
        # open-world offer types are often loose, so another type is discounted, not excluded
        pull = pair_offset(ctx.offsets, ctx.pull, need_langs[i] if i < len(need_langs) else None, offer_lang)
        for j, offer in enumerate(offers):
            offer_type = offer.type if isinstance(offer, Item) else offer.get("type")
            raw = float(row[j]) - pull - (OTHER_TYPE if allowed and offer_type and offer_type not in allowed else 0.0)
            sim = c.calibrate(raw, ctx.floor, ctx.ceiling)
            if sim > 0:
                text = offer.text if isinstance(offer, Item) else offer["text"]
                pairs.append(c.Pair(need["text"], text, sim, direction, i, raw >= ctx.thresholds["answers"]))
    return pairs


@dataclass
class _Requests:
    """The seeker's needs against a candidate's requests."""

    forward: list[c.Pair] = field(default_factory=list)  # they sell what we need
    backward: list[c.Pair] = field(default_factory=list)  # they need what we sell
    rival: float = 0.0  # the strongest same-direction overlap (another buyer, or a rival seller)
    example: tuple[str, str] | None = None  # (theirs, ours) behind `rival`
    shared: set[tuple[int, int]] = field(default_factory=set)  # (our need, their request) both buying


def _request_pairs(ctx: SeekerContext, requests: list[Item], request_vecs: np.ndarray | None,
                   their_lang: str | None = None) -> _Requests:
    """The seeker's needs against their requests (query↔query). Opposite directions answer each
    other (we seek cork, they seek buyers for cork; we sell, they need it); the same direction
    is rivalry (another buyer, or a seller after the same clients). Returns forward and backward
    answering pairs, the rivalry overlap, its example texts and the needs both sides seek."""
    s = ctx.seeker
    out = _Requests()
    if request_vecs is None or not len(s.needs):
        return out
    sims = s.need_vectors @ request_vecs.T
    for i, need in enumerate(s.needs):
        # Across languages the same request scores lower by the measured pull: give it back.
        across = their_lang and i < len(ctx.need_languages) and ctx.need_languages[i] not in (None, their_lang)
        for j, req in enumerate(requests):
            sim = _peer(ctx, float(sims[i, j]) + (_peer_pull(ctx) if across else 0.0))
            if sim <= 0:
                continue
            if ctx.sells[i] == _sells(ctx, req.type, req.text):
                if sim > out.rival:
                    out.rival, out.example = sim, (req.text, need["text"])
                if not ctx.sells[i]:
                    out.shared.add((i, j))
            elif ctx.sells[i]:  # we sell, they need it
                out.backward.append(c.Pair(req.text, need["text"], sim, "backward", j, sim >= 0.5, "request"))
            else:  # we need, they sell it
                out.forward.append(c.Pair(need["text"], req.text, sim, "forward", i, sim >= 0.5, "request"))
    return out


def score_candidate(ctx: SeekerContext, doc: dict[str, Any], items: list[Item], coverage: Coverage) -> Scored:
    s = ctx.seeker
    offers, offer_vecs = _vectors(items, "offer", doc, "offers")
    requests, request_vecs = _vectors(items, "request", doc, "requests")
    profile = next((it.vector for it in items if it.role == "profile"), None)
    their_lang = ctx.languages.of_profile(doc, profile) if ctx.languages is not None else None
    buying = [(i, n) for i, n in enumerate(s.needs) if not ctx.sells[i]]
    reqs = _request_pairs(ctx, requests, request_vecs, their_lang)
    # Another buyer of what we seek does not answer that need, and what they seek like us is no
    # need of theirs we answer (issue #11 point 5): those pairs are left out, the rivalry counts.
    n_buying = len(buying)  # breadth still counts every need
    buying = [(i, n) for i, n in buying if i not in {k for k, _ in reqs.shared}]
    forward = _offer_pairs(ctx, buying, s.need_vectors, offers, offer_vecs, "forward",
                           (ctx.need_languages, their_lang)) if ctx.use_forward else []
    forward += reqs.forward if ctx.use_forward else []
    rival, rival_example, req_backward = reqs.rival, reqs.example, reqs.backward
    backward: list[c.Pair] = []
    their_buying = [(j, {"text": r.text, "type": r.type}) for j, r in enumerate(requests)
                    if not _sells(ctx, r.type, r.text)]
    n_their_buying = len(their_buying)
    their_buying = [(j, r) for j, r in their_buying if j not in {k for _, k in reqs.shared}]
    if ctx.use_backward and their_buying and len(s.offers) and request_vecs is not None:
        backward = _offer_pairs(ctx, their_buying, request_vecs, s.offers, s.offer_vectors, "backward", ([], None))
    backward += req_backward if ctx.use_backward else []
    strong = coverage.strong_links(ctx.target, doc)
    filled = _gaps_filled(ctx, strong, items, _answered_strictly(ctx, forward))
    results: dict[str, c.Criterion] = {
        "complementarity": c.complementarity(forward, backward, n_buying, max(1, n_their_buying),
                                             ctx.use_forward, ctx.use_backward),
        "gap_filling": c.gap_filling(ctx.gaps, filled, ctx.cfg["gap"], ctx.label),
        "cross_border": c.cross_border(s.country, doc.get("country"), set(s.doc.get("languages") or []),
                                       set(doc.get("languages") or []), ctx.countries, ctx.cfg["cross_border"]),
        "market_access": c.market_access(ctx.targets, doc.get("country"), set(doc.get("markets") or [])),
        "scope": _scope(ctx, doc, strong, coverage),
        "maturity": c.maturity(s.doc.get("stage"), doc.get("stage")),
        "trust": c.trust(set(s.doc.get("networks") or []), set(doc.get("networks") or [])),
        "capacity": c.capacity(int(doc.get("active_cooperations") or 0), ctx.cfg["capacity"]),
    }
    penalty = c.Criterion(0.0)
    if ctx.commercial and ctx.weights.get(PENALTY, 0) > 0:
        penalty = _rivalry(ctx, strong, items, offers, offer_vecs, rival, rival_example, bool(reqs.shared))
    total_weight = sum(ctx.weights[k] for k in CRITERIA) or 1.0
    table: dict[str, dict[str, Any]] = {}
    for name in CRITERIA:
        weight = ctx.weights[name] / total_weight
        crit = results[name]
        table[name] = {"score": round(crit.score, 4), "weight": round(weight, 4),
                       "contribution": round(weight * crit.score, 4), "reason": crit.reason}
    table[PENALTY] = {"score": round(penalty.score, 4), "weight": ctx.weights.get(PENALTY, 0.0),
                      "contribution": round(-ctx.weights.get(PENALTY, 0.0) * penalty.score, 4),
                      "reason": penalty.reason}
    score = round(sum(v["contribution"] for v in table.values()), 4)
    pairs = results["complementarity"].details.get("pairs", [])
    gaps_filled = results["gap_filling"].details.get("filled", [])
    # A clear competitor or other buyer brings no evidence, whatever its wording.
    evidence = (any(p.answers for p in pairs) or bool(gaps_filled)) and penalty.score < RIVAL_AT
    return Scored(score, table, pairs, gaps_filled, evidence)


RIVAL_AT = 0.5  # rivalry from which a candidate counts as a competitor or another buyer
OTHER_TYPE = 0.01  # raw cosine taken from an offer whose type does not answer the need's type


def _strong_items(ctx: SeekerContext, items: list[Item]) -> list[Item]:
    return [it for it in items if it.role == "link" and it.type == "strong"]


def _answered_strictly(ctx: SeekerContext, forward: list[c.Pair]) -> dict[int, str]:
    """Per seeker need, their best offer when it answers that need clearly enough to say it fills
    the gap the need names: `gap_offer` (raw cosine that 99 % of cross-language need→offer pairs of
    different links stay below) is stricter than `answers` (90 %), since a wrong "fills X" misleads."""
    strict = c.calibrate(ctx.thresholds.get("gap_offer", ctx.thresholds["answers"]), ctx.floor, ctx.ceiling)
    best = c.best_per_need(p for p in forward if p.answers and p.kind == "offer" and p.similarity >= strict)
    return {pos: p.offer for pos, p in best.items()}


def _gaps_filled(ctx: SeekerContext, strong: set[str], items: list[Item],
                 answered: dict[int, str]) -> dict[str, str]:
    """Each seeker gap the candidate fills -> the candidate's own words for it: the same link, a
    strong link of theirs that the model reads as the same link, or an offer that answers the
    seeker's need naming the gap. Offers are not compared with link labels directly: a short
    label sits as close to unrelated offers as to its own (tests/bench/bench_calibration.py)."""
    if not ctx.gaps:
        return {}
    links = _strong_items(ctx, items)
    sims = ctx.gap_vectors @ np.stack([it.vector for it in links]).T if links and ctx.gap_vectors is not None else None
    if sims is not None and ctx.known_links:
        # Two template links are the same link only by key: canonicalisation already compared
        # their labels, and neighbouring links of one chain sit above `same_link` (viticulture
        # and winemaking). Meaning decides only where one side is a free label.
        both_known = np.array([[gap in ctx.known_links and bool(it.link) for it in links] for gap in ctx.gaps])
        sims = np.where(both_known, -1.0, sims)
    filled: dict[str, str] = {}
    for g, gap in enumerate(ctx.gaps):
        if gap in strong:
            filled[gap] = gap
        elif sims is not None and sims[g].max() >= ctx.thresholds["same_link"]:
            filled[gap] = links[int(sims[g].argmax())].text
        elif g < len(ctx.gap_needs) and ctx.gap_needs[g] in answered:
            filled[gap] = answered[ctx.gap_needs[g]]
    return filled


def _rivalry(ctx: SeekerContext, strong: set[str], items: list[Item], offers: list[Item],
             offer_vecs: np.ndarray | None, rival: float, rival_example: tuple[str, str] | None,
             also_seek: bool = False) -> c.Criterion:
    s = ctx.seeker
    examples: dict[str, tuple[str, str]] = {}
    offer_overlap = 0.0
    if offer_vecs is not None and len(s.offers):
        sims = s.offer_vectors @ offer_vecs.T
        i, j = np.unravel_index(int(sims.argmax()), sims.shape)
        offer_overlap = _peer(ctx, float(sims[i, j]))
        examples["offer"] = (offers[j].text, s.offers[i]["text"])
    if rival_example:
        examples["request"] = rival_example
    shared = ctx.strong & strong
    links = _strong_items(ctx, items)
    if ctx.strong_vectors is not None and len(ctx.strong_vectors) and links:
        sims = ctx.strong_vectors @ np.stack([it.vector for it in links]).T
        same = sims.max(axis=0) >= ctx.thresholds["same_link"]
        shared |= {it.link or it.text for it, hit in zip(links, same) if hit}
    return c.competitor_penalty(offer_overlap, rival, shared, max(1, len(strong | shared)), examples, ctx.label,
                                also_seek)


def _scope(ctx: SeekerContext, doc: dict[str, Any], strong: set[str], coverage: Coverage) -> c.Criterion:
    if ctx.target == "clusters":
        return c.scope(len(strong) / coverage.chain_length(doc), 0, ctx.cfg["scope"])
    return c.scope(None, len(doc.get("offers") or []) or len(member_links(doc)), ctx.cfg["scope"])
