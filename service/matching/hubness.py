"""Hubness: how far a text sits above the typical text in closeness to everything (mean cosine to
its nearest template labels, all languages). A "hub" that resembles every need answers none of
them in particular, so scoring takes it off the candidate's side of a need↔offer cosine."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from service.matching.candidate_texts import CandidateTexts

if TYPE_CHECKING:
    from service.matching.scoring import SeekerContext


def hubness(ctx: SeekerContext, vectors: np.ndarray) -> np.ndarray:
    """How far each text sits above the typical text in closeness to everything (mean cosine to
    its 10 nearest template labels, all languages, minus the model's usual value): a "hub" that
    resembles every need is no answer to each of them. Zero when not calibrated for the model."""
    center = ctx.thresholds.get("hub_center")
    if not center or ctx.languages is None or not len(vectors):
        return np.zeros(len(vectors), dtype=np.float32)
    return closeness(ctx.languages.vocabulary, vectors) - center


def closeness(vocabulary: Any, vectors: np.ndarray) -> np.ndarray:
    refs = vocabulary.vectors.reshape(-1, vectors.shape[1])
    sims = vectors @ refs.T
    return np.partition(sims, -HUB_K, axis=1)[:, -HUB_K:].mean(axis=1)


def hubness_of(ctx: SeekerContext, texts: CandidateTexts, role: str) -> np.ndarray:
    """`hubness` of all the candidate's offers or requests: it depends only on their stored
    vectors, so it is computed once per process and model (candidate_texts cache)."""
    vectors = texts.offer_vecs if role == "offer" else texts.request_vecs
    center = ctx.thresholds.get("hub_center")
    if vectors is None or not center or ctx.languages is None or not len(vectors):
        return np.zeros(0 if vectors is None else len(vectors), dtype=np.float32)
    vocabulary = ctx.languages.vocabulary
    return texts.cached(("hub", vocabulary, role), lambda: closeness(vocabulary, vectors)) - center


HUB_K = 10


def warm_hubness(ctx: SeekerContext, many: list[CandidateTexts]) -> None:
    """`hubness_of` for every candidate of a search whose values are not cached yet, with one
    matrix product per role: per candidate, numpy's call overhead cost more than the product."""
    center = ctx.thresholds.get("hub_center")
    if not center or ctx.languages is None:
        return
    vocabulary = ctx.languages.vocabulary
    for role in ("offer", "request"):
        key = ("hub", vocabulary, role)
        todo = [(t, v) for t in many if key not in t.derived.memo
                and (v := t.offer_vecs if role == "offer" else t.request_vecs) is not None and len(v)]
        if not todo:
            continue
        close = closeness(vocabulary, np.concatenate([v for _, v in todo]))
        at = 0
        for texts, vectors in todo:
            texts.derived.memo[key] = close[at : at + len(vectors)]
            at += len(vectors)
