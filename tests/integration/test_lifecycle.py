"""Processes start from relative paths and stop together: the local Redis, `maillon serve`."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from service.local_redis import LocalRedis

pytestmark = pytest.mark.redis


def _wait(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_local_redis_from_a_relative_dir_is_supervised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    server = LocalRedis(Path("var/demo/redis"), supervise_every_s=0.1)
    try:
        url = server.start()
        assert url == f"unix://{tmp_path}/var/demo/redis/redis.sock"
        assert (tmp_path / "var/demo/redis/redis.log").exists()
        first = server.process.pid
        os.kill(first, signal.SIGKILL)  # killed from outside: the owner brings it back
        assert _wait(lambda: server.restarts == 1 and server.alive() and server.process.pid != first, 10)
    finally:
        server.stop()
    assert not server.alive()
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_its_worker_and_redis(tmp_path: Path, embedder, stop_signal: signal.Signals) -> None:
    """From a relative data dir, as a newcomer types it; SIGTERM (kill) or SIGINT (Ctrl-C)."""
    port = _free_port()
    env = dict(os.environ, MAILLON_MODEL=embedder.name)
    env.pop("REDIS_URL", None)
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "indexers", "--data-dir", "var/x", "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert _wait(lambda: _health(port) or proc.poll() is not None, 240), "no /health"
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "redis-server" in names and "worker" in names, names
        assert (tmp_path / "var/x/redis/redis.log").exists()
        proc.send_signal(stop_signal)
        proc.wait(60)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [c.cmdline() for c in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
