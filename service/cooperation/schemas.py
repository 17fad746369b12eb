"""Marshmallow schemas of the cooperation pipeline (API input and output; the pages reuse them)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.cooperation.vocab import PARTY_KINDS, STAGES, AgreementType, Source
from service.matching.weights import SEARCH_TYPES
from service.vocab import RequestType

_ID = validate.Length(min=1, max=128)
AGREEMENTS = [a.value for a in AgreementType]


class PartyRefSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(PARTY_KINDS))
    id = fields.String(required=True, validate=_ID)


class RecordCreateSchema(Schema):
    parties = fields.List(fields.Nested(PartyRefSchema), required=True, validate=validate.Length(equal=2))
    stage = fields.String(load_default="identification", validate=validate.OneOf(STAGES))
    source = fields.String(required=True, validate=validate.OneOf([s.value for s in Source]))
    cooperation_type = fields.String(load_default=None, allow_none=True,
                                     validate=validate.OneOf([t.value for t in RequestType]))
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class FollowSchema(Schema):
    seeker = fields.Nested(PartyRefSchema, required=True, metadata={"description": "your own profile"})
    partner = fields.Nested(PartyRefSchema, required=True, metadata={"description": "the match you follow"})
    cooperation_type = fields.String(load_default=None, allow_none=True,
                                     validate=validate.OneOf([t.value for t in RequestType]))
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class FromRequestSchema(Schema):
    event_id = fields.String(required=True, validate=_ID)
    request_id = fields.String(required=True, validate=_ID)


class RecordQueryArgsSchema(Schema):
    party = fields.String(load_default=None, validate=_ID, metadata={"description": "a profile id (or cluster id)"})
    stage = fields.String(load_default=None, validate=validate.OneOf(STAGES))


class StageMoveSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class NoteSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class AgreementSchema(Schema):
    agreement_type = fields.String(required=True, validate=validate.OneOf(AGREEMENTS))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CooperationMeetingRefSchema(Schema):
    event_id = fields.String(load_default=None, validate=_ID)
    request_id = fields.String(load_default=None, validate=_ID)
    date = fields.Date(load_default=None, metadata={"description": "a meeting outside Maillon's events"})
    title = fields.String(load_default=None, validate=validate.Length(max=300))

    @validates_schema
    def one_kind(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("event_id")) != bool(data.get("request_id")):
            raise ValidationError("give both event_id and request_id", "request_id")
        if not data.get("event_id") and not data.get("date"):
            raise ValidationError("give the event's request, or the date of a meeting elsewhere", "date")


class OutcomeSchema(Schema):
    meeting = fields.Nested(CooperationMeetingRefSchema, required=True)
    held = fields.Boolean(required=True, metadata={"description": "false: the other side did not come"})
    rating = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=5))
    follow_up = fields.Boolean(load_default=None, allow_none=True, metadata={"description": "intend to follow up"})
    comment = fields.String(load_default="", validate=validate.Length(max=4000),
                            metadata={"description": "private: never shown to the other party"})
    party = fields.String(load_default=None, validate=_ID,
                          metadata={"description": "the side you answer for, when you act for both"})

    @validates_schema
    def dated(self, data: dict[str, Any], **_: Any) -> None:
        if data["meeting"].get("date") is not None:
            data["meeting"]["date"] = data["meeting"]["date"].isoformat()


class FollowUpAnswerSchema(Schema):
    agreement_signed = fields.Boolean(required=True)
    agreement_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(AGREEMENTS))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class FigureQueryArgsSchema(Schema):
    event_id = fields.String(load_default=None, validate=_ID)
    cluster = fields.String(load_default=None, validate=_ID)

    @validates_schema
    def one_scope(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("event_id") and data.get("cluster"):
            raise ValidationError("give an event_id or a cluster, not both", "cluster")


class LearnSchema(Schema):
    search_types = fields.List(fields.String(validate=validate.OneOf(SEARCH_TYPES)), load_default=None,
                               allow_none=True, validate=validate.Length(min=1, max=3))


class PartySchema(Schema):
    kind = fields.String()
    id = fields.String()
    name = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    clusters = fields.List(fields.String())


class RecordSchema(Schema):
    id = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    parties = fields.List(fields.Nested(PartySchema))
    stage = fields.String()
    source = fields.String()
    cooperation_type = fields.String(allow_none=True)
    agreement_type = fields.String(allow_none=True)
    agreement_at = fields.String(allow_none=True)
    match = fields.Dict(allow_none=True, metadata={"description": "the match as it was when followed"})
    meetings = fields.List(fields.Dict())
    signals = fields.List(fields.Dict())
    created_by = fields.Dict()
    history = fields.List(fields.Dict())
    my_sides = fields.List(fields.Integer())


class OutcomeDumpSchema(Schema):
    """An outcome; of the other side's only record_id, meeting_key, side, party, held and at."""

    record_id = fields.String()
    meeting_key = fields.String()
    meeting = fields.Dict()
    side = fields.String()
    party = fields.String()
    held = fields.Boolean()
    rating = fields.Integer(allow_none=True)
    follow_up = fields.Boolean(allow_none=True)
    comment = fields.String()
    at = fields.String()
    by = fields.Dict()


class FollowUpDumpSchema(Schema):
    id = fields.String()
    record_id = fields.String()
    side = fields.String()
    party = fields.String()
    meeting_key = fields.String()
    delay_s = fields.Float()
    due_at = fields.String()
    status = fields.String(metadata={"description": "scheduled, asked, answered or cancelled"})
    question = fields.String()
    job_id = fields.String(allow_none=True)
    scheduling_error = fields.String()
    asked_at = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    answer = fields.Dict(allow_none=True)


class StageRowSchema(Schema):
    stage = fields.String()
    records = fields.Integer(metadata={"description": "records at this stage now"})
    reached = fields.Integer(metadata={"description": "records that reached it (skipped stages count as passed)"})
    conversion_to_next = fields.Float(allow_none=True)
    median_days_in_stage = fields.Float(allow_none=True)


class AgreementCountSchema(Schema):
    type = fields.String()
    count = fields.Integer()


class FiguresSchema(Schema):
    scope = fields.Dict()
    totals = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    stages = fields.List(fields.Nested(StageRowSchema))
    agreements_by_type = fields.List(fields.Nested(AgreementCountSchema))
    series = fields.Dict(metadata={"description": "months, and one list of counts per metric, month by month"})
