"""Matcher.find(request): retrieve candidates from the vector index, apply hard filters,
score every criterion, rank and explain."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.domain import DomainConfig
from service.embeddings import Embedder
from service.errors import InvalidRequestError
from service.index.base import ProfileFilter, ProfileIndex
from service.matching.coverage import Coverage
from service.matching.explain import sentence
from service.matching.filters import MatchRequest, index_filter, passes
from service.matching.hybrid import fuse_lexical
from service.matching.scoring import SeekerContext, score_candidate
from service.matching.seeker import Seeker, stored_seeker, text_seeker
from service.privacy import visible_view


@dataclass
class Match:
    id: str
    kind: str
    name: str
    country: str | None
    score: float
    criteria: dict[str, dict[str, Any]]
    pairs: list[dict[str, Any]]
    gaps_filled: list[str]
    sentence: str
    profile: dict[str, Any] = field(default_factory=dict)
    gap_links: list[str] = field(default_factory=list)


@dataclass
class MatchPage:
    seeker: dict[str, Any]
    search_type: str
    items: list[Match]
    total: int


class Matcher:
    def __init__(self, index: ProfileIndex, embedder: Embedder, domain: DomainConfig,
                 gap_vectors: dict[str, np.ndarray] | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.domain = domain
        self.cfg = domain.matching
        # Value-chain links are few and their labels fixed: encode each once per process.
        self.gap_vectors = gap_vectors if gap_vectors is not None else {}

    def find(self, req: MatchRequest) -> MatchPage:
        seeker = self._seeker(req)
        coverage = Coverage(self.index, self.domain)
        ctx = self._context(seeker, req, coverage)
        flt = index_filter(req, seeker.country, seeker.id if seeker.kind == req.target else None)
        candidate_ids = self.retrieve(seeker, ctx, req.target, flt)
        docs = self.index.get_many(req.target, candidate_ids)
        kept = [cid for cid in candidate_ids
                if cid in docs and passes(docs[cid], req, self.domain.cooperation_types)]
        items_many = getattr(self.index, "items_many", None)
        items = items_many(req.target, kept) if items_many else {cid: self.index.items(req.target, cid) for cid in kept}
        scored = sorted(((score_candidate(ctx, docs[cid], items.get(cid, []), coverage), cid) for cid in kept),
                        key=lambda pair: (-pair[0].score, pair[1]))
        # Views and sentences only for the page asked for.
        page = scored[req.offset : req.offset + req.limit]
        matches = [self._match(req, docs[cid], result, ctx) for result, cid in page]
        return MatchPage(
            seeker={"kind": seeker.kind, "id": seeker.id, "name": seeker.name, "country": seeker.country,
                    "needs": [n["text"] for n in seeker.needs],
                    "gaps": {k: v[0] for k, v in ctx.gaps.items()}},
            search_type=req.search_type, items=matches, total=len(scored))

    def _seeker(self, req: MatchRequest) -> Seeker:
        if req.text:
            return text_seeker(self.embedder, req.text, req.country, req.cooperation_type)
        if not (req.seeker_kind and req.seeker_id):
            raise InvalidRequestError("give a seeker (kind and id) or a text", {"seeker": ["missing"]})
        return stored_seeker(self.index, req.seeker_kind, req.seeker_id, req.cooperation_type)

    def _context(self, seeker: Seeker, req: MatchRequest, coverage: Coverage) -> SeekerContext:
        coop = self.domain.cooperation_types
        sim = self.cfg["similarity"].get(self.embedder.name, self.cfg["similarity"]["default"])
        ctype = coop.get(req.cooperation_type or "", {})
        need_types = {n.get("type") for n in seeker.needs if n.get("type")}
        if req.cooperation_type:
            commercial = ctype["family"] == "commercial"
            use_forward, use_backward = not ctype["reverse"], ctype["reciprocal"] or ctype["reverse"]
        else:
            commercial = not need_types or any(coop[t]["family"] == "commercial" for t in need_types if t in coop)
            use_forward, use_backward = True, seeker.kind is not None
        if not len(seeker.needs):  # nothing sought in words: only what they seek from us counts
            use_forward, use_backward = False, True
        gaps = coverage.gaps(seeker.kind, seeker.doc, seeker.needs) if seeker.kind else {}
        strong = coverage.strong_links(seeker.kind, seeker.doc) if seeker.kind else set()
        return SeekerContext(
            seeker=seeker, search_type=req.search_type, target=req.target,
            weights=self.cfg["weights"][req.search_type], gaps=gaps, strong=strong,
            use_forward=use_forward, use_backward=use_backward, commercial=commercial,
            floor=sim["floor"], ceiling=sim["ceiling"], cfg=self.cfg, coop=coop,
            countries=self.domain.countries, label=lambda link: self.domain.link_label(None, link),
            targets=set(seeker.doc.get("target_markets") or []))

    def retrieve(self, seeker: Seeker, ctx: SeekerContext, target: str, flt: ProfileFilter) -> list[str]:
        """Candidate ids, best retrieval score first: needs against offers, our offers against
        their needs, and our value-chain gaps against offers and profiles."""
        retrieval = self.cfg["retrieval"]
        best: dict[str, float] = {}

        def collect(role: str, queries: np.ndarray, k: int) -> None:
            if len(queries) == 0:
                return
            for row in self.index.knn(target, role, queries, k, flt):
                for hit in row:
                    best[hit.profile_id] = max(best.get(hit.profile_id, -1.0), hit.score)

        if ctx.use_forward:
            collect("offer", seeker.need_vectors, retrieval["per_need_k"])
        if ctx.use_backward and len(seeker.offer_vectors):
            collect("request", seeker.offer_vectors, retrieval["per_need_k"])
        if ctx.gaps:
            gap_vectors = self._gap_vectors(list(ctx.gaps))
            collect("offer", gap_vectors, retrieval["per_gap_k"])
            collect("profile", gap_vectors, retrieval["per_gap_k"])
        if not best and seeker.profile_vector is not None:
            collect("profile", seeker.profile_vector[None, :], retrieval["max_candidates"])
        ranked = sorted(best, key=lambda pid: -best[pid])
        if seeker.kind is None:  # a free-text need: hybrid retrieval hook (service/matching/hybrid.py)
            ranked = fuse_lexical(self.index, target, seeker.needs[0]["text"], flt, ranked, self.cfg)
        return ranked[: retrieval["max_candidates"]]

    def gap_vectors_warm(self) -> None:
        self._gap_vectors([])

    def _gap_vectors(self, links: list[str]) -> np.ndarray:
        if not self.gap_vectors:  # one batch for every link of every sector, once
            links_all = list(dict.fromkeys(e["key"] for sector in self.domain.sectors.values() for e in sector.links))
            for link, vector in zip(links_all, self.embedder.encode_queries([self._gap_text(x) for x in links_all])):
                self.gap_vectors[link] = vector
        missing = [link for link in links if link not in self.gap_vectors]
        if missing:
            for link, vector in zip(missing, self.embedder.encode_queries([self._gap_text(x) for x in missing])):
                self.gap_vectors[link] = vector
        return np.stack([self.gap_vectors[link] for link in links]) if links else np.zeros((0, 0), np.float32)

    def _gap_text(self, link: str) -> str:
        labels = []
        for sector in self.domain.sectors.values():
            for entry in sector.links:
                if entry["key"] == link:
                    labels = [entry["labels"].get(lang) for lang in ("en", "fr", "de", "es", "it")]
                    break
            if labels:
                break
        return " / ".join(dict.fromkeys(label for label in labels if label)) or link.replace("_", " ")

    def _match(self, req: MatchRequest, doc: dict[str, Any], scored: Any, ctx: SeekerContext) -> Match:
        view = visible_view(doc, req.audience)
        hidden = "(visible to members only)"
        pairs = []
        for p in scored.pairs:  # the candidate's own texts are shown only where the audience may see them
            forward = p.direction == "forward"
            pairs.append({
                "need": p.need if forward or "requests" in view else hidden,
                "offer": p.offer if not forward or "offers" in view else hidden,
                "similarity": round(p.similarity, 3), "direction": p.direction})
        return Match(
            id=doc["id"], kind=req.target, name=doc.get("name", doc["id"]), country=doc.get("country"),
            score=scored.score, criteria=scored.criteria, pairs=pairs,
            gaps_filled=[ctx.label(link) for link in scored.gaps_filled],
            sentence=sentence(doc.get("name", doc["id"]), doc.get("country"), scored.criteria),
            profile=view, gap_links=list(scored.gaps_filled))
