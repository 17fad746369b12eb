"""Pure parts of the organiser's day: conflict messages, first free place, the ghost-free view,
calendar checks."""
from __future__ import annotations

from service.agenda.conflicts import conflicts, first_free
from service.agenda.exports import update_sequences
from service.agenda.formats import load_instance
from service.agenda.model import Meeting, Schedule
from service.agenda.view import build_view
from service.events.calendar import calendar_errors, intervals_to_windows


def test_conflicts_name_what_collides(tiny_doc):
    inst = load_instance({**tiny_doc, "table_labels": ["1", "2", "Booth Gamma"]})
    sched = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("C", "E", 1, 2)])
    found = conflicts(inst, sched, "A", "C", 0, 0)
    assert "Alpha already meets Beta at 2026-03-10 09:00 (table 1)" in found
    assert "table 1 is taken at 2026-03-10 09:00 by Alpha and Beta" in found
    assert "Gamma meets at their own table Booth Gamma" in found
    assert conflicts(inst, sched, "B", "E", 3, 1) == ["Beta is not available at 2026-03-10 14:00"]
    assert conflicts(inst, sched, "A", "D", 3, 2) == ["table Booth Gamma is reserved for Gamma"]
    assert conflicts(inst, sched, "A", "C", 2, 2) == []
    assert first_free(inst, sched, "A", "C") == (2, 2)
    assert first_free(inst, sched, "A", "D") == (1, 0)


def test_view_turns_a_cancelled_participants_meetings_into_cancellations(tiny_doc):
    sched = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("C", "E", 1, 2)])
    agenda = {"ics": update_sequences("tiny", sched)}
    live = load_instance({**tiny_doc, "participants": [p for p in tiny_doc["participants"] if p["id"] != "B"],
                          "requests": [r for r in tiny_doc["requests"] if "B" not in (r["from"], r["to"])]})
    view = build_view("tiny", live, sched, agenda, [{"id": "B", "name": "Beta", "status": "cancelled"}])
    assert [m.pair for m in view.schedule.meetings] == [("C", "E")]
    assert view.cancelled == [{"a": "A", "b": "B", "slot": 0, "table": 0,
                               "reason": "Beta cancelled their participation"}]
    entry = view.ics["tiny-A-B@maillon"]
    assert entry["cancelled"] and entry["seq"] == 1
    assert view.instance.participant_map()["B"].name == "Beta"


def test_calendar_errors_and_windows():
    sessions = [{"start": "09:00", "end": "12:00"}, {"start": "11:30", "end": "13:00"}]
    errors = calendar_errors(["2026-03-11", "2026-03-10"], sessions, [{"start": "18:00", "end": "18:30"}])
    assert set(errors) == {"days", "sessions", "breaks"}
    assert calendar_errors(["2026-03-10"], sessions[:1], [{"start": "10:30", "end": "10:45"}]) == {}
    slots = [{"id": 0, "start": "2026-03-10T09:00", "end": "2026-03-10T09:30"},
             {"id": 1, "start": "2026-03-10T09:30", "end": "2026-03-10T10:00"},
             {"id": 2, "start": "2026-03-10T14:00", "end": "2026-03-10T14:30"}]
    assert intervals_to_windows(slots, [[0, 3]]) == [{"start": "2026-03-10T09:00", "end": "2026-03-10T10:00"},
                                                     {"start": "2026-03-10T14:00", "end": "2026-03-10T14:30"}]
    assert intervals_to_windows(slots, None) is None
