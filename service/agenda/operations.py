"""What an organiser does on the day, on the latest agenda: book a meeting after the deadline,
cancel, move or lock one meeting, mark a no-show. Each change is a new agenda version whose
exports (JSON, HTML, CSV, ICS) reach the affected participants at once; the API records
every change in the audit trail."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from service.agenda import exports
from service.agenda.conflicts import conflicts, first_free
from service.agenda.formats import dump_schedule
from service.agenda.model import Meeting, Schedule, pair_key
from service.agenda.stats import schedule_stats
from service.agenda.validate import validate_schedule
from service.agenda.view import AgendaView
from service.errors import ConflictError, InvalidRequestError, NotFoundError

OPEN = ("pending", "accepted")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class OnSiteOperations:
    """Mixed into AgendaService (which provides events, store, _manage, latest, _current)."""

    events: Any
    store: Any

    # -- helpers ------------------------------------------------------------------------------
    def _find(self, view: AgendaView, a: str, b: str) -> Meeting:
        for m in view.schedule.meetings:
            if m.pair == pair_key(a, b):
                return m
        raise NotFoundError(f"no meeting between {a!r} and {b!r} in the latest agenda")

    def _place(self, view: AgendaView, a: str, b: str, start: str | None, table: str | None,
               current: Meeting | None = None) -> tuple[int, int]:
        """The (slot, table) an organiser asks for, by start time and table label."""
        inst = view.instance
        if start is None and table is None and current is None:
            found = first_free(inst, view.schedule, a, b)
            if found is None:
                raise ConflictError(f"no free slot and table for {a} and {b}; move a meeting first")
            return found
        slot = current.slot if current is not None and start is None else next(
            (s.id for s in inst.slots if s.start == start), None)
        if slot is None:
            raise InvalidRequestError(f"start: no slot starts at {start!r}",
                                      {"start": [f"use one of {[s.start for s in inst.slots][:8]}…"]})
        if table is None:
            index = current.table if current is not None else None
            if index is None:
                free = first_free(inst, Schedule(inst.name, [m for m in view.schedule.meetings
                                                             if m.slot != slot]), a, b)
                index = free[1] if free else 0
        else:
            index = inst.table_index(table)
            if index is None:
                raise InvalidRequestError(f"table: no table labelled {table!r}",
                                          {"table": [f"unknown table {table!r}"]})
        return slot, index

    def _save(self, event_id: str, view: AgendaView, agenda: dict[str, Any], meetings: list[Meeting],
              cancelled: list[dict[str, Any]], change: dict[str, Any]) -> dict[str, Any]:
        schedule = Schedule(view.schedule.instance, meetings, view.schedule.meta)
        touched = {pair_key(change["a"], change["b"])} if "a" in change else set()
        # meetings left alone may have lost their request since the solve (expired): only the
        # changed meeting, double bookings and table clashes stop an on-site change
        problems = [v.message for v in validate_schedule(view.instance, schedule)
                    if v.rule in (6, 7) or (v.meeting is not None and v.meeting.pair in touched)]
        if problems:  # a last guard: an on-site change never publishes an invalid agenda
            raise ConflictError("the change would make the agenda invalid: " + "; ".join(problems[:5]),
                                {"conflicts": problems})
        ics = exports.update_sequences(event_id, schedule, agenda.get("ics"))
        ics = exports.cancel_entries(event_id, ics, cancelled)
        for c in cancelled:
            entry = ics.get(exports.meeting_uid(event_id, c["a"], c["b"]))
            if entry is not None and entry.get("cancelled"):
                entry["reason"] = c.get("reason")
        doc = {**agenda, "schedule": dump_schedule(schedule), "cancelled": cancelled, "ics": ics,
               "stats": {**agenda.get("stats", {}), **schedule_stats(view.instance, schedule)},
               "changes": [*agenda.get("changes", []), {**change, "at": _now()}]}
        doc.pop("version", None)
        version = self.store.add_agenda(event_id, agenda["state"], doc, _now())
        return {"event": event_id, "version": version, "change": change}

    def _answer_pair(self, event_id: str, a: str, b: str, status: str) -> list[str]:
        changed = []
        with self.store.transaction() as conn:
            for r in self.store.requests(event_id, participant=a, conn=conn):
                if {r["from"], r["to"]} == {a, b} and r["status"] in OPEN and r["status"] != status:
                    self.store.put_request(event_id, {**r, "status": status, "answered_at": _now()}, conn)
                    changed.append(r["id"])
        return changed

    def _meeting_doc(self, view: AgendaView, m: Meeting) -> dict[str, Any]:
        s = view.instance.slots[m.slot]
        return {"a": m.a, "b": m.b, "slot": m.slot, "start": s.start, "end": s.end, "table": m.table,
                "table_label": view.instance.table_label(m.table), "confirmed": m.confirmed}

    # -- operations ---------------------------------------------------------------------------
    def book(self, event_id: str, a: str, b: str, start: str | None = None,
             table: str | None = None) -> dict[str, Any]:
        """Organiser override: a meeting booked on site, after the booking deadline too.

        The pair's request is accepted (or created accepted); with an agenda, the meeting is
        placed at once (at the asked slot and table, or the first free ones) and confirmed.
        """
        self._manage(event_id)
        for pid in (a, b):
            if self.events.participant(event_id, pid)["status"] == "cancelled":
                raise ConflictError(f"participant {pid!r} has cancelled")
        if a == b:
            raise InvalidRequestError("a participant cannot meet itself", {"b": ["same as a"]})
        rid = next(iter(self._answer_pair(event_id, a, b, "accepted")), None)
        if rid is None and not any({r["from"], r["to"]} == {a, b} and r["status"] == "accepted"
                                   for r in self.store.requests(event_id, participant=a)):
            rid = f"r-{uuid.uuid4().hex[:12]}"
            self.store.put_request(event_id, {
                "id": rid, "from": a, "to": b, "note": "booked on site by the organiser", "priority": 3,
                "status": "accepted", "created_at": _now().replace("+00:00", "Z"), "expires_at": None,
                "answered_at": _now()})
        if self.store.agenda(event_id) is None:
            return {"event": event_id, "request": rid, "meeting": None}
        view, agenda = self._current(event_id), self.latest(event_id)
        if any(m.pair == pair_key(a, b) for m in view.schedule.meetings):
            raise ConflictError(f"{a} and {b} already meet in the agenda")
        slot, index = self._place(view, a, b, start, table)
        self._refuse_conflicts(view, a, b, slot, index)
        meeting = Meeting(a, b, slot, index, True)
        out = self._save(event_id, view, agenda, [*view.schedule.meetings, meeting], view.cancelled,
                         {"op": "book", "a": a, "b": b, "slot": slot, "table": index})
        return {**out, "request": rid, "meeting": self._meeting_doc(view, meeting)}

    def _refuse_conflicts(self, view: AgendaView, a: str, b: str, slot: int, table: int) -> None:
        found = conflicts(view.instance, view.schedule, a, b, slot, table)
        if found:
            raise ConflictError("cannot place the meeting: " + "; ".join(found), {"conflicts": found})

    def move(self, event_id: str, a: str, b: str, start: str | None = None,
             table: str | None = None) -> dict[str, Any]:
        """Move one meeting by hand to another slot and/or table; it is locked there."""
        self._manage(event_id)
        view, agenda = self._current(event_id), self.latest(event_id)
        current = self._find(view, a, b)
        slot, index = self._place(view, current.a, current.b, start, table, current)
        self._refuse_conflicts(view, current.a, current.b, slot, index)
        moved = Meeting(current.a, current.b, slot, index, True)
        meetings = [moved if m.pair == current.pair else m for m in view.schedule.meetings]
        out = self._save(event_id, view, agenda, meetings, view.cancelled,
                         {"op": "move", "a": a, "b": b, "from": [current.slot, current.table],
                          "to": [slot, index]})
        return {**out, "meeting": self._meeting_doc(view, moved)}

    def lock_meeting(self, event_id: str, a: str, b: str) -> dict[str, Any]:
        """Confirm one meeting where it is: later solves never move it."""
        self._manage(event_id)
        view, agenda = self._current(event_id), self.latest(event_id)
        current = self._find(view, a, b)
        meetings = [replace(m, confirmed=True) if m.pair == current.pair else m for m in view.schedule.meetings]
        out = self._save(event_id, view, agenda, meetings, view.cancelled, {"op": "lock", "a": a, "b": b})
        return {**out, "meeting": self._meeting_doc(view, replace(current, confirmed=True))}

    def cancel_meeting(self, event_id: str, a: str, b: str, reason: str = "") -> dict[str, Any]:
        """Cancel one meeting; its requests are closed so that the next solve does not bring it back."""
        self._manage(event_id)
        view, agenda = self._current(event_id), self.latest(event_id)
        current = self._find(view, a, b)
        self._answer_pair(event_id, a, b, "cancelled")
        why = reason or "cancelled by the organiser"
        gone = {"a": current.a, "b": current.b, "slot": current.slot, "table": current.table, "reason": why}
        meetings = [m for m in view.schedule.meetings if m.pair != current.pair]
        return self._save(event_id, view, agenda, meetings, [*view.cancelled, gone],
                          {"op": "cancel", "a": a, "b": b, "reason": why})

    def no_show(self, event_id: str, pid: str) -> dict[str, Any]:
        """A participant did not come: their meetings are cancelled for their partners."""
        self._manage(event_id)
        who = self.events.participant(event_id, pid)
        view, agenda = self._current(event_id), self.latest(event_id)
        why = f"{who.get('name') or pid} did not show up"
        gone = [{"a": m.a, "b": m.b, "slot": m.slot, "table": m.table, "reason": why}
                for m in view.schedule.meetings if pid in (m.a, m.b)]
        for m in gone:
            self._answer_pair(event_id, m["a"], m["b"], "cancelled")
        meetings = [m for m in view.schedule.meetings if pid not in (m.a, m.b)]
        out = self._save(event_id, view, agenda, meetings, [*view.cancelled, *gone],
                         {"op": "no_show", "participant": pid, "meetings": len(gone)})
        return {**out, "cancelled": len(gone)}
