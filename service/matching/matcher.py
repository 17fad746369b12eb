"""Matcher.find(request): retrieve candidates from the vector index, apply hard filters,
score every criterion, rank and explain."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.domain_config import DomainConfig
from service.embeddings import Embedder
from service.errors import InvalidRequestError
from service.index.base import KnnSearch, ProfileFilter, ProfileIndex, ProfileRecord
from service.links import link_vocabulary
from service.matching.candidate_texts import candidate_texts_many
from service.matching.coverage import MAX_MEMBERS_READ, Coverage
from service.matching.disclosure import candidate_views, restricted_seeker, retrieved_openly
from service.matching.explain import sentence
from service.matching.filters import MatchRequest, index_filter, passes
from service.matching.free_text import sells as is_selling
from service.matching.gap_vectors import gap_vectors
from service.matching.hubness import warm_hubness
from service.matching.hybrid import fuse, lexical_k
from service.matching.language import Languages
from service.matching.pair_bounds import may_pair
from service.matching.score_bounds import best_first
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
        # Three rounds at most on any backend: the seeker (with what its coverage needs), every
        # retrieval search at once, the candidates with their items.
        record = self._read_seeker(req)
        seeker = self._seeker(req, record)
        coverage = Coverage(self.index, self.domain, record.members if record else None,
                            record.clusters if record else None)
        ctx = self._context(seeker, req, coverage)
        flt = index_filter(req, seeker.country, seeker.id if seeker.kind == req.target else None)
        via: dict[str, set[str]] = {}
        candidate_ids = self.retrieve(seeker, ctx, req.target, flt, via)
        read = self.index.read_candidates(req.target, candidate_ids, MAX_MEMBERS_READ)
        coverage.add_members(read.members)
        docs = candidate_views(read.docs, req)  # privacy rule
        kept = [cid for cid in candidate_ids
                if cid in docs and retrieved_openly(docs[cid], via.get(cid, set()))  # privacy rule
                and passes(docs[cid], req, self.domain.cooperation_types)]
        items = read.items
        texts = candidate_texts_many(items, kept, read.stacks)
        warm_hubness(ctx, list(texts.values()))
        may = may_pair(ctx, docs, texts)  # which candidates can have which pairs at all (rank-safe)
        # Evidence first: a candidate without a need↔offer pair above threshold or a gap filled never
        # outranks one with it; the other criteria order candidates within each group.
        # Only candidates that can reach the page are scored (score_bounds: rank-safe bounds), about
        # one and a half to two and a half times the candidates up to the page's end (10k/100k
        # stores). Reasons cost a tenth to a fifth of a candidate's scoring and scoring a page's
        # candidates again costs them whole: a page that is a quarter or more of the candidates up
        # to its end (any first page) is explained in the ranking pass, a page far down the list
        # ranked without reasons, then explained. The scores are the same either way.
        explain_all = req.limit * 4 >= req.offset + req.limit
        scored = best_first(ctx, docs, texts, kept, may, coverage, req.offset + req.limit,
                            lambda cid: score_candidate(ctx, docs[cid], items.get(cid, []), coverage, texts[cid],
                                                        explain_all, may[cid]))
        # Views and sentences only for the page asked for.
        page = scored[req.offset : req.offset + req.limit]
        if not explain_all:
            page = [(score_candidate(ctx, docs[cid], items.get(cid, []), coverage, texts[cid]), cid) for _, cid in page]
        matches = [self._match(req, docs[cid], result, ctx) for result, cid in page]
        return MatchPage(
            seeker={"kind": seeker.kind, "id": seeker.id, "name": seeker.name, "country": seeker.country,
                    "needs": [n["text"] for n in seeker.needs],
                    "gaps": {k: v[0] for k, v in ctx.gaps.items()}},
            search_type=req.search_type, items=matches, total=len(kept))

    def _read_seeker(self, req: MatchRequest) -> ProfileRecord | None:
        if req.text:
            return None
        if not (req.seeker_kind and req.seeker_id):
            raise InvalidRequestError("give a seeker (kind and id) or a text", {"seeker": ["missing"]})
        return self.index.read_profile(req.seeker_kind, req.seeker_id, MAX_MEMBERS_READ)

    def _seeker(self, req: MatchRequest, record: ProfileRecord | None) -> Seeker:
        if req.text or record is None:
            return text_seeker(self.embedder, req.text, req.country, req.cooperation_type)
        seeker = stored_seeker(self.index, req.seeker_kind, req.seeker_id, req.cooperation_type, record)
        return seeker if req.seeker_owned else restricted_seeker(seeker)

    def _context(self, seeker: Seeker, req: MatchRequest, coverage: Coverage) -> SeekerContext:
        coop = self.domain.cooperation_types
        sim = {**self.cfg["similarity"]["default"], **self.cfg["similarity"].get(self.embedder.name, {})}
        ctype = coop.get(req.cooperation_type or "", {})
        need_types = {n.get("type") for n in seeker.needs if n.get("type")}
        reverse = {t for t, v in coop.items() if v.get("reverse")}
        sells = [is_selling(n.get("type") or req.cooperation_type, n["text"], reverse) for n in seeker.needs]
        if req.cooperation_type:
            commercial = ctype["family"] == "commercial"
            use_forward, use_backward = not ctype["reverse"], ctype["reciprocal"] or ctype["reverse"]
        else:
            commercial = not need_types or any(coop[t]["family"] == "commercial" for t in need_types if t in coop)
            # Each request goes its own way: buying ones against offers, selling ones against needs.
            use_forward = not all(sells) or not sells
            use_backward = seeker.kind is not None or any(sells)
        if not len(seeker.needs):  # nothing sought in words: only what they seek from us counts
            use_forward, use_backward = False, True
        gaps = coverage.gaps(seeker.kind, seeker.doc, seeker.needs) if seeker.kind else {}
        strong = coverage.strong_links(seeker.kind, seeker.doc) if seeker.kind else set()
        links = seeker.extra.get("links") or []
        strong_items = [it for it in links if it.type == "strong"]
        languages, need_languages = None, []
        pull = float(sim.get("language_pull", 0.0))
        if (pull > 0 or sim.get("hub_center")) and len(seeker.needs):
            languages = Languages(link_vocabulary(self.domain, self.embedder), self.domain.countries)
            probe = seeker.profile_vector if seeker.profile_vector is not None else seeker.need_vectors[0]
            need_languages = [languages.of_profile(seeker.doc, probe)] * len(seeker.needs)
        gap_vectors = self._seeker_gap_vectors(list(gaps), links) if gaps else None
        gap_needs: list[int | None] = []
        if gap_vectors is not None and len(seeker.needs):
            sims = gap_vectors @ seeker.need_vectors.T  # a need that names the gap speaks for it
            gap_needs = [int(row.argmax()) if row.max() >= float(sim["gap_need"]) else None for row in sims]
        return SeekerContext(
            seeker=seeker, search_type=req.search_type, target=req.target,
            weights=self.cfg["weights"][req.search_type], gaps=gaps, strong=strong,
            use_forward=use_forward, use_backward=use_backward, commercial=commercial,
            floor=sim["floor"], ceiling=sim["ceiling"], cfg=self.cfg, coop=coop,
            countries=self.domain.countries, label=lambda link: self.domain.link_name(None, link),
            targets=set(seeker.doc.get("target_markets") or []), sells=sells,
            thresholds={k: float(sim[k]) for k in ("answers", "same_link", "peer_floor", "peer_ceiling", "hub_center",
                                                   "gap_offer", "peer_pull")
                        if k in sim},
            pull=pull, need_languages=need_languages, languages=languages,
            offsets=dict((self.cfg.get("language_offsets") or {}).get(self.embedder.name) or {}),
            gap_vectors=gap_vectors, gap_needs=gap_needs,
            known_links=frozenset(e["key"] for sector in self.domain.sectors.values() for e in sector.links),
            strong_vectors=np.stack([it.vector for it in strong_items]) if strong_items else None)

    def _seeker_gap_vectors(self, gaps: list[str], links: list[Any]) -> np.ndarray:
        """A vector per gap: the seeker's own label for it when stored, else the template link's."""
        own = {it.link or it.text: it.vector for it in links if it.link is None}
        vectors = self._gap_vectors([g for g in gaps if g not in own])
        known = dict(zip([g for g in gaps if g not in own], vectors))
        return np.stack([own.get(g, known.get(g)) for g in gaps])

    def retrieve(self, seeker: Seeker, ctx: SeekerContext, target: str, flt: ProfileFilter,
                 via: dict[str, set[str]] | None = None) -> list[str]:
        """Candidate ids, best retrieval score first: needs against offers, our offers against
        their needs, and our value-chain gaps against offers and profiles."""
        retrieval = self.cfg["retrieval"]
        best: dict[str, float] = {}
        searches: list[KnnSearch] = []

        def plan(role: str, queries: np.ndarray, k: int) -> None:
            if len(queries):
                searches.append(KnnSearch(role, queries, k))

        def collect(done: list[KnnSearch], answers: list[list[list[Any]]]) -> None:
            for search, rows in zip(done, answers):
                for row in rows:
                    for hit in row:
                        pid, score = hit.profile_id, hit.score
                        kept = best.get(pid, -1.0)
                        best[pid] = score if score > kept else kept  # max(kept, score), without the call
                if via is not None:  # which of the candidate's texts brought it in
                    for pid in {hit.profile_id for row in rows for hit in row}:
                        via.setdefault(pid, set()).add(search.role)

        buying = seeker.need_vectors[[not s for s in ctx.sells]] if len(seeker.needs) else seeker.need_vectors
        if ctx.use_forward:
            plan("offer", buying, retrieval["per_need_k"])
        if len(seeker.need_vectors):  # sellers of what we need, buyers of what we sell, rivals
            plan("request", seeker.need_vectors, retrieval["per_need_k"])
        if ctx.use_backward and len(seeker.offer_vectors):
            plan("request", seeker.offer_vectors, retrieval["per_need_k"])
        if ctx.gaps and ctx.gap_vectors is not None:
            plan("offer", ctx.gap_vectors, retrieval["per_gap_k"])
            plan("link", ctx.gap_vectors, retrieval["per_gap_k"])
            plan("profile", ctx.gap_vectors, retrieval["per_gap_k"])
        whole = ([KnnSearch("profile", seeker.profile_vector[None, :], retrieval["max_candidates"])]
                 if seeker.profile_vector is not None else [])
        if not searches:  # nothing else to look for: the whole profile goes in the same round
            searches, whole = whole, []
        # A free-text need also ranks by BM25 in the same round (service/matching/hybrid.py).
        text = seeker.needs[0]["text"] if seeker.kind is None and seeker.needs else ""
        k_text = lexical_k(text, self.cfg) if text else None
        got = self.index.knn_many(target, searches, flt, (text, k_text) if k_text else None)
        collect(searches, got.hits)
        if not best and whole:  # the searches found nothing: a second round on the whole profile
            collect(whole, self.index.knn_many(target, whole, flt).hits)
        ranked = sorted(best, key=lambda pid: -best[pid])
        if got.lexical is not None:
            ranked = fuse(ranked, got.lexical, self.cfg)
        return ranked[: retrieval["max_candidates"]]

    def gap_vectors_warm(self) -> None:
        self._gap_vectors([])

    def _gap_vectors(self, links: list[str]) -> np.ndarray:
        return gap_vectors(self.domain, self.embedder, self.gap_vectors, links)

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
