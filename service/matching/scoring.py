"""Scores one candidate against a seeker with every criterion; contributions add up to the score."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.index.base import Item
from service.matching import criteria as c
from service.matching.candidate_texts import CandidateTexts, candidate_texts
from service.matching.coverage import Coverage, member_links
from service.matching.free_text import sells
from service.matching.hubness import hubness, hubness_of
from service.matching.language import pair_offset
from service.matching.pair_bounds import ANY_PAIR, MayPair
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
    memo: dict[Any, Any] = field(default_factory=dict)  # per search: values every candidate reuses

    def once(self, key: Any, compute: Any) -> Any:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @property
    def reverse(self) -> set[str]:
        """The cooperation types whose requests sell (clients, distributors)."""
        return self.once("reverse", lambda: {t for t, v in self.coop.items() if v.get("reverse")})


@dataclass
class Scored:
    score: float
    criteria: dict[str, dict[str, Any]]
    pairs: list[c.Pair]
    gaps_filled: list[str]
    evidence: bool = False  # a need↔offer pair above the answers threshold, or a gap filled


def _sells(ctx: SeekerContext, request_type: str | None, text: str = "") -> bool:
    return sells(request_type, text, ctx.reverse)


def request_sells(ctx: SeekerContext, texts: CandidateTexts) -> list[bool]:
    """Per request of the candidate: does it sell (depends on its texts and the cooperation types)."""
    reverse = ctx.reverse
    return texts.cached(("sells", frozenset(reverse)),
                        lambda: [sells(r.type, r.text, reverse) for r in texts.requests])


def _peer_pull(ctx: SeekerContext) -> float:
    """Raw cosine given back to a need↔need pair across languages: `peer_pull` where measured,
    else the need→offer pull. (Offer↔offer pairs are not corrected: giving the same back made a
    cork maker a competitor of a cognac house for sharing "spirits", tests/eval/open c03.)"""
    return ctx.thresholds.get("peer_pull", ctx.pull)


def need_offer_pulls(ctx: SeekerContext, need_langs: list[str | None], offer_lang: str | None) -> list[float]:
    """Per need: the raw cosine its language and the offer's add to a need→offer pair."""
    return ctx.once(("pulls", tuple(need_langs), offer_lang),
                    lambda: [pair_offset(ctx.offsets, ctx.pull, lang, offer_lang) for lang in need_langs])


def peer_pulls(ctx: SeekerContext, their_lang: str | None) -> list[float]:
    """Per seeker need: the raw cosine given back to its pairs with requests in `their_lang`."""
    peer_pull = _peer_pull(ctx)
    return ctx.once(("peer_pull", their_lang), lambda: [
        peer_pull if their_lang and i < len(ctx.need_languages) and ctx.need_languages[i] not in (None, their_lang)
        else 0.0 for i in range(len(ctx.seeker.needs))])


def _peer(ctx: SeekerContext, raw: float) -> float:
    return c.calibrate(raw, ctx.thresholds["peer_floor"], ctx.thresholds["peer_ceiling"])


