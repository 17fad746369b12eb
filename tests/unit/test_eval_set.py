"""Consistency of the hand-labelled matcher evaluation set in tests/eval/
(domain fixture: load_domain(REPO_CONFIG_DIR))."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.profile_schemas import ClusterSchema, MemberSchema

EVAL = Path(__file__).resolve().parents[1] / "eval"
SEARCHES = {"clusters", "members", "text"}


def read_jsonl(name: str) -> list[dict[str, Any]]:
    with (EVAL / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def clusters() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in read_jsonl("clusters.jsonl")}


@pytest.fixture(scope="module")
def members() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in read_jsonl("members.jsonl")}


@pytest.fixture(scope="module")
def queries() -> list[dict[str, Any]]:
    return read_jsonl("queries.jsonl")


def test_ids_unique_and_prefixed(clusters, members, queries) -> None:
    assert len(clusters) == len(read_jsonl("clusters.jsonl"))
    assert len(members) == len(read_jsonl("members.jsonl"))
    assert not set(clusters) & set(members)
    assert all(i.startswith("ev-") for i in [*clusters, *members])
    assert len({q["id"] for q in queries}) == len(queries)


def test_clusters_load_with_project_schema(domain, clusters) -> None:
    schema = ClusterSchema(domain=domain)
    for record in clusters.values():
        schema.load(record)  # raises ValidationError with the field on failure


def test_members_load_with_project_schema(domain, members, clusters) -> None:
    schema = MemberSchema(domain=domain)
    for record in members.values():
        schema.load(record)
        assert record["clusters"] and all(c in clusters for c in record["clusters"]), record["id"]


def test_set_is_diverse(clusters, members) -> None:
    records = [*clusters.values(), *members.values()]
    assert len({r["sector"] for r in clusters.values()}) >= 6
    assert len({r["country"] for r in records}) >= 8
    assert {r["language"] for r in records} >= {"fr", "en", "de", "es", "it"}


def test_query_shape_and_mix(queries) -> None:
    for q in queries:
        assert q["search"] in SEARCHES and q["target"] in {"clusters", "members"}, q["id"]
        assert 1 <= len(q["relevant"]) <= 4 and 1 <= len(q["lookalikes"]) <= 3, q["id"]
        assert q["note"].strip(), q["id"]
        if q["search"] == "text":
            assert q["text"].strip() and "seeker" not in q, q["id"]
        else:
            assert q["seeker"] and "text" not in q, q["id"]
    kinds = [q["search"] for q in queries]
    assert len(queries) >= 45
    assert kinds.count("clusters") >= 12 and kinds.count("members") >= 18 and kinds.count("text") >= 8


def test_query_ids_exist_and_labels_disjoint(queries, clusters, members) -> None:
    pools = {"clusters": clusters, "members": members}
    for q in queries:
        pool = pools[q["target"]]
        assert all(i in pool for i in q["relevant"] + q["lookalikes"]), q["id"]
        assert not set(q["relevant"]) & set(q["lookalikes"]), q["id"]
        assert len(set(q["relevant"])) == len(q["relevant"]), q["id"]


def test_seekers_exist_and_kinds_match(queries, clusters, members) -> None:
    pools = {"clusters": clusters, "members": members}
    for q in queries:
        if q["search"] == "text":
            continue
        # A cluster search looks for clusters, a member search for members.
        assert q["target"] == q["search"], q["id"]
        seeker = pools[q["search"]].get(q["seeker"])
        assert seeker is not None, q["id"]
        labelled = q["relevant"] + q["lookalikes"]
        assert q["seeker"] not in labelled, q["id"]
        # Relevant answers of profile searches are foreign partners.
        assert all(pools[q["target"]][i]["country"] != seeker["country"] for i in q["relevant"]), q["id"]
