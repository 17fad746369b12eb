"""Tell participants that the agenda was published or changed, and what changed for them:
meetings added, moved (slot or table) or removed since the last version they were told about.
Publishing a final agenda also schedules the reminder before the event (service.notify.reminders)."""
from __future__ import annotations

from typing import Any

from service.notify.reminders import ReminderSchedule
from service.notify.service import Notifier

SCHEMA = "CREATE TABLE IF NOT EXISTS agenda_notices (event_id TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def _meetings(doc: dict[str, Any] | None, pid: str) -> dict[str, tuple[int, int]]:
    """partner id → (slot, table) of a participant in an agenda version."""
    out = {}
    for m in (doc or {}).get("schedule", {}).get("meetings", []):
        if pid in (m["a"], m["b"]):
            out[m["b"] if m["a"] == pid else m["a"]] = (m["slot"], m["table"])
    return out


class AgendaNotices:
    def __init__(self, agendas: Any, notifier: Notifier, reminders: ReminderSchedule | None = None) -> None:
        self.agendas = agendas
        self.events = agendas.events
        self.notifier = notifier
        self.reminders = reminders  # None: no reminder is scheduled (it is sent on demand only)
        notifier.outbox.db.conn().execute(SCHEMA)

    def publish(self, event_id: str) -> dict[str, Any]:
        """Mail every participant whose meetings differ from the last version announced."""
        latest = self.agendas.schedule(event_id)  # the organiser's view: checks they manage the event
        db = self.notifier.outbox.db.conn()
        row = db.execute("SELECT version FROM agenda_notices WHERE event_id = ?", (event_id,)).fetchone()
        previous = self.agendas.latest(event_id, row[0]) if row else None
        event = self.events.event(event_id)
        slots = {s["id"]: s for s in event["slots"]}
        people = {p["id"]: p for p in self.events.store.participants(event_id, include_cancelled=True)}
        told = 0
        for pid, person in people.items():
            before, after = _meetings(previous, pid), _meetings(latest, pid)
            if before == after and previous is not None:
                continue
            changes = [self._change(people, slots, other, before.get(other), after.get(other))
                       for other in sorted(set(before) | set(after), key=lambda o: after.get(o, before.get(o)))
                       if before.get(other) != after.get(other)]
            meetings = [self._row(people, slots, other, where) for other, where in
                        sorted(after.items(), key=lambda item: item[1])]
            told += self._tell(event, person, meetings, changes,
                               kind="agenda_published" if previous is None else "agenda_changed")
        db.execute("INSERT INTO agenda_notices VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE SET version = ?",
                   (event_id, latest["version"], latest["version"]))
        reminder = self.reminders.plan(event, latest["state"]) if self.reminders else None
        return {"event": event_id, "version": latest["version"], "notified": told,
                "first": previous is None, "reminder": reminder}

    def remind(self, event_id: str, only_final: bool = False) -> dict[str, Any]:
        """A reminder before the event: each participant's meetings of the latest agenda
        (`only_final`: none unless that agenda is final, for the scheduled reminder)."""
        latest = self.agendas.schedule(event_id)  # checks the caller manages the event
        if only_final and latest["state"] != "final":
            return {"event": event_id, "version": latest["version"], "notified": 0}
        event = self.events.event(event_id)
        slots = {s["id"]: s for s in event["slots"]}
        people = {p["id"]: p for p in self.events.store.participants(event_id)}
        told = 0
        for pid, person in people.items():
            meetings = [self._row(people, slots, other, where)
                        for other, where in sorted(_meetings(latest, pid).items(), key=lambda item: item[1])]
            told += self._tell(event, person, meetings, [], kind="agenda_reminder")
        return {"event": event_id, "version": latest["version"], "notified": told}

    @staticmethod
    def _row(people: dict[str, Any], slots: dict[int, Any], other: str, where: tuple[int, int]) -> dict[str, Any]:
        slot = slots.get(where[0], {})
        return {"start": slot.get("start", "").replace("T", " "), "table": where[1] + 1,
                "with": (people.get(other) or {}).get("name") or other}

    def _change(self, people: dict[str, Any], slots: dict[int, Any], other: str, before: Any, after: Any) -> dict:
        what = "added" if before is None else "removed" if after is None else "moved"
        row = self._row(people, slots, other, after or before)
        return {**row, "what": what, "was": self._row(people, slots, other, before)["start"] if before else ""}

    def _tell(self, event: dict[str, Any], person: dict[str, Any], meetings: list, changes: list, kind: str) -> bool:
        account = self.notifier.signin.account_for("member", person["member_id"]) if person.get("member_id") else None
        email = account.email if account else (person.get("contact") or {}).get("email")
        if not email or person.get("status") == "cancelled" and not changes:
            return False
        path = f"/app/events/{event['id']}/agenda"
        url = self.notifier.signin_url(account, path) if account else f"{self.notifier.public_url}{path}"
        self.notifier.notify(kind, email,
                             account.language if account else None,
                             {"event": {"id": event["id"], "title": event.get("title") or event["id"]},
                              "me": person.get("name") or person["id"], "meetings": meetings,
                              "changes": changes, "url": url}, event["id"])
        return True
