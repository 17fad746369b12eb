"""Matching under the visibility rule (service.privacy): candidates are scored on their
non-private fields only, and a seeker the caller does not own is matched on its non-private
fields only, so no score, reason or sentence can carry or betray a private value."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from service.matching.filters import MatchRequest
from service.matching.seeker import Seeker
from service.privacy import matchable_view, usable_in_matching

PROFILE_TEXT_FIELDS = ("description", "competences", "themes", "technologies")  # indexers.documents


def candidate_views(docs: dict[str, dict[str, Any]], req: MatchRequest) -> dict[str, dict[str, Any]]:
    """The candidates as matching may see them; a cluster filter that only a private
    `clusters` field satisfies drops the candidate (filters never match hidden fields)."""
    views = {cid: matchable_view(doc) for cid, doc in docs.items()}
    if req.clusters and req.target == "members":
        views = {cid: v for cid, v in views.items() if set(v.get("clusters") or []) & req.clusters}
    return views


def restricted_seeker(seeker: Seeker) -> Seeker:
    """A stored seeker without its private fields, needs and offers (for batches and
    suggestions run by an organiser or manager who does not own the seeker)."""
    doc = seeker.doc
    keep_needs = usable_in_matching(doc, "requests")
    keep_offers = usable_in_matching(doc, "offers")
    dims = seeker.need_vectors.shape[1] if seeker.need_vectors.ndim == 2 else 0
    empty = np.zeros((0, dims), dtype=np.float32)
    return replace(
        seeker, doc=matchable_view(doc),
        needs=seeker.needs if keep_needs else [], need_vectors=seeker.need_vectors if keep_needs else empty,
        offers=seeker.offers if keep_offers else [],
        offer_vectors=seeker.offer_vectors if keep_offers else empty,
        profile_vector=seeker.profile_vector if all(usable_in_matching(doc, f) for f in PROFILE_TEXT_FIELDS) else None)


ROLE_FIELDS = {"offer": "offers", "request": "requests"}  # the profile vector holds no private field


def retrieved_openly(doc: dict[str, Any], roles: set[str]) -> bool:
    """A candidate that only its private offers or requests brought in is dropped: retrieval
    may not select on what the caller cannot see."""
    return not roles or any(usable_in_matching(doc, ROLE_FIELDS.get(role, "")) for role in roles)
