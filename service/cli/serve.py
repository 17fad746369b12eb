"""`maillon serve`: the API for development with its RQ workers, all stopped together.

This process owns the local Redis of the embedded default (and supervises it); SIGTERM or
Ctrl-C stops the API, then the workers (warm, then cold), then Redis.
"""
from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

WORKER_STOP_GRACE_S = 10


def start_workers(services: Any, count: int) -> list[subprocess.Popen[bytes]]:
    """Worker processes beside the server, pointed at the same store and Redis."""
    env = dict(os.environ, REDIS_URL=services.redis_url(), MAILLON_DATA_DIR=str(services.settings.data_dir))
    command = [sys.executable, "-m", "service.cli", "worker"]
    return [subprocess.Popen(command, env=env) for _ in range(count)]


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM lets RQ finish its job (warm shutdown); a second one ends it; then SIGKILL."""
    for attempt, sig in enumerate((signal.SIGTERM, signal.SIGTERM, signal.SIGKILL)):
        alive = [p for p in procs if p.poll() is None]
        for proc in alive:
            proc.send_signal(sig)
        for proc in alive:
            try:
                proc.wait(WORKER_STOP_GRACE_S if attempt == 0 else 5)
            except subprocess.TimeoutExpired:
                pass


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every `finally` below runs. SIGINT too, even when the
    process was started in the background with SIGINT ignored (`nohup … &` in a script)."""
    def handler(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def serve(services: Any, host: str, port: int, workers: int, banner: list[str] | None = None) -> None:
    from service import create_app

    procs: list[subprocess.Popen[bytes]] = []
    with stop_on_sigterm():
        try:
            services.warm()
            gc.collect()
            gc.freeze()  # the loaded index is never walked by the GC again (deploy/gunicorn.conf.py)
            redis_url = services.redis_url()
            procs = start_workers(services, workers)
            # A development server speaks plain HTTP: session cookies cannot be HTTPS-only here.
            app = create_app({"data_dir": services.settings.data_dir, "redis_url": redis_url,
                              "embedder": services.embedder, "index": services.index,
                              "domain": services.domain, "secure_cookies": False,
                              "public_url": f"http://{host}:{port}"})
            for line in banner or []:
                click.echo(line)
            click.echo(f"Serving on http://{host}:{port}/  (API docs: /docs); Ctrl-C stops", err=True)
            app.run(host=host, port=port, threaded=True, use_reloader=False)
        except KeyboardInterrupt:
            click.echo("stopping", err=True)
        finally:
            stop_workers(procs)
            services.close()
