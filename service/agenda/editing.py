"""Editing an event that may already have registrations and an agenda: the calendar and the
tables are validated as at creation, availability follows the times (not the slot numbers),
and meetings whose slot or table disappears are shown as cancelled with the reason."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.agenda.formats import dump_schedule
from service.agenda.model import Meeting, Schedule
from service.errors import ConflictError, InvalidRequestError
from service.events.calendar import build_slots, calendar_errors, intervals_to_windows, windows_to_intervals
from service.events.tables import table_label

CALENDAR = ("days", "sessions", "breaks", "slot_minutes")
EDITABLE = (*CALENDAR, "title", "venue", "booking_deadline", "num_tables", "table_labels", "request_expiry_hours",
            "max_requests_per_participant", "max_meetings_default", "timezone")


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value) if value is not None and not isinstance(value, str | int | list) else value


class EventEditing:
    """Mixed into AgendaService (which provides events, store, _manage, _current, latest)."""

    events: Any
    store: Any

    def edit_event(self, event_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change the deadline, calendar or tables of an event, with the creation's checks."""
        self._manage(event_id)  # type: ignore[attr-defined]
        event = self.events.event(event_id)
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidRequestError(f"not editable: {', '.join(unknown)}", {k: ["not editable"] for k in unknown})
        new = {**event, **{k: _iso(v) if k == "booking_deadline" else v for k, v in changes.items()}}
        new["days"] = [str(d) for d in new["days"]]
        if "table_labels" not in changes and "num_tables" in changes and event.get("table_labels"):
            new["table_labels"] = None  # the old labels no longer fit: back to numbers
        errors = calendar_errors(new["days"], new["sessions"], new.get("breaks")) if new["sessions"] else {}
        labels = new.get("table_labels")
        if labels is not None and len(labels) != new["num_tables"]:
            errors["table_labels"] = [f"{len(labels)} labels for {new['num_tables']} tables"]
        elif labels is not None and len(set(labels)) != len(labels):
            errors["table_labels"] = ["labels must be unique"]
        if errors:
            shown = "; ".join(m for msgs in errors.values() for m in msgs)
            raise InvalidRequestError(f"invalid event change: {shown}", errors)
        people = self.store.participants(event_id, include_cancelled=True)
        lost = [p for p in people if p.get("fixed_table") is not None and p["fixed_table"] >= new["num_tables"]
                and p.get("status") != "cancelled"]
        if lost:
            raise ConflictError(f"{len(lost)} participants have a fixed table beyond {new['num_tables']} tables: "
                                + ", ".join(f"{p.get('name') or p['id']} ({p.get('fixed_table_label')})"
                                            for p in lost[:5]), {"num_tables": ["fixed tables beyond it"]})
        old_slots = event["slots"]
        if any(k in changes for k in CALENDAR) and new["sessions"]:
            new["slots"] = build_slots(new["days"], new["sessions"], new["slot_minutes"], new.get("breaks"))
            if not new["slots"]:
                raise InvalidRequestError("the sessions hold no slot of that length", {"sessions": ["no slots"]})
        moved = self._follow_times(event_id, people, old_slots, new) if new["slots"] != old_slots else 0
        with self.store.transaction() as conn:
            self.store.put_event(new, conn)
            for p in people:
                p["fixed_table_label"] = table_label(new, p.get("fixed_table"))
                self.store.put_participant(event_id, p, conn)
        dropped = self._refit_agenda(event_id, old_slots, new)
        return {**new, "warnings": [f"{moved} participants' availability follows the new times",
                                    f"{dropped} meetings cancelled by the change"]}

    def _follow_times(self, event_id: str, people: list[dict[str, Any]], old: list[dict[str, Any]],
                      new: dict[str, Any]) -> int:
        """Availability was stored as slot numbers of the old calendar: keep the same times."""
        count = 0
        for p in people:
            if p.get("availability") is not None:
                windows = intervals_to_windows(old, p["availability"]) or []
                p["availability"] = windows_to_intervals(new["slots"], windows)
                count += 1
        return count

    def _refit_agenda(self, event_id: str, old: list[dict[str, Any]], new: dict[str, Any]) -> int:
        """Meetings keep their time and table; those whose slot or table is gone are cancelled."""
        agenda = self.store.agenda(event_id)
        if agenda is None:
            return 0
        by_start = {s["start"]: s["id"] for s in new["slots"]}
        remap = {s["id"]: by_start.get(s["start"]) for s in old}
        kept, gone = [], []
        for m in agenda["schedule"]["meetings"]:
            slot = remap.get(m["slot"])
            if slot is None or m["table"] >= new["num_tables"]:
                what = "slot" if slot is None else "table"
                times = {"start": old[m["slot"]]["start"], "end": old[m["slot"]]["end"]}
                gone.append({"a": m["a"], "b": m["b"], "slot": slot, "table": m["table"], **times,
                             "reason": f"the organiser changed the event: its {what} no longer exists"})
            else:
                kept.append(Meeting(m["a"], m["b"], slot, m["table"], m.get("confirmed", True)))
        def follow(item: dict[str, Any]) -> dict[str, Any]:
            """Same times under the new slot numbers; a vanished slot keeps its old times."""
            if item.get("slot") is None or item["slot"] not in remap:
                return item
            if remap[item["slot"]] is None:
                return {**item, "slot": None, "start": old[item["slot"]]["start"], "end": old[item["slot"]]["end"]}
            return {**item, "slot": remap[item["slot"]]}

        cancelled = [follow(c) for c in agenda.get("cancelled", [])] + gone
        ics = {}
        for uid, entry in (agenda.get("ics") or {}).items():
            moved = follow(entry)
            if moved["slot"] is None or entry["table"] >= new["num_tables"]:
                moved = {**moved, "cancelled": True, "reason": "the organiser changed the event",
                         "seq": entry["seq"] + (0 if entry.get("cancelled") else 1)}
            ics[uid] = moved
        schedule = Schedule(agenda["schedule"]["instance"], kept, agenda["schedule"].get("meta", {}))
        doc = {**agenda, "schedule": dump_schedule(schedule), "ics": ics,
               "cancelled": cancelled,
               "dropped_confirmed": [*agenda.get("dropped_confirmed", []),
                                     *({k: g[k] for k in ("a", "b", "start", "table")} for g in gone)],
               "changes": [*agenda.get("changes", []), {"op": "edit_event", "cancelled": len(gone),
                                                         "at": datetime.now(UTC).isoformat(timespec="seconds")}]}
        doc.pop("version", None)
        self.store.add_agenda(event_id, agenda["state"], doc, datetime.now(UTC).isoformat(timespec="seconds"))
        return len(gone)
