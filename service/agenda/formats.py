"""Load and dump the b2b-sched instance, delta and schedule JSON files (AGENDA-FORMAT.md)."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate

from service.agenda.format_errors import fail as _fail
from service.agenda.format_errors import load as _load
from service.agenda.format_errors import parse as _parse
from service.agenda.model import (
    STATUSES,
    Delta,
    Instance,
    Meeting,
    Participant,
    Request,
    Schedule,
    Slot,
)

INSTANCE_FORMAT = "b2b-sched-instance/1"
DELTA_FORMAT = "b2b-sched-delta/1"
SCHEDULE_FORMAT = "b2b-sched-schedule/1"
_PARTICIPANT_FIELDS = ("id", "name", "org_type", "country", "sector", "max_meetings",
                       "availability", "fixed_table")


def _int(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, **kw)


class TableRef(fields.Field):
    """A fixed table: its 0-based index (the format) or its label (the table_labels extension,
    docs/agenda-format.md); check_instance turns a label into the index."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise ValidationError("Must be greater than or equal to 0.")
            return value
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise ValidationError("a table index (an integer from 0) or a table label (a non-empty string)")


class SlotSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other tools add fields: ignored with a warning

    id = _int(required=True)
    day = _int(required=True, validate=validate.Range(min=0))
    start = fields.String(required=True)
    end = fields.String(required=True)


class ParticipantSchema(Schema):
    class Meta:
        unknown = INCLUDE  # extra descriptive fields round-trip untouched

    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(load_default="")
    org_type = fields.String(allow_none=True, load_default=None)
    country = fields.String(allow_none=True, load_default=None)
    sector = fields.String(allow_none=True, load_default=None)
    max_meetings = _int(allow_none=True, load_default=None, validate=validate.Range(min=0))
    availability = fields.List(fields.List(_int(), validate=validate.Length(equal=2)),
                               allow_none=True, load_default=None)
    fixed_table = TableRef(allow_none=True, load_default=None)


class RequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other tools add fields: ignored with a warning

    id = fields.String(required=True, validate=validate.Length(min=1))
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    priority = _int(required=True, validate=validate.Range(min=1, max=3))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    created_at = fields.String(required=True)


class InstanceSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other tools add fields: ignored with a warning

    format = fields.String(required=True, validate=validate.Equal(INSTANCE_FORMAT))
    name = fields.String(required=True)
    event = fields.Dict(load_default=dict)
    slots = fields.List(fields.Nested(SlotSchema), required=True)
    num_tables = _int(required=True, validate=validate.Range(min=0))
    participants = fields.List(fields.Nested(ParticipantSchema), required=True)
    requests = fields.List(fields.Nested(RequestSchema), required=True)
    table_labels = fields.List(fields.String(validate=validate.Length(min=1, max=80)),
                               load_default=None, allow_none=True)


class UpdateRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other tools add fields: ignored with a warning

    id = fields.String(required=True)
    priority = _int(validate=validate.Range(min=1, max=3))
    status = fields.String(validate=validate.OneOf(STATUSES))
    created_at = fields.String()


class DeltaSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other tools add fields: ignored with a warning

    format = fields.String(required=True, validate=validate.Equal(DELTA_FORMAT))
    name = fields.String(load_default="")
    base_instance = fields.String(required=True)
    cancel_participants = fields.List(fields.String(), load_default=list)
    add_participants = fields.List(fields.Nested(ParticipantSchema), load_default=list)
    add_requests = fields.List(fields.Nested(RequestSchema), load_default=list)
    update_requests = fields.List(fields.Nested(UpdateRequestSchema), load_default=None,
                                  allow_none=True)


class MeetingSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other tools add fields: ignored with a warning

    a = fields.String(required=True)
    b = fields.String(required=True)
    slot = _int(required=True)
    table = _int(required=True)
    confirmed = fields.Boolean(load_default=True)


class ScheduleSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other tools add fields: ignored with a warning

    format = fields.String(required=True, validate=validate.Equal(SCHEDULE_FORMAT))
    instance = fields.String(required=True)
    meetings = fields.List(fields.Nested(MeetingSchema), required=True)
    meta = fields.Dict(load_default=dict)


# ---------------------------------------------------------------- unknown fields

# Lists of objects whose unknown keys are reported (participants keep theirs as extras).
_NESTED: dict[type[Schema], dict[str, type[Schema]]] = {
    InstanceSchema: {"slots": SlotSchema, "requests": RequestSchema},
    DeltaSchema: {"add_requests": RequestSchema, "update_requests": UpdateRequestSchema},
    ScheduleSchema: {"meetings": MeetingSchema},
}


def _known(schema: type[Schema]) -> set[str]:
    return {f.data_key or name for name, f in schema._declared_fields.items()}


