"""Gunicorn settings for the API: `gunicorn -c deploy/gunicorn.conf.py 'service:create_app()'`.

The app (and the embedding model) is built once in the master and shared copy-on-write by the
forked workers. Environment: MAILLON_BIND (default 127.0.0.1:8000), MAILLON_WORKERS (default:
one per core), MAILLON_THREADS (default 1), MAILLON_TIMEOUT_S (default 120), plus the MAILLON_*
settings of the service itself.
"""
from __future__ import annotations

import gc
import os
from typing import Any

# Per-request matrix products are small: a multi-threaded BLAS in every worker only fights the
# other workers (and torch) for the cores; one thread halved find p50 on 2 cores (tests/bench).
# Set before the app (and numpy) is imported by preload_app.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

bind = os.environ.get("MAILLON_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MAILLON_WORKERS") or os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("MAILLON_THREADS", "1"))
timeout = int(os.environ.get("MAILLON_TIMEOUT_S", "120"))
# On SIGTERM, requests in flight get this long (the compose stop_grace_period is longer).
graceful_timeout = int(os.environ.get("MAILLON_GRACEFUL_TIMEOUT_S", "30"))
preload_app = True
accesslog = os.environ.get("MAILLON_ACCESS_LOG") or None  # "-" for stdout; off by default
errorlog = "-"


def _services(server: Any) -> Any:
    from service import EXTENSION

    return server.app.wsgi().extensions[EXTENSION]


def when_ready(server: Any) -> None:
    """Load the model and the vectors in the master before the workers fork (loading only: no
    encode here, so no torch thread pool exists yet to be copied into the children)."""
    services = _services(server)
    services.warm()
    try:
        services.redis_url()  # the embedded default's local Redis: owned and supervised by the master
    except Exception as exc:  # noqa: BLE001 - matches still work without jobs; /health says degraded
        server.log.warning("Redis unavailable at start: %s", exc)
    # The loaded index is millions of long-lived objects: a full collection walking them cost a
    # request 0.3-0.4 s now and then (the slow tail of the matcher pages). Frozen, they are never
    # walked again, and pages shared with the workers stay shared (no refcount writes from the GC).
    gc.collect()
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """Each worker opens its own connections (none may cross a fork) and keeps MAILLON_CPU_THREADS
    threads; then it encodes every value-chain link's gap text once, so first matches pay no model call."""
    from service.access.keys import SYSTEM

    services = _services(server)
    services.after_fork()
    services.match_service(SYSTEM).matcher.gap_vectors_warm()
    gc.freeze()  # and what the worker itself just loaded
