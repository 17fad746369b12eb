"""The reminder before the event, scheduled when a final agenda is published: one RQ job per
event, due a lead time (Settings.reminder_lead_hours) before the first session. Its job id is
derived from the event, so publishing again replaces the waiting job instead of adding one.
Inside the lead time nothing is sent automatically: the organiser's button remains."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from service.queue import JobQueue

REMIND_JOB = "service.notify.jobs.remind"


def reminder_job_id(event_id: str) -> str:
    """Deterministic and safe for RQ whatever characters the event id has."""
    return "reminder-" + hashlib.sha256(event_id.encode()).hexdigest()[:24]


def first_session(event: dict[str, Any]) -> datetime:
    """The start of the event's first slot, in the event's time zone."""
    start = min(s["start"] for s in event["slots"])
    return datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(event.get("timezone") or "UTC"))


class ReminderSchedule:
    def __init__(self, queue: Callable[[], JobQueue], lead: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.queue = queue
        self.lead = lead
        self.clock = clock

    def plan(self, event: dict[str, Any], state: str) -> dict[str, Any]:
        """Schedule (or replace) the event's reminder for a final agenda; drop it otherwise."""
        job_id = reminder_job_id(event["id"])
        if state != "final":
            self.queue().cancel_scheduled(job_id)
            return {"at": None, "reason": "not_final"}
        due = first_session(event) - self.lead
        if due <= self.clock():
            self.queue().cancel_scheduled(job_id)
            return {"at": None, "reason": "inside_lead_time"}
        self.queue().enqueue_at(due, REMIND_JOB, event["id"], job_id=job_id, meta={"key_id": "system"},
                                description=f"reminder before event {event['id']}")
        return {"at": due.astimezone(UTC).isoformat(timespec="seconds"), "reason": None, "job_id": job_id}
