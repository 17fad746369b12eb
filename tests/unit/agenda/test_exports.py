"""Exports: ICS UIDs stay stable, SEQUENCE grows on moves, removed meetings are cancelled."""
from __future__ import annotations

import csv
import io

from icalendar import Calendar

from service.agenda.conflicts import conflicts
from service.agenda.exports import (
    agendas_html,
    gettext_for,
    meeting_uid,
    organiser_csv,
    participant_agenda,
    participant_html,
    participant_ics,
    table_html,
    update_sequences,
)
from service.agenda.formats import load_instance
from service.agenda.model import Meeting, Schedule
from service.matching.phrases import Phrase, localize


def _events(ics: bytes) -> dict[str, dict]:
    cal = Calendar.from_ical(ics)
    return {str(ev["UID"]): {"seq": int(ev["SEQUENCE"]), "status": str(ev["STATUS"]),
                             "start": ev.decoded("DTSTART")}
            for ev in cal.walk("VEVENT")}


def test_ics_updates_keep_uid_bump_sequence_and_cancel(tiny_doc):
    inst = load_instance(tiny_doc)
    v1 = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("A", "C", 3, 2)])
    s1 = update_sequences("tiny", v1)
    e1 = _events(participant_ics(inst, "A", s1))
    uid_ab, uid_ac = meeting_uid("tiny", "B", "A"), meeting_uid("tiny", "A", "C")
    assert uid_ab == "tiny-A-B@maillon"
    assert e1[uid_ab]["seq"] == 0 and e1[uid_ac]["status"] == "CONFIRMED"
    # A-B moves to slot 1, A-C is removed
    v2 = Schedule("tiny", [Meeting("B", "A", 1, 0)])
    s2 = update_sequences("tiny", v2, s1)
    e2 = _events(participant_ics(inst, "A", s2))
    assert set(e2) == {uid_ab, uid_ac}
    assert e2[uid_ab]["seq"] == 1 and e2[uid_ab]["status"] == "CONFIRMED"
    assert e2[uid_ac]["seq"] == 1 and e2[uid_ac]["status"] == "CANCELLED"
    cancel = Calendar.from_ical(participant_ics(inst, "A", s2, method="CANCEL"))
    assert str(cancel["METHOD"]) == "CANCEL"
    assert [str(e["UID"]) for e in cancel.walk("VEVENT")] == [uid_ac]
    # unchanged meetings keep their sequence
    s3 = update_sequences("tiny", v2, s2)
    assert s3[uid_ab]["seq"] == 1 and s3[uid_ac]["seq"] == 1


def test_ics_timezone(tiny_doc):
    inst = load_instance(tiny_doc)
    state = update_sequences("tiny", Schedule("tiny", [Meeting("A", "B", 0, 0)]))
    ics = participant_ics(inst, "A", state, tz="Europe/Paris")
    assert b"DTSTART;TZID=Europe/Paris:20260310T090000" in ics
    assert b"BEGIN:VTIMEZONE" in ics


def test_agenda_csv_html(tiny_doc):
    inst = load_instance(tiny_doc)
    sched = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("A", "C", 3, 2)])
    ag = participant_agenda(inst, sched, "A")
    assert [m["with"]["id"] for m in ag["meetings"]] == ["B", "C"]
    rows = list(csv.DictReader(io.StringIO(organiser_csv(inst, sched))))
    assert rows[0]["a_name"] == "Alpha" and rows[1]["table"] == "3" and rows[1]["table_index"] == "2"
    html = participant_html(inst, sched, ["A"])
    assert "Beta" in html and "Gamma" in html
    assert "Table 3" in table_html(inst, sched, [2])


def test_reasons_and_notes_in_ics_and_html(tiny_doc):
    inst = load_instance({**tiny_doc, "table_labels": ["1", "2", "Stand Gamma"]})
    sched = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("A", "C", 3, 2)])
    why = {("A", "B"): ["Beta (DE): their offer “anodising” answers your need “surface treatment”."]}
    notes = {("A", "B"): ["rencontré à Hanovre"], ("A", "C"): ["Termin bitte vormittags"]}
    ics = participant_ics(inst, "A", update_sequences("tiny", sched), notes=notes, why=why)
    text = {str(e["SUMMARY"]): str(e["DESCRIPTION"]).splitlines() for e in Calendar.from_ical(ics).walk("VEVENT")}
    assert text["B2B meeting: Beta"] == [
        "Meeting with Beta (SME, DE)", "Table: 1", "Sector: aero",
        "Why: Beta (DE): their offer “anodising” answers your need “surface treatment”.",
        "Note: rencontré à Hanovre"]
    assert text["B2B meeting: Gamma"][1:] == ["Table: Stand Gamma", "Sector: aero", "Note: Termin bitte vormittags"]
    page = participant_html(inst, sched, ["A"], why=why)
    assert "<th>Why</th>" in page and "answers your need" in page
    assert "<th>Why</th>" not in participant_html(inst, sched, ["A"])  # no reasons asked: no column


def test_printed_agenda_has_venue_breaks_contact_and_reasons_in_the_reader_language(tiny_doc):
    inst = load_instance({**tiny_doc, "table_labels": ["1", "2", "Stand Gamma"]})
    sched = Schedule("tiny", [Meeting("A", "B", 0, 0), Meeting("A", "C", 3, 2)])
    agenda = participant_agenda(inst, sched, "A", why={("A", "B"): [Phrase("similar maturity")]})
    agenda["meetings"][0]["with"]["contact"] = {"name": "Bea", "email": "bea@example.org"}
    event = {"id": "tiny", "title": "Salon", "venue": "Parc des expositions, Toulouse",
             "days": ["2026-03-10", "2026-03-11"], "breaks": [{"start": "10:30", "end": "10:45"}]}
    page = agendas_html(event, [agenda], "fr")
    assert "Parc des expositions, Toulouse" in page and "2026-03-10, 2026-03-11" in page
    assert page.count('<tr class="break">') == 2 and "Pause" in page  # one break row per day
    assert "Bea · bea@example.org" in page and "maturité comparable" in page and "<th>Pourquoi</th>" in page
    assert "Stand Gamma" in page and 'lang="fr"' in page
    assert "PME, DE" in page and "grande entreprise, ES" in page  # organisation types in the reader's language
    assert "similar maturity" in agendas_html(event, [agenda], "en")


def test_calendar_entries_read_in_the_participant_language(tiny_doc):
    inst = load_instance(tiny_doc)
    sched = Schedule("tiny", [Meeting("A", "B", 0, 0)])
    why = {("A", "B"): [Phrase("similar maturity")]}
    ics = participant_ics(inst, "A", update_sequences("tiny", sched), why=why, language="fr")
    entry = next(iter(Calendar.from_ical(ics).walk("VEVENT")))
    assert str(entry["SUMMARY"]) == "Rendez-vous B2B : Beta"
    assert str(entry["DESCRIPTION"]).splitlines() == [
        "Rendez-vous avec Beta (PME, DE)", "Table : 1", "Secteur : aero", "Pourquoi : maturité comparable"]


def test_move_conflicts_name_who_and_where_in_the_organiser_language(tiny_doc):
    inst = load_instance(tiny_doc)
    sched = Schedule("tiny", [Meeting("A", "B", 0, 0)])
    found = conflicts(inst, sched, "A", "C", 0, 0)
    assert "Alpha already meets Beta at" in found[0] and "table 1 is taken at" in " ".join(found)
    french = [localize(c, gettext_for("fr")) for c in found]
    assert "Alpha rencontre déjà Beta à" in french[0] and any("la table 1 est prise à" in c for c in french)