def _offer_pairs(ctx: SeekerContext, needs: list[tuple[int, dict[str, Any]]], need_vecs: np.ndarray,
                 offers: list[Any], offer_vecs: np.ndarray | None, direction: str,
                 languages: tuple[list[str | None], str | None], hub: np.ndarray | None = None) -> list[c.Pair]:
    """Needs against offers (query→passage cosines), same-language pull and hubness given back:
    per need, its best pair (the first of equals), the only one scoring and reasons use (through
    criteria.best_per_need; an answering pair, when the need has one, is among its best).
    `hub`: the candidate side's hubness when already known (its offers forward, its needs backward).
    The cells are few (a seeker has a handful of needs, a candidate of offers): a plain loop over
    them costs less than numpy's per-call overhead on such small arrays (bench_scoring)."""
    if offer_vecs is None or not needs:
        return []
    rows = [i for i, _ in needs]
    # Forward, the rows are the seeker's needs, mostly the same ones for every candidate of a search.
    chosen = (ctx.once(("need_rows", tuple(rows)), lambda: need_vecs[rows]) if direction == "forward"
              else need_vecs if len(rows) == len(need_vecs) else need_vecs[rows])
    sims = chosen @ offer_vecs.T
    # The candidate's side is corrected for hubness: its offers (forward), its needs (backward).
    if hub is None:
        hub = hubness(ctx, offer_vecs if direction == "forward" else chosen)
    sims = (sims - (hub[None, :] if direction == "forward" else hub[:, None])).tolist()
    need_langs, offer_lang = languages
    pulls = need_offer_pulls(ctx, need_langs, offer_lang)
    floor, ceiling, answers = ctx.floor, ctx.ceiling, ctx.thresholds["answers"]
    span = ceiling - floor  # c.calibrate, inlined: it runs for every cell above the floor
    offer_types = None
    pairs = []
    for row, (i, need) in zip(sims, needs):
        pull = pulls[i] if i < len(pulls) else 0.0  # a need without a language: no offset
        if max(row) - pull <= floor:  # the whole row calibrates to 0 (most rows)
            continue
        if offer_types is None:
            offer_types = [offer.type if isinstance(offer, Item) else offer.get("type") for offer in offers]
        allowed = ctx.coop.get(need.get("type") or "", {}).get("answered_by") or []  # a preference:
        # open-world offer types are often loose, so another type is discounted, not excluded
        best, best_j, best_raw = 0.0, -1, 0.0
        for j, cosine in enumerate(row):
            if cosine - pull <= floor:  # at or below the floor whatever the type: no pair (most cells)
                continue
            offer_type = offer_types[j]
            raw = cosine - pull - (OTHER_TYPE if allowed and offer_type and offer_type not in allowed else 0.0)
            sim = min(1.0, max(0.0, (raw - floor) / span))
            if sim > best:  # the first best, as criteria.best_per_need keeps it
                best, best_j, best_raw = sim, j, raw
        if best_j >= 0:
            offer = offers[best_j]
            text = offer.text if isinstance(offer, Item) else offer["text"]
            pairs.append(c.Pair(need["text"], text, best, direction, i, best_raw >= answers))
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
                   their_lang: str | None = None, their_sells: list[bool] | None = None) -> _Requests:
    """The seeker's needs against their requests (query↔query). Opposite directions answer each
    other (we seek cork, they seek buyers for cork; we sell, they need it); the same direction
    is rivalry (another buyer, or a seller after the same clients). Returns forward and backward
    answering pairs, the rivalry overlap, its example texts and the needs both sides seek.
    `their_sells`: per request, whether it sells, when already known."""
    s = ctx.seeker
    out = _Requests()
    if request_vecs is None or not len(s.needs):
        return out
    if their_sells is None:
        their_sells = [_sells(ctx, req.type, req.text) for req in requests]
    sims = s.need_vectors @ request_vecs.T
    # Across languages the same request scores lower by the measured pull: give it back.
    back = peer_pulls(ctx, their_lang)
    rows = sims.tolist()
    peer_floor = ctx.thresholds["peer_floor"]
    for i, need in enumerate(s.needs):
        row, pull = rows[i], back[i]
        if max(row) + pull <= peer_floor:  # the whole row calibrates to 0 (most rows)
            continue
        for j, req in enumerate(requests):
            if row[j] + pull <= peer_floor:  # calibrates to 0: no pair, no rivalry (most cells)
                continue
            sim = _peer(ctx, row[j] + pull)
            if sim <= 0:
                continue
            if ctx.sells[i] == their_sells[j]:
                if sim > out.rival:
                    out.rival, out.example = sim, (req.text, need["text"])
                if not ctx.sells[i]:
                    out.shared.add((i, j))
            elif ctx.sells[i]:  # we sell, they need it
                out.backward.append(c.Pair(req.text, need["text"], sim, "backward", j, sim >= 0.5, "request"))
            else:  # we need, they sell it
                out.forward.append(c.Pair(need["text"], req.text, sim, "forward", i, sim >= 0.5, "request"))
    return out