def unknown_fields(data: Mapping[str, Any], schema: type[Schema]) -> list[str]:
    """Warnings for the fields this format does not define, with their path."""
    out = [f"{key}: unknown field, ignored" for key in data if key not in _known(schema)]
    for name, nested in _NESTED.get(schema, {}).items():
        items = data.get(name)
        if not isinstance(items, list):
            continue
        known = _known(nested)
        extra: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                for key in item:
                    if key not in known:
                        extra.setdefault(key, []).append(i)
        for key, where in extra.items():
            first = f"{name}[{where[0]}].{key}"
            more = f" (and {len(where) - 1} more {name})" if len(where) > 1 else ""
            out.append(f"{first}: unknown field, ignored{more}")
    return out


# ---------------------------------------------------------------- builders

def _participant(d: Mapping[str, Any]) -> Participant:
    av = d.get("availability")
    extra = {k: v for k, v in d.items() if k not in _PARTICIPANT_FIELDS}
    return Participant(
        id=d["id"], name=d.get("name", ""), org_type=d.get("org_type"), country=d.get("country"),
        sector=d.get("sector"), max_meetings=d.get("max_meetings"),
        availability=None if av is None else tuple((int(s), int(e)) for s, e in av),
        fixed_table=d.get("fixed_table"), extra=extra)


def _request(d: Mapping[str, Any]) -> Request:
    return Request(id=d["id"], frm=d["from_"], to=d["to"], priority=d["priority"],
                   status=d["status"], created_at=d["created_at"])


def check_instance(inst: Instance, where: str = "") -> list[str]:
    """Cross-field checks the schema cannot express; returns error strings with paths.

    A fixed table given by its label is replaced here by the table's index.
    """
    errs: list[str] = []
    n = len(inst.slots)
    if inst.table_labels is not None:
        if len(inst.table_labels) != inst.num_tables:
            errs.append(f"table_labels: {len(inst.table_labels)} labels for "
                        f"{inst.num_tables} tables")
        dup = sorted({x for x in inst.table_labels if inst.table_labels.count(x) > 1})
        if dup:
            errs.append(f"table_labels: duplicate labels {dup}")
    errs.extend(_resolve_table_labels(inst, where))
    for i, s in enumerate(inst.slots):
        if s.id != i:
            errs.append(f"slots[{i}].id: {s.id} != index {i}")
        try:
            if datetime.fromisoformat(s.start) >= datetime.fromisoformat(s.end):
                errs.append(f"slots[{i}]: start {s.start} not before end {s.end}")
            prev = inst.slots[i - 1].start if i else None
            if prev and datetime.fromisoformat(prev) > datetime.fromisoformat(s.start):
                errs.append(f"slots[{i}].start: slots not in time order")
        except ValueError as exc:
            errs.append(f"slots[{i}]: bad ISO datetime ({exc})")
        if i and s.day < inst.slots[i - 1].day:
            errs.append(f"slots[{i}].day: days not in order")
    seen: dict[str, int] = {}
    tables: dict[int, str] = {}
    for i, p in enumerate(inst.participants):
        path = f"{where}participants[{i}]"
        if p.id in seen:
            errs.append(f"{path}.id: duplicate id {p.id!r} (also participants[{seen[p.id]}])")
        seen.setdefault(p.id, i)
        for j, (a, b) in enumerate(p.availability or ()):
            if a < 0:
                errs.append(f"{path}.availability[{j}]: start {a} < 0")
            if b > n:
                errs.append(f"{path}.availability[{j}]: end {b} > {n} slots")
            if a >= b:
                errs.append(f"{path}.availability[{j}]: empty interval [{a}, {b})")
        if p.fixed_table is not None:
            if p.fixed_table >= inst.num_tables:
                errs.append(f"{path}.fixed_table: {p.fixed_table} >= {inst.num_tables} tables")
            if p.fixed_table in tables:
                errs.append(f"{path}.fixed_table: table {p.fixed_table} already fixed for "
                            f"{tables[p.fixed_table]!r}")
            tables.setdefault(p.fixed_table, p.id)
    rids: set[str] = set()
    for i, r in enumerate(inst.requests):
        path = f"{where}requests[{i}]"
        if r.id in rids:
            errs.append(f"{path}.id: duplicate id {r.id!r}")
        rids.add(r.id)
        for fname, pid in (("from", r.frm), ("to", r.to)):
            if pid not in seen:
                errs.append(f"{path}.{fname}: unknown participant {pid!r}")
        if r.frm == r.to:
            errs.append(f"{path}: request from a participant to itself")
        try:
            datetime.fromisoformat(r.created_at)
        except ValueError:
            errs.append(f"{path}.created_at: {r.created_at!r} is not an ISO datetime")
    return errs


