"""Late changes through the API: no ghost after a cancellation, table labels everywhere,
dropped confirmed meetings named, and a foreign export imported with its extra fields."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from icalendar import Calendar

SALON = Path(__file__).parents[1] / "data" / "agenda" / "salon-export.json"
EVENT = {"title": "Foire de l'aéronautique", "days": ["2026-05-19"], "timezone": "Europe/Paris",
         "venue": "Parc des expositions, Toulouse",
         "sessions": [{"start": "09:00", "end": "12:00"}], "slot_minutes": 30, "num_tables": 3,
         "table_labels": ["Stand Safran", "Tisch 2", "Mesa 3"], "max_requests_per_participant": 5}


def _admin(services):
    return services.keys.verify(services.keys.create("admin", None, "test organiser")[1])


@pytest.fixture
def solved(client, services):
    """Three participants, two accepted meetings, a final agenda."""
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    names = ("Safran Seats", "Dübelwerk AG", "Ala Rossa S.p.A.")
    ids = [client.post(f"/events/{event_id}/participants",
                       json={"name": n, **({"fixed_table": "Stand Safran"} if i == 0 else {})}).get_json()["id"]
           for i, n in enumerate(names)]
    for other in ids[1:]:
        rid = client.post(f"/events/{event_id}/participants/{other}/requests",
                          json={"to": ids[0], "note": "Sièges, fixations"}).get_json()["id"]
        assert client.post(f"/events/{event_id}/requests/{rid}/accept").status_code == 200
    services.agenda_service(_admin(services)).generate(event_id, "final", 5)
    return event_id, ids


def _ics(client, event_id, pid):
    response = client.get(f"/events/{event_id}/participants/{pid}/agenda.ics")
    assert response.status_code == 200
    return {str(e["SUMMARY"]): e for e in Calendar.from_ical(response.get_data()).walk("VEVENT")}


def test_labels_in_every_export(client, solved):
    event_id, (safran, duebel, _) = solved
    assert client.get(f"/events/{event_id}/agenda").get_json()["table_labels"] == EVENT["table_labels"]
    participants = client.get(f"/events/{event_id}/participants").get_json()
    assert participants[0]["fixed_table"] == "Stand Safran" and participants[0]["fixed_table_index"] == 0
    rows = client.get(f"/events/{event_id}/participants/{duebel}/agenda").get_json()["meetings"]
    assert [(r["table"], r["table_label"]) for r in rows] == [(0, "Stand Safran")]
    assert "Stand Safran" in client.get(f"/events/{event_id}/participants/{duebel}/agenda.html").get_data(as_text=True)
    assert "Table Stand Safran" in client.get(f"/events/{event_id}/tables/agenda.html").get_data(as_text=True)
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"/events/{event_id}/agenda.csv").get_data(as_text=True))))
    assert {r["table"] for r in csv_rows} == {"Stand Safran"} and {r["table_index"] for r in csv_rows} == {"0"}
    event = _ics(client, event_id, duebel)["B2B meeting: Safran Seats"]
    assert str(event["LOCATION"]).startswith("Table Stand Safran")
    unknown = client.post(f"/events/{event_id}/participants", json={"name": "X", "fixed_table": "Stand 99"})
    assert unknown.status_code == 422 and "Stand 99" in unknown.get_json()["message"]


def test_cancellation_shows_everywhere_at_once(client, solved):
    event_id, (safran, duebel, ala) = solved
    before = _ics(client, event_id, safran)["B2B meeting: Dübelwerk AG"]
    assert client.post(f"/events/{event_id}/participants/{duebel}/cancel").status_code == 200
    # the partner's agenda, before any new solve
    rows = client.get(f"/events/{event_id}/participants/{safran}/agenda").get_json()["meetings"]
    gone = next(r for r in rows if r["with"]["id"] == duebel)
    assert gone["status"] == "cancelled" and "Dübelwerk AG cancelled" in gone["reason"]
    assert gone["with"]["name"] == "Dübelwerk AG" and "contact" not in gone["with"]
    assert all(r["with"]["name"] for r in rows)
    html = client.get(f"/events/{event_id}/participants/{safran}/agenda.html").get_data(as_text=True)
    assert "Cancelled: Dübelwerk AG cancelled" in html and "None" not in html
    after = _ics(client, event_id, safran)["B2B meeting: Dübelwerk AG"]
    assert str(after["STATUS"]) == "CANCELLED" and str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert str(_ics(client, event_id, safran)["B2B meeting: Ala Rossa S.p.A."]["STATUS"]) == "CONFIRMED"
    csv_text = client.get(f"/events/{event_id}/agenda.csv").get_data(as_text=True)
    assert ",cancelled,Dübelwerk AG cancelled their participation" in csv_text
    # the cancelled participant: listed as cancelled, and their own agenda still answers
    listed = {p["id"]: p["status"] for p in client.get(f"/events/{event_id}/participants").get_json()}
    assert listed[duebel] == "cancelled"
    own = client.get(f"/events/{event_id}/participants/{duebel}/agenda")
    assert own.status_code == 200 and [r["status"] for r in own.get_json()["meetings"]] == ["cancelled"]
    assert client.get(f"/events/{event_id}/participants/{duebel}/agenda.html").status_code == 200
    assert str(_ics(client, event_id, duebel)["B2B meeting: Safran Seats"]["STATUS"]) == "CANCELLED"


def test_ics_carries_stamp_description_location_and_name(client, solved):
    event_id, (safran, duebel, _) = solved
    body = client.get(f"/events/{event_id}/participants/{duebel}/agenda.ics").get_data(as_text=True)
    cal = Calendar.from_ical(body)
    assert str(cal["X-WR-CALNAME"]) == "Foire de l'aéronautique: Dübelwerk AG"
    event = cal.walk("VEVENT")[0]
    assert event.decoded("DTSTAMP").year >= 2026
    description = str(event["DESCRIPTION"])
    assert "Safran Seats" in description and "Table: Stand Safran" in description
    assert "Note: Sièges, fixations" in description  # the request's note; no member profile, no reasons
    assert str(event["LOCATION"]) == "Table Stand Safran, Parc des expositions, Toulouse"


def test_foreign_export_imports_with_warnings(client, services):
    created = client.post("/events/import", data=SALON.read_bytes(), content_type="application/json")
    assert created.status_code == 201, created.get_json()
    warnings = created.get_json()["warnings"]
    assert "generator: unknown field, ignored" in warnings
    assert any(w.startswith("requests[0].message") for w in warnings)
    exported = client.get("/events/salon-composites-lyon/export").get_json()
    assert exported["table_labels"][0] == "Stand Hexcel B12"
    assert exported["participants"][1]["vat"] == "DE123456789"  # participants' extras round-trip
    bad = json.loads(SALON.read_text(encoding="utf-8"))
    bad["name"] = "other"
    bad["requests"][3]["priority"] = "high"
    refused = client.post("/events/import", data=json.dumps(bad), content_type="application/json")
    assert refused.status_code == 422 and "requests[3].priority" in refused.get_json()["message"]
    services.agenda_service(_admin(services)).generate("salon-composites-lyon", "final", 5)
    hexcel = client.get("/events/salon-composites-lyon/participants/HEX-01/agenda").get_json()
    assert {r["with"]["id"] for r in hexcel["meetings"]} == {"KMU-17", "ES-08"}  # accepted first
    assert {r["table_label"] for r in hexcel["meetings"]} == {"Stand Hexcel B12"}


def test_final_agenda_confirms_only_accepted(client, services, solved):
    event_id, (safran, duebel, ala) = solved
    client.post(f"/events/{event_id}/participants/{duebel}/requests", json={"to": ala})  # stays pending
    services.agenda_service(_admin(services)).generate(event_id, "final", 5)
    meetings = client.get(f"/events/{event_id}/agenda").get_json()["schedule"]["meetings"]
    confirmed = {frozenset((m["a"], m["b"])): m["confirmed"] for m in meetings}
    assert confirmed[frozenset((duebel, ala))] is False
    assert confirmed[frozenset((safran, duebel))] is True and confirmed[frozenset((safran, ala))] is True


def test_stats_report_left_out_and_coverage_cost_next_to_the_bound(client, solved):
    event_id, _ = solved
    stats = client.get(f"/events/{event_id}/agenda/stats").get_json()
    assert stats["left_out"] == 0 and stats["left_out_ids"] == []
    assert stats["score"] <= stats["bound"] and stats["score"] >= 0.995 * stats["bound"]
    assert set(stats["coverage_cost"]) == {"rank", "weight"}


def test_a_declined_provisional_meeting_drops_at_once(client, services, solved):
    event_id, (safran, duebel, ala) = solved
    rid = client.post(f"/events/{event_id}/participants/{duebel}/requests", json={"to": ala}).get_json()["id"]
    services.agenda_service(_admin(services)).generate(event_id, "preliminary", 5)
    rows = {r["with"]["id"]: r for r in _meetings(client, event_id, ala)}
    assert rows[duebel]["status"] == "provisional"
    assert client.post(f"/events/{event_id}/requests/{rid}/decline").status_code == 200
    rows = {r["with"]["id"]: r for r in _meetings(client, event_id, ala)}
    assert rows[duebel]["status"] == "cancelled" and "declined" in rows[duebel]["reason"]
    assert rows[safran]["status"] == "confirmed"


def _meetings(client, event_id, pid):
    return client.get(f"/events/{event_id}/participants/{pid}/agenda").get_json()["meetings"]
