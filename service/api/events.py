"""/events: events, participants, meeting requests, agendas (202 → job) and their exports."""
from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api import principal, services
from service.api.schemas import ErrorSchema, JobAcceptedSchema
from service.events.schemas import (
    AgendaRequestSchema,
    EventSchema,
    IsoDate,
    IsoDateTime,
    MeetingRequestDumpSchema,
    MeetingRequestSchema,
    ParticipantPublicSchema,
    ParticipantSchema,
    PeriodSchema,
)

blp = Blueprint("events", __name__, description="B2B events, meeting requests and agendas")


class LockSchema(Schema):
    pairs = fields.List(fields.List(fields.String(), validate=validate.Length(equal=2)),
                        required=True, validate=validate.Length(min=1, max=10_000))


class ParticipantQueryArgsSchema(Schema):
    participant = fields.String(load_default=None)


def _events() -> Any:
    return services().event_service(principal())


def _agendas() -> Any:
    return services().agenda_service(principal())


def _requests() -> Any:
    """Meeting requests with their notifications: the same service as the web pages."""
    return services().meeting_requests(principal())


class ParticipationSchema(Schema):
    id = fields.String()
    status = fields.String()


class EventSummarySchema(Schema):
    id = fields.String()
    title = fields.String()
    days = fields.List(fields.String())
    timezone = fields.String(allow_none=True)
    state = fields.String()
    booking_deadline = fields.String(allow_none=True)
    joinable = fields.Boolean(metadata={"description": "bookings still open"})
    participation = fields.Nested(ParticipationSchema, allow_none=True,
                                  metadata={"description": "the calling member's own participation"})


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventSchema)
    @blp.response(201, EventSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an event: days, sessions, breaks, slot length, tables, time zone, booking rules"""
        return _events().create_event(data)

    @blp.response(200, EventSummarySchema(many=True))
    def get(self) -> Any:
        """Events one can join, with one's own participation (members)"""
        return _events().list_events()


@blp.route("/events/import")
class EventImport(MethodView):
    @blp.response(201, EventSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    def post(self) -> Any:
        """Import an event in the interchange format (b2b-sched-instance/1)"""
        return _events().import_instance(request.get_data())


@blp.route("/events/<event_id>")
class EventsById(MethodView):
    @blp.response(200, EventSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, event_id: str) -> Any:
        """Read an event with its slots"""
        return _events().event(event_id)


@blp.route("/events/<event_id>/export")
class EventExport(MethodView):
    @blp.response(200)
    def get(self, event_id: str) -> Any:
        """Export the event in the interchange format (b2b-sched-instance/1)"""
        return _events().export_instance(event_id)


@blp.route("/events/<event_id>/participants")
class Participants(MethodView):
    @blp.arguments(ParticipantSchema)
    @blp.response(201, ParticipantPublicSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any], event_id: str) -> Any:
        """Register a participant (linked to a member profile or standalone)"""
        return _events().register(event_id, data)

    @blp.response(200, ParticipantPublicSchema(many=True))
    def get(self, event_id: str) -> Any:
        """List the event's participants (contact details are never listed)"""
        return _events().participants(event_id)


@blp.route("/events/<event_id>/participants/<pid>/cancel")
class ParticipantCancel(MethodView):
    @blp.response(200, ParticipantPublicSchema)
    def post(self, event_id: str, pid: str) -> Any:
        """Cancel a participant: their open requests are cancelled, their meetings freed"""
        return _events().cancel_participant(event_id, pid)


@blp.route("/events/<event_id>/participants/<pid>/invitation/<any(accept, decline):answer>")
class InvitationAnswer(MethodView):
    @blp.response(200, ParticipantPublicSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, event_id: str, pid: str, answer: str) -> Any:
        """The invited member accepts (and takes part) or declines an organiser's invitation"""
        return _events().answer_invitation(event_id, pid, answer == "accept")


@blp.route("/events/<event_id>/participants/<pid>/suggestions")
class Suggestions(MethodView):
    @blp.response(200)
    def get(self, event_id: str, pid: str) -> Any:
        """Whom this participant should meet at the event, and why"""
        return services().match_service(principal()).event_suggestions(event_id, pid)


@blp.route("/events/<event_id>/participants/<pid>/requests")
class ParticipantRequests(MethodView):
    @blp.arguments(MeetingRequestSchema)
    @blp.response(201, MeetingRequestDumpSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any], event_id: str, pid: str) -> Any:
        """Send a meeting request with a note and a priority (1 low – 3 high); the addressee gets an e-mail"""
        return _requests().send(event_id, pid, data)


