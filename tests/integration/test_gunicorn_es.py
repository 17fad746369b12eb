"""gunicorn with several workers on the Elasticsearch backend (issue 16, point 2): bursts of
concurrent requests right after start, when every worker opens its first connection, give no
error and no answer meant for another request."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from service import EXTENSION, create_app
from tests.support.index_data import prefix
from tests.support.noida import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
pytestmark = pytest.mark.elasticsearch
WORKERS = 3


def fetch(url: str, key: str) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=90) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_concurrent_bursts_right_after_start(tmp_path: Path, es_url: str, embedder: Any, domain: Any,
                                             redis_url: str) -> None:
    index_prefix = prefix()
    settings = {"data_dir": tmp_path / "data", "backend": "elasticsearch", "es_url": es_url,
                "es_index_prefix": index_prefix, "redis_url": redis_url, "model_name": embedder.name}
    app = create_app({**settings, "embedder": embedder})
    services = app.extensions[EXTENSION]
    ids: dict[str, list[str]] = {}
    for kind in ("clusters", "members"):
        report = ingest(read_records(DATA / f"match_{kind}.jsonl", kind), kind, services.index, embedder, domain)
        assert report.ok, report.errors
        ids[kind] = [d["id"] for d in services.index.search(kind, _all(), 0, 100).items]
    _, key = services.keys.create("admin", None, "gunicorn test")
    port = free_port()
    env = dict(os.environ, MAILLON_DATA_DIR=str(tmp_path / "data"), MAILLON_BACKEND="elasticsearch",
               ES_URL=es_url, ES_INDEX_PREFIX=index_prefix, REDIS_URL=redis_url, MAILLON_MODEL=embedder.name,
               MAILLON_BIND=f"127.0.0.1:{port}", MAILLON_WORKERS=str(WORKERS), OMP_NUM_THREADS="1")
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                             "service:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, key, proc, tmp_path / "gunicorn.log")
        targets = [(kind, pid) for kind in ids for pid in ids[kind]]
        failures: list[str] = []
        for _ in range(3):  # bursts; the first lands on workers that have not spoken to ES yet
            with ThreadPoolExecutor(max_workers=24) as pool:
                jobs = [pool.submit(fetch, f"{base}/{kind}/{pid}", key) for kind, pid in targets * 2]
                jobs += [pool.submit(fetch, f"{base}/health", key) for _ in range(12)]
                answers = [j.result() for j in jobs]
            for (kind, pid), (status, body) in zip(targets * 2, answers):
                if status != 200 or body.get("id") != pid:
                    failures.append(f"{kind}/{pid}: {status} {str(body)[:200]}")
            for status, body in answers[len(targets) * 2:]:
                if status != 200 or body.get("store", {}).get("backend") != "elasticsearch":
                    failures.append(f"health: {status} {str(body)[:200]}")
        assert not failures, failures[:5]
        pids = {fetch(f"{base}/health", key)[0] for _ in range(3)}
        assert pids == {200}
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        services.index.drop()
        services.index.close()
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()


def _all() -> Any:
    from service.index.base import ProfileFilter

    return ProfileFilter()


def _wait_ready(base: str, key: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 240) -> None:
    """Until one worker answers /health (the others may still be starting: the bursts follow)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            if fetch(f"{base}/health", key)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer in {timeout_s}s: {log.read_text()[-3000:]}")
