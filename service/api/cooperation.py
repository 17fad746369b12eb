"""/cooperations: records from match to agreement, meeting outcomes, follow-up questions,
funnel figures (JSON, CSV) and weights learned from outcomes (admins apply them)."""
from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from service.api import principal, services
from service.api.schemas import ErrorSchema, JobAcceptedSchema
from service.cooperation.schemas import (
    AgreementSchema,
    FigureQueryArgsSchema,
    FiguresSchema,
    FollowSchema,
    FollowUpAnswerSchema,
    FollowUpDumpSchema,
    FromRequestSchema,
    LearnSchema,
    NoteSchema,
    OutcomeDumpSchema,
    OutcomeSchema,
    RecordCreateSchema,
    RecordQueryArgsSchema,
    RecordSchema,
    StageMoveSchema,
)
from service.cooperation.service import principal_dict

blp = Blueprint("cooperation", __name__, description="The cooperation pipeline: from match to agreement")


def _co() -> Any:
    return services().cooperation_service(principal())


@blp.route("/cooperations")
class Cooperations(MethodView):
    @blp.arguments(RecordCreateSchema)
    @blp.response(201, RecordSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Open a cooperation record by hand (you act for one of the two parties)"""
        return _co().records.create(data)

    @blp.arguments(RecordQueryArgsSchema, location="query")
    @blp.response(200, RecordSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """The cooperation records you may see (your own, your cluster's, or all for admins)"""
        return _co().records.list(args.get("party"), args.get("stage"))


@blp.route("/cooperations/follow")
class Follow(MethodView):
    @blp.arguments(FollowSchema)
    @blp.response(201, RecordSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Follow this partner: a record from a match, keeping its reasons and criteria as they are now"""
        return _co().records.follow(data["seeker"], data["partner"], data.get("cooperation_type"), data["note"])


@blp.route("/cooperations/from-request")
class FromRequest(MethodView):
    @blp.arguments(FromRequestSchema)
    @blp.response(201, RecordSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Open (or join) the record of an accepted meeting request (done on acceptance already)"""
        return _co().outcomes.from_request(data["event_id"], data["request_id"])


@blp.route("/cooperations/<record_id>")
class CooperationsById(MethodView):
    @blp.response(200, RecordSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    def get(self, record_id: str) -> Any:
        """A record with its history (visible to the two parties, their cluster managers, admins)"""
        return _co().records.read(record_id)


@blp.route("/cooperations/<record_id>/stage")
class Stage(MethodView):
    @blp.arguments(StageMoveSchema)
    @blp.response(200, RecordSchema)
    def post(self, data: dict[str, Any], record_id: str) -> Any:
        """Move the record to any stage, forward or back; the history keeps who and why"""
        return _co().records.move(record_id, data["stage"], data["reason"])


@blp.route("/cooperations/<record_id>/notes")
class Notes(MethodView):
    @blp.arguments(NoteSchema)
    @blp.response(201)
    def post(self, data: dict[str, Any], record_id: str) -> Any:
        """Add a note to the record's history (both parties see it)"""
        return _co().records.add_note(record_id, data["text"])


@blp.route("/cooperations/<record_id>/agreement")
class Agreement(MethodView):
    @blp.arguments(AgreementSchema)
    @blp.response(200, RecordSchema)
    def post(self, data: dict[str, Any], record_id: str) -> Any:
        """Record a signed agreement and its type (moves the record to first agreement)"""
        return _co().records.set_agreement(record_id, data["agreement_type"], data["note"])


@blp.route("/cooperations/<record_id>/outcomes")
class Outcomes(MethodView):
    @blp.arguments(OutcomeSchema)
    @blp.response(201, OutcomeDumpSchema)
    def post(self, data: dict[str, Any], record_id: str) -> Any:
        """After a meeting: held or no-show, a 1-5 rating, follow-up intended, a private comment"""
        return _co().outcomes.record_outcome(record_id, data)

    @blp.response(200, OutcomeDumpSchema(many=True))
    def get(self, record_id: str) -> Any:
        """Outcomes: yours whole; of the other side only whether the meeting took place"""
        return _co().outcomes.outcomes(record_id)


@blp.route("/cooperations/<record_id>/follow-ups")
class FollowUps(MethodView):
    @blp.response(200, FollowUpDumpSchema(many=True))
    def get(self, record_id: str) -> Any:
        """Your side's follow-up questions on this record (scheduled, asked, answered)"""
        return _co().outcomes.follow_ups(record_id)


@blp.route("/follow-ups")
class OpenFollowUps(MethodView):
    @blp.response(200, FollowUpDumpSchema(many=True))
    def get(self) -> Any:
        """Follow-up questions asked of you and still open"""
        return _co().outcomes.open_questions()


@blp.route("/follow-ups/<fid>")
class FollowUpAnswer(MethodView):
    @blp.arguments(FollowUpAnswerSchema)
    @blp.response(200, FollowUpDumpSchema)
    def post(self, data: dict[str, Any], fid: str) -> Any:
        """Answer: was an agreement signed, of which type? (moves the record)"""
        return _co().outcomes.answer(fid, data)


@blp.route("/cooperation-figures")
class Figures(MethodView):
    @blp.arguments(FigureQueryArgsSchema, location="query")
    @blp.response(200, FiguresSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Funnel figures per event, per cluster or overall: meetings, stages, agreements, months"""
        return _co().figures.figures(args.get("event_id"), args.get("cluster"))


@blp.route("/cooperation-figures.csv")
class FiguresCsv(MethodView):
    @blp.arguments(FigureQueryArgsSchema, location="query")
    @blp.response(200, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Any:
        """The same figures as tidy CSV rows (scope, metric, dimension, period, value)"""
        return Response(_co().figures.csv(args.get("event_id"), args.get("cluster")), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="cooperation-figures.csv"'})


@blp.route("/weight-proposals")
class WeightProposals(MethodView):
    @blp.arguments(LearnSchema)
    @blp.response(202, JobAcceptedSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Fit weights per search type from outcomes in the background (admins)"""
        job_id = _co().weights.start(data.get("search_types"), principal_dict(principal()), services().queue)
        return {"job_id": job_id, "status_url": url_for("jobs.JobsById", job_id=job_id)}

    @blp.response(200)
    def get(self) -> Any:
        """Weight proposals, newest first, with cross-validated figures side by side (admins)"""
        return _co().weights.proposals()


@blp.route("/weight-proposals/<pid>")
class WeightProposalById(MethodView):
    @blp.response(200)
    def get(self, pid: str) -> Any:
        """One proposal (admins)"""
        return _co().weights.proposal(pid)


@blp.route("/weight-proposals/<pid>/apply")
class WeightApply(MethodView):
    @blp.response(200)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, pid: str) -> Any:
        """Apply a proposal's weights to matching (admins); the previous ones are kept"""
        return _co().weights.apply(pid)


@blp.route("/weights/<any(clusters, members, text):search_type>/rollback")
class WeightRollback(MethodView):
    @blp.response(200)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, search_type: str) -> Any:
        """Return to the weights in use before the last applied version (admins)"""
        return _co().weights.rollback(search_type)
