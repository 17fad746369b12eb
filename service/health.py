"""Health of the store, the model and Redis, for /health and the CLI. The detailed report is
for admins and the operator; anyone else learns only whether the service is up."""
from __future__ import annotations

from typing import Any

from service.container import Services
from service.disclosure import scrub
from service.errors import ServiceError

INTERNAL_KEYS = ("path", "url", "indices")  # where things live is nobody's business but the host's


def check_health(services: Services) -> dict[str, Any]:
    report: dict[str, Any] = {"status": "ok"}
    try:
        store = services.index.health()
        report["store"] = {"ok": True, **{k: v for k, v in store.items() if k not in INTERNAL_KEYS}}
    except ServiceError as exc:
        report["store"] = {"ok": False, "error": scrub(exc.message)}
        report["status"] = "unavailable"
    loaded = services.embedder_loaded
    report["model"] = {
        "name": services.settings.model_name,
        "loaded": loaded,
        "dims": services.embedder.dims if loaded else None,
    }
    try:
        ok = services.queue.ping()
        report["redis"] = {"ok": ok, "embedded": not services.settings.redis_url}
    except ServiceError as exc:
        ok = False
        report["redis"] = {"ok": False, "error": scrub(exc.message)}
    if not ok and report["status"] == "ok":
        report["status"] = "degraded"  # profiles and matches still work; jobs do not
    return report


def check_up(services: Services) -> dict[str, Any]:
    """Up or down, nothing else: answers anonymous callers (load balancers, probes). Only the
    store is touched, so an anonymous probe never starts or reaches a backend it need not."""
    try:
        services.index.health()
    except ServiceError:
        return {"status": "down"}
    return {"status": "up"}
