"""/ingest/<kind>: upload a CSV, JSON, JSON Lines or XLSX file of profiles; 202 and a job id."""
from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from flask_smorest.fields import Upload
from marshmallow import Schema

from service.api import principal, services
from service.api.schemas import ErrorSchema, JobAcceptedSchema

blp = Blueprint("ingest", __name__, description="Bulk profile ingestion")


class UploadSchema(Schema):
    file = Upload(required=True)


@blp.route("/ingest/<any(clusters, members):kind>")
class Ingest(MethodView):
    @blp.arguments(UploadSchema, location="files")
    @blp.response(202, JobAcceptedSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @blp.alt_response(413, schema=ErrorSchema)
    @blp.alt_response(503, schema=ErrorSchema)
    def post(self, files: dict[str, Any], kind: str) -> Any:
        """Upload profiles; the report (per-row errors) is in the job result"""
        upload = files.get("file")
        if upload is None:
            abort(422, message="multipart field 'file' is required")
        job_id = services().upload_service(principal()).accept(kind, upload.filename, upload.stream)
        return {"job_id": job_id, "status_url": url_for("jobs.JobsById", job_id=job_id)}
