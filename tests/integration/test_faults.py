"""Faults: Redis down and back, workers killed mid-job, interrupted and concurrent ingests."""
from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from rq import Queue
from rq.job import Job
from rq.registry import StartedJobRegistry

from service import create_app
from service.local_redis import LocalRedis
from service.queue import QUEUE_NAME, JobQueue, connect
from tests.conftest import keyed_client

DATA = Path(__file__).parent.parent / "data"
SAMPLE = Path(__file__).parent.parent.parent / "indexers" / "sample_data"
pytestmark = [pytest.mark.redis]


def wait(predicate, timeout_s: float = 60, step: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def test_redis_down_gives_503_then_recovers(tmp_path, embedder) -> None:
    server = LocalRedis(tmp_path / "redis")
    url = server.start()
    app = create_app({"data_dir": tmp_path / "data", "embedder": embedder, "redis_url": url,
                      "model_name": embedder.name})
    client = keyed_client(app)

    def upload():
        return client.post("/ingest/members", data={"file": (io.BytesIO((DATA / "members_bad.csv").read_bytes()),
                                                             "m.csv")}, content_type="multipart/form-data")

    assert upload().status_code == 202
    server.stop()
    down = upload()
    assert down.status_code == 503
    assert "Redis" in down.get_json()["message"]
    body = down.get_data(as_text=True)  # no socket path, data dir or URL in an error body
    assert str(tmp_path) not in body and "unix://" not in body and "redis.sock" not in body, body
    assert app.test_client().get("/health").get_json() == {"status": "up"}  # anonymous: up or down only
    health = client.get("/health").get_json()
    assert health["redis"]["ok"] is False and health["status"] == "degraded"
    assert client.get("/clusters").status_code == 200  # profiles are still served
    server.start()
    assert upload().status_code == 202  # no restart of the app needed
    assert client.get("/health").get_json()["redis"]["ok"] is True
    server.stop()


@pytest.fixture
def fault_queue(tmp_path):
    server = LocalRedis(tmp_path / "redis")
    url = server.start()
    yield url, JobQueue(connect(url))
    server.stop()


def start_worker(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, REDIS_URL=url, MAILLON_DATA_DIR=str(data_dir))
    return subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_killed_work_horse_is_retried(tmp_path, fault_queue) -> None:
    url, queue = fault_queue
    marker = tmp_path / "marker"
    job_id = queue.enqueue("tests.support.jobs.slow_once", str(marker), retries=1)
    worker = start_worker(url, tmp_path)
    try:
        wait(marker.exists)
        horse = wait(lambda: [c for c in psutil.Process(worker.pid).children(recursive=True)], 30)
        for child in horse:
            child.kill()  # the work horse dies mid-job (OOM killer, segfault...)
        status = wait(lambda: (s := queue.status(job_id))["status"] in ("finished", "failed") and s, 60)
        assert status["status"] == "finished" and status["result"] == "retried"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def test_killed_worker_job_is_retried_not_lost(tmp_path, fault_queue) -> None:
    url, queue = fault_queue
    marker = tmp_path / "marker"
    job_id = queue.enqueue("tests.support.jobs.slow_once", str(marker), retries=1)
    worker = start_worker(url, tmp_path)
    wait(marker.exists)
    os.killpg(worker.pid, signal.SIGKILL)  # the whole worker (machine lost)
    worker.wait()
    assert queue.status(job_id)["status"] == "started"  # visible: started, owner gone
    # What the next worker's maintenance does once the dead worker's heartbeat has expired
    # (job monitoring interval + 60 s): abandoned jobs are retried while retries are left.
    connection = connect(url)
    StartedJobRegistry(QUEUE_NAME, connection=connection).cleanup(timestamp=time.time() + 3600)
    assert Job.fetch(job_id, connection=connection).get_status().value == "queued"
    second = start_worker(url, tmp_path)
    try:
        status = wait(lambda: (s := queue.status(job_id))["status"] in ("finished", "failed") and s, 60)
        assert status["status"] == "finished" and status["result"] == "retried"
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    assert len(Queue(QUEUE_NAME, connection=connection)) == 0


def _ingest_process(data_dir: Path, path: Path, model: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MAILLON_DATA_DIR=str(data_dir), MAILLON_MODEL=model)
    return subprocess.Popen([sys.executable, "-m", "indexers", "ingest", "members", str(path), "--batch-size", "16"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _consistent(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    profiles = conn.execute("SELECT count(*), count(DISTINCT id) FROM profiles WHERE kind='members'").fetchone()
    assert profiles[0] == profiles[1]  # no duplicates
    orphans = conn.execute("SELECT count(*) FROM items i LEFT JOIN profiles p ON p.kind = i.kind AND "
                           "p.id = i.profile_id WHERE p.id IS NULL").fetchone()[0]
    without = conn.execute("SELECT count(*) FROM profiles p WHERE NOT EXISTS (SELECT 1 FROM items i WHERE "
                           "i.kind = p.kind AND i.profile_id = p.id AND i.role = 'profile')").fetchone()[0]
    assert orphans == 0 and without == 0  # whole profiles only
    items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    return profiles[0], items


@pytest.mark.model
def test_concurrent_ingests_of_one_file_make_no_duplicates(tmp_path, embedder) -> None:
    subset = tmp_path / "members.jsonl"
    subset.write_text("".join((SAMPLE / "members.jsonl").read_text().splitlines(keepends=True)[:40]))
    procs = [_ingest_process(tmp_path / "d", subset, embedder.name) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    count, items = _consistent(tmp_path / "d" / "maillon.sqlite3")
    assert count == 40
    again = _ingest_process(tmp_path / "d", subset, embedder.name)
    assert "40 unchanged" in again.communicate(timeout=600)[0].decode()
    assert _consistent(tmp_path / "d" / "maillon.sqlite3") == (count, items)


@pytest.mark.model
def test_ingest_killed_midway_leaves_whole_profiles(tmp_path, embedder) -> None:
    subset = tmp_path / "members.jsonl"
    subset.write_text("".join((SAMPLE / "members.jsonl").read_text().splitlines(keepends=True)[:120]))
    db = tmp_path / "d" / "maillon.sqlite3"
    proc = _ingest_process(tmp_path / "d", subset, embedder.name)

    def some_landed() -> bool:
        try:
            return db.exists() and sqlite3.connect(db).execute("SELECT count(*) FROM profiles").fetchone()[0] > 0
        except sqlite3.OperationalError:
            return False

    wait(some_landed, 300, 0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    count, _ = _consistent(db)
    assert 0 < count < 120
    resumed = _ingest_process(tmp_path / "d", subset, embedder.name)
    out = resumed.communicate(timeout=900)[0].decode()
    assert f"{count} unchanged" in out, out
    assert _consistent(db)[0] == 120


@pytest.mark.parametrize(("retries", "expected"), [(1, "queued"), (0, "failed")])
def test_dead_worker_job_is_retried_or_failed_within_a_minute(tmp_path, fault_queue, retries, expected) -> None:
    """No manual cleanup, no other worker: RQ's own registry cleanup (run by JobQueue.status, and
    by every live worker's 10 s maintenance) sees the expired heartbeat of the dead worker."""
    url, queue = fault_queue
    marker = tmp_path / "marker"
    job_id = queue.enqueue("tests.support.jobs.slow_once", str(marker), retries=retries)
    worker = start_worker(url, tmp_path)
    wait(marker.exists, 120)
    os.killpg(worker.pid, signal.SIGKILL)  # the whole worker, work horse included
    worker.wait()
    killed_at = time.monotonic()
    status = wait(lambda: (s := queue.status(job_id))["status"] != "started" and s, 60)
    print(f"\n{expected} {time.monotonic() - killed_at:.1f} s after the worker died")
    assert status["status"] == expected
