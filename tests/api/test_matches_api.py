"""POST /matches, /consortia and /match-batches through the Flask test client."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from tests.conftest import keyed_client, wait_for_job

DATA = Path(__file__).parent.parent / "data"


def load(services) -> None:
    for kind in ("clusters", "members"):
        path = DATA / f"match_{kind}.jsonl"
        ingest(read_records(path, kind), kind, services.index, services.embedder, services.domain)


@pytest.fixture(scope="module")
def loaded_app(tmp_path_factory, embedder, redis_url):
    """Embedded once for the module: these tests only read."""
    from service import EXTENSION, create_app

    app = create_app(
        {
            "data_dir": tmp_path_factory.mktemp("matches"),
            "embedder": embedder,
            "redis_url": redis_url,
            "model_name": embedder.name,
        }
    )
    load(app.extensions[EXTENSION])
    return app


@pytest.fixture
def loaded(loaded_app):
    return keyed_client(loaded_app)


def test_match_a_cluster(loaded) -> None:
    body = loaded.post("/matches", json={"seeker": {"kind": "clusters", "id": "t-fr-aero"}}).get_json()
    assert body["items"][0]["id"] == "t-de-surface"
    first = body["items"][0]
    assert first["sentence"] and first["pairs"] and first["gaps_filled"]
    assert set(first["criteria"]) >= {"complementarity", "gap_filling", "competitor_penalty"}
    assert "contact" not in first["profile"]


def test_free_text_paginated(loaded) -> None:
    page1 = loaded.post(
        "/matches", json={"text": "Wir suchen einen Lieferanten für Eloxieren", "page_size": 2}
    ).get_json()
    page2 = loaded.post(
        "/matches", json={"text": "Wir suchen einen Lieferanten für Eloxieren", "page_size": 2, "page": 2}
    ).get_json()
    assert page1["total"] == page2["total"] >= 3
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "seeker"),
        ({"text": "x"}, "text"),
        ({"seeker": {"kind": "planets", "id": "x"}}, "seeker"),
        ({"text": "anodising", "cooperation_type": "friendship"}, "cooperation_type"),
        ({"text": "anodising", "countries": ["Atlantis"]}, "countries"),
        ({"text": "anodising", "page_size": 500}, "page_size"),
    ],
)
def test_invalid_requests_name_the_field(loaded, body, field) -> None:
    response = loaded.post("/matches", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_unknown_seeker_is_404(loaded) -> None:
    response = loaded.post("/matches", json={"seeker": {"kind": "members", "id": "nobody"}})
    assert response.status_code == 404


def test_consortia(loaded) -> None:
    body = loaded.post("/consortia", json={"seeker": {"kind": "clusters", "id": "t-fr-aero"}}).get_json()
    best = body["consortia"][0]
    assert best["coverage"] == 1.0 and best["reasons"]


@pytest.mark.redis
def test_match_batch_runs_on_the_worker(jobs_app) -> None:
    from service import EXTENSION

    load(jobs_app.extensions[EXTENSION])
    client = keyed_client(jobs_app)
    accepted = client.post("/match-batches", json={"cluster": "t-de-surface", "target": "members", "per_seeker": 3})
    assert accepted.status_code == 202, accepted.get_json()
    links = accepted.get_json()
    job = wait_for_job(client, links["job_id"])
    assert job["status"] == "finished", job
    assert job["result"]["seekers"] == 2
    rows = client.get(links["results_json"]).get_json()
    assert {r["seeker"] for r in rows} == {"t-de-anodiser", "t-de-busy"}
    csv_text = client.get(links["results_csv"]).get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("seeker,rank,partner")
    assert client.get("/match-batches/nope/results.json").status_code == 404


def test_match_batch_needs_a_scope(loaded) -> None:
    response = loaded.post("/match-batches", json={"target": "members"})
    assert response.status_code == 422
    unknown = loaded.post("/match-batches", json={"cluster": "nowhere"})
    assert unknown.status_code == 404
