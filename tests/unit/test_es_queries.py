"""Golden-file tests of the Elasticsearch request bodies built by service/index/queries.py.

A changed body fails until reviewed; regenerate the files with

    UPDATE_GOLDEN=1 pytest tests/unit/test_es_queries.py

and read the diff of tests/data/golden/ before committing it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.index import es_documents, queries
from service.index.base import IndexedProfile, Item, ProfileFilter
from service.index.fusion import reciprocal_rank_fusion
from service.settings import REPO_CONFIG_DIR

GOLDEN = Path(__file__).parent.parent / "data" / "golden"
FULL = ProfileFilter(
    countries=frozenset({"FR", "DE"}), exclude_countries=frozenset({"IT"}), sectors=frozenset({"aeronautics"}),
    org_types=frozenset({"sme"}), clusters=frozenset({"fr-aero"}), ids=frozenset({"b", "a"}),
    exclude_ids=frozenset({"seeker"}), text="usinage  précision!")


def template(kind: str) -> dict[str, Any]:
    return json.loads((REPO_CONFIG_DIR / "mappings" / f"{kind}-v1.json").read_text(encoding="utf-8"))


CASES: dict[str, Any] = {
    "list_empty": lambda: queries.list_body(ProfileFilter(), 0, 20),
    "list_full": lambda: queries.list_body(FULL, 40, 20),
    "list_punctuation_only": lambda: queries.list_body(ProfileFilter(text="?!"), 0, 20),
    "knn_plain": lambda: queries.knn_body("offer", [0.6, 0.8, 0.0], 10, ProfileFilter()),
    "knn_filtered": lambda: queries.knn_body("request", [1.0, 0.0, 0.0], 50, FULL),
    "knn_huge_k": lambda: queries.knn_body("profile", [1.0, 0.0, 0.0], 50_000, ProfileFilter()),
    "bm25": lambda: queries.bm25_body("machining Toulouse", FULL, 30),
    "scan_first": lambda: queries.scan_body(None, 500),
    "scan_next": lambda: queries.scan_body("fr-aero", 500),
    "items": lambda: queries.items_body("fr-aero", 1000),
    "stale_items": lambda: queries.stale_items_query(["b", "a"], ["a\x1foffer\x1f0"]),
    "alias_swap": lambda: queries.alias_actions({"p-clusters": ("p-clusters-v1-2", ["p-clusters-v1-1"]),
                                                 "p-clusters-items": ("p-clusters-items-v1-2", [])}),
    "msearch": lambda: queries.msearch_lines("p-clusters-items", [{"size": 1}, {"size": 2}]),
    "docs_by_id": lambda: queries.docs_body(["b", "a", "b"]),
    "clusters_of_member": lambda: queries.clusters_of_body("p-members", "m-1"),
    "cluster_members": lambda: queries.cluster_members_body(["c2", "c1"], 10_000),
    "cluster_members_lookup": lambda: queries.cluster_members_body(
        queries.lookup("p-members", "m-1", "clusters"), 10_000),
    "index_members_items_es8": lambda: queries.index_body(template("members")["items"], 384, "e5", (8, 15)),
    "index_members_items_es9_2": lambda: queries.index_body(template("members")["items"], 384, "e5", (9, 2)),
    "index_clusters_profiles": lambda: queries.index_body(template("clusters")["profiles"], 384, "e5", (8, 15)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_body_matches_golden(name: str) -> None:
    body = json.dumps(CASES[name](), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path = GOLDEN / f"es_{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1"
    assert body == path.read_text(encoding="utf-8")


def test_num_candidates_within_limits() -> None:
    for k in (1, 10, 100, 2_500, 9_999, 10_000):
        assert k <= queries.num_candidates(k) <= queries.MAX_CANDIDATES


def test_cosine_undoes_es_scaling() -> None:
    assert queries.cosine(1.0) == 1.0 and queries.cosine(0.5) == 0.0 and queries.cosine(0.0) == -1.0


def test_search_kwargs_renames_reserved_keys() -> None:
    kwargs = queries.search_kwargs({"from": 3, "_source": ["doc"], "size": 1})
    assert kwargs == {"from_": 3, "source": ["doc"], "size": 1}


def test_template_dims_placeholder_is_filled_and_template_untouched() -> None:
    raw = template("clusters")["items"]
    body = queries.index_body(raw, 8, None, (8, 0))
    assert body["mappings"]["properties"]["vector"]["dims"] == 8
    assert raw["mappings"]["properties"]["vector"]["dims"] == queries.DIMS_PLACEHOLDER


def test_rrf_rewards_agreement_and_is_deterministic() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]])
    assert [key for key, _ in fused] == ["b", "a", "d", "c"]
    assert reciprocal_rank_fusion([["x"], ["y"]])[0][0] == "x"  # ties by id


def test_documents_carry_filters_onto_items() -> None:
    p = IndexedProfile("members", "m1", {"id": "m1", "name": "M", "country": "FR", "org_type": "sme",
                                         "sector": "aeronautics", "clusters": ["c1"], "region": None,
                                         "offers": [{"text": "anodising"}], "value_chain_links": ["coating"]},
                       "h1", [Item("offer", 0, "anodising", np.array([1.0, 0.0], dtype=np.float32), "service")])
    source = es_documents.profile_source("members", p)
    assert source["doc"] is p.doc and "region" not in source and source["links"] == ["coating"]
    assert "anodising" in source["search_text"]
    ((iid, item),) = es_documents.item_sources("members", p, source)
    assert iid == es_documents.item_id("m1", "offer", 0)
    assert {k: item[k] for k in ("country", "org_type", "sector", "clusters")} == {
        "country": "FR", "org_type": "sme", "sector": "aeronautics", "clusters": ["c1"]}
    assert "link" not in item and item["vector"] == [1.0, 0.0]
