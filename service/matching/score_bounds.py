"""Which candidates of a search can reach the page asked for, from an upper bound on each one's
score (issue #11 point 10): the page needs the exact scores of its own candidates only, so the
candidates are scored best bound first and scoring stops once the page's last place is taken by a
candidate that no unscored one can pass. The total is the number of candidates either way.

Rank-safe, not a heuristic: the bound takes every criterion but the two vector ones as scored
(the same functions), bounds complementarity by each need's best cosine in one matrix product per
kind of pair for all candidates (plus the float32 rounding both products can carry, as in
pair_bounds), takes every gap it could fill as filled and no competitor penalty, and adds half a
unit of the fourth decimal for each of the score's roundings. A candidate that cannot have evidence (no
pair, no gap) is known to rank below every candidate with evidence."""
from __future__ import annotations

from bisect import insort
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from service.matching import criteria as c
from service.matching.candidate_texts import CandidateTexts
from service.matching.pair_bounds import MayPair, hub_shifts, rounding_slack, stacked_once
from service.privacy import usable_in_matching

if TYPE_CHECKING:
    from service.matching.coverage import Coverage
    from service.matching.scoring import Scored, SeekerContext

MARGIN = 1e-9  # over the bounds' own float sums, summed in another order than the score's
ROUNDING = 0.5e-4  # half a unit of the fourth decimal, which the score rounds to
Key = tuple[bool, float, str]  # the matcher's order: evidence first, then score, then id


def best_first(ctx: SeekerContext, docs: dict[str, dict[str, Any]], texts: dict[str, CandidateTexts],
               ids: list[str], may: dict[str, MayPair], coverage: Coverage, need: int,
               score: Callable[[str], Scored]) -> list[tuple[Scored, str]]:
    """The `need` best candidates of `ids` in the matcher's order, each scored by `score`, and
    whichever others were scored on the way (also in order: the caller slices the page)."""
    bounds = score_bounds(ctx, docs, texts, ids, may, coverage)
    order = sorted(ids, key=lambda cid: bounds[cid])
    top: list[Key] = []  # the best `need` exact keys so far
    done: list[tuple[Key, Scored, str]] = []
    for cid in order:
        if need <= 0 or (len(top) >= need and top[need - 1] < bounds[cid]):
            break  # this bound, and every later one, ranks below the page's last place
        result = score(cid)
        key = (not result.evidence, -result.score, cid)
        done.append((key, result, cid))
        insort(top, key)
        del top[need:]
    done.sort(key=lambda entry: entry[0])
    return [(result, cid) for _, result, cid in done]


def score_bounds(ctx: SeekerContext, docs: dict[str, dict[str, Any]], texts: dict[str, CandidateTexts],
                 ids: list[str], may: dict[str, MayPair], coverage: Coverage) -> dict[str, Key]:
    """Per candidate, the best key it can have: (False where it can have no evidence..., -score bound, id)."""
    from service.matching.scoring import plain_criteria, weight_shares

    compl = _complementarity_bounds(ctx, docs, {cid: texts[cid] for cid in ids})
    shares = weight_shares(ctx)  # weights are never negative (weights.py)
    names = [name for name, _, _ in shares]
    named = {gap for g, gap in enumerate(ctx.gaps) if g < len(ctx.gap_needs) and ctx.gap_needs[g] is not None}
    gap_scores: dict[frozenset[str], float] = {}  # most candidates could fill the same gaps
    rows, evidence = [], []
    for cid in ids:
        strong = coverage.strong_links(ctx.target, docs[cid])
        fillable = _fillable(ctx, strong, may[cid], named)
        if fillable not in gap_scores:
            gap_scores[fillable] = c.gap_filling(ctx.gaps, set(fillable), ctx.cfg["gap"], ctx.label, False).score
        values = {name: crit.score for name, crit in plain_criteria(ctx, docs[cid], strong, coverage).items()}
        values["complementarity"], values["gap_filling"] = compl[cid], gap_scores[fillable] if fillable else 0.0
        rows.append([values[name] for name in names])
        evidence.append(compl[cid] > 0 or bool(fillable))
    # The score rounds each criterion's contribution, the penalty's (never above 0) and the sum to
    # 4 decimals: each rounding adds at most half a unit of the fourth decimal.
    slack = ROUNDING * (len(names) + 2) + MARGIN
    bounds = (np.array(rows, dtype=np.float64).reshape(len(ids), len(names))
              @ np.array([weight for _, weight, _ in shares]) + slack).tolist()
    return {cid: (not ev, -bound, cid) for cid, ev, bound in zip(ids, evidence, bounds)}



def _fillable(ctx: SeekerContext, strong: set[str], may: MayPair, named: set[str]) -> frozenset[str]:
    """The gaps the candidate could fill: its own links, any (a link of theirs may read as the
    same), or those a need of ours names (`named`: an offer of theirs may answer it)."""
    if not ctx.gaps:
        return frozenset()
    if may.gap_links:
        return frozenset(ctx.gaps)
    return frozenset(gap for gap in ctx.gaps if gap in strong or (ctx.use_forward and gap in named))


