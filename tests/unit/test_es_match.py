"""A match's batched reads on Elasticsearch (service/index/es_match.py): what one _msearch
carries and how its answers are read, on a recorded transport (no server)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from service.errors import ServiceError
from service.index.base import KnnSearch, ProfileFilter
from service.index.es_match import MatchReads


class Recorder:
    def __init__(self, responses: list[list[dict[str, Any]]]) -> None:
        self.sent: list[list[dict[str, Any]]] = []
        self.responses = responses

    def __call__(self, lines: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
        self.sent.append(lines)
        return self.responses.pop(0)


def alias(kind: str, items: bool = False) -> str:
    return f"p-{kind}{'-items' if items else ''}"


def hits(*sources: dict[str, Any], total: int | None = None, score: float = 1.0) -> dict[str, Any]:
    found = [{"_id": s.get("id") or s.get("profile_id"), "_score": score, "_source": s} for s in sources]
    return {"status": 200, "hits": {"total": {"value": len(found) if total is None else total}, "hits": found}}


def item(pid: str, role: str, pos: int) -> dict[str, Any]:
    return {"profile_id": pid, "role": role, "pos": pos, "text": f"{role} {pos}", "vector": [1.0, 0.0]}


def reads(rec: Recorder) -> MatchReads:
    return MatchReads(rec, alias, lambda kind, ids: {"paged": []}, "http://es")


def test_member_seeker_is_read_in_one_msearch_with_its_clusters_and_their_members() -> None:
    rec = Recorder([[
        hits({"id": "m1", "doc": {"id": "m1", "clusters": ["c2", "c1"]}}),
        hits(item("m1", "offer", 0), item("m1", "request", 0)),
        hits({"id": "c1", "doc": {"id": "c1"}}, {"id": "c2", "doc": {"id": "c2"}}),
        hits({"id": "x", "clusters": ["c1", "c9"], "doc": {"value_chain_links": ["machining"]}},
             {"id": "y", "clusters": ["c2"], "doc": {}}, {"id": "z", "clusters": ["c2"], "doc": {}}),
    ]])
    record = reads(rec).read_profile("members", "m1", members_cap=1)
    assert len(rec.sent) == 1
    headers = [line["index"] for line in rec.sent[0][0::2]]
    assert headers == ["p-members", "p-members-items", "p-clusters", "p-members"]
    lookup = {"index": "p-members", "id": "m1", "path": "clusters"}
    assert rec.sent[0][5]["query"] == {"terms": {"id": lookup}}
    assert rec.sent[0][7]["query"]["bool"]["filter"] == [{"terms": {"clusters": lookup}}]
    assert record.doc == {"id": "m1", "clusters": ["c2", "c1"]}
    assert [(i.role, i.pos) for i in record.items] == [("offer", 0), ("request", 0)]
    assert set(record.clusters or {}) == {"c1", "c2"}
    assert record.members == {"c1": [{"value_chain_links": ["machining"]}], "c2": [{}]}  # cap 1 per cluster


def test_members_beyond_one_page_are_left_to_coverage() -> None:
    rec = Recorder([[hits({"id": "c1", "doc": {"id": "c1"}}), hits(), hits({"id": "x", "clusters": ["c1"]},
                                                                          total=12_000)]])
    record = reads(rec).read_profile("clusters", "c1", members_cap=1000)
    assert record.doc == {"id": "c1"} and record.items == [] and record.members is None


def test_every_search_and_the_text_ranking_in_one_msearch() -> None:
    two, one = np.eye(2, dtype=np.float32), np.array([[0.6, 0.8]], dtype=np.float32)
    rec = Recorder([[hits(item("a", "offer", 0), score=0.9), hits(), hits(item("b", "link", 1)),
                     hits({"id": "b"}, {"id": "a"})]])
    searches = [KnnSearch("offer", two, 5), KnnSearch("link", one, 3), KnnSearch("request", np.zeros((0, 2)), 5)]
    got = reads(rec).knn_many("members", searches, ProfileFilter(), ("EN 9100", 7))
    assert len(rec.sent) == 1 and len(rec.sent[0]) == 8
    assert [line["index"] for line in rec.sent[0][0::2]] == ["p-members-items"] * 3 + ["p-members"]
    assert rec.sent[0][7]["size"] == 7
    assert [[[h.profile_id for h in row] for row in rows] for rows in got.hits] == [[["a"], []], [["b"]], []]
    assert round(got.hits[0][0][0].score, 6) == 0.8  # the cosine, not Elasticsearch's (1 + cos) / 2
    assert got.lexical == ["b", "a"]


def test_candidates_with_items_in_one_msearch_in_the_asked_order() -> None:
    rec = Recorder([[hits({"id": "a", "doc": {"id": "a"}}, {"id": "b", "doc": {"id": "b"}}),
                     hits(item("b", "offer", 0))]])
    read = reads(rec).read_candidates("members", ["b", "gone", "a"], 1000)
    assert len(rec.sent) == 1 and list(read.docs) == ["b", "a"] and read.members is None
    assert {pid: len(its) for pid, its in read.items.items()} == {"b": 1, "gone": 0, "a": 0}
    assert reads(Recorder([])).read_candidates("members", [], 1000).docs == {}


def test_a_missing_index_reads_as_empty_and_other_errors_raise() -> None:
    missing = {"status": 404, "error": {"type": "index_not_found_exception", "reason": "no such index"}}
    rec = Recorder([[missing, missing]])
    assert reads(rec).read_candidates("members", ["a"], 1000).docs == {}
    broken = {"status": 400, "error": {"type": "parsing_exception", "reason": "bad query"}}
    with pytest.raises(ServiceError, match="bad query"):  # the domain error names the cause
        reads(Recorder([[broken]])).knn_many("members", [KnnSearch("offer", np.eye(2)[:1], 3)], ProfileFilter())
