"""Marshmallow schemas for events, participants and meeting requests (API input and output)."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from service.events.calendar import calendar_errors
from service.profile_schemas import ID_PATTERN, ContactSchema, CountryField


class _Stored:
    """Dates are stored as ISO strings: dump them as they are."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)  # type: ignore[misc]


class IsoDate(_Stored, fields.Date):
    pass


class IsoDateTime(_Stored, fields.AwareDateTime):
    pass


HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="use HH:MM")


class PeriodSchema(Schema):
    start = fields.String(required=True, validate=HHMM)
    end = fields.String(required=True, validate=HHMM)

    @validates_schema
    def ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["start"] >= data["end"]:
            raise ValidationError("start must be before end", "end")


class EventSchema(Schema):
    id = fields.String(validate=validate.Regexp(ID_PATTERN), metadata={"description": "generated when absent"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    timezone = fields.String(load_default="Europe/Paris")
    venue = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                          metadata={"description": "where it happens; calendar entries carry it"})
    days = fields.List(IsoDate(), required=True, validate=validate.Length(min=1, max=14))
    sessions = fields.List(fields.Nested(PeriodSchema), required=True, validate=validate.Length(min=1, max=6))
    breaks = fields.List(fields.Nested(PeriodSchema), load_default=list, validate=validate.Length(max=20))
    slot_minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=240))
    num_tables = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000))
    booking_deadline = IsoDateTime(load_default=None, allow_none=True, default_timezone=None)
    request_expiry_hours = fields.Integer(load_default=72, validate=validate.Range(min=1, max=24 * 60))
    max_requests_per_participant = fields.Integer(load_default=20, validate=validate.Range(min=1, max=500))
    max_meetings_default = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=200))
    table_labels = fields.List(fields.String(validate=validate.Length(min=1, max=80)), load_default=None,
                               allow_none=True, metadata={"description": "what people read on each table, "
                                                          "e.g. a booth name; default 1, 2, 3…"})
    # read-only
    state = fields.String(dump_only=True)
    slots = fields.List(fields.Dict(), dump_only=True)
    warnings = fields.List(fields.String(), dump_only=True,
                           metadata={"description": "fields of an imported file that were ignored"})

    @validates_schema
    def calendar_is_consistent(self, data: dict[str, Any], **_: Any) -> None:
        if {"days", "sessions"} <= set(data):
            errors = calendar_errors([str(d) for d in data["days"]], data["sessions"], data.get("breaks"))
            if errors:
                raise ValidationError(errors)

    @validates_schema
    def labels_fit_tables(self, data: dict[str, Any], **_: Any) -> None:
        labels = data.get("table_labels")
        if labels is not None and "num_tables" in data and len(labels) != data["num_tables"]:
            raise ValidationError(f"{len(labels)} labels for {data.get('num_tables')} tables", "table_labels")
        if labels is not None and len(set(labels)) != len(labels):
            raise ValidationError("labels must be unique", "table_labels")

    @validates("timezone")
    def known_zone(self, value: str, **_: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"unknown time zone {value!r}") from exc


class WindowSchema(Schema):
    start = fields.String(required=True, metadata={"description": "local ISO datetime, e.g. 2026-03-10T09:00"})
    end = fields.String(required=True)


class TableLabelField(fields.Field):
    """A table as people name it: its label, or its number from 1 (5 means "Table 5")."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
            raise ValidationError("a table label (text) or a table number from 1")
        return str(value).strip()


class ParticipantSchema(Schema):
    id = fields.String(validate=validate.Regexp(ID_PATTERN), metadata={"description": "generated when absent"})
    member_id = fields.String(load_default=None, allow_none=True, metadata={"description": "linked member profile"})
    name = fields.String(validate=validate.Length(min=1, max=300))
    org_type = fields.String(load_default=None, allow_none=True)
    country = CountryField(load_default=None, allow_none=True)
    sector = fields.String(load_default=None, allow_none=True)
    max_meetings = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=200))
    availability = fields.List(fields.Nested(WindowSchema), load_default=None, allow_none=True,
                               validate=validate.Length(max=50))
    fixed_table = TableLabelField(load_default=None, allow_none=True,
                                  metadata={"description": "the participant's own table (a booth), by label"})
    contact = fields.Nested(ContactSchema, load_default=None, allow_none=True)
    status = fields.String(dump_only=True)


class ParticipantPublicSchema(Schema):
    """A participant as others see it: no contact details."""

    id = fields.String()
    member_id = fields.String(allow_none=True)
    name = fields.String()
    org_type = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    sector = fields.String(allow_none=True)
    max_meetings = fields.Integer(allow_none=True)
    availability = fields.List(fields.Nested(WindowSchema), attribute="availability_windows", allow_none=True,
                               metadata={"description": "when the participant can meet (local times)"})
    availability_slots = fields.List(fields.List(fields.Integer()), attribute="availability", allow_none=True,
                                     metadata={"description": "the same as half-open slot-index intervals"})
    fixed_table = fields.String(attribute="fixed_table_label", allow_none=True, metadata={"description": "label"})
    fixed_table_index = fields.Integer(attribute="fixed_table", allow_none=True)
    status = fields.String()


class MeetingRequestSchema(Schema):
    id = fields.String(dump_only=True)
    to = fields.String(required=True, validate=validate.Length(min=1, max=128))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    priority = fields.Integer(load_default=2, validate=validate.Range(min=1, max=3))
    status = fields.String(dump_only=True)
    created_at = fields.String(dump_only=True)
    expires_at = fields.String(dump_only=True, allow_none=True)
    answered_at = fields.String(dump_only=True, allow_none=True)


class MeetingRequestDumpSchema(MeetingRequestSchema):
    from_ = fields.String(data_key="from", attribute="from")


class AgendaRequestSchema(Schema):
    state = fields.String(load_default="preliminary", validate=validate.OneOf(["preliminary", "final"]))
    time_limit_s = fields.Float(load_default=100.0, validate=validate.Range(min=1, max=600))
