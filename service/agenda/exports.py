"""Agenda exports: per-participant JSON dicts, ICS calendars, organiser CSV, printable HTML."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import Translations
from icalendar import Calendar, Event
from jinja2 import Environment, PackageLoader, select_autoescape

from service.agenda.model import Instance, Meeting, Participant, Schedule, Slot, pair_key
from service.csv_export import csv_text
from service.matching.phrases import N_, localize
from service.notify.messages import TRANSLATIONS, language_of
from service.vocab import org_type_name

PRODID = "-//Maillon//B2B agenda//EN"


def meeting_uid(event: str, a: str, b: str) -> str:
    """Stable across reschedules: the same pair at the same event keeps its UID."""
    x, y = pair_key(a, b)
    return f"{event}-{x}-{y}@maillon"


def participant_agenda(instance: Instance, schedule: Schedule, pid: str,
                       cancelled: list[dict[str, Any]] | None = None,
                       why: dict[tuple[str, str], list[str]] | None = None) -> dict[str, Any]:
    """JSON-friendly agenda of one participant, meetings in time order.

    `cancelled` meetings ({"a", "b", "slot", "table", "reason"}) are listed with status
    "cancelled" and their reason, so that nobody waits at a table for a ghost. `why` are the
    match reasons per pair (service.agenda.reasons); given, each row carries its own.
    """
    pmap = instance.participant_map()
    me = pmap[pid]
    rows = [_row(instance, pmap, pid, m.b if m.a == pid else m.a, m.slot, m.table,
                 "confirmed" if m.confirmed else "provisional")
            for m in schedule.meetings if pid in (m.a, m.b)]
    for c in cancelled or ():
        if pid in (c["a"], c["b"]):
            row = _row(instance, pmap, pid, c["b"] if c["a"] == pid else c["a"], c["slot"],
                       c["table"], "cancelled", c)
            rows.append({**row, "reason": c.get("reason") or "cancelled"})
    if why is not None:
        for row in rows:
            row["why"] = why.get(pair_key(pid, row["with"]["id"]), [])
    rows.sort(key=lambda r: (r["start"], r["status"] == "cancelled"))
    return {"event": instance.name, "title": instance.event.get("title"),
            "participant": {"id": me.id, "name": me.name, "fixed_table": me.fixed_table,
                            "fixed_table_label": None if me.fixed_table is None
                            else instance.table_label(me.fixed_table)},
            "meetings": rows}


def _row(instance: Instance, pmap: dict[str, Participant], pid: str, other_id: str,
         slot: int | None, table: int, status: str, when: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    other = pmap.get(other_id)
    s = slot_times(instance, slot, when)
    return {"slot": slot, "day": s.day, "start": s.start, "end": s.end, "table": table,
            "table_label": instance.table_label(table), "confirmed": status == "confirmed",
            "status": status,
            "with": {"id": other_id, "name": other.name if other else other_id,
                     "org_type": other.org_type if other else None,
                     "country": other.country if other else None}}


def slot_times(instance: Instance, slot: int | None, when: dict[str, Any] | None = None) -> Slot:
    """A meeting's times; a meeting cancelled by an event change keeps its old times."""
    if slot is not None and 0 <= slot < len(instance.slots):
        return instance.slots[slot]
    when = when or {}
    return Slot(-1, -1, when.get("start") or "", when.get("end") or "")


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


