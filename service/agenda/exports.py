"""Agenda exports: per-participant JSON dicts, ICS calendars, organiser CSV, printable HTML."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from jinja2 import Environment, PackageLoader, select_autoescape

from service.agenda.model import Instance, Meeting, Schedule, pair_key
from service.csv_export import csv_text

PRODID = "-//Maillon//B2B agenda//EN"


def meeting_uid(event: str, a: str, b: str) -> str:
    """Stable across reschedules: the same pair at the same event keeps its UID."""
    x, y = pair_key(a, b)
    return f"{event}-{x}-{y}@maillon"


def participant_agenda(instance: Instance, schedule: Schedule, pid: str) -> dict[str, Any]:
    """JSON-friendly agenda of one participant, meetings in time order."""
    pmap = instance.participant_map()
    me = pmap[pid]
    rows = []
    for m in sorted((m for m in schedule.meetings if pid in (m.a, m.b)), key=lambda m: m.slot):
        other = pmap.get(m.b if m.a == pid else m.a)
        slot = instance.slots[m.slot]
        rows.append({"slot": m.slot, "day": slot.day, "start": slot.start, "end": slot.end,
                     "table": m.table, "confirmed": m.confirmed,
                     "with": {"id": other.id if other else None,
                              "name": other.name if other else None,
                              "org_type": other.org_type if other else None,
                              "country": other.country if other else None}})
    return {"event": instance.name, "title": instance.event.get("title"),
            "participant": {"id": me.id, "name": me.name, "fixed_table": me.fixed_table},
            "meetings": rows}


def all_agendas(instance: Instance, schedule: Schedule) -> dict[str, dict[str, Any]]:
    return {p.id: participant_agenda(instance, schedule, p.id) for p in instance.participants}


# ------------------------------------------------------------------ ICS

def update_sequences(event: str, schedule: Schedule,
                     previous: dict[str, dict[str, Any]] | None = None
                     ) -> dict[str, dict[str, Any]]:
    """New calendar state per UID: {"seq", "slot", "table", "a", "b", "cancelled"}.

    SEQUENCE goes up when a meeting moves (slot or table) or disappears; a meeting that
    disappears stays in the map as cancelled so the next ICS files carry the cancellation.
    """
    previous = previous or {}
    state: dict[str, dict[str, Any]] = {}
    for m in schedule.meetings:
        uid = meeting_uid(event, m.a, m.b)
        old = previous.get(uid)
        seq = 0
        if old is not None:
            changed = (old["slot"], old["table"]) != (m.slot, m.table) or old.get("cancelled")
            seq = old["seq"] + (1 if changed else 0)
        state[uid] = {"seq": seq, "slot": m.slot, "table": m.table, "a": m.a, "b": m.b,
                      "cancelled": False}
    for uid, old in previous.items():
        if uid not in state:
            state[uid] = {**old, "seq": old["seq"] + (0 if old.get("cancelled") else 1),
                          "cancelled": True}
    return state


def _when(iso: str, tz: str | None) -> datetime:
    dt = datetime.fromisoformat(iso)
    return dt.replace(tzinfo=ZoneInfo(tz)) if tz and dt.tzinfo is None else dt


def _event(instance: Instance, uid: str, entry: dict[str, Any], pid: str, tz: str | None,
           stamp: datetime) -> Event:
    pmap = instance.participant_map()
    other_id = entry["b"] if entry["a"] == pid else entry["a"]
    other = pmap.get(other_id)
    slot = instance.slots[entry["slot"]]
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", _when(slot.start, tz))
    ev.add("dtend", _when(slot.end, tz))
    ev.add("sequence", entry["seq"])
    ev.add("summary", f"B2B meeting: {other.name if other else other_id}")
    ev.add("location", f"Table {entry['table'] + 1}")
    ev.add("status", "CANCELLED" if entry["cancelled"] else "CONFIRMED")
    return ev


def participant_ics(instance: Instance, pid: str, state: dict[str, dict[str, Any]],
                    tz: str | None = None, stamp: datetime | None = None,
                    method: str = "PUBLISH") -> bytes:
    """Calendar of one participant from a state built by update_sequences.

    method="PUBLISH" carries live meetings plus cancelled ones (STATUS:CANCELLED);
    method="CANCEL" carries only the cancelled ones, for iTIP mail clients.
    """
    stamp = stamp or datetime(2000, 1, 1)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add("x-wr-calname", f"{instance.event.get('title') or instance.name} - {pid}")
    for uid, entry in sorted(state.items(), key=lambda kv: (kv[1]["slot"], kv[0])):
        if pid not in (entry["a"], entry["b"]) or entry["slot"] >= len(instance.slots):
            continue
        if method == "CANCEL" and not entry["cancelled"]:
            continue
        cal.add_component(_event(instance, uid, entry, pid, tz, stamp))
    if tz:
        cal.add_missing_timezones()
    return cal.to_ical()


# ------------------------------------------------------------------ CSV and HTML

def organiser_csv(instance: Instance, schedule: Schedule) -> str:
    """One row per meeting, in slot then table order."""
    pmap = instance.participant_map()
    rows = []
    for m in sorted(schedule.meetings, key=lambda m: (m.slot, m.table)):
        s = instance.slots[m.slot]
        rows.append([m.slot, s.start, s.end, m.table, m.a, _name(pmap, m.a), m.b, _name(pmap, m.b)])
    return csv_text(["slot", "start", "end", "table", "a", "a_name", "b", "b_name"], rows)


def _name(pmap: dict, pid: str) -> str:
    return pmap[pid].name if pid in pmap else pid


def _env() -> Environment:
    return Environment(loader=PackageLoader("service.agenda", "templates"),
                       autoescape=select_autoescape(["html"]))


def participant_html(instance: Instance, schedule: Schedule, pids: list[str] | None = None
                     ) -> str:
    """Printable agendas, one page per participant."""
    pids = pids if pids is not None else [p.id for p in instance.participants]
    agendas = [participant_agenda(instance, schedule, pid) for pid in pids]
    return _env().get_template("participant.html").render(instance=instance, agendas=agendas)


def table_html(instance: Instance, schedule: Schedule, tables: list[int] | None = None) -> str:
    """Printable sheets to put on each table: who meets there, slot by slot."""
    pmap = instance.participant_map()
    by_table: dict[int, list[Meeting]] = {}
    for m in schedule.meetings:
        by_table.setdefault(m.table, []).append(m)
    tables = tables if tables is not None else sorted(by_table)
    sheets = [{"table": t, "rows": [
        {"start": instance.slots[m.slot].start, "end": instance.slots[m.slot].end,
         "a": _name(pmap, m.a), "b": _name(pmap, m.b)}
        for m in sorted(by_table.get(t, []), key=lambda m: m.slot)]} for t in tables]
    return _env().get_template("table.html").render(instance=instance, sheets=sheets)
