"""Pure builders of Elasticsearch request bodies (index creation, filters, kNN, BM25, listing)."""
from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from service.index.base import ProfileFilter

DIMS_PLACEHOLDER = "{dims}"
MAX_CANDIDATES = 10_000  # Elasticsearch's hard limit on num_candidates and k
WINDOW = 10_000  # index.max_result_window: from + size beyond it needs search_after
LANGUAGES = ("fr", "de", "en", "es", "it")
# Every analysed variant of the concatenated profile text: the folded one mirrors the embedded
# store's FTS (lowercase, accents removed), the language ones add stemming.
TEXT_FIELDS = ("search_text", "search_text.folded", *(f"search_text.{lang}" for lang in LANGUAGES))
MAX_QUERY_WORDS = 32
PROFILE_SOURCE = ["doc"]
ITEM_SOURCE = ["profile_id", "role", "pos"]


def index_body(template: dict[str, Any], dims: int, model: str | None, server: tuple[int, int],
               replicas: int | None = None) -> dict[str, Any]:
    """settings + mappings of one new index from a versioned template in config/mappings/;
    `replicas` (ES_REPLICAS) is 0 on a single node, where a replica can never be assigned."""
    body = copy.deepcopy(template)
    if replicas is not None:
        body["settings"] = {**body.get("settings", {}), "number_of_replicas": int(replicas)}
    props = body["mappings"]["properties"]
    for spec in props.values():
        if spec.get("type") == "dense_vector" and spec.get("dims") == DIMS_PLACEHOLDER:
            spec["dims"] = dims
    body["mappings"].setdefault("_meta", {})["model"] = model
    if server >= (9, 2) and any(s.get("type") == "dense_vector" for s in props.values()):
        # 9.2+ drops vectors from _source by default; items() must return them.
        body["settings"] = {**body.get("settings", {}), "index.mapping.exclude_source_vectors": False}
    return body