def score_candidate(ctx: SeekerContext, doc: dict[str, Any], items: list[Item], coverage: Coverage,
                    texts: CandidateTexts | None = None, explain: bool = True, may: MayPair | None = None) -> Scored:
    """`texts`: the candidate's `candidate_texts`, when the caller already made them. `explain`
    False: the same score, evidence, pairs and gaps filled, without the criteria table and its
    reasons (which only the page's results show). `may`: the kinds of pairs the candidate can have
    at all (pair_bounds), the others are not looked for."""
    s = ctx.seeker
    texts = texts or candidate_texts(doc.get("id"), items)
    # Private needs/offers stay out of matching.
    offers, offer_vecs = (texts.offers, texts.offer_vecs) if usable_in_matching(doc, "offers") else ([], None)
    requests, request_vecs = (texts.requests, texts.request_vecs) if usable_in_matching(doc, "requests") else ([], None)
    their_lang = their_language(ctx, doc, texts)
    their_sells = request_sells(ctx, texts) if requests else []
    buying = [(i, n) for i, n in enumerate(s.needs) if not ctx.sells[i]]
    may = may or ANY_PAIR
    reqs = _request_pairs(ctx, requests, request_vecs, their_lang, their_sells) if may.requests else _Requests()
    # Another buyer of what we seek does not answer that need, and what they seek like us is no
    # need of theirs we answer (issue #11 point 5): those pairs are left out, the rivalry counts.
    n_buying = len(buying)  # breadth still counts every need
    ours_shared, theirs_shared = {k for k, _ in reqs.shared}, {k for _, k in reqs.shared}
    buying = [(i, n) for i, n in buying if i not in ours_shared]
    forward = _offer_pairs(ctx, buying, s.need_vectors, offers, offer_vecs, "forward",
                           (ctx.need_languages, their_lang), hubness_of(ctx, texts, "offer")) \
        if ctx.use_forward and buying and offers and may.forward else []
    forward += reqs.forward if ctx.use_forward else []
    rival, rival_example, req_backward = reqs.rival, reqs.example, reqs.backward
    backward: list[c.Pair] = []
    their_buying = [(j, {"text": r.text, "type": r.type}) for j, r in enumerate(requests) if not their_sells[j]]
    n_their_buying = len(their_buying)
    their_buying = [(j, r) for j, r in their_buying if j not in theirs_shared]
    if ctx.use_backward and their_buying and len(s.offers) and request_vecs is not None and may.backward:
        hub = hubness_of(ctx, texts, "request")[[j for j, _ in their_buying]]
        backward = _offer_pairs(ctx, their_buying, request_vecs, s.offers, s.offer_vectors, "backward", ([], None),
                                hub)
    backward += req_backward if ctx.use_backward else []
    strong = coverage.strong_links(ctx.target, doc)
    filled = _gaps_filled(ctx, strong, items, _answered_strictly(ctx, forward), texts, may.gap_links)
    results: dict[str, c.Criterion] = {
        "complementarity": c.complementarity(forward, backward, n_buying, max(1, n_their_buying),
                                             ctx.use_forward, ctx.use_backward, explain),
        "gap_filling": c.gap_filling(ctx.gaps, filled, ctx.cfg["gap"], ctx.label, explain),
        **plain_criteria(ctx, doc, strong, coverage, explain),
    }
    penalty = c.Criterion(0.0)
    if ctx.commercial and ctx.weights.get(PENALTY, 0) > 0:
        penalty = _rivalry(ctx, strong, texts, offers, offer_vecs if may.offers else None, rival, rival_example,
                           bool(reqs.shared), may.strong_links)
    shares = weight_shares(ctx)
    # The score adds up the table's rounded contributions, in the table's order.
    contributions = [round(weight * results[name].score, 4) for name, weight, _ in shares]
    contributions.append(round(-ctx.weights.get(PENALTY, 0.0) * penalty.score, 4))
    score = round(sum(contributions), 4)
    table: dict[str, dict[str, Any]] = {}
    if explain:
        for (name, _, shown), contribution in zip(shares, contributions):
            crit = results[name]
            table[name] = {"score": round(crit.score, 4), "weight": shown, "contribution": contribution,
                           "reason": crit.reason}
        table[PENALTY] = {"score": round(penalty.score, 4), "weight": ctx.weights.get(PENALTY, 0.0),
                          "contribution": contributions[-1], "reason": penalty.reason}
    pairs = results["complementarity"].details.get("pairs", [])
    gaps_filled = results["gap_filling"].details.get("filled", [])
    # A clear competitor or other buyer brings no evidence, whatever its wording.
    evidence = (any(p.answers for p in pairs) or bool(gaps_filled)) and penalty.score < RIVAL_AT
    return Scored(score, table, pairs, gaps_filled, evidence)


def plain_criteria(ctx: SeekerContext, doc: dict[str, Any], strong: set[str], coverage: Coverage,
                    explain: bool = False) -> dict[str, c.Criterion]:
    """The criteria that read no vectors (score_bounds takes them as they are)."""
    s = ctx.seeker
    return {
        "cross_border": _cross_border(ctx, doc.get("country"), frozenset(doc.get("languages") or []), explain),
        "market_access": c.market_access(ctx.targets, doc.get("country"), set(doc.get("markets") or [])),
        "scope": _scope(ctx, doc, strong, coverage),
        "maturity": c.maturity(s.doc.get("stage"), doc.get("stage")),
        "trust": c.trust(set(s.doc.get("networks") or []), set(doc.get("networks") or [])),
        "capacity": c.capacity(int(doc.get("active_cooperations") or 0), ctx.cfg["capacity"]),
    }


def weight_shares(ctx: SeekerContext) -> list[tuple[str, float, float]]:
    """Per criterion: its share of the weights, and that share rounded for the table."""
    def shares() -> list[tuple[str, float, float]]:
        total = sum(ctx.weights[k] for k in CRITERIA) or 1.0
        return [(name, ctx.weights[name] / total, round(ctx.weights[name] / total, 4)) for name in CRITERIA]

    return ctx.once("shares", shares)


