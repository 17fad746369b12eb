"""Applying deltas and incremental rescheduling: confirmed meetings never move."""
from __future__ import annotations

import dataclasses

import pytest

from service.agenda.delta import apply_delta
from service.agenda.formats import load_delta, load_instance
from service.agenda.model import Meeting, Schedule
from service.agenda.solver import solve
from service.agenda.validate import validate_schedule
from service.errors import InvalidRequestError
from tests.support.agenda_generate import generate_delta, generate_instance


def _delta(**kw):
    doc = {"format": "b2b-sched-delta/1", "name": "late", "base_instance": "tiny"}
    doc.update(kw)
    return load_delta(doc)


NEW = {"id": "F", "name": "Phi", "max_meetings": 2, "availability": None, "fixed_table": None}


def test_four_steps(tiny_doc):
    inst = load_instance(tiny_doc)
    delta = _delta(cancel_participants=["C"], add_participants=[NEW],
                   add_requests=[{"id": "r10", "from": "F", "to": "A", "priority": 2,
                                  "status": "pending", "created_at": "2026-03-01T00:00:00Z"}],
                   update_requests=[{"id": "r1", "status": "declined"},
                                    {"id": "r2", "status": "accepted"}])  # r2 left with C
    out = apply_delta(inst, delta)
    assert [p.id for p in out.participants] == ["A", "B", "D", "E", "F"]
    assert [r.id for r in out.requests] == ["r1", "r4", "r5", "r6", "r8", "r10"]
    assert out.requests[0].status == "declined"
    assert out.pool_tables() == [0, 1, 2]  # C's fixed table went back to the pool
    assert len(inst.participants) == 5  # input untouched


@pytest.mark.parametrize("kw,expected", [
    ({"cancel_participants": ["Z"]}, "cancel_participants[0]: unknown participant 'Z'"),
    ({"update_requests": [{"id": "r99", "status": "declined"}]},
     "update_requests[0].id: unknown request 'r99'"),
    ({"add_participants": [dict(NEW, id="A")]}, "add_participants[0].id: duplicate id 'A'"),
    ({"add_participants": [dict(NEW, fixed_table=2)]},
     "add_participants[0].fixed_table: table 2 already fixed"),
    ({"add_requests": [{"id": "r11", "from": "A", "to": "Q", "priority": 1,
                        "status": "pending", "created_at": "2026-03-01T00:00:00Z"}]},
     "add_requests[0].to: unknown participant 'Q'"),
    ({"base_instance": "other"}, "base_instance:"),
    ({"add_participants": [dict(NEW, fixed_table="Stand 7")]},
     "add_participants[0].fixed_table: no table labelled 'Stand 7'"),
])
def test_delta_errors_name_the_field(tiny_doc, kw, expected):
    with pytest.raises(InvalidRequestError) as exc:
        apply_delta(load_instance(tiny_doc), _delta(**kw))
    assert any(expected in e for e in exc.value.errors), exc.value.errors


def test_delta_schema_errors_name_the_field():
    with pytest.raises(InvalidRequestError) as exc:
        _delta(add_participants=[{"id": "F", "availability": [[0, "x"]]}])
    assert any(e.startswith("add_participants[0].availability[0]") for e in exc.value.errors)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("method", ["auto", "floor"])
def test_confirmed_meetings_never_move(seed, method):
    inst = generate_instance(60, 300, 12, 25, seed=seed)
    base = solve(inst, time_limit_s=10, method=method)
    # the organiser confirmed two meetings out of three
    base = dataclasses.replace(base, meetings=[
        dataclasses.replace(m, confirmed=i % 3 != 0) for i, m in enumerate(base.meetings)])
    delta = generate_delta(inst, base, seed=seed)
    updated = apply_delta(inst, delta)
    after = solve(updated, base=base, time_limit_s=10, method=method)
    assert validate_schedule(updated, after, base=base) == []
    assert after.meta["confirmed_unplaceable"] == []
    # unconfirmed meetings are mostly kept too
    kept = {(m.pair, m.slot, m.table) for m in after.meetings}
    prev = [m for m in base.meetings if not m.confirmed
            and {m.a, m.b}.isdisjoint(delta.cancel_participants)]
    assert sum((m.pair, m.slot, m.table) in kept for m in prev) >= 0.8 * len(prev)


def test_invalid_confirmed_meeting_is_reported_not_kept(tiny_doc):
    inst = load_instance(tiny_doc)
    base = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("A", "E", 1, 0)])
    after = solve(inst, base=base)
    assert validate_schedule(inst, after) == []
    assert after.meta["confirmed_unplaceable"] == [{"a": "A", "b": "E", "slot": 1, "table": 0}]
    assert Meeting("A", "B", 0, 0) in after.meetings


def test_delta_fixed_table_by_label(tiny_doc):
    out = apply_delta(load_instance(tiny_doc), _delta(add_participants=[dict(NEW, fixed_table="2")]))
    assert out.participants[-1].fixed_table == 1  # "Table 2" is index 1
