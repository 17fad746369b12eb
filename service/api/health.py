"""/health: up or down for anyone; store, model and Redis details for admins."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from service.api import services
from service.api.schemas import HealthSchema
from service.health import check_health, check_up

blp = Blueprint("health", __name__, description="Service health")


def _caller_is_admin() -> bool:
    # /health is open: the key is optional here, and only an admin key unlocks the details.
    header = request.headers.get("Authorization", "")
    token = request.headers.get("X-API-Key") or (header[7:] if header.startswith("Bearer ") else "")
    who = services().keys.verify(token.strip()) if token else None
    return who is not None and who.is_admin


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema)
    def get(self) -> Any:
        """Up or down (503); with an admin key, the store, the model and Redis"""
        if not _caller_is_admin():
            report = check_up(services())
            return report, (503 if report["status"] == "down" else 200)
        report = check_health(services())
        return report, (503 if report["status"] == "unavailable" else 200)
