"""ReminderSchedule decides when the reminder before an event is due (a fake queue records what
it is asked; the real worker and SMTP server are in tests/web/test_notifications.py)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.notify.reminders import REMIND_JOB, ReminderSchedule, first_session, reminder_job_id

EVENT = {"id": "salon/2027 été", "timezone": "Europe/Paris",
         "slots": [{"id": 1, "start": "2027-06-10T14:00"}, {"id": 0, "start": "2027-06-10T09:30"}]}


class RecordingQueue:
    def __init__(self) -> None:
        self.waiting: dict[str, tuple] = {}

    def enqueue_at(self, when, func, *args, job_id, description="", meta=None) -> str:
        self.waiting[job_id] = (when, func, args)
        return job_id

    def cancel_scheduled(self, job_id: str) -> bool:
        return self.waiting.pop(job_id, None) is not None


def schedule(queue: RecordingQueue, now: datetime, hours: float = 24) -> ReminderSchedule:
    return ReminderSchedule(lambda: queue, timedelta(hours=hours), clock=lambda: now)


def test_first_session_is_the_earliest_slot_in_the_events_time_zone() -> None:
    assert first_session(EVENT) == datetime(2027, 6, 10, 7, 30, tzinfo=UTC)  # CEST is UTC+2


def test_final_agenda_schedules_one_job_per_event_a_lead_time_before() -> None:
    queue = RecordingQueue()
    plan = schedule(queue, datetime(2027, 6, 1, tzinfo=UTC)).plan(EVENT, "final")
    assert plan["at"] == "2027-06-09T07:30:00+00:00"
    job_id = reminder_job_id(EVENT["id"])
    assert job_id.startswith("reminder-") and job_id.replace("-", "").isalnum()  # safe for RQ
    assert queue.waiting == {job_id: (datetime(2027, 6, 9, 7, 30, tzinfo=UTC), REMIND_JOB, (EVENT["id"],))}
    schedule(queue, datetime(2027, 6, 2, tzinfo=UTC), hours=2).plan(EVENT, "final")  # published again
    assert list(queue.waiting) == [job_id] and queue.waiting[job_id][0] == datetime(2027, 6, 10, 5, 30, tzinfo=UTC)


def test_nothing_is_scheduled_inside_the_lead_time_or_for_a_preliminary_agenda() -> None:
    queue = RecordingQueue()
    schedule(queue, datetime(2027, 6, 1, tzinfo=UTC)).plan(EVENT, "final")
    late = schedule(queue, datetime(2027, 6, 9, 8, 0, tzinfo=UTC)).plan(EVENT, "final")
    assert late == {"at": None, "reason": "inside_lead_time"} and not queue.waiting
    schedule(queue, datetime(2027, 6, 1, tzinfo=UTC)).plan(EVENT, "final")
    assert schedule(queue, datetime(2027, 6, 1, tzinfo=UTC)).plan(EVENT, "preliminary")["reason"] == "not_final"
    assert not queue.waiting
    assert reminder_job_id("a") != reminder_job_id("b")
