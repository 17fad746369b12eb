"""Uploads ingested by a real RQ worker process over a real Redis."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import keyed_client, wait_for_job

DATA = Path(__file__).parent.parent / "data"
pytestmark = [pytest.mark.redis, pytest.mark.model]


def upload(client, kind: str, path: Path):
    return client.post(f"/ingest/{kind}", data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def test_upload_is_ingested_by_the_worker(jobs_app) -> None:
    client = keyed_client(jobs_app)
    accepted = upload(client, "members", DATA / "members_bad.csv")
    assert accepted.status_code == 202
    body = accepted.get_json()
    assert body["status_url"] == f"/jobs/{body['job_id']}"
    job = wait_for_job(client, body["job_id"])
    assert job["status"] == "finished", job
    report = job["result"]
    # Open-world ingest: a bad value is a warning and its record lands; only unusable rows are errors.
    assert report["read"] == 5 and report["inserted"] + report["unchanged"] + report["invalid"] == 5
    assert report["invalid"] >= 2 and "members_bad.csv row 2" not in {e["locator"] for e in report["errors"]}
    assert {e["locator"] for e in report["errors"]} <= {
        "members_bad.csv row 3", "members_bad.csv row 4", "members_bad.csv row 5", "members_bad.csv row 6"}
    assert any(w["field"] == "active_cooperations" for w in report["warnings"])
    assert client.get("/members/fr-m-1").status_code == 200


def test_failed_job_is_visible(jobs_app, tmp_path) -> None:
    client = keyed_client(jobs_app)
    bad = tmp_path / "broken.json"
    bad.write_text("[{")
    job = wait_for_job(client, upload(client, "clusters", bad).get_json()["job_id"])
    assert job["status"] == "finished"
    assert job["result"]["ok"] is False
    assert "malformed JSON" in job["result"]["errors"][0]["message"]


def test_unknown_job_is_404(jobs_app) -> None:
    response = keyed_client(jobs_app).get("/jobs/does-not-exist")
    assert response.status_code == 404
