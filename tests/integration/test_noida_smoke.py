"""Smoke test of the es_url fixture: dense_vector mapping, bulk load, filtered kNN."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch, helpers

MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "name": {"type": "text", "analyzer": "english"},
        "country": {"type": "keyword"},
        "members": {"type": "integer"},
        "embedding": {"type": "dense_vector", "dims": 3, "index": True, "similarity": "cosine"},
    },
}
DOCS = [
    {
        "_id": "fr-aero",
        "name": "Aerospace Valley",
        "country": "FR",
        "members": 500,
        "embedding": [1.0, 0.0, 0.0],
    },
    {
        "_id": "de-aero",
        "name": "BavAIRia",
        "country": "DE",
        "members": 300,
        "embedding": [0.9, 0.1, 0.0],
    },
    {
        "_id": "fr-wine",
        "name": "Wine cluster",
        "country": "FR",
        "members": 50,
        "embedding": [0.0, 1.0, 0.0],
    },
]


@pytest.fixture
def es(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=10)
    client.cluster.health(wait_for_status="yellow", timeout="10s")
    yield client
    client.close()


@pytest.fixture
def index(es: Elasticsearch) -> Iterator[str]:
    name = f"test-smoke-{uuid.uuid4().hex[:8]}"
    es.indices.create(index=name, mappings=MAPPINGS, settings={"number_of_replicas": 0})
    yield name
    es.indices.delete(index=name)


def test_filtered_knn_returns_nearest_in_filter(es: Elasticsearch, index: str) -> None:
    actions = [
        {
            "_index": index,
            "_id": doc["_id"],
            "_source": {k: v for k, v in doc.items() if k != "_id"},
        }
        for doc in DOCS
    ]
    indexed, errors = helpers.bulk(es, actions, refresh="wait_for")
    assert (indexed, errors) == (3, [])

    resp = es.search(
        index=index,
        knn={
            "field": "embedding",
            "query_vector": [1.0, 0.05, 0.0],
            "k": 2,
            "num_candidates": 10,
            "filter": [{"term": {"country": "FR"}}],
        },
        source_excludes=["embedding"],
    )

    hits = resp["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["fr-aero", "fr-wine"]
    assert hits[0]["_score"] > hits[1]["_score"]
    assert "embedding" not in hits[0]["_source"]
