"""Which candidates of a search can have a pair at all, from one matrix product per kind of pair
for all of them (issue #11 point 10, issue #14 point 9): a candidate none of whose cells can reach
the floor gets no pair from the per-candidate loops, so `score_candidate` skips them.

Rank-safe, not a heuristic: a cell is ruled out only when its cosine in the batched product is
below the floor by more than the rounding error both products can carry (float32 dot products
of length n differ from the exact value by at most n·2⁻²⁴·‖a‖·‖b‖, Higham's γₙ), so every cell
the per-candidate product would keep is kept. The values of the pairs still come from the
per-candidate products, unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from service.matching.candidate_texts import CandidateTexts
from service.matching.hubness import hubness_of

if TYPE_CHECKING:
    from service.matching.scoring import SeekerContext


@dataclass(frozen=True)
class MayPair:
    """Per candidate: False where no cell of that kind can reach its floor."""

    forward: bool = True  # our buying needs × their offers (need→offer floor)
    backward: bool = True  # their requests × our offers (need→offer floor)
    requests: bool = True  # our needs × their requests (peer floor)
    offers: bool = True  # our offers × their offers, the competitor overlap (peer floor)
    gap_links: bool = True  # our gaps × their strong links (same-link threshold)
    strong_links: bool = True  # our strong links × theirs, the shared links of rivalry (same-link threshold)


ANY_PAIR = MayPair()  # nothing ruled out


def may_pair(ctx: SeekerContext, docs: dict[str, dict[str, Any]],
             texts: dict[str, CandidateTexts]) -> dict[str, MayPair]:
    from service.matching.scoring import need_offer_pulls, peer_pulls, their_language

    s = ctx.seeker
    buying = [i for i in range(len(s.needs)) if not ctx.sells[i]]
    langs = {pid: their_language(ctx, docs[pid], texts[pid]) for pid in texts}
    floor, peer_floor = ctx.floor, ctx.thresholds["peer_floor"]

    by_lang: dict[str | None, list[float]] = {}  # most candidates share a language: once per language

    def pulls(pid: str) -> list[float]:  # per buying need, as _offer_pairs takes it off
        lang = langs[pid]
        if lang not in by_lang:
            got = need_offer_pulls(ctx, ctx.need_languages, lang)
            by_lang[lang] = [got[i] if i < len(got) else 0.0 for i in buying]
        return by_lang[lang]

    def backs(pid: str) -> list[float]:  # per need, as _request_pairs gives it back
        return peer_pulls(ctx, langs[pid])

    their_offers, their_requests = stacked_once(ctx, texts, "offer"), stacked_once(ctx, texts, "request")
    forward = _reach(s.need_vectors[buying], their_offers, texts, "offer", ctx, floor, pulls, -1) \
        if ctx.use_forward and buying else {}
    requests = _reach(s.need_vectors, their_requests, texts, "request", ctx, peer_floor, backs, +1) \
        if len(s.needs) else {}
    backward = _reach_back(s.offer_vectors, their_requests, texts, ctx, floor) \
        if ctx.use_backward and len(s.offers) else {}
    offers = _reach(s.offer_vectors, their_offers, texts, "offer", ctx, peer_floor, None, 0) if len(s.offers) else {}
    # Two links are the same link from `same_link` up (scoring._gaps_filled, scoring._rivalry).
    same_link = ctx.thresholds.get("same_link")
    their_links = _stacked(texts, "strong_link") if same_link is not None else ([], None, [])
    gap_links = _reach(ctx.gap_vectors, their_links, texts, "link", ctx, same_link, None, 0) \
        if ctx.gaps and ctx.gap_vectors is not None and len(ctx.gap_vectors) else {}
    strong_links = _reach(ctx.strong_vectors, their_links, texts, "link", ctx, same_link, None, 0) \
        if ctx.strong_vectors is not None and len(ctx.strong_vectors) else {}
    return {pid: MayPair(forward.get(pid, False), backward.get(pid, False), requests.get(pid, False),
                         offers.get(pid, False), gap_links.get(pid, False), strong_links.get(pid, False))
            for pid in texts}


Stack = tuple[list[str], np.ndarray | None, list[int]]


def _stacked(texts: dict[str, CandidateTexts], role: str) -> Stack:
    """The candidates with texts in `role`, their vectors one after the other, where each starts."""
    attr = {"offer": "offer_vecs", "request": "request_vecs", "strong_link": "link_vecs"}[role]
    found = [(pid, v) for pid, t in texts.items() if (v := getattr(t, attr)) is not None and len(v)]
    if not found:
        return [], None, []
    starts, at = [], 0
    for _, v in found:
        starts.append(at)
        at += len(v)
    return [pid for pid, _ in found], np.concatenate([v for _, v in found]), starts


def stacked_once(ctx: SeekerContext, texts: dict[str, CandidateTexts], role: str) -> Stack:
    """`_stacked`, once per search for the same candidates (may_pair and score_bounds both stack
    their offers and requests): reused only while they are the very same texts, in order."""
    values = list(texts.values())
    held = ctx.memo.get(("stacked", role))
    if held is not None and len(held[0]) == len(values) and all(a is b for a, b in zip(held[0], values)):
        return held[1]
    stack = _stacked(texts, role)
    ctx.memo[("stacked", role)] = (values, stack)
    return stack


def rounding_slack(ours: np.ndarray, theirs: np.ndarray) -> float:
    """What the batched and the per-candidate cosine can differ by, with room to spare."""
    norms = float(np.linalg.norm(ours, axis=1).max()) * float(np.linalg.norm(theirs, axis=1).max())
    return 2 * 2 * ours.shape[1] * 2.0**-24 * max(norms, 1.0) + 1e-6


def _reach(ours: np.ndarray, stack: Stack, texts: dict[str, CandidateTexts], role: str, ctx: SeekerContext,
           floor: float, offsets: Any, sign: int) -> dict[str, bool]:
    """Per candidate: whether a row of ours against its `role` vectors can exceed `floor`, with the
    candidate's hubness taken off (need→offer: `sign` -1, offsets taken off) or not (`sign` 0,
    peer pairs: `sign` +1, offsets given back)."""
    ids, theirs, starts = stack
    if theirs is None or not len(ours):
        return {}
    sims = ours @ theirs.T
    if sign < 0:  # need→offer cosines: the candidate's hubness is taken off
        sims = sims - hub_shifts(ctx, texts, ids, role)[None, :]
    best = np.maximum.reduceat(sims, starts, axis=1)  # (ours, candidates)
    if offsets is not None:
        shift = np.array([offsets(pid) for pid in ids], dtype=np.float64).T
        best = best + shift if sign > 0 else best - shift
    top = best.max(axis=0)
    return dict(zip(ids, (top > floor - rounding_slack(ours, theirs)).tolist()))


def _reach_back(ours: np.ndarray, stack: Stack, texts: dict[str, CandidateTexts], ctx: SeekerContext,
                floor: float) -> dict[str, bool]:
    """Their requests against our offers, their requests' hubness taken off (backward pairs)."""
    ids, theirs, starts = stack
    if theirs is None:
        return {}
    sims = theirs @ ours.T - hub_shifts(ctx, texts, ids, "request")[:, None]
    top = np.maximum.reduceat(sims.max(axis=1), starts)
    return dict(zip(ids, (top > floor - rounding_slack(ours, theirs)).tolist()))


def hub_shifts(ctx: SeekerContext, texts: dict[str, CandidateTexts], ids: list[str], role: str) -> np.ndarray:
    """`hubness_of` of the candidates' `role` texts, one after the other: from the values
    warm_hubness cached, the model's usual value taken off once for all."""
    center = ctx.thresholds.get("hub_center")
    key = ("hub", ctx.languages.vocabulary, role) if center and ctx.languages is not None else None
    cached = [texts[pid].derived.memo.get(key) for pid in ids] if key is not None else []
    if key is None or any(c is None for c in cached):
        return np.concatenate([hubness_of(ctx, texts[pid], role) for pid in ids])
    return np.concatenate(cached) - center
