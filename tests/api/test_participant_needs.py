"""What a participant needs: the events to join and one's own participation, the waiting
request's id on a reciprocal request, availability as times."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import keyed_client

EVENT = {"title": "Salon Mer & Ports", "days": ["2026-09-15", "2026-09-16"], "timezone": "Europe/Paris",
         "sessions": [{"start": "09:00", "end": "12:00"}], "breaks": [{"start": "10:30", "end": "10:45"}],
         "slot_minutes": 30, "num_tables": 5}


def test_events_to_join_and_own_participation(app, client, services):
    open_id = client.post("/events", json=EVENT).get_json()["id"]
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    closed_id = client.post("/events", json={**EVENT, "title": "Closed", "booking_deadline": past}).get_json()["id"]
    services.event_store.put_participant(open_id, {"id": "p-port", "member_id": "m-port-fr",
                                                             "name": "Port de Sète", "status": "registered"})
    member = keyed_client(app, "member", "m-port-fr")
    listed = {e["id"]: e for e in member.get("/events").get_json()}
    assert listed[open_id]["joinable"] is True and listed[open_id]["participation"] == {"id": "p-port",
                                                                                        "status": "registered"}
    assert listed[closed_id]["joinable"] is False and listed[closed_id]["participation"] is None
    organiser = keyed_client(app, "organiser", "org-other")
    assert organiser.get("/events").get_json() == []  # organisers see their own events


def test_reciprocal_request_names_the_waiting_one(client):
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    a, b = (client.post(f"/events/{event_id}/participants", json={"name": n}).get_json()["id"]
            for n in ("Porto di Genova", "Hafen Kiel"))
    first = client.post(f"/events/{event_id}/participants/{a}/requests", json={"to": b}).get_json()["id"]
    back = client.post(f"/events/{event_id}/participants/{b}/requests", json={"to": a})
    assert back.status_code == 409
    body = back.get_json()
    assert body["errors"]["request_id"] == first and first in body["message"] and "accept" in body["message"]
    assert client.post(f"/events/{event_id}/requests/{body['errors']['request_id']}/accept").status_code == 200


def test_availability_is_returned_as_times(client):
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    window = [{"start": "2026-09-16T09:30", "end": "2026-09-16T11:15"}]
    body = client.post(f"/events/{event_id}/participants", json={"name": "Puerto de Vigo",
                                                                "availability": window}).get_json()
    # the break 10:30-10:45 splits the window; the slot numbers stay alongside
    assert body["availability"] == [{"start": "2026-09-16T09:30", "end": "2026-09-16T10:30"},
                                    {"start": "2026-09-16T10:45", "end": "2026-09-16T11:15"}]
    assert body["availability_slots"] == [[6, 9]]  # day 1 starts at slot 5 (09:00)
