"""What an organiser does on the day, through the API: edit the event with validation, book
after the deadline, move, lock or cancel one meeting, mark a no-show; all audited and all
reaching the participants' exports."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

EVENT = {"title": "Journée B2B Hydrogène", "days": ["2026-06-02"], "timezone": "Europe/Paris",
         "sessions": [{"start": "09:00", "end": "10:30"}, {"start": "14:00", "end": "15:30"}],
         "slot_minutes": 30, "num_tables": 3, "max_requests_per_participant": 5}


def _admin(services):
    return services.keys.verify(services.keys.create("admin", None, "test organiser")[1])


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"sessions": [{"start": "09:00", "end": "11:00"}, {"start": "10:30", "end": "12:00"}]}, "sessions", "overlaps"),
    ({"days": ["2026-06-03", "2026-06-02"]}, "days", "not after"),
    ({"days": ["2026-06-02", "2026-06-02"]}, "days", "not after"),
    ({"breaks": [{"start": "12:00", "end": "12:30"}]}, "breaks", "not within any session"),
])
def test_calendar_checked_at_creation_and_at_edit(client, change, field, words):
    created = client.post("/events", json={**EVENT, **change})
    assert created.status_code == 422
    assert words in " ".join(created.get_json()["errors"]["json"][field])
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    edited = client.patch(f"/events/{event_id}/settings", json=change)
    assert edited.status_code == 422 and field in edited.get_json()["errors"]
    assert words in edited.get_json()["message"]


@pytest.fixture
def day(client, services):
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    names = ("Hydrogène Alpes", "Wasserstoff Nord GmbH", "Idrogeno Verde", "H2 Ibérica")
    ids = [client.post(f"/events/{event_id}/participants", json={"name": n}).get_json()["id"] for n in names]
    for frm, to in ((1, 0), (2, 0), (3, 1)):
        rid = client.post(f"/events/{event_id}/participants/{ids[frm]}/requests", json={"to": ids[to]}).get_json()["id"]
        client.post(f"/events/{event_id}/requests/{rid}/accept")
    services.agenda_service(_admin(services)).generate(event_id, "final", 5)
    return event_id, ids


def _rows(client, event_id, pid):
    rows = client.get(f"/events/{event_id}/participants/{pid}/agenda").get_json()["meetings"]
    return {r["with"]["id"]: r for r in rows}


def test_book_after_the_deadline_on_site(client, day):
    event_id, p = day
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert client.patch(f"/events/{event_id}/settings", json={"booking_deadline": past}).status_code == 200
    assert client.post(f"/events/{event_id}/participants/{p[2]}/requests", json={"to": p[3]}).status_code == 409
    booked = client.post(f"/events/{event_id}/meetings", json={"a": p[2], "b": p[3], "start": "2026-06-02T14:30"})
    assert booked.status_code == 201, booked.get_json()
    meeting = booked.get_json()["meeting"]
    assert meeting["start"] == "2026-06-02T14:30" and meeting["confirmed"] is True
    assert _rows(client, event_id, p[3])[p[2]]["status"] == "confirmed"
    ics = client.get(f"/events/{event_id}/participants/{p[2]}/agenda.ics").get_data(as_text=True)
    assert "H2 Ibérica" in ics
    again = client.post(f"/events/{event_id}/meetings", json={"a": p[3], "b": p[2]})
    assert again.status_code == 409


def test_move_says_what_collides_then_moves_and_locks(client, day):
    event_id, p = day
    rows = _rows(client, event_id, p[0])
    taken = rows[p[2]]
    clash = client.post(f"/events/{event_id}/meetings/move",
                        json={"a": p[0], "b": p[1], "start": taken["start"], "table": taken["table_label"]})
    assert clash.status_code == 409
    message = clash.get_json()["message"]
    assert "Hydrogène Alpes already meets Idrogeno Verde" in message
    assert f"table {taken['table_label']} is taken" in message
    busy = {r["start"] for r in rows.values()} | {r["start"] for r in _rows(client, event_id, p[1]).values()}
    free = next(s["start"] for s in client.get(f"/events/{event_id}").get_json()["slots"] if s["start"] not in busy)
    moved = client.post(f"/events/{event_id}/meetings/move", json={"a": p[1], "b": p[0], "start": free, "table": "3"})
    assert moved.status_code == 200, moved.get_json()
    after = _rows(client, event_id, p[1])[p[0]]
    assert (after["start"], after["table_label"], after["status"]) == (free, "3", "confirmed")
    assert client.post(f"/events/{event_id}/meetings/lock", json={"a": p[0], "b": p[2]}).status_code == 200
    unknown = client.post(f"/events/{event_id}/meetings/move", json={"a": p[0], "b": p[1], "table": "Stand 9"})
    assert unknown.status_code == 422 and "Stand 9" in unknown.get_json()["message"]


def test_cancel_one_meeting_and_no_show(client, services, day):
    event_id, p = day
    cancelled = client.post(f"/events/{event_id}/meetings/cancel",
                            json={"a": p[0], "b": p[1], "reason": "train strike"})
    assert cancelled.status_code == 200
    row = _rows(client, event_id, p[1])[p[0]]
    assert row["status"] == "cancelled" and row["reason"] == "train strike"
    assert "STATUS:CANCELLED" in client.get(f"/events/{event_id}/participants/{p[0]}/agenda.ics").get_data(as_text=True)
    services.agenda_service(_admin(services)).generate(event_id, "final", 5)  # a new solve does not bring it back
    assert _rows(client, event_id, p[1])[p[0]]["status"] == "cancelled"
    assert client.post(f"/events/{event_id}/participants/{p[3]}/no-show").get_json()["cancelled"] == 1
    row = _rows(client, event_id, p[1])[p[3]]
    assert row["status"] == "cancelled" and row["reason"] == "H2 Ibérica did not show up"
    audit = client.get("/audit", query_string={"object": f"/events/{event_id}"}).get_json()
    actions = " ".join(e["action"] for e in audit)
    assert "/meetings/cancel" in actions and "/no-show" in actions


def test_edit_drops_meetings_of_a_removed_session_and_keeps_times(client, services, day):
    event_id, p = day
    client.post(f"/events/{event_id}/participants", json={
        "name": "Late Morning", "availability": [{"start": "2026-06-02T09:30", "end": "2026-06-02T10:30"}]})
    before = {r["with"]["id"]: r for r in _rows(client, event_id, p[0]).values()}
    afternoon = [pid for pid, r in before.items() if r["start"] >= "2026-06-02T14:00"]
    edited = client.patch(f"/events/{event_id}/settings",
                          json={"sessions": [{"start": "08:30", "end": "10:30"}], "table_labels": None})
    assert edited.status_code == 200, edited.get_json()
    assert [s["start"][11:] for s in edited.get_json()["slots"]] == ["08:30", "09:00", "09:30", "10:00"]
    late = next(x for x in client.get(f"/events/{event_id}/participants").get_json() if x["name"] == "Late Morning")
    assert late["availability"] == [{"start": "2026-06-02T09:30", "end": "2026-06-02T10:30"}]
    after = _rows(client, event_id, p[0])
    for pid, row in before.items():
        if pid in afternoon:
            assert after[pid]["status"] == "cancelled" and "no longer exists" in after[pid]["reason"]
            assert after[pid]["start"] == row["start"]  # shown at the time it had
        else:
            assert after[pid]["start"] == row["start"] and after[pid]["status"] == "confirmed"
    dropped = client.get(f"/events/{event_id}/agenda").get_json()["dropped_confirmed"]
    assert len(dropped) == len(afternoon) and all({"a", "b"} <= set(d) for d in dropped)
    shrink = client.patch(f"/events/{event_id}/settings", json={"num_tables": 0})
    assert shrink.status_code == 422
    twice = client.patch(f"/events/{event_id}/settings", json={"table_labels": ["A", "A", "B"]})
    assert twice.status_code == 422 and "unique" in twice.get_json()["message"]
    booths = client.patch(f"/events/{event_id}/settings", json={"table_labels": ["Stand A", "Stand B", "Stand C"]})
    assert booths.status_code == 200
    assert {r["table_label"] for r in _rows(client, event_id, p[0]).values()} <= {"Stand A", "Stand B", "Stand C"}


def test_only_the_events_organiser_changes_the_day(app, day):
    from tests.conftest import keyed_client

    event_id, p = day
    calls = [("PATCH", f"/events/{event_id}/settings", {"title": "Hijacked"}),
             ("POST", f"/events/{event_id}/meetings", {"a": p[2], "b": p[3]}),
             ("POST", f"/events/{event_id}/meetings/move", {"a": p[0], "b": p[1], "table": "3"}),
             ("POST", f"/events/{event_id}/meetings/lock", {"a": p[0], "b": p[1]}),
             ("POST", f"/events/{event_id}/meetings/cancel", {"a": p[0], "b": p[1]}),
             ("POST", f"/events/{event_id}/participants/{p[3]}/no-show", None)]
    for role, subject in (("organiser", "someone-else"), ("member", "m-x"), ("cluster_manager", "c-x")):
        other = keyed_client(app, role, subject)
        for method, path, body in calls:
            response = other.open(path, method=method, json=body)
            assert response.status_code == 403, (role, path, response.get_json())
