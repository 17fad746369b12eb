"""/matches (synchronous), /consortia, and /match-batches (202 → job, then results)."""
from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from service.api import principal, services
from service.api.match_schemas import (
    ConsortiaSchema,
    ConsortiumRequestSchema,
    MatchBatchAcceptedSchema,
    MatchBatchRequestSchema,
    MatchPageSchema,
    MatchRequestSchema,
)
from service.api.schemas import ErrorSchema, JobSchema

blp = Blueprint("matches", __name__, description="Complementary partner matching, explained")


@blp.route("/matches")
class Matches(MethodView):
    @blp.arguments(MatchRequestSchema)
    @blp.response(200, MatchPageSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Find complementary partners for a cluster, a member or a free-text need, with reasons"""
        service = services().match_service(principal())
        page = service.find(service.build_request(args))
        return {"seeker": page.seeker, "search_type": page.search_type, "total": page.total,
                "page": args["page"], "page_size": args["page_size"], "items": page.items}


@blp.route("/consortia")
class Consortia(MethodView):
    @blp.arguments(ConsortiumRequestSchema)
    @blp.response(200, ConsortiaSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Propose small sets of foreign partners that together fill the seeker's value-chain gaps"""
        service = services().match_service(principal())
        return service.consortia(service.build_request(args), max_size=args["max_size"])


@blp.route("/match-batches")
class MatchBatches(MethodView):
    @blp.arguments(MatchBatchRequestSchema)
    @blp.response(202, MatchBatchAcceptedSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(503, schema=ErrorSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Match every participant of an event or every member of a cluster, in the background"""
        spec = {**args, "target": args.get("target") or args["seeker_kind"],
                "scope": args.get("event_id") or args.get("cluster") or f"{len(args['ids'])} ids"}
        job_id = services().match_service(principal()).start_batch(spec)
        return {"job_id": job_id, "status_url": url_for("matches.MatchBatchesById", job_id=job_id),
                "results_json": url_for("matches.MatchBatchResults", job_id=job_id, fmt="json"),
                "results_csv": url_for("matches.MatchBatchResults", job_id=job_id, fmt="csv")}


@blp.route("/match-batches/<job_id>")
class MatchBatchesById(MethodView):
    @blp.response(200, JobSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, job_id: str) -> Any:
        """Progress and summary of a match batch"""
        return services().job_service(principal()).status(job_id)


@blp.route("/match-batches/<job_id>/results.<any(json, csv):fmt>")
class MatchBatchResults(MethodView):
    @blp.response(200, content_type="application/json")
    @blp.alt_response(200, content_type="text/csv", description="CSV")
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, job_id: str, fmt: str) -> Any:
        """Download a finished batch's results as JSON or CSV"""
        body = services().match_service(principal()).batch_results(job_id, fmt)
        mimetype = "application/json" if fmt == "json" else "text/csv"
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f'attachment; filename="matches-{job_id}.{fmt}"'})