def _cross_border(ctx: SeekerContext, country: str | None, languages: frozenset[str],
                  explain: bool = True) -> c.Criterion:
    """The same for every candidate of one country and languages: computed once per search."""
    s = ctx.seeker
    return ctx.once(("cross_border", country, languages, explain), lambda: c.cross_border(
        s.country, country, set(s.doc.get("languages") or []), set(languages), ctx.countries,
        ctx.cfg["cross_border"], explain))


RIVAL_AT = 0.5  # rivalry from which a candidate counts as a competitor or another buyer
OTHER_TYPE = 0.01  # raw cosine taken from an offer whose type does not answer the need's type


def _answered_strictly(ctx: SeekerContext, forward: list[c.Pair]) -> dict[int, str]:
    """Per seeker need, their best offer when it answers that need clearly enough to say it fills
    the gap the need names: `gap_offer` (raw cosine that 99 % of cross-language need→offer pairs of
    different links stay below) is stricter than `answers` (90 %), since a wrong "fills X" misleads."""
    strict = c.calibrate(ctx.thresholds.get("gap_offer", ctx.thresholds["answers"]), ctx.floor, ctx.ceiling)
    best = c.best_per_need(p for p in forward if p.answers and p.kind == "offer" and p.similarity >= strict)
    return {pos: p.offer for pos, p in best.items()}


def _gaps_filled(ctx: SeekerContext, strong: set[str], items: list[Item],
                 answered: dict[int, str], texts: CandidateTexts | None = None, same_possible: bool = True,
                 ) -> dict[str, str]:
    """Each seeker gap the candidate fills -> the candidate's own words for it: the same link, a
    strong link of theirs that the model reads as the same link, or an offer that answers the
    seeker's need naming the gap. Offers are not compared with link labels directly: a short
    label sits as close to unrelated offers as to its own (tests/bench/bench_calibration.py).
    `same_possible` False: no strong link of theirs can reach `same_link` (pair_bounds)."""
    if not ctx.gaps:
        return {}
    texts = texts or candidate_texts(None, items)
    links = texts.links
    sims = ctx.gap_vectors @ texts.link_vecs.T if links and ctx.gap_vectors is not None and same_possible else None
    if sims is not None and ctx.known_links:
        # Two template links are the same link only by key: canonicalisation already compared
        # their labels, and neighbouring links of one chain sit above `same_link` (viticulture
        # and winemaking). Meaning decides only where one side is a free label.
        known = ctx.once("known_gaps", lambda: np.array([gap in ctx.known_links for gap in ctx.gaps], dtype=bool))
        sims = np.where(known[:, None] & texts.derived.link_keyed[None, :], -1.0, sims)
    # Compared in numpy (float32, as the cosines are), not per gap: a numpy scalar per gap cost more.
    same = (sims.max(axis=1) >= ctx.thresholds["same_link"]).tolist() if sims is not None else None
    filled: dict[str, str] = {}
    for g, gap in enumerate(ctx.gaps):
        if gap in strong:
            filled[gap] = gap
        elif same is not None and same[g]:
            filled[gap] = links[int(sims[g].argmax())].text
        elif g < len(ctx.gap_needs) and ctx.gap_needs[g] in answered:
            filled[gap] = answered[ctx.gap_needs[g]]
    return filled


def _rivalry(ctx: SeekerContext, strong: set[str], texts: CandidateTexts, offers: list[Item],
             offer_vecs: np.ndarray | None, rival: float, rival_example: tuple[str, str] | None,
             also_seek: bool = False, same_possible: bool = True) -> c.Criterion:
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
    links = texts.links
    if ctx.strong_vectors is not None and len(ctx.strong_vectors) and links and same_possible:
        sims = ctx.strong_vectors @ texts.link_vecs.T
        same = sims.max(axis=0) >= ctx.thresholds["same_link"]
        shared |= {it.link or it.text for it, hit in zip(links, same) if hit}
    return c.competitor_penalty(offer_overlap, rival, shared, max(1, len(strong | shared)), examples, ctx.label,
                                also_seek)


def their_language(ctx: SeekerContext, doc: dict[str, Any], texts: CandidateTexts) -> str | None:
    if ctx.languages is None:
        return None
    return ctx.languages.of_profile(doc, texts.profile, texts.derived.memo)


def _scope(ctx: SeekerContext, doc: dict[str, Any], strong: set[str], coverage: Coverage) -> c.Criterion:
    if ctx.target == "clusters":
        return c.scope(len(strong) / coverage.chain_length(doc), 0, ctx.cfg["scope"])
    return c.scope(None, len(doc.get("offers") or []) or len(member_links(doc)), ctx.cfg["scope"])
