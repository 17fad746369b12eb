"""Events, the request workflow and agendas through the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from service.access.keys import SYSTEM

EVENT = {
    "title": "Aero Fair B2B",
    "days": ["2026-03-10", "2026-03-11"],
    "timezone": "Europe/Paris",
    "sessions": [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "17:00"}],
    "breaks": [{"start": "10:30", "end": "10:45"}],
    "slot_minutes": 30,
    "num_tables": 4,
    "max_requests_per_participant": 3,
    "request_expiry_hours": 48,
}


@pytest.fixture
def event(client):
    body = client.post("/events", json=EVENT).get_json()
    people = []
    for n in range(6):
        data = {"name": f"P{n}", "country": "FR" if n % 2 else "DE", "contact": {"email": f"p{n}@example.org"}}
        if n == 0:
            data["availability"] = [{"start": "2026-03-10T09:00", "end": "2026-03-10T12:00"}]
        if n == 5:
            data["fixed_table"] = 3
        people.append(client.post(f"/events/{body['id']}/participants", json=data).get_json()["id"])
    return body["id"], people


def send(client, event_id, frm, to, **extra):
    return client.post(f"/events/{event_id}/participants/{frm}/requests", json={"to": to, **extra})


def test_event_slots_skip_breaks(client) -> None:
    body = client.post("/events", json=EVENT).get_json()
    starts = [s["start"][11:] for s in body["slots"] if s["day"] == 0]
    assert starts == ["09:00", "09:30", "10:00", "10:45", "11:15", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]
    assert {s["day"] for s in body["slots"]} == {0, 1}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"slot_minutes": 2}, "slot_minutes"),
        ({"sessions": [{"start": "12:00", "end": "09:00"}]}, "sessions"),
        ({"days": []}, "days"),
        ({"sessions": [{"start": "9h", "end": "10:00"}]}, "sessions"),
    ],
)
def test_invalid_event(client, change, field) -> None:
    response = client.post("/events", json={**EVENT, **change})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_request_workflow(client, event) -> None:
    event_id, p = event
    first = send(client, event_id, p[0], p[1], priority=3, note="Let's talk anodising")
    assert first.status_code == 201 and first.get_json()["status"] == "pending"
    assert send(client, event_id, p[1], p[0]).status_code == 409  # one open request per pair
    assert send(client, event_id, p[0], p[0]).status_code == 422  # not with oneself
    assert send(client, event_id, p[0], p[2]).status_code == 201
    assert send(client, event_id, p[0], p[3]).status_code == 201
    capped = send(client, event_id, p[0], p[4])
    assert capped.status_code == 409 and "max_requests_per_participant=3" in capped.get_json()["message"]
    rid = first.get_json()["id"]
    assert client.post(f"/events/{event_id}/requests/{rid}/accept").get_json()["status"] == "accepted"
    assert client.post(f"/events/{event_id}/requests/{rid}/decline").status_code == 409
    assert send(client, event_id, p[0], "nobody").status_code == 404


def test_pending_requests_expire(client, services, event) -> None:
    event_id, p = event
    rid = send(client, event_id, p[0], p[1]).get_json()["id"]
    events = services.event_service(SYSTEM)
    events.clock = lambda: datetime.now(UTC) + timedelta(hours=49)
    assert events.expire(event_id) == 1
    assert events.store.request(event_id, rid)["status"] == "expired"
    instance = events.instance(event_id)
    assert [r.status for r in instance.requests] == ["declined"]  # no longer blocks a slot


def test_booking_deadline(client) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    event_id = client.post("/events", json={**EVENT, "booking_deadline": past}).get_json()["id"]
    a = client.post(f"/events/{event_id}/participants", json={"name": "A"}).get_json()["id"]
    b = client.post(f"/events/{event_id}/participants", json={"name": "B"}).get_json()["id"]
    assert send(client, event_id, a, b).status_code == 409


def test_fixed_tables_are_unique(client, event) -> None:
    event_id, _ = event
    clash = client.post(f"/events/{event_id}/participants", json={"name": "X", "fixed_table": 3})
    assert clash.status_code == 409
    out_of_range = client.post(f"/events/{event_id}/participants", json={"name": "Y", "fixed_table": 9})
    assert out_of_range.status_code == 422


def test_agenda_contacts_and_exports(client, services, event) -> None:
    event_id, p = event
    accepted = send(client, event_id, p[0], p[1]).get_json()["id"]
    client.post(f"/events/{event_id}/requests/{accepted}/accept")
    send(client, event_id, p[0], p[2])  # stays pending
    send(client, event_id, p[3], p[5], priority=3)
    services.agenda_service(SYSTEM).generate(event_id, "preliminary", 10)
    agenda = client.get(f"/events/{event_id}/participants/{p[0]}/agenda").get_json()
    by_other = {m["with"]["id"]: m for m in agenda["meetings"]}
    assert set(by_other) == {p[1], p[2]}
    assert by_other[p[1]]["with"]["contact"]["email"] == "p1@example.org"
    assert "contact" not in by_other[p[2]]["with"]  # pending: no contact details
    assert all(m["start"] < "2026-03-10T12:00" for m in agenda["meetings"])  # availability
    fixed = client.get(f"/events/{event_id}/participants/{p[5]}/agenda").get_json()["meetings"]
    assert [(m["table"], m["table_label"]) for m in fixed] == [(2, "3")]  # "Table 3" is index 2
    assert "contact" not in json.dumps(client.get(f"/events/{event_id}/participants").get_json())
    csv_rows = client.get(f"/events/{event_id}/agenda.csv").get_data(as_text=True).splitlines()
    assert csv_rows[0].startswith("slot,start,end,table") and len(csv_rows) == 4
    ics = client.get(f"/events/{event_id}/participants/{p[0]}/agenda.ics").get_data(as_text=True)
    assert ics.count("BEGIN:VEVENT") == 2 and "TZID=Europe/Paris" in ics
    assert "<html" in client.get(f"/events/{event_id}/participants/{p[0]}/agenda.html").get_data(as_text=True)
    assert client.get(f"/events/{event_id}/tables/agenda.html").status_code == 200
    stats = client.get(f"/events/{event_id}/agenda/stats").get_json()
    assert stats["meetings"] == 3 and stats["state"] == "preliminary"


def test_final_agenda_absorbs_late_changes_without_moving_meetings(client, services, event) -> None:
    event_id, p = event
    for frm, to in [(p[0], p[1]), (p[2], p[3]), (p[4], p[1]), (p[3], p[5])]:
        rid = send(client, event_id, frm, to).get_json()["id"]
        client.post(f"/events/{event_id}/requests/{rid}/accept")
    agendas = services.agenda_service(SYSTEM)
    agendas.generate(event_id, "final", 10)
    final = {(m["a"], m["b"]): (m["slot"], m["table"]) for m in agendas.latest(event_id)["schedule"]["meetings"]}
    ics_before = client.get(f"/events/{event_id}/participants/{p[3]}/agenda.ics").get_data(as_text=True)
    # late changes: a cancellation, a late request, a decline
    client.post(f"/events/{event_id}/participants/{p[4]}/cancel")
    late = send(client, event_id, p[0], p[2]).get_json()["id"]
    client.post(f"/events/{event_id}/requests/{late}/accept")
    agendas.generate(event_id, "final", 10)
    after = {(m["a"], m["b"]): (m["slot"], m["table"]) for m in agendas.latest(event_id)["schedule"]["meetings"]}
    for pair, place in final.items():
        if p[4] not in pair:
            assert after[pair] == place  # confirmed meetings never move
    assert not any(p[4] in pair for pair in after)
    assert any(set(pair) == {p[0], p[2]} for pair in after)
    ics_after = client.get(f"/events/{event_id}/participants/{p[1]}/agenda.ics").get_data(as_text=True)
    assert "STATUS:CANCELLED" in ics_after  # the cancelled participant's meeting is removed
    assert ics_before.count("UID:") == client.get(f"/events/{event_id}/participants/{p[3]}/agenda.ics").get_data(
        as_text=True
    ).count("UID:")


def test_import_export_round_trip(client) -> None:
    from service.agenda.formats import dump_instance
    from tests.support.agenda_generate import generate_instance

    instance = dump_instance(generate_instance(20, 40, 8, 5, seed=4))
    created = client.post("/events/import", data=json.dumps(instance), content_type="application/json")
    assert created.status_code == 201
    exported = client.get(f"/events/{instance['name']}/export").get_json()
    assert exported["participants"] == instance["participants"]
    assert [(r["id"], r["status"]) for r in exported["requests"]] == [
        (r["id"], r["status"]) for r in instance["requests"]
    ]
    assert exported["slots"] == instance["slots"]
    bad = client.post(
        "/events/import", data=json.dumps({**instance, "num_tables": -1}), content_type="application/json"
    )
    assert bad.status_code == 422 and "num_tables" in json.dumps(bad.get_json())


@pytest.mark.redis
def test_agenda_job_on_the_worker(jobs_app) -> None:
    from tests.conftest import keyed_client, wait_for_job

    client = keyed_client(jobs_app)
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    a, b = (client.post(f"/events/{event_id}/participants", json={"name": n}).get_json()["id"] for n in "AB")
    send(client, event_id, a, b)
    accepted = client.post(f"/events/{event_id}/agenda", json={"state": "preliminary", "time_limit_s": 5})
    assert accepted.status_code == 202
    job = wait_for_job(client, accepted.get_json()["job_id"])
    assert job["status"] == "finished", job
    assert job["result"]["stats"]["meetings"] == 1
    assert client.get(f"/events/{event_id}/agenda").get_json()["version"] == 1


def test_suggestions_restricted_to_the_event(app, client, services) -> None:
    from pathlib import Path

    from indexers.pipeline import ingest
    from indexers.sources import read_records
    from tests.conftest import keyed_client

    data = Path(__file__).parent.parent / "data" / "match_members.jsonl"
    ingest(read_records(data, "members"), "members", services.index, services.embedder, services.domain)
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    # Members register themselves (an organiser's registration is only an invitation).
    ids = {
        m: keyed_client(app, "member", m)
        .post(f"/events/{event_id}/participants", json={"member_id": m})
        .get_json()["id"]
        for m in ("t-fr-sme", "t-de-busy", "t-es-machinist")
    }
    body = client.get(f"/events/{event_id}/participants/{ids['t-fr-sme']}/suggestions").get_json()
    assert [s["member_id"] for s in body["items"]][0] == "t-de-busy"  # the anodiser at the event
    assert {s["member_id"] for s in body["items"]} <= {"t-de-busy", "t-es-machinist"}
    assert body["items"][0]["participant"] == ids["t-de-busy"] and body["items"][0]["sentence"]
