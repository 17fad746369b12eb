"""Participant sheets (CSV, XLSX): every good row registered, every bad one reported by row and
field, through the real EventService and its Guard (no model needed: standalone participants)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from service.access.keys import Principal
from service.access.policy import Guard
from service.errors import ForbiddenError, InvalidRequestError
from service.events.service import EventService
from service.events.store import EventStore
from service.participant_import import import_participants

EVENT = {"id": "salon", "title": "Salone B2B", "timezone": "Europe/Rome", "days": ["2027-05-04"],
         "sessions": [{"start": "09:00", "end": "11:00"}], "breaks": [], "slot_minutes": 20, "num_tables": 4,
         "request_expiry_hours": 48, "max_requests_per_participant": 5, "max_meetings_default": None,
         "booking_deadline": None}


def service(tmp_path: Path, who: Principal) -> EventService:
    return EventService(EventStore(tmp_path / "events.sqlite3"), guard=Guard(who))


def xlsx(rows: list[list]) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_xlsx_rows_reported_by_number_and_field(tmp_path: Path) -> None:
    organiser = Principal("k1", "organiser", "org-milano")
    events = service(tmp_path, organiser)
    events.create_event(EVENT)
    sheet = xlsx([["Name", "Country", "Max meetings", "Contact e-mail", "Fixed table", "Notes"],
                  ["Officine Brambilla", "Italia", 6, "ufficio@brambilla.example", None, None],
                  ["Ateliers Roux", "FR", 4.0, None, 2, None],
                  [None, "ES", None, None, None, None],
                  ["Tisch Neun", "DE", None, None, 9, None],
                  ["Firma X", "PL", None, "kein-mail", None, "bitte Fensterplatz"]])
    report = import_participants(events, "salon", "iscritti.xlsx", sheet)
    assert [r["name"] for r in report["registered"]] == ["Officine Brambilla", "Ateliers Roux"]
    by_row = {(e["row"], e["field"]) for e in report["errors"]}
    assert (4, "_row") in by_row or (4, "name") in by_row  # no name
    assert (5, "fixed_table") in by_row  # table 9 of 4
    assert {(6, "notes"), (6, "contact.email")} <= by_row  # unknown column, bad address
    stored = {p["name"]: p for p in events.participants("salon")}
    assert stored["Officine Brambilla"]["country"] == "IT" and stored["Ateliers Roux"]["max_meetings"] == 4


def test_another_organiser_may_not_import(tmp_path: Path) -> None:
    service(tmp_path, Principal("k1", "organiser", "org-milano")).create_event(EVENT)
    other = service(tmp_path, Principal("k2", "organiser", "org-lyon"))
    with pytest.raises(ForbiddenError):
        import_participants(other, "salon", "a.csv", io.BytesIO(b"name\nX\n"))


@pytest.mark.parametrize(("name", "data", "field"), [("vide.csv", b"  \n", "file"), ("liste.pdf", b"%PDF", "file"),
                                                     ("cassé.xlsx", b"PK\x03\x04 not a zip", "file")])
def test_unreadable_files_name_the_problem(tmp_path: Path, name: str, data: bytes, field: str) -> None:
    events = service(tmp_path, Principal("k1", "organiser", "org-milano"))
    events.create_event(EVENT)
    with pytest.raises(InvalidRequestError) as caught:
        import_participants(events, "salon", name, io.BytesIO(data))
    assert field in caught.value.errors