def filter_clauses(flt: ProfileFilter, id_field: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(filter, must_not) clauses of a ProfileFilter without its text; `id_field` is `id` on
    profiles and `profile_id` on items."""
    must: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    for field, values in (("country", flt.countries), ("sector", flt.sectors),
                          ("org_type", flt.org_types), ("clusters", flt.clusters)):
        if values:
            must.append({"terms": {field: sorted(values)}})
    if flt.ids is not None:
        must.append({"terms": {id_field: sorted(flt.ids)}})
    if flt.exclude_countries:
        must_not.append({"terms": {"country": sorted(flt.exclude_countries)}})
    if flt.exclude_ids:
        must_not.append({"terms": {id_field: sorted(flt.exclude_ids)}})
    return must, must_not


def text_clauses(text: str | None) -> list[dict[str, Any]]:
    """Every word must match some analysed variant (AND, like the embedded FTS); words are
    matched one by one so user input is never read as query syntax."""
    words = [w for w in (text or "").split() if any(c.isalnum() for c in w)][:MAX_QUERY_WORDS]
    return [{"multi_match": {"query": w, "fields": list(TEXT_FIELDS), "operator": "and"}} for w in words]


def _bool(filters: list[dict[str, Any]], must_not: list[dict[str, Any]],
          must: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if must:
        body["must"] = list(must)
    if filters:
        body["filter"] = filters
    if must_not:
        body["must_not"] = must_not
    return {"bool": body} if body else {"match_all": {}}


def list_body(flt: ProfileFilter, offset: int, limit: int) -> dict[str, Any]:
    """One page of profiles matching the filter and text, by name then id (as the embedded store)."""
    filters, must_not = filter_clauses(flt, "id")
    text = text_clauses(flt.text)
    if flt.text and not text:  # only punctuation: nothing can match
        filters = [*filters, {"terms": {"id": []}}]
    return {
        "query": _bool(filters, must_not, text),
        "sort": [{"name.keyword": "asc"}, {"id": "asc"}],
        "from": offset, "size": limit, "track_total_hits": True, "_source": PROFILE_SOURCE,
    }


def list_page_body(flt: ProfileFilter, size: int, with_source: bool) -> dict[str, Any]:
    """A page of a listing read with search_after in a point in time (beyond the window): the
    same query and order as list_body; pages before the offset carry no source."""
    body = list_body(flt, 0, size)
    del body["from"]
    body["_source"] = PROFILE_SOURCE if with_source else False
    return body


def scan_body(after: str | None, size: int) -> dict[str, Any]:
    """A page of iter_profiles: search_after on the keyword id (`_id` sorting is not portable)."""
    body: dict[str, Any] = {"query": {"match_all": {}}, "sort": [{"id": "asc"}], "size": size,
                            "_source": ["id", "doc", "content_hash"]}
    if after is not None:
        body["search_after"] = [after]
    return body


def num_candidates(k: int) -> int:
    """Candidates per shard: a few times k for filtered recall, within Elasticsearch's limits."""
    return min(MAX_CANDIDATES, max(k, 4 * k, 100))


def knn_body(role: str, vector: Sequence[float], k: int, flt: ProfileFilter) -> dict[str, Any]:
    """The k nearest items of one role, filtered inside the HNSW search (not after it)."""
    k = max(1, min(k, MAX_CANDIDATES))
    filters, must_not = filter_clauses(flt, "profile_id")
    return {
        "knn": {"field": "vector", "query_vector": unit_vector(vector), "k": k,
                "num_candidates": num_candidates(k),
                "filter": _bool([{"term": {"role": role}}, *filters], must_not)},
        "size": k, "_source": ITEM_SOURCE,
    }


def unit_vector(vector: Sequence[float]) -> list[float]:
    """The vector as floats of unit length: dot_product similarity requires it of documents and
    queries alike; vectors that already are (the models normalise) are kept bit for bit."""
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    if norm > 0 and abs(norm - 1.0) > 1e-4:
        array = array / norm
    return [float(x) for x in array]


def msearch_lines(index: str, bodies: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Header/body pairs of one _msearch request."""
    lines: list[dict[str, Any]] = []
    for body in bodies:
        lines += [{"index": index}, body]
    return lines


def bm25_body(text: str, flt: ProfileFilter, size: int) -> dict[str, Any]:
    """Relevance-ranked profiles for free text (any word may match; names weigh more)."""
    filters, must_not = filter_clauses(flt, "id")
    fields = ["name^3", "name.folded^3", *TEXT_FIELDS]
    match = {"multi_match": {"query": text, "fields": fields, "type": "most_fields"}}
    return {"query": _bool(filters, must_not, [match]), "size": size, "_source": ["id"]}


def items_body(profile_id: str, size: int) -> dict[str, Any]:
    return {"query": {"term": {"profile_id": profile_id}}, "size": size,
            "sort": [{"role": "asc"}, {"pos": "asc"}]}


def items_many_body(profile_ids: Sequence[str], size: int) -> dict[str, Any]:
    """Items of many profiles in one search (the candidates of a match), in a stable order."""
    return {"query": {"bool": {"filter": [items_of_query(profile_ids)]}}, "size": size,
            "sort": [{"profile_id": "asc"}, {"role": "asc"}, {"pos": "asc"}]}


def scan_items_body(profile_ids: Sequence[str], size: int) -> dict[str, Any]:
    return {"query": items_of_query(profile_ids), "size": size,
            "sort": [{"profile_id": "asc"}, {"role": "asc"}, {"pos": "asc"}]}


def items_of_query(profile_ids: Sequence[str]) -> dict[str, Any]:
    return {"terms": {"profile_id": sorted(profile_ids)}}


def stale_items_query(profile_ids: Sequence[str], keep_ids: Sequence[str]) -> dict[str, Any]:
    """Items of these profiles that the last upsert did not write (fewer offers than before)."""
    query: dict[str, Any] = {"bool": {"filter": [items_of_query(profile_ids)]}}
    if keep_ids:
        query["bool"]["must_not"] = [{"ids": {"values": sorted(keep_ids)}}]
    return query


def alias_actions(swaps: dict[str, tuple[str, Sequence[str]]]) -> list[dict[str, Any]]:
    """One atomic update_aliases body: alias -> (new index, old indices it leaves)."""
    actions: list[dict[str, Any]] = []
    for alias, (new, old) in sorted(swaps.items()):
        actions += [{"remove": {"index": name, "alias": alias}} for name in sorted(old)]
        actions.append({"add": {"index": new, "alias": alias}})
    return actions


def cosine(es_score: float) -> float:
    """Elasticsearch reports (1 + dot) / 2 for dot_product on float unit vectors (the same as
    for cosine); Hit.score is the cosine."""
    return 2.0 * float(es_score) - 1.0


def search_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """A body as keyword arguments of Elasticsearch.search (the same in clients 8 and 9)."""
    renamed = {"from": "from_", "_source": "source"}
    return {renamed.get(key, key): value for key, value in body.items()}


# -- a match's batched reads (one _msearch each: the seeker, the candidates) ------------------
MEMBER_LINK_SOURCE = ["clusters", "doc.value_chain_links", "doc.offers.link"]  # coverage.member_links
MAX_PROFILE_CLUSTERS = 1_000


def docs_body(profile_ids: Sequence[str]) -> dict[str, Any]:
    """Profile documents by id, as a search (so that it can share an _msearch with item reads)."""
    ids = sorted(set(profile_ids))
    return {"query": {"terms": {"id": ids}}, "size": max(1, len(ids)), "_source": PROFILE_SOURCE}


def lookup(alias: str, profile_id: str, path: str) -> dict[str, Any]:
    """A terms lookup: the values of `path` in one stored profile, read by the server itself."""
    return {"index": alias, "id": profile_id, "path": path}


def clusters_of_body(members_alias: str, member_id: str) -> dict[str, Any]:
    """The clusters a member belongs to, without reading the member first."""
    return {"query": {"terms": {"id": lookup(members_alias, member_id, "clusters")}},
            "size": MAX_PROFILE_CLUSTERS, "_source": PROFILE_SOURCE}


def cluster_members_body(clusters: Sequence[str] | dict[str, Any], size: int) -> dict[str, Any]:
    """Members of these clusters (ids, or a terms lookup) in the listing order (name, id), with
    only what value-chain coverage counts; the total tells whether every member came."""
    values = sorted(set(clusters)) if not isinstance(clusters, dict) else clusters
    return {"query": {"bool": {"filter": [{"terms": {"clusters": values}}]}},
            "sort": [{"name.keyword": "asc"}, {"id": "asc"}], "size": size, "track_total_hits": True,
            "_source": MEMBER_LINK_SOURCE}