@blp.route("/events/<event_id>/requests")
class Requests(MethodView):
    @blp.arguments(ParticipantQueryArgsSchema, location="query")
    @blp.response(200, MeetingRequestDumpSchema(many=True))
    def get(self, args: dict[str, Any], event_id: str) -> Any:
        """List meeting requests (expired ones are marked so)"""
        return _events().requests(event_id, args.get("participant"))


@blp.route("/events/<event_id>/requests/<rid>/<any(accept, decline):answer>")
class RequestAnswer(MethodView):
    @blp.response(200, MeetingRequestDumpSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, event_id: str, rid: str, answer: str) -> Any:
        """Accept or decline a pending request; the sender gets an e-mail"""
        return _requests().answer(event_id, rid, answer == "accept")


@blp.route("/events/<event_id>/agenda")
class Agenda(MethodView):
    @blp.arguments(AgendaRequestSchema)
    @blp.response(202, JobAcceptedSchema)
    def post(self, args: dict[str, Any], event_id: str) -> Any:
        """Generate a preliminary or final agenda in the background; confirmed meetings never move"""
        job_id = _agendas().start(event_id, args["state"], args["time_limit_s"], principal().key_id)
        return {"job_id": job_id, "status_url": url_for("jobs.JobsById", job_id=job_id)}

    @blp.response(200)
    def get(self, event_id: str) -> Any:
        """The latest agenda: schedule (b2b-sched-schedule/1), state, version and statistics"""
        return _agendas().schedule(event_id)


@blp.route("/events/<event_id>/agenda/lock")
class AgendaLock(MethodView):
    @blp.arguments(LockSchema)
    @blp.response(200)
    def post(self, args: dict[str, Any], event_id: str) -> Any:
        """Confirm chosen meetings of the latest agenda so later runs never move them"""
        return _agendas().lock(event_id, args["pairs"])


@blp.route("/events/<event_id>/agenda/stats")
class AgendaStats(MethodView):
    @blp.response(200)
    def get(self, event_id: str) -> Any:
        """Organiser statistics: meetings, satisfied requests, zero-meeting participants, tables, gaps"""
        return _agendas().stats(event_id)


@blp.route("/events/<event_id>/agenda.csv")
class AgendaCsv(MethodView):
    @blp.response(200, content_type="text/csv")
    def get(self, event_id: str) -> Any:
        """All meetings as CSV for the organiser"""
        return Response(_agendas().organiser_csv(event_id), mimetype="text/csv")


@blp.route("/events/<event_id>/tables/agenda.html")
class TableSheets(MethodView):
    @blp.response(200, content_type="text/html")
    def get(self, event_id: str) -> Any:
        """Printable sheets per table"""
        return Response(_agendas().table_html(event_id), mimetype="text/html")


@blp.route("/events/<event_id>/participants/<pid>/agenda")
class ParticipantAgenda(MethodView):
    @blp.response(200)
    def get(self, event_id: str, pid: str) -> Any:
        """A participant's agenda; contact details only for accepted meetings"""
        return _agendas().participant_agenda(event_id, pid)


@blp.route("/events/<event_id>/participants/<pid>/agenda.<any(ics, html):fmt>")
class ParticipantAgendaFile(MethodView):
    @blp.response(200, content_type="text/calendar")
    @blp.alt_response(200, content_type="text/html", description="printable agenda")
    def get(self, event_id: str, pid: str, fmt: str) -> Any:
        """A participant's agenda as a calendar file (stable UIDs) or a printable page"""
        if fmt == "ics":
            return Response(_agendas().participant_ics(event_id, pid), mimetype="text/calendar",
                            headers={"Content-Disposition": f'attachment; filename="{event_id}-{pid}.ics"'})
        return Response(_agendas().participant_html(event_id, pid), mimetype="text/html")