def _resolve_table_labels(inst: Instance, where: str) -> list[str]:
    errs = []
    for i, p in enumerate(inst.participants):
        if isinstance(p.fixed_table, str):
            index = inst.table_index(p.fixed_table)
            if index is None:
                known = [inst.table_label(t) for t in range(min(inst.num_tables, 5))]
                errs.append(f"{where}participants[{i}].fixed_table: no table labelled {p.fixed_table!r} "
                            f"(labels: {', '.join(known)}{' …' if inst.num_tables > 5 else ''})")
            inst.participants[i] = replace(p, fixed_table=index)
    return errs


# ---------------------------------------------------------------- public API

def load_instance(data: Mapping[str, Any] | str | bytes) -> Instance:
    """Parse and validate an instance file; raise InvalidRequestError with field paths.

    Fields the format does not define are ignored; `Instance.warnings` names them.
    """
    raw = _parse(data, "instance")
    d = _load(InstanceSchema(), raw, "instance")
    inst = Instance(
        name=d["name"], event=dict(d["event"]),
        slots=[Slot(s["id"], s["day"], s["start"], s["end"]) for s in d["slots"]],
        num_tables=d["num_tables"], participants=[_participant(p) for p in d["participants"]],
        requests=[_request(r) for r in d["requests"]], table_labels=d["table_labels"],
        warnings=unknown_fields(raw, InstanceSchema))
    errs = check_instance(inst)
    if errs:
        raise _fail("instance", errs)
    return inst


def load_delta(data: Mapping[str, Any] | str | bytes) -> Delta:
    """Parse a delta file (structure only; apply_delta checks it against the base)."""
    raw = _parse(data, "delta")
    d = _load(DeltaSchema(), raw, "delta")
    upd = d["update_requests"]
    return Delta(warnings=unknown_fields(raw, DeltaSchema),
        name=d["name"], base_instance=d["base_instance"],
        cancel_participants=list(d["cancel_participants"]),
        add_participants=[_participant(p) for p in d["add_participants"]],
        add_requests=[_request(r) for r in d["add_requests"]],
        update_requests=None if upd is None else [dict(u) for u in upd])


def load_schedule(data: Mapping[str, Any] | str | bytes) -> Schedule:
    """Parse a schedule file (structure only; validate.py checks the rules)."""
    raw = _parse(data, "schedule")
    d = _load(ScheduleSchema(), raw, "schedule")
    return Schedule(warnings=unknown_fields(raw, ScheduleSchema),instance=d["instance"], meta=dict(d["meta"]),
                    meetings=[Meeting(m["a"], m["b"], m["slot"], m["table"], m["confirmed"])
                              for m in d["meetings"]])


def dump_participant(p: Participant) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.id, "name": p.name, "org_type": p.org_type, "country": p.country,
        "sector": p.sector, "max_meetings": p.max_meetings,
        "availability": None if p.availability is None else [list(iv) for iv in p.availability],
        "fixed_table": p.fixed_table}
    out.update(p.extra)
    return out


def dump_request(r: Request) -> dict[str, Any]:
    return {"id": r.id, "from": r.frm, "to": r.to, "priority": r.priority, "status": r.status,
            "created_at": r.created_at}


def dump_instance(inst: Instance) -> dict[str, Any]:
    out = {
        "format": INSTANCE_FORMAT, "name": inst.name, "event": dict(inst.event),
        "slots": [{"id": s.id, "day": s.day, "start": s.start, "end": s.end} for s in inst.slots],
        "num_tables": inst.num_tables,
        "participants": [dump_participant(p) for p in inst.participants],
        "requests": [dump_request(r) for r in inst.requests]}
    if inst.table_labels is not None:
        out["table_labels"] = list(inst.table_labels)
    return out


def dump_delta(delta: Delta) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": DELTA_FORMAT, "name": delta.name, "base_instance": delta.base_instance,
        "cancel_participants": list(delta.cancel_participants),
        "add_participants": [dump_participant(p) for p in delta.add_participants],
        "add_requests": [dump_request(r) for r in delta.add_requests]}
    if delta.update_requests is not None:
        out["update_requests"] = [dict(u) for u in delta.update_requests]
    return out


def dump_schedule(schedule: Schedule) -> dict[str, Any]:
    return {"format": SCHEDULE_FORMAT, "instance": schedule.instance,
            "meetings": [{"a": m.a, "b": m.b, "slot": m.slot, "table": m.table,
                          "confirmed": m.confirmed} for m in schedule.meetings],
            "meta": dict(schedule.meta)}


def dumps(doc: Mapping[str, Any]) -> str:
    """Serialise a dumped document as UTF-8-friendly JSON text."""
    return json.dumps(doc, ensure_ascii=False, indent=1)
