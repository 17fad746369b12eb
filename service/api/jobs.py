"""/jobs/<id>: status, progress and result of a background job."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from service.api import principal, services
from service.api.schemas import ErrorSchema, JobSchema

blp = Blueprint("jobs", __name__, description="Background jobs")


@blp.route("/jobs/<job_id>")
class JobsById(MethodView):
    @blp.response(200, JobSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(503, schema=ErrorSchema)
    def get(self, job_id: str) -> Any:
        """Status, progress, result or error of a job"""
        return services().job_service(principal()).status(job_id)
