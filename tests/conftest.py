"""Shared fixtures: the real model (session), a real Redis, a real RQ worker, apps on temp dirs."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import create_app
from service.domain_config import DomainConfig, load_domain
from service.local_redis import LocalRedis
from service.settings import REPO_CONFIG_DIR

DATA = Path(__file__).parent / "data"
TEST_MODEL = os.environ.get("MAILLON_TEST_MODEL", "multilingual-e5-small")
# The suite embeds with the float32 reference (PyTorch, also the default): its expectations were set
# on reference vectors, and int8's dynamic quantisation makes a text's vector depend slightly on its
# batch mates (cosine about 0.997). int8 is held to the reference by
# tests/integration/test_onnx_embedder.py and to ESCO quality by tests/bench/bench_backends.py;
# MAILLON_TEST_EMBED_BACKEND=onnx-int8 runs the whole suite on it. Processes the tests start
# (workers, gunicorn) embed like the `embedder` fixture.
TEST_BACKEND = os.environ.get("MAILLON_TEST_EMBED_BACKEND", "torch")
os.environ.setdefault("MAILLON_EMBED_BACKEND", TEST_BACKEND)
# The suite is one process on a machine of its own: give torch both cores unless told otherwise.
os.environ.setdefault("MAILLON_CPU_THREADS", str(min(2, os.cpu_count() or 1)))

# Markers follow the fixtures: a test that reaches one of these (directly or through another
# fixture) is slow, and `pytest -m "not slow"` runs without the model, Redis or noida-db.
SLOW_FIXTURES = {"embedder": "model", "redis_url": "redis", "rq_worker": "redis", "es_url": "elasticsearch"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in SLOW_FIXTURES.items():
            if fixture in used:
                item.add_marker(getattr(pytest.mark, marker))
        if any(item.get_closest_marker(m) for m in set(SLOW_FIXTURES.values())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def domain() -> DomainConfig:
    return load_domain(REPO_CONFIG_DIR)


@pytest.fixture(scope="session")
def embedder():
    """The real default model, loaded once for the whole run."""
    from service.embeddings import load_embedder
    from service.settings import load_settings

    return load_embedder(TEST_MODEL, load_settings().models_dir, batch_size=64, backend=TEST_BACKEND)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = LocalRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


@pytest.fixture
def app(tmp_path: Path, embedder, redis_url: str):
    return create_app({"data_dir": tmp_path, "embedder": embedder, "redis_url": redis_url,
                       "model_name": embedder.name})


def keyed_client(app, role: str = "admin", subject: str | None = None):
    """A test client that sends a fresh API key of `role` with every request."""
    from service import EXTENSION

    _, token = app.extensions[EXTENSION].keys.create(role, subject, f"test {role}")
    client = app.test_client()
    client.environ_base["HTTP_X_API_KEY"] = token
    return client


@pytest.fixture
def client(app):
    return keyed_client(app)


@pytest.fixture
def services(app):
    from service import EXTENSION

    return app.extensions[EXTENSION]


@pytest.fixture(scope="session")
def worker_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-data")


@pytest.fixture(scope="session")
def rq_worker(worker_data_dir: Path, redis_url: str, embedder) -> Iterator[subprocess.Popen[bytes]]:
    """A real `maillon worker` process (forking RQ Worker, model preloaded) for job tests."""
    env = dict(os.environ, MAILLON_DATA_DIR=str(worker_data_dir), REDIS_URL=redis_url,
               MAILLON_MODEL=embedder.name)
    log = (worker_data_dir / "worker.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    if proc.poll() is not None:
        pytest.fail(f"worker exited: {(worker_data_dir / 'worker.log').read_text()}")
    yield proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def jobs_app(worker_data_dir: Path, embedder, redis_url: str, rq_worker):
    """An app sharing the worker's data dir and Redis, so jobs see what the API sees."""
    return create_app({"data_dir": worker_data_dir, "embedder": embedder, "redis_url": redis_url,
                       "model_name": embedder.name})


def wait_for_job(client, job_id: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/jobs/{job_id}").get_json()
        if body["status"] in ("finished", "failed", "stopped", "canceled"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s}s: {body}")


pytest_plugins = ["tests.support.es_fixture"]
