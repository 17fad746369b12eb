"""Scores one candidate against a seeker with every criterion; contributions add up to the score."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.index.base import Item
from service.matching import criteria as c
from service.matching.coverage import Coverage, member_links
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


@dataclass
class Scored:
    score: float
    criteria: dict[str, dict[str, Any]]
    pairs: list[c.Pair]
    gaps_filled: list[str]


def _vectors(items: list[Item], role: str, doc: dict[str, Any], field_name: str) -> tuple[list[Item], np.ndarray | None]:
    if not usable_in_matching(doc, field_name):  # private needs/offers stay out of matching
        return [], None
    chosen = [it for it in items if it.role == role]
    return chosen, (np.stack([it.vector for it in chosen]) if chosen else None)


def _pairs(needs: list[dict[str, Any]], need_vecs: np.ndarray, offers: list[Any], offer_vecs: np.ndarray | None,
           direction: str, ctx: SeekerContext) -> tuple[list[c.Pair], np.ndarray | None]:
    if offer_vecs is None or len(need_vecs) == 0:
        return [], None
    sims = need_vecs @ offer_vecs.T
    pairs = []
    for i, need in enumerate(needs):
        allowed = ctx.coop.get(need.get("type") or "", {}).get("answered_by") or []
        for j, offer in enumerate(offers):
            offer_type = offer.type if isinstance(offer, Item) else offer.get("type")
            if allowed and offer_type and offer_type not in allowed:
                continue
            sim = c.calibrate(float(sims[i, j]), ctx.floor, ctx.ceiling)
            if sim > 0:
                text = offer.text if isinstance(offer, Item) else offer["text"]
                pairs.append(c.Pair(need["text"], text, sim, direction, i))
    return pairs, sims


def score_candidate(ctx: SeekerContext, doc: dict[str, Any], items: list[Item], coverage: Coverage) -> Scored:
    s = ctx.seeker
    offers, offer_vecs = _vectors(items, "offer", doc, "offers")
    requests, request_vecs = _vectors(items, "request", doc, "requests")
    forward, _ = _pairs(s.needs, s.need_vectors, offers, offer_vecs, "forward", ctx)
    backward: list[c.Pair] = []
    if ctx.use_backward and requests:
        their_needs = [{"text": r.text, "type": r.type} for r in requests]
        backward, _ = _pairs(their_needs, request_vecs, s.offers, s.offer_vectors if len(s.offers) else None,
                             "backward", ctx)
    strong = coverage.strong_links(ctx.target, doc)
    results: dict[str, c.Criterion] = {
        "complementarity": c.complementarity(forward, backward, len(s.needs), len(requests),
                                             ctx.use_forward, ctx.use_backward),
        "gap_filling": c.gap_filling(ctx.gaps, strong, ctx.cfg["gap"], ctx.label),
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
        offer_overlap = 0.0
        if offer_vecs is not None and len(s.offers):
            offer_overlap = c.calibrate(float((s.offer_vectors @ offer_vecs.T).max()), ctx.floor, ctx.ceiling)
        penalty = c.competitor_penalty(ctx.strong, strong, offer_overlap,
                                       set(s.doc.get("markets") or []) | {s.country or ""},
                                       set(doc.get("markets") or []) | {doc.get("country") or ""}, ctx.label)
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
    return Scored(score, table, results["complementarity"].details.get("pairs", []),
                  results["gap_filling"].details.get("filled", []))


def _scope(ctx: SeekerContext, doc: dict[str, Any], strong: set[str], coverage: Coverage) -> c.Criterion:
    if ctx.target == "clusters":
        return c.scope(len(strong) / coverage.chain_length(doc), 0, ctx.cfg["scope"])
    return c.scope(None, len(doc.get("offers") or []) or len(member_links(doc)), ctx.cfg["scope"])
