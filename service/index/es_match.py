"""A match's reads on Elasticsearch, each in one `_msearch`: the seeker with what its value-chain
coverage needs, every retrieval search (kNN per role and query, BM25), the candidates with their
items. It is handed a function that sends the request (service.index.elastic alone imports
`elasticsearch`), so that a match costs three requests however many searches it makes."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from service.index import es_documents as documents
from service.index import es_errors, queries
from service.index.base import CandidateRecords, Hit, Item, KnnSearch, ProfileFilter, ProfileRecord, Retrieved

# (header/body lines, what for) -> one response per search; raises on a failed request.
Msearch = Callable[[list[dict[str, Any]], str], list[dict[str, Any]]]
Alias = Callable[..., str]
ItemsMany = Callable[[str, Sequence[str]], dict[str, list[Item]]]
MSEARCH_MAX = 200  # searches per request: a match has a few dozen; a bound on the body size


class MatchReads:
    def __init__(self, msearch: Msearch, alias: Alias, items_many: ItemsMany, url: str) -> None:
        """`items_many` pages through items that do not fit one search (never in practice)."""
        self._msearch = msearch
        self._alias = alias
        self._items_many = items_many
        self.url = url

    def knn_many(self, kind: str, searches: Sequence[KnnSearch], flt: ProfileFilter,
                 lexical: tuple[str, int] | None = None) -> Retrieved:
        items = self._alias(kind, True)
        bodies: list[tuple[str, dict[str, Any]]] = []
        for search in searches:
            for vector in np.atleast_2d(np.asarray(search.queries, dtype=np.float32)) if len(search.queries) else []:
                bodies.append((items, queries.knn_body(search.role, vector, search.k, flt)))
        if lexical is not None:
            bodies.append((self._alias(kind), queries.bm25_body(lexical[0], flt, lexical[1])))
        responses = self._send(bodies, "kNN search") if bodies else []
        hits: list[list[list[Hit]]] = []
        at = 0
        for search in searches:
            hits.append([self.hits(r) for r in responses[at : at + len(search.queries)]])
            at += len(search.queries)
        words = [h["_id"] for h in self._found(responses[at], "text search")] if lexical is not None else None
        return Retrieved(hits, words)

    def read_profile(self, kind: str, pid: str, members_cap: int) -> ProfileRecord:
        """The profile and its items; a cluster's members, or a member's clusters and their
        members (by terms lookups on the stored member: no second round)."""
        bodies = [(self._alias(kind), queries.docs_body([pid])),
                  (self._alias(kind, True), queries.items_many_body([pid], queries.WINDOW))]
        members_alias = self._alias("members")
        if kind == "clusters":
            bodies.append((members_alias, queries.cluster_members_body([pid], queries.WINDOW)))
        else:
            bodies.append((self._alias("clusters"), queries.clusters_of_body(members_alias, pid)))
            bodies.append((members_alias, queries.cluster_members_body(
                queries.lookup(members_alias, pid, "clusters"), queries.WINDOW)))
        responses = self._send(bodies, "read the seeker")
        docs = {h["_id"]: h["_source"]["doc"] for h in self._found(responses[0], "read the seeker")}
        items = self._items(responses[1], [pid], "read the seeker's items") or self._items_many(kind, [pid])
        if kind == "clusters":
            return ProfileRecord(docs.get(pid), items[pid], None,
                                 self._members(responses[2], [pid], members_cap))
        clusters = {h["_id"]: h["_source"]["doc"] for h in self._found(responses[2], "read the seeker's clusters")}
        return ProfileRecord(docs.get(pid), items[pid], clusters, self._members(responses[3], clusters, members_cap))

    def read_candidates(self, kind: str, ids: Sequence[str], members_cap: int) -> CandidateRecords:
        """Documents and items of the candidates (and, for clusters, their members)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return CandidateRecords({}, {}, {})
        bodies = [(self._alias(kind), queries.docs_body(ids)),
                  (self._alias(kind, True), queries.items_many_body(ids, queries.WINDOW))]
        if kind == "clusters":
            bodies.append((self._alias("members"), queries.cluster_members_body(ids, queries.WINDOW)))
        responses = self._send(bodies, "read the candidates")
        found = {h["_id"]: h["_source"]["doc"] for h in self._found(responses[0], "read the candidates")}
        items = self._items(responses[1], ids, "read the candidates' items") or self._items_many(kind, ids)
        members = self._members(responses[2], ids, members_cap) if kind == "clusters" else None
        return CandidateRecords({pid: found[pid] for pid in ids if pid in found}, items, members)

    # -- responses ----------------------------------------------------------------------------
    def _send(self, bodies: list[tuple[str, dict[str, Any]]], what: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for start in range(0, len(bodies), MSEARCH_MAX):
            lines: list[dict[str, Any]] = []
            for index, body in bodies[start : start + MSEARCH_MAX]:
                lines += [{"index": index}, body]
            out += self._msearch(lines, what)
        return out

    def _found(self, resp: dict[str, Any], what: str) -> list[dict[str, Any]]:
        """The hits of one search of an _msearch; none when its index does not exist yet."""
        status = int(resp.get("status", 200))
        if "error" in resp and status != 404:
            error_type, reason = es_errors.error_parts(resp)
            raise es_errors.domain_error(status, what, self.url, reason, error_type,
                                         {"elasticsearch": str(resp["error"])[:500]})
        return resp.get("hits", {}).get("hits", [])

    def hits(self, resp: dict[str, Any]) -> list[Hit]:
        return [Hit(h["_source"]["profile_id"], h["_source"]["role"], int(h["_source"]["pos"]),
                    queries.cosine(h["_score"])) for h in self._found(resp, "run a kNN search")]

    def _items(self, resp: dict[str, Any], ids: Sequence[str], what: str) -> dict[str, list[Item]] | None:
        hits = self._found(resp, what)
        if len(hits) >= queries.WINDOW:
            return None
        out: dict[str, list[Item]] = {pid: [] for pid in ids}
        for h in hits:
            out[h["_source"]["profile_id"]].append(documents.to_item(h["_source"]))
        return out

    def _members(self, resp: dict[str, Any], clusters: Sequence[str] | dict[str, Any],
                 cap: int) -> dict[str, list[dict[str, Any]]] | None:
        """Each cluster's first `cap` members, when the page held them all (else None: coverage
        reads a cluster's members itself if it needs them)."""
        hits = self._found(resp, "read cluster members")
        total = resp.get("hits", {}).get("total", {}).get("value", len(hits))
        if int(total) > len(hits):
            return None
        out: dict[str, list[dict[str, Any]]] = {cid: [] for cid in clusters}
        for h in hits:
            for cid in h["_source"].get("clusters") or []:
                if cid in out and len(out[cid]) < cap:
                    out[cid].append(h["_source"].get("doc") or {})
        return out
