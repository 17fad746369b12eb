"""The API through the Flask test client, on a temp embedded store with the real model."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from tests.conftest import keyed_client

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def loaded(client, services):
    for kind, name in (("clusters", "clusters_small.jsonl"), ("members", "members_bad.csv")):
        ingest(read_records(DATA / name, kind), kind, services.index, services.embedder, services.domain)
    return client


def test_list_filters_and_paginates(loaded) -> None:
    body = loaded.get("/clusters?country=Allemagne").get_json()
    assert [c["id"] for c in body["items"]] == ["de-luft-bw"]
    page = loaded.get("/clusters?page=2&page_size=2").get_json()
    assert (page["total"], page["page"], len(page["items"])) == (3, 2, 1)
    assert loaded.get("/clusters?q=usinage").get_json()["total"] == 2
    assert loaded.get("/clusters?sector=aeronautics&country=ES").get_json()["total"] == 0
    # fr-m-1, and de-m-3 whose bad `active_cooperations` is only a warning (open-world ingest)
    assert loaded.get("/members?org_type=sme").get_json()["total"] == 2


def test_read_hides_private_fields(loaded, app) -> None:
    body = keyed_client(app, "member", "someone-else").get("/clusters/fr-aero-sud").get_json()
    assert body["name"] == "Aéro Sud"
    assert "contact" not in body and "visibility" not in body
    own = keyed_client(app, "cluster_manager", "fr-aero-sud").get("/clusters/fr-aero-sud").get_json()
    assert own["contact"]["email"] == "claire@aero-sud.example.org" and "visibility" in own


def test_errors_share_one_shape(loaded) -> None:
    missing = loaded.get("/members/nobody")
    assert missing.status_code == 404
    assert missing.get_json() == {"code": 404, "status": "Not Found", "message": "no member 'nobody'"}
    bad = loaded.get("/clusters?page_size=1000&country=Atlantis")
    assert bad.status_code == 422
    errors = bad.get_json()["errors"]["query"]
    assert "page_size" in errors and "country" in errors
    assert loaded.get("/no/such/route").get_json()["code"] == 404


def test_openapi_and_docs(client) -> None:
    spec = client.get("/openapi.json").get_json()
    assert {"/clusters", "/members/{member_id}", "/ingest/{kind}", "/jobs/{job_id}", "/health"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
    asset = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def test_health_reports_store_model_and_redis(client) -> None:
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["store"]["ok"] and body["redis"]["ok"] and body["model"]["loaded"]


def test_upload_rejects_bad_type_and_empty(client) -> None:
    import io

    wrong = client.post("/ingest/members", data={"file": (io.BytesIO(b"x"), "m.txt")},
                        content_type="multipart/form-data")
    assert wrong.status_code == 422 and "unsupported" in wrong.get_json()["message"]
    empty = client.post("/ingest/members", data={"file": (io.BytesIO(b""), "m.csv")},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and "empty" in empty.get_json()["message"]
    missing = client.post("/ingest/members", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422


def test_upload_too_large(embedder, redis_url, tmp_path) -> None:
    import io

    from service import create_app

    app = create_app({"data_dir": tmp_path, "embedder": embedder, "redis_url": redis_url,
                      "model_name": embedder.name, "max_upload_mb": 1})
    big = io.BytesIO(b"x" * (2 * 1024 * 1024))
    response = keyed_client(app).post("/ingest/members", data={"file": (big, "m.csv")},
                                      content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