def cancel_entries(event: str, state: dict[str, dict[str, Any]],
                   cancelled: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The calendar state with these meetings cancelled now (SEQUENCE up once), so that a
    cancellation reaches calendars before the organiser solves again."""
    out = dict(state)
    for c in cancelled:
        uid = meeting_uid(event, c["a"], c["b"])
        old = out.get(uid) or {"seq": -1, "slot": c["slot"], "table": c["table"], "a": c["a"],
                               "b": c["b"], "cancelled": False}
        if not old.get("cancelled"):
            out[uid] = {**old, "seq": old["seq"] + 1, "cancelled": True,
                        "reason": c.get("reason")}
    return out


def _when(iso: str, tz: str | None) -> datetime:
    dt = datetime.fromisoformat(iso)
    return dt.replace(tzinfo=ZoneInfo(tz)) if tz and dt.tzinfo is None else dt


def _event(instance: Instance, uid: str, entry: dict[str, Any], pid: str, tz: str | None,
           stamp: datetime, notes: dict[tuple[str, str], list[str]],
           why: dict[tuple[str, str], list[str]], say: Callable[[str], str], language: str = "en") -> Event:
    pmap = instance.participant_map()
    other_id = entry["b"] if entry["a"] == pid else entry["a"]
    other = pmap.get(other_id)
    slot = slot_times(instance, entry["slot"], entry)
    table = instance.table_label(entry["table"])
    name = other.name if other else other_id
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", _when(slot.start, tz))
    ev.add("dtend", _when(slot.end, tz))
    ev.add("sequence", entry["seq"])
    ev.add("summary", say(N_("B2B meeting: %(name)s")) % {"name": name})
    venue = instance.event.get("venue") or instance.event.get("location")
    ev.add("location", say(N_("Table %(label)s")) % {"label": table} + (f", {venue}" if venue else ""))
    about = ", ".join(x for x in (localize(org_type_name(other.org_type), say, language), other.country)
                      if x) if other else ""
    lines = [say(N_("Meeting with %(name)s")) % {"name": name} + (f" ({about})" if about else ""),
             say(N_("Table: %(table)s")) % {"table": table}]
    if other and other.sector:
        lines.append(say(N_("Sector: %(sector)s")) % {"sector": other.sector})
    pair = pair_key(entry["a"], entry["b"])
    lines += [say(N_("Why: %(reason)s")) % {"reason": localize(reason, say, language)} for reason in why.get(pair, [])]
    lines += [say(N_("Note: %(note)s")) % {"note": note} for note in notes.get(pair, [])]
    if entry["cancelled"]:
        lines.insert(0, say(N_("CANCELLED: %(reason)s")) % {
            "reason": entry.get("reason") or say(N_("this meeting no longer takes place"))})
    ev.add("description", "\n".join(lines))
    ev.add("status", "CANCELLED" if entry["cancelled"] else "CONFIRMED")
    return ev


def participant_ics(instance: Instance, pid: str, state: dict[str, dict[str, Any]],
                    tz: str | None = None, stamp: datetime | None = None,
                    method: str = "PUBLISH",
                    notes: dict[tuple[str, str], list[str]] | None = None,
                    why: dict[tuple[str, str], list[str]] | None = None, language: str = "en") -> bytes:
    """Calendar of one participant from a state built by update_sequences.

    method="PUBLISH" carries live meetings plus cancelled ones (STATUS:CANCELLED);
    method="CANCEL" carries only the cancelled ones, for iTIP mail clients. Per pair,
    `why` are the match reasons (service.agenda.reasons) and `notes` the requests' notes.
    """
    stamp = stamp or datetime.now(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    me = instance.participant_map().get(pid)
    title = instance.event.get("title") or instance.name
    cal.add("x-wr-calname", f"{title}: {me.name if me and me.name else pid}")
    for uid, entry in sorted(state.items(), key=lambda kv: (kv[1].get("start") or "", kv[1]["slot"] or 0, kv[0])):
        if pid not in (entry["a"], entry["b"]) or not slot_times(instance, entry["slot"], entry).start:
            continue
        if method == "CANCEL" and not entry["cancelled"]:
            continue
        cal.add_component(_event(instance, uid, entry, pid, tz, stamp, notes or {}, why or {},
                                 gettext_for(language), language_of(language)))
    if tz:
        cal.add_missing_timezones()
    return cal.to_ical()


# ------------------------------------------------------------------ CSV and HTML

def organiser_csv(instance: Instance, schedule: Schedule,
                  cancelled: list[dict[str, Any]] | None = None) -> str:
    """One row per meeting, in slot then table order; cancelled ones say so and why."""
    pmap = instance.participant_map()
    rows = [(m.slot, m.table, m.a, m.b, "confirmed" if m.confirmed else "provisional", "")
            for m in schedule.meetings]
    rows += [(c["slot"], c["table"], c["a"], c["b"], "cancelled", c.get("reason") or "")
             for c in cancelled or ()]
    times = {(c["a"], c["b"]): c for c in cancelled or ()}
    out = []
    for slot, table, a, b, status, reason in sorted(rows, key=lambda r: (r[0] if r[0] is not None else -1,
                                                                          r[1], r[4])):
        s = slot_times(instance, slot, times.get((a, b)))
        out.append([slot, s.start, s.end, instance.table_label(table), a, _name(pmap, a), b,
                    _name(pmap, b), table, status, reason])
    return csv_text(["slot", "start", "end", "table", "a", "a_name", "b", "b_name", "table_index",
                     "status", "reason"], out)


def _name(pmap: dict, pid: str) -> str:
    return pmap[pid].name if pid in pmap else pid


@lru_cache(maxsize=4)
def _translations(language: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [language])


@lru_cache(maxsize=4)
def _env(language: str) -> Environment:
    env = Environment(loader=PackageLoader("service.agenda", "templates"),
                      autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(_translations(language), newstyle=True)
    env.filters["localize"] = lambda value: localize(value, _translations(language).gettext, language)
    env.filters["org_type"] = lambda value: localize(org_type_name(value), _translations(language).gettext)
    return env


def gettext_for(language: str | None) -> Callable[[str], str]:
    """The Babel catalogue's gettext for a language (English when it has none)."""
    return _translations(language_of(language)).gettext


def with_breaks(event: dict[str, Any], meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Meeting rows and a break row ({"break": True, "start", "end"}) per break of each day the
    event runs, in time order, so that a printed agenda shows when nothing is planned."""
    rows = [dict(m) for m in meetings]
    for day in _dates(event):
        for b in event.get("breaks") or []:
            rows.append({"break": True, "day": str(day), "start": f"{day}T{b['start']}", "end": f"{day}T{b['end']}"})
    return sorted(rows, key=lambda r: (r["start"][:16], not r.get("break"), r.get("status") == "cancelled"))


def _dates(event: dict[str, Any]) -> list[str]:
    """The event's days: an event's own list, or the agenda format's first day (its `days` is a count)."""
    days = event.get("days")
    if isinstance(days, list):
        return [str(d) for d in days]
    return [str(event["first_day"])] if event.get("first_day") else []


def participant_html(instance: Instance, schedule: Schedule, pids: list[str] | None = None,
                     cancelled: list[dict[str, Any]] | None = None,
                     why: dict[tuple[str, str], list[str]] | None = None, language: str = "en") -> str:
    """Printable agendas, one page per participant; `why`: match reasons per pair."""
    pids = pids if pids is not None else [p.id for p in instance.participants]
    agendas = [participant_agenda(instance, schedule, pid, cancelled, why) for pid in pids]
    return agendas_html(instance.event, agendas, language)


def agendas_html(event: dict[str, Any], agendas: list[dict[str, Any]], language: str = "en") -> str:
    """Printable agendas from participant_agenda dicts (with the `contact` and `why` a service
    added): the event's venue and days, each meeting and break in time order."""
    pages = [{**agenda, "rows": with_breaks(event, agenda["meetings"]),
              "why": any("why" in m for m in agenda["meetings"]),
              "contact": any(m["with"].get("contact") for m in agenda["meetings"])} for agenda in agendas]
    return _env(language_of(language)).get_template("participant.html").render(
        event=event, dates=_dates(event), agendas=pages, language=language_of(language))


def table_html(instance: Instance, schedule: Schedule, tables: list[int] | None = None,
               language: str = "en", event: dict[str, Any] | None = None) -> str:
    """Printable sheets to put on each table: who meets there, slot by slot, and the breaks of
    `event` (the event's own record; the agenda format's has none)."""
    event = event or instance.event
    pmap = instance.participant_map()
    by_table: dict[int, list[Meeting]] = {}
    for m in schedule.meetings:
        by_table.setdefault(m.table, []).append(m)
    tables = tables if tables is not None else sorted(by_table)
    sheets = [{"table": t, "label": instance.table_label(t), "rows": with_breaks(event, [
        {"start": instance.slots[m.slot].start, "end": instance.slots[m.slot].end,
         "a": _name(pmap, m.a), "b": _name(pmap, m.b)}
        for m in sorted(by_table.get(t, []), key=lambda m: m.slot)])} for t in tables]
    return _env(language_of(language)).get_template("table.html").render(
        event=event, sheets=sheets, language=language_of(language))
