"""A participant's calendar and printable agenda say why each meeting is worth having: the
matcher's reasons for the pair (as the event's suggestions give them), then the request's note."""

from __future__ import annotations

import html
from pathlib import Path

from icalendar import Calendar

from indexers.pipeline import ingest
from indexers.sources import read_records
from service.access.keys import SYSTEM
from tests.conftest import keyed_client

EVENT = {
    "title": "Salon Aéro Toulouse — rendez-vous d'affaires",
    "days": ["2026-05-19"],
    "timezone": "Europe/Paris",
    "venue": "MEETT, Hall 2",
    "sessions": [{"start": "09:30", "end": "12:30"}],
    "slot_minutes": 20,
    "num_tables": 3,
}


def descriptions(ics: bytes) -> dict[str, str]:
    """SUMMARY → DESCRIPTION of each VEVENT (the text unfolded and unescaped)."""
    cal = Calendar.from_ical(ics)
    return {str(ev["summary"]): str(ev["description"]) for ev in cal.walk("VEVENT")}


def test_ics_and_printable_agenda_carry_the_match_reasons(app, client, services) -> None:
    data = Path(__file__).parent.parent / "data" / "match_members.jsonl"
    ingest(read_records(data, "members"), "members", services.index, services.embedder, services.domain)
    event_id = client.post("/events", json=EVENT).get_json()["id"]
    members = {m: keyed_client(app, "member", m) for m in ("t-fr-sme", "t-de-busy")}
    ids = {m: c.post(f"/events/{event_id}/participants", json={"member_id": m}).get_json()["id"]
           for m, c in members.items()}
    # Someone the organiser entered by hand: no member profile, so nothing to explain.
    walk_in = client.post(f"/events/{event_id}/participants",
                          json={"name": "Atelier Dupuis", "country": "FR"}).get_json()["id"]
    sme = members["t-fr-sme"]
    asked = sme.post(f"/events/{event_id}/participants/{ids['t-fr-sme']}/requests",
                     json={"to": ids["t-de-busy"], "note": "Vu sur votre stand l'an dernier"}).get_json()
    assert members["t-de-busy"].post(f"/events/{event_id}/requests/{asked['id']}/accept").status_code == 200
    sme.post(f"/events/{event_id}/participants/{ids['t-fr-sme']}/requests", json={"to": walk_in})
    services.agenda_service(SYSTEM).generate(event_id, "preliminary", 10)

    suggested = sme.get(f"/events/{event_id}/participants/{ids['t-fr-sme']}/suggestions").get_json()
    sentence = next(s["sentence"] for s in suggested["items"] if s["member_id"] == "t-de-busy")
    assert "Eloxieren" in sentence or "anodisation" in sentence  # the need↔offer pair, in words

    response = sme.get(f"/events/{event_id}/participants/{ids['t-fr-sme']}/agenda.ics")
    assert response.status_code == 200
    text = descriptions(response.get_data())
    anodiser = text["B2B meeting: Oberflächen Müller AG"]
    lines = anodiser.splitlines()
    assert lines[0].startswith("Meeting with Oberflächen Müller AG (large company, DE)")
    assert any(line.startswith("Table: ") for line in lines)
    assert f"Why: {sentence}" in lines
    assert "Note: Vu sur votre stand l'an dernier" in lines
    assert lines.index(f"Why: {sentence}") < lines.index("Note: Vu sur votre stand l'an dernier")
    assert "Why:" not in text["B2B meeting: Atelier Dupuis"]

    # The other side reads the reasons from its own point of view, not the seeker's.
    other = descriptions(members["t-de-busy"].get(
        f"/events/{event_id}/participants/{ids['t-de-busy']}/agenda.ics").get_data())
    theirs = other["B2B meeting: Mécanique de Précision Garonne"]
    assert f"Why: {sentence}" not in theirs.splitlines()

    page = html.unescape(sme.get(f"/events/{event_id}/participants/{ids['t-fr-sme']}/agenda.html")
                         .get_data(as_text=True))
    assert "<th>Why</th>" in page and sentence in page
