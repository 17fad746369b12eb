"""/health: store, model and Redis."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from service.api import services
from service.api.schemas import HealthSchema
from service.health import check_health

blp = Blueprint("health", __name__, description="Service health")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema)
    def get(self) -> Any:
        """Report the store, the model and Redis; 503 when the store is down"""
        report = check_health(services())
        return report, (503 if report["status"] == "unavailable" else 200)