def _complementarity_bounds(ctx: SeekerContext, docs: dict[str, dict[str, Any]],
                            texts: dict[str, CandidateTexts]) -> dict[str, float]:
    """Per candidate, a bound on criteria.complementarity: each need's best pair bounded by its best
    cosine (pairs the scorer leaves out, of another type or shared with another buyer, only lower
    it), both sides as criteria.complementarity weighs them, the larger side (the reciprocal mix
    lies between them). One array per kind of pair for all candidates."""
    from service.matching.scoring import need_offer_pulls, peer_pulls, request_sells, their_language

    s = ctx.seeker
    ids = list(texts)
    col = {pid: n for n, pid in enumerate(ids)}
    langs = [their_language(ctx, docs[pid], texts[pid]) for pid in ids]
    offers_ok = np.array([usable_in_matching(docs[pid], "offers") for pid in ids], dtype=bool)
    requests_ok = np.array([usable_in_matching(docs[pid], "requests") for pid in ids], dtype=bool)
    buying = [i for i in range(len(s.needs)) if not ctx.sells[i]]
    selling = [i for i in range(len(s.needs)) if ctx.sells[i]]
    floor, ceiling = ctx.floor, ctx.ceiling
    peer_floor, peer_ceiling = ctx.thresholds["peer_floor"], ctx.thresholds["peer_ceiling"]
    offers, requests = stacked_once(ctx, texts, "offer"), stacked_once(ctx, texts, "request")
    by_lang: dict[Any, np.ndarray] = {}

    def per_need(kind: str, rows: list[int], which: list[str]) -> np.ndarray:
        """(rows, candidates in `which`): what each candidate's language adds to a pair (pulls
        taken off need→offer cosines, peer pulls given back to need↔request ones)."""
        out = []
        for pid in which:
            lang = langs[col[pid]]
            if (kind, lang) not in by_lang:
                got = need_offer_pulls(ctx, ctx.need_languages, lang) if kind == "pull" else peer_pulls(ctx, lang)
                by_lang[kind, lang] = np.array([got[i] if i < len(got) else 0.0 for i in range(len(s.needs))])
            out.append(by_lang[kind, lang][rows])
        return np.stack(out, axis=1) if out else np.zeros((len(rows), 0))

    forward = np.zeros((len(buying), len(ids)))  # per buying need and candidate: its best pair's bound
    if ctx.use_forward and buying:
        ours = s.need_vectors[buying]
        if offers[1] is not None:
            hubs = hub_shifts(ctx, texts, offers[0], "offer")
            best = _best(ours, offers, -hubs) - per_need("pull", buying, offers[0])
            cols = [col[pid] for pid in offers[0]]
            forward[:, cols] = _calibrated(best, floor, ceiling) * offers_ok[cols]
        if requests[1] is not None:
            best = _best(ours, requests, None) + per_need("peer", buying, requests[0])
            cols = [col[pid] for pid in requests[0]]
            forward[:, cols] = np.maximum(forward[:, cols], _calibrated(best, peer_floor, peer_ceiling)
                                          * requests_ok[cols])
    backward_best, backward_sum = np.zeros(len(ids)), np.zeros(len(ids))  # over each one's requests
    if ctx.use_backward and requests[1] is not None and (len(s.offers) or selling):
        ids_r, theirs, starts = requests
        lengths = np.diff([*starts, len(theirs)])
        bound = np.zeros(len(theirs))
        if len(s.offers):  # their request, our best offer for it, their hubness taken off
            raw = ((theirs @ s.offer_vectors.T).max(axis=1).astype(np.float64)
                   - hub_shifts(ctx, texts, ids_r, "request") + rounding_slack(s.offer_vectors, theirs))
            bound = _calibrated(raw, floor, ceiling)
        if selling:  # our selling needs against their requests, peer pulls given back
            back = np.repeat(per_need("peer", selling, ids_r), lengths, axis=1)
            raw = ((theirs @ s.need_vectors[selling].T).astype(np.float64) + back.T).max(axis=1) \
                + rounding_slack(s.need_vectors[selling], theirs)
            bound = np.maximum(bound, _calibrated(raw, peer_floor, peer_ceiling))
        cols = [col[pid] for pid in ids_r]
        ok = requests_ok[cols]
        backward_best[cols] = np.maximum.reduceat(bound, starts) * ok
        backward_sum[cols] = np.add.reduceat(bound, starts) * ok
    forward_best = forward.max(axis=0) if len(buying) else np.zeros(len(ids))
    f = np.where(forward_best > 0, c.BEST_SHARE * forward_best
                 + (1 - c.BEST_SHARE) * forward.sum(axis=0) / max(1, len(buying)), 0.0)
    their_buying = np.array([sum(not sold for sold in request_sells(ctx, texts[pid])) if requests_ok[n] else 0
                             for n, pid in enumerate(ids)])
    b = np.where(backward_best > 0, c.BEST_SHARE * backward_best
                 + (1 - c.BEST_SHARE) * backward_sum / np.maximum(1, their_buying), 0.0)
    return dict(zip(ids, np.maximum(f, b).tolist()))


def _calibrated(raw: np.ndarray, floor: float, ceiling: float) -> np.ndarray:
    return np.clip((raw - floor) / (ceiling - floor), 0.0, 1.0)


def _best(ours: np.ndarray, stack: Any, shift: np.ndarray | None) -> np.ndarray:
    """(our rows, candidates): each candidate's best cosine per row of ours, with `shift` added
    per row of theirs and the rounding slack both products can carry (float64)."""
    _, theirs, starts = stack
    sims = (ours @ theirs.T).astype(np.float64)
    if shift is not None:
        sims = sims + shift[None, :]
    return np.maximum.reduceat(sims, starts, axis=1) + rounding_slack(ours, theirs)
