"""Gunicorn settings for the API: `gunicorn -c deploy/gunicorn.conf.py 'service:create_app()'`.

The app (and the embedding model) is built once in the master and shared copy-on-write by the
forked workers. Environment: MAILLON_BIND (default 127.0.0.1:8000), MAILLON_WORKERS (default:
one per core), MAILLON_THREADS (default 1), MAILLON_TIMEOUT_S (default 120), plus the MAILLON_*
settings of the service itself.
"""
from __future__ import annotations

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
    """Load the model in the master before the workers fork (only loading: no encode here, so
    no torch thread pool exists yet to be copied into the children)."""
    services = _services(server)
    _ = services.embedder
    # Load the vector sets (and build any HNSW graph) once here: the workers share the pages.
    sync = getattr(services.index, "_sync", None)
    if sync is not None:
        sync()


def post_fork(server: Any, worker: Any) -> None:
    """Each worker opens its own SQLite connections (a connection must not cross a fork) and
    shares the cores with its siblings instead of every torch pool claiming all of them."""
    services = _services(server)
    # Every socket is reopened in the worker: the Elasticsearch client, SQLite connections.
    after_fork = getattr(services, "after_fork", None) or getattr(services.index, "after_fork", None)
    if after_fork is not None:
        after_fork()
    store = getattr(services.index, "store", None)
    for holder in [store, *services.extras.values()]:
        db = getattr(holder, "db", None)
        if db is not None and hasattr(db, "forget_connections"):
            db.forget_connections()
    try:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, workers)))
    except ImportError:
        pass
    # Encode every value-chain link's gap text once per worker, after the fork (torch must not
    # run in the master before it forks), so the first matches pay no model call.
    services.match_service().matcher.gap_vectors_warm()
