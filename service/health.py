"""Health of the store, the model and Redis, for /health and the CLI."""
from __future__ import annotations

from typing import Any

from service.container import Services
from service.errors import ServiceError


def check_health(services: Services) -> dict[str, Any]:
    report: dict[str, Any] = {"status": "ok"}
    try:
        report["store"] = {"ok": True, **services.index.health()}
    except ServiceError as exc:
        report["store"] = {"ok": False, "error": exc.message}
        report["status"] = "unavailable"
    loaded = services.embedder_loaded
    report["model"] = {
        "name": services.settings.model_name,
        "loaded": loaded,
        "dims": services.embedder.dims if loaded else None,
    }
    try:
        ok = services.queue.ping()
        report["redis"] = {"ok": ok, "url": _safe_url(services.redis_url())}
    except ServiceError as exc:
        ok = False
        report["redis"] = {"ok": False, "error": exc.message}
    if not ok and report["status"] == "ok":
        report["status"] = "degraded"  # profiles and matches still work; jobs do not
    return report


def _safe_url(url: str) -> str:
    # Never echo a password from REDIS_URL.
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