# -- on the day: the organiser's changes to the latest agenda ---------------------------------------

class EventChangeSchema(Schema):
    """Any subset of these settings (no defaults: what is absent stays); checked as at creation."""

    title = fields.String(validate=validate.Length(min=1, max=300))
    venue = fields.String(allow_none=True, validate=validate.Length(max=300))
    booking_deadline = IsoDateTime(allow_none=True, default_timezone=None)
    days = fields.List(IsoDate(), validate=validate.Length(min=1, max=14))
    sessions = fields.List(fields.Nested(PeriodSchema), validate=validate.Length(min=1, max=6))
    breaks = fields.List(fields.Nested(PeriodSchema), validate=validate.Length(max=20))
    slot_minutes = fields.Integer(validate=validate.Range(min=5, max=240))
    num_tables = fields.Integer(validate=validate.Range(min=1, max=10_000))
    table_labels = fields.List(fields.String(validate=validate.Length(min=1, max=80)), allow_none=True)


class MeetingRefSchema(Schema):
    a = fields.String(required=True, validate=validate.Length(min=1, max=128))
    b = fields.String(required=True, validate=validate.Length(min=1, max=128))


class MeetingPlaceSchema(MeetingRefSchema):
    start = fields.String(load_default=None, metadata={"description": "slot start, e.g. 2026-03-10T09:30; "
                                                                      "default: the first free one"})
    table = fields.String(load_default=None, metadata={"description": "table label, e.g. 5 or a booth name"})


class MeetingCancelSchema(MeetingRefSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


@blp.route("/events/<event_id>/settings")
class EventSettings(MethodView):
    @blp.arguments(EventChangeSchema)
    @blp.response(200, EventSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    def patch(self, data: dict[str, Any], event_id: str) -> Any:
        """Edit the deadline, days, sessions, breaks or tables; meetings that no longer fit are cancelled"""
        return _agendas().edit_event(event_id, data)


@blp.route("/events/<event_id>/meetings")
class Meetings(MethodView):
    @blp.arguments(MeetingPlaceSchema)
    @blp.response(201)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any], event_id: str) -> Any:
        """Book a meeting on site (also after the booking deadline): accepted, placed and confirmed"""
        return _agendas().book(event_id, data["a"], data["b"], data["start"], data["table"])


@blp.route("/events/<event_id>/meetings/move")
class MeetingMove(MethodView):
    @blp.arguments(MeetingPlaceSchema)
    @blp.response(200)
    @blp.alt_response(409, schema=ErrorSchema, description="what collides")
    def post(self, data: dict[str, Any], event_id: str) -> Any:
        """Move one meeting to another slot or table by hand; it is locked there"""
        return _agendas().move(event_id, data["a"], data["b"], data["start"], data["table"])


@blp.route("/events/<event_id>/meetings/lock")
class MeetingLock(MethodView):
    @blp.arguments(MeetingRefSchema)
    @blp.response(200)
    def post(self, data: dict[str, Any], event_id: str) -> Any:
        """Lock one meeting where it is: later agendas never move it"""
        return _agendas().lock_meeting(event_id, data["a"], data["b"])


@blp.route("/events/<event_id>/meetings/cancel")
class MeetingCancel(MethodView):
    @blp.arguments(MeetingCancelSchema)
    @blp.response(200)
    def post(self, data: dict[str, Any], event_id: str) -> Any:
        """Cancel one meeting; both participants' agendas and calendars show it cancelled"""
        return _agendas().cancel_meeting(event_id, data["a"], data["b"], data["reason"])


@blp.route("/events/<event_id>/participants/<pid>/no-show")
class ParticipantNoShow(MethodView):
    @blp.response(200)
    def post(self, event_id: str, pid: str) -> Any:
        """Mark a no-show: their meetings are cancelled in their partners' agendas"""
        return _agendas().no_show(event_id, pid)
