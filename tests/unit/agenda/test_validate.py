"""Each validity rule of AGENDA-FORMAT.md section 4 is detected (table tests)."""
from __future__ import annotations

import pytest

from service.agenda.formats import load_instance
from service.agenda.model import Meeting, Schedule
from service.agenda.validate import validate_schedule

# A valid agenda of the tiny event (C owns table 2).
VALID = [Meeting("A", "B", 0, 0), Meeting("A", "C", 3, 2), Meeting("B", "C", 1, 2),
         Meeting("C", "E", 2, 2), Meeting("D", "E", 1, 0)]


def _check(tiny_doc, meetings, base=None):
    inst = load_instance(tiny_doc)
    return validate_schedule(inst, Schedule("tiny", meetings), base=base)


def test_valid_schedule_has_no_violation(tiny_doc):
    assert _check(tiny_doc, VALID) == []


@pytest.mark.parametrize("extra,rule,code", [
    (Meeting("A", "Z", 3, 1), 1, "unknown_participant"),
    (Meeting("E", "E", 3, 1), 1, "self_meeting"),
    (Meeting("A", "E", 9, 1), 2, "bad_slot"),
    (Meeting("A", "E", 3, 7), 2, "bad_table"),
    (Meeting("A", "E", 3, 1), 3, "not_requested"),  # no request at all
    (Meeting("B", "E", 1, 1), 3, "not_requested"),  # declined only
    (Meeting("B", "A", 1, 1), 4, "pair_repeated"),
    (Meeting("B", "D", 3, 1), 5, "unavailable"),
    (Meeting("A", "D", 0, 1), 6, "double_booked"),
    (Meeting("A", "D", 2, 2), 7, "table_clash"),
    (Meeting("A", "C", 3, 1), 8, "fixed_table_ignored"),
    (Meeting("A", "D", 3, 2), 9, "reserved_table"),
    (Meeting("A", "D", 3, 1), 10, "over_limit"),  # D already meets E
])
def test_each_rule_is_detected(tiny_doc, extra, rule, code):
    tiny_doc["requests"].append({"id": "r9", "from": "B", "to": "D", "priority": 1,
                                 "status": "accepted", "created_at": "2026-02-02T00:00:00Z"})
    found = _check(tiny_doc, VALID + [extra])
    assert (rule, code) in {(v.rule, v.code) for v in found}, found


def test_rule_9_pool_table_with_fixed_participant(tiny_doc):
    # C has a fixed table: meeting C at a pool table breaks rule 8 (and not silently)
    found = _check(tiny_doc, [Meeting("C", "E", 2, 1)])
    assert {v.rule for v in found} == {8}


def test_rule_11_confirmed_moved_and_dropped(tiny_doc):
    base = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("D", "E", 1, 0),
                             Meeting("C", "E", 2, 2, confirmed=False)])
    moved = [Meeting("A", "B", 1, 0), Meeting("C", "E", 3, 2)]
    found = _check(tiny_doc, moved, base=base)
    codes = sorted(v.code for v in found if v.rule == 11)
    assert codes == ["confirmed_dropped", "confirmed_moved"]


def test_rule_11_ignores_cancelled_participants(tiny_doc):
    base = Schedule("tiny", [Meeting("A", "Gone", 0, 0)])
    assert _check(tiny_doc, [], base=base) == []
